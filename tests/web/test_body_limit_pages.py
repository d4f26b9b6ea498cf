"""A request body over the limit sent from a console page is answered as the console answers
every error (issue 20: a 30 MB upload replaced the case page's documents with problem JSON):
the 413 page, or for htmx the message fragment retargeted to ``#flash``. The API keeps its
problem JSON (tests/test_problems.py)."""

from __future__ import annotations

from tests.conftest import TEST_UPLOAD_LIMIT, Api, Server
from tests.factories import PDF
from tests.web.pages import logged_in

OVER = PDF + b"0" * (4 * TEST_UPLOAD_LIMIT)  # declared in Content-Length: refused unread


def _upload(server: Server, case_id: int, *, htmx: bool) -> tuple[int, dict[str, str], str]:
    page = logged_in(server, "cw.lizhuang")
    page.get(f"/applications/{case_id}")
    headers = {"HX-Request": "true", "X-CSRF-Token": page.csrf} if htmx else {}
    response = page.client.post(
        f"/applications/{case_id}/documents",
        data={"kind": "hukou", "csrf_token": page.csrf},
        files={"file": ("scan.pdf", OVER, "application/pdf")},
        headers=headers,
    )
    return response.status_code, dict(response.headers), response.text


def test_an_htmx_upload_over_the_limit_gets_the_message_for_flash(api: Api, server: Server) -> None:
    case = api.submit()
    status, headers, text = _upload(server, case["id"], htmx=True)
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert headers["hx-retarget"] == "#flash"
    assert headers["hx-reswap"] == "innerHTML"
    assert text.startswith('<p class="flash-error"')
    assert "文件过大" in text  # the console's title for a 413, in the page's language
    assert "payload-too-large" not in text
    assert api.case(case["id"])["documents"] == []


def test_a_plain_upload_over_the_limit_gets_the_error_page(api: Api, server: Server) -> None:
    case = api.submit()
    status, headers, text = _upload(server, case["id"], htmx=False)
    assert status == 413
    assert headers["content-type"].startswith("text/html")
    assert "<!doctype html>" in text.lower()
    assert "文件过大" in text
    assert "payload-too-large" not in text
    assert api.case(case["id"])["documents"] == []
