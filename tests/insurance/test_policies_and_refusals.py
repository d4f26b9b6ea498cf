"""平安保障 insurance: the insurer's policy numbers recorded per household and shown with the ID
masked; who may do what (role, county level, jurisdiction, the maker never approves); bad
input refused with its code, changing nothing."""

from __future__ import annotations

import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser
from tests.fresh_county import County, make_county
from tests.insurance.helpers import (
    approved,
    decide,
    enrol,
    made,
    make,
    record,
    refused,
    this_year,
)


def _state(backend: Backend, county: County) -> list[tuple]:
    """What a refused request must leave as it was: batches, policies, payouts, the trail."""
    like = {"county": county.code, "village": county.code + "%"}
    with backend.engine.connect() as connection:
        return [
            tuple(connection.execute(sa.text(sql), like))
            for sql in (
                "SELECT id, status, decided_by FROM insurance_batch WHERE county_code = :county",
                "SELECT p.id, p.status, p.policy_no, p.payout_id FROM insurance_policy p"
                " JOIN insurance_batch b ON b.id = p.batch_id WHERE b.county_code = :county",
                "SELECT p.id, p.status FROM payout p JOIN application a"
                " ON a.id = p.application_id WHERE a.village_code LIKE :village",
                "SELECT count(*) FROM audit_event WHERE county = :county"
                " AND action <> 'action_refused'",
            )
        ]


def test_policies_are_recorded_once_and_shown_with_the_id_masked(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    first, second = enrol(api, county), enrol(api, county, village=2)
    batch = approved(api, county)
    numbers = {first["id"]: "PAB-2026-000101", second["id"]: "PAB-2026-000102"}
    response = record(api, county, batch["id"], numbers)
    assert response.status_code == 200, response.text
    assert (response.json()["recorded"], response.json()["unchanged"]) == (2, 0)
    again = record(api, county, batch["id"], numbers)  # the insurer's file sent twice
    assert (again.json()["recorded"], again.json()["unchanged"]) == (0, 2)

    shown = api.get(f"/insurance/batches/{batch['id']}", as_=county["au"])
    assert shown.status_code == 200, shown.text
    policies = {p["application_id"]: p for p in shown.json()["policies"]}
    assert {k: p["policy_no"] for k, p in policies.items()} == numbers
    assert {p["status"] for p in policies.values()} == {"insured"}
    assert shown.json()["insured"] == 2
    with backend.engine.connect() as connection:
        full = connection.execute(
            sa.text("SELECT applicant_id_number FROM application WHERE id = :id"),
            {"id": first["id"]},
        ).scalar_one()
    masked = policies[first["id"]]["applicant_id_number"]
    assert masked != full
    assert masked[:4] == full[:4]
    assert "*" in masked
    assert full not in shown.text

    before = _state(backend, county)
    other_number = record(api, county, batch["id"], {first["id"]: "PAB-2026-999999"})
    refused(other_number, 409, "insurance-policy-recorded")
    assert _state(backend, county) == before
    trail = api.get(
        "/audit/events", as_=county["au"], params={"application_id": first["id"], "limit": 1000}
    )
    recorded = [e for e in trail.json()["items"] if e["action"] == "insurance_policy_recorded"]
    assert len(recorded) == 1


def test_a_policy_number_is_one_household_s(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    first, second = enrol(api, county), enrol(api, county, village=2)
    batch = approved(api, county)
    assert record(api, county, batch["id"], {first["id"]: "P 1"}).status_code == 422
    assert record(api, county, batch["id"], {first["id"]: "PAB-2026-1"}).status_code == 200
    before = _state(backend, county)
    taken = record(api, county, batch["id"], {second["id"]: "PAB-2026-1"})
    refused(taken, 409, "insurance-policy-number-taken")
    repeated = api.post(
        f"/insurance/batches/{batch['id']}/policies",
        as_=county["fo"],
        json={
            "policies": [
                {"application_id": second["id"], "policy_no": "PAB-2026-2"},
                {"application_id": second["id"], "policy_no": "PAB-2026-3"},
            ]
        },
    )
    refused(repeated, 422, "insurance-policy-repeated")
    stranger = record(api, county, batch["id"], {999999: "PAB-2026-4"})
    refused(stranger, 422, "insurance-policy-not-in-batch")
    assert _state(backend, county) == before


def test_policies_wait_for_the_county_s_approval(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    case = enrol(api, county)
    batch = made(api, county)
    early = record(api, county, batch["id"], {case["id"]: "PAB-2026-7"})
    refused(early, 409, "insurance-batch-not-approved")


def test_roles_levels_and_counties_are_checked(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    other = make_county(backend, make_user)
    enrol(api, county)
    year = {"year": this_year()}
    for user in (county["cw"], county["tr"], county["ca"], county["au"], county["admin"]):
        refused(api.post("/insurance/batches", as_=user, json=year), 403, "case-role-required")
    township_fo = make_user(["finance_officer"], county.township)
    refused(
        api.post("/insurance/batches", as_=township_fo, json=year), 403, "insurance-county-only"
    )
    batch = made(api, county)
    path = f"/insurance/batches/{batch['id']}"
    # Another county's users: not there.
    refused(api.get(path, as_=other["au"]), 404, "insurance-batch-not-found")
    refused(decide(api, batch["id"], as_=other["ca"]), 404, "insurance-batch-not-found")
    refused(api.get(path, as_=county["cw"]), 403, "role-required")
    refused(decide(api, batch["id"], as_=county["fo"]), 403, "case-role-required")
    # The maker never approves, even holding the approver's role too.
    both = make_user(["finance_officer", "county_approver"], county.code)
    refused(make(api, county), 409, "insurance-batch-waiting")
    assert decide(api, batch["id"], as_=county["ca"], decision="reject", comment="重做").is_success
    own = api.post("/insurance/batches", as_=both, json=year)
    assert own.status_code == 201, own.text
    before = _state(backend, county)
    refused(decide(api, own.json()["id"], as_=both), 403, "insurance-batch-own")
    assert _state(backend, county) == before
    assert decide(api, own.json()["id"], as_=county["ca"]).status_code == 200


def test_bad_input_is_refused_with_its_code(
    api: Api, backend: Backend, make_user: MakeUser
) -> None:
    county = make_county(backend, make_user)
    enrol(api, county)
    before = _state(backend, county)
    for body in ({}, {"year": "this"}, {"year": 1999}, {"year": this_year(), "plan": "Bad Plan"}):
        refused(api.post("/insurance/batches", as_=county["fo"], json=body), 422, "invalid-input")
    past = api.post("/insurance/batches", as_=county["fo"], json={"year": this_year() - 1})
    refused(past, 422, "insurance-year-closed")
    unknown = api.post(
        "/insurance/batches", as_=county["fo"], json={"year": this_year(), "plan": "no_such"}
    )
    refused(unknown, 404, "insurance-plan-not-found")
    assert _state(backend, county) == before
    batch = made(api, county)
    no_reason = decide(api, batch["id"], as_=county["ca"], decision="reject")
    body = refused(no_reason, 422, "invalid-input")
    assert body["errors"][0]["code"] == "comment-required"
    maybe = decide(api, batch["id"], as_=county["ca"], decision="maybe")
    refused(maybe, 422, "invalid-input")
    empty = api.post(
        f"/insurance/batches/{batch['id']}/policies", as_=county["fo"], json={"policies": []}
    )
    refused(empty, 422, "invalid-input")
    assert api.get("/insurance/batches/0", as_=county["au"]).status_code == 422
