"""Upload checks of task data declarations (issue 18 §1): a declaration the service cannot read,
a field that would overwrite a service variable, a money field of the wrong type, and a path on
which a change to what is paid reaches a payout without the county are refused, naming the task.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from service.engine import Instance, parse_flow
from service.errors import InvalidInput
from tests.conftest import Api
from tests.conftest import assert_problem as problem
from tests.flows.helpers import upload

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
REVIEW = (WORKFLOWS / "special_assistance_review.bpmn").read_text()
CONSOLATION = (WORKFLOWS / "emergency_consolation.bpmn").read_text()
PARENTS = 'name="field.eligible_parents" value="integer min=1 max=2"'
REFERENCE = 'name="field.bank_reference" value="reference required"'


def _refusals(api: Api, name: str, text: str) -> list[dict]:
    body = problem(upload(api, (name, text.encode())), 422, "invalid-flow")
    return body["errors"]


@pytest.mark.parametrize(
    ("old", "new", "element", "words"),
    [
        (
            PARENTS,
            'name="field.eligible_parents" value="number"',
            "annual_review",
            "start the value",
        ),
        (
            PARENTS,
            'name="field.eligible_parents" value="integer max=two"',
            "annual_review",
            "max=two",
        ),
        (PARENTS, 'name="field.county" value="text"', "annual_review", "the service sets"),
        (
            PARENTS,
            'name="field.eligible_parents" value="decimal"',
            "annual_review",
            "changes what is paid",
        ),
        (
            "decision == 'approve' and not changes_money",
            "decision == 'approve'",
            "annual_review",
            "without a county_approver task",
        ),
    ],
    ids=["no-type", "bad-bound", "service-variable", "money-type", "around-the-county"],
)
def test_a_review_flow_with_a_bad_declaration_is_refused_naming_the_task(
    api: Api, old: str, new: str, element: str, words: str
) -> None:
    assert old in REVIEW
    errors = _refusals(api, "special_assistance_review.bpmn", REVIEW.replace(old, new))
    assert any(e["element"] == element and words in e["reason"] for e in errors), errors


def test_a_payout_task_that_declares_data_must_take_the_bank_reference(api: Api) -> None:
    changed = CONSOLATION.replace(REFERENCE, 'name="field.remark" value="text max=200"')
    errors = _refusals(api, "emergency_consolation.bpmn", changed)
    assert any(
        e["element"] == "card_payout" and "field.bank_reference" in e["reason"] for e in errors
    ), errors


def test_the_shipped_flows_declare_what_their_tasks_take() -> None:
    review = parse_flow(REVIEW.encode())
    fields = {task.id: {f.name: f.describe() for f in task.fields} for task in review.user_tasks}
    assert fields == {
        "annual_review": {"eligible_parents": "integer min=1 max=2", "bank_card": "card"},
        "review_cosign": {},
        "county_confirm_change": {},
    }
    payout = parse_flow(CONSOLATION.encode()).user_task("card_payout")
    assert payout is not None
    assert [f.describe() for f in payout.fields] == ["reference required"]


def test_a_task_cannot_overwrite_a_variable_the_instance_started_with() -> None:
    # Past upload's rules (an older version, or a name the rules do not list): the engine
    # itself refuses any name the service put into the instance at its start.
    flow = parse_flow(REVIEW.replace(PARENTS, 'name="field.year" value="integer"').encode())
    instance = Instance.start(flow, {"year": 2027, "county": "130123", "time_limits": {}})
    [task] = instance.ready_tasks()
    state = instance.dump()
    with pytest.raises(InvalidInput) as refused:
        instance.complete(
            task.engine_task_id, lane="caseworker", decision="approve", comment="", data={"year": 1}
        )
    assert refused.value.code == "data-field-reserved"
    assert instance.dump() == state


def test_a_version_s_outline_lists_the_data_each_task_takes(api: Api) -> None:
    response = api.get("/flows/special_assistance_review/versions/1", as_="au.county")
    assert response.status_code == 200, response.text
    tasks = {task["id"]: task["fields"] for task in response.json()["tasks"]}
    assert tasks["annual_review"] == {
        "eligible_parents": "integer min=1 max=2",
        "bank_card": "card",
    }
    assert tasks["county_confirm_change"] == {}
