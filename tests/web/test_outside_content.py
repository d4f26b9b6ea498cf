"""Nothing from an uploaded flow runs on the console's origin (issue 18 part 5): the case's
flow XML, which diagram.js fetches, is served as plain text in a sandbox, whatever it holds."""

from __future__ import annotations

from service.http.downloads import INERT_CSP
from tests.conftest import Server
from tests.web.outside import hostile_flow, stored_hostile_flow
from tests.web.pages import logged_in

OUTSIDE = "https://outside.example"


def test_a_case_s_flow_xml_is_served_as_sandboxed_plain_text(
    server: Server, ready_case: dict
) -> None:
    """A version stored before uploads refused them keeps its stylesheet and XHTML meta
    refresh; the console hands them out as text no browser renders or runs."""
    case_id = ready_case["id"]
    xml = hostile_flow(OUTSIDE)
    page = logged_in(server, "tr.dongcheng")
    with stored_hostile_flow(server.backend, case_id, xml):
        response = page.get(f"/applications/{case_id}/diagram.bpmn")
    assert response.status_code == 200
    assert response.headers["content-type"] == "text/plain; charset=utf-8"
    assert response.headers["x-content-type-options"] == "nosniff"
    policy = [part.strip() for part in response.headers["content-security-policy"].split(";")]
    assert "sandbox" in policy
    assert "default-src 'none'" in policy
    assert response.headers["content-security-policy"] == INERT_CSP
    # The diagram still draws from it: the flow's elements, named in the page's language.
    assert 'id="objection_review"' in response.text
    assert 'name="核查举报"' in response.text
