"""BOLA: every route that takes an object's id, called by users outside the object's
jurisdiction (another village, another township, another county) → 404, exactly as for an id
that does not exist, with nothing of the object in the answer and nothing changed.

The routes come from the running service's OpenAPI document: a new route with a path
parameter fails this test until it has a target object below (or a reasoned exemption).
"""

from __future__ import annotations

import re
import uuid
from collections.abc import Callable
from dataclasses import dataclass, field

import httpx

from tests.attack.rules import ACCESS, ANY_USER, COUNTY_KEY, documented_operations
from tests.conftest import Api, Backend, MakeUser, Server
from tests.factories import PDF, application
from tests.fresh_county import County, advance, approved_case, make_county, submit_ready
from tests.insurance.helpers import this_year
from tests.programs.test_special_assistance import special

MISSING_ID = 2_147_483_000  # in range, never reached by the tests' own rows

# Installation-wide objects, not in any county's jurisdiction: nothing to hide from a county.
EXEMPT_PARAMETERS = {
    # The program catalogue is the same for every county and readable by every user.
    "code": "the program catalogue is installation-wide",
    # Flow versions are installation-wide configuration, read by admins and auditors only
    # (the role matrix checks that gate).
    "key": "flows are installation-wide configuration",
    "number": "flows are installation-wide configuration",
    "name": "flows are installation-wide configuration",
    # Incidents are the installation's failed background jobs; admins run the installation
    # (they upload and activate flows for every county too). The role matrix checks the gate.
    "incident_id": "incidents are installation-wide operations, admin only",
    # A public notice 公示 is published to everyone; objecting to it needs no account.
    "notice_id": "public notices are public by design",
    # A county's yearly amount of a program (seed 003's rewards): county codes are the public
    # statistical division codes and the amounts published policy, so nothing is hidden; the
    # administrator of another county is refused 403 program-amount-outside-jurisdiction
    # (tests/programs/test_county_amounts.py), and reads list their own county's only.
    "county": "a county's program amount is published policy; another county's admin: 403",
    "year": "a county's program amount is published policy; another county's admin: 403",
}

# Users outside village 1 of county A but inside county A (another village, another township).
NEIGHBOURS = ("cw2", "vh2", "cw3", "vh3", "tr2")


@dataclass
class World:
    api: Api
    home: County  # owns every object
    away: County  # another county
    ids: dict[str, int | str] = field(default_factory=dict)
    secrets: list[str] = field(default_factory=list)  # what no outsider may ever see

    @staticmethod
    def role_of(key: str) -> str:
        """The role of a County user key: cw2 → caseworker."""
        return {v: k for k, v in COUNTY_KEY.items()}[re.sub(r"\d$", "", key)]


def _case_body() -> dict:
    body = application()
    # A name no other case has, so any trace of it in an answer is a leak.
    body["applicant"]["name"] = "泄露" + uuid.uuid4().hex[:8]  # type: ignore[index]
    return body


def _build(api: Api, home: County, away: County) -> World:
    world = World(api, home, away)

    def remember(case: dict, body: dict) -> None:
        applicant = body["applicant"]
        card = body["household"]["bank_card"]
        masked_id = applicant["id_number"][:4] + "*" * 10 + applicant["id_number"][-4:]
        world.secrets += [applicant["name"], applicant["id_number"], masked_id, card]
        world.secrets.append(case["household"]["bank_card"])  # the masked card

    # An open case at the caseworker's step: reads, corrections, documents, tasks, audit views.
    body = _case_body()
    case, task_id = submit_ready(api, home, body=body)
    remember(case, body)
    world.ids["open_case"], world.ids["task"] = case["id"], task_id

    # An approved case: its one-time payout pending, in a bank batch; revocable.
    body = _case_body()
    approved = approved_case(api, home, body=body)
    remember(approved, body)
    world.ids["approved_case"], world.ids["payout"] = approved["id"], approved["payout"]["id"]
    batch = api.post("/payouts/batches", as_=home["fo"], json={})
    assert batch.status_code == 201, batch.text
    world.ids["batch"] = batch.json()["id"]
    world.ids["batch_line"] = batch.json()["lines"][0]["reference"]

    # A paid, then revoked case: its recovery.
    body = _case_body()
    case, task_id = submit_ready(api, home, body=body)
    remember(case, body)
    payout_task = advance(api, home, task_id, levels=4)
    assert payout_task is not None
    paid = api.decide(
        payout_task["id"], "approve", as_=home["fo"], data={"bank_reference": "BOLA-1"}
    )
    assert paid.status_code == 200, paid.text
    revoked = api.post(
        f"/applications/{case['id']}/revoke",
        as_=home["ca"],
        data={"reason": "虚假材料"},
        files={"evidence": ("evidence.pdf", PDF, "application/pdf")},
    )
    assert revoked.status_code == 200, revoked.text
    recoveries = api.get("/recoveries", as_=home["fo"], params={"application_id": case["id"]})
    world.ids["recovery"] = recoveries.json()[0]["id"]
    # An enrolled special-assistance household whose father's death waits for the county.
    body = special()
    body["applicant"]["name"] = "泄露" + uuid.uuid4().hex[:8]  # type: ignore[index]
    case, task_id = submit_ready(api, home, body=body)
    remember(case, body)
    advance(api, home, task_id, levels=4)
    event = api.post(
        "/life-events",
        as_=home["cw"],
        data={
            "application_id": str(case["id"]),
            "kind": "death",
            "person": "spouse",
            "event_date": "2025-06-01",
        },
        files={"evidence": ("death.pdf", PDF, "application/pdf")},
    )
    assert event.status_code == 201, event.text
    world.ids["life_event"] = event.json()["id"]
    # Its 平安保障 insurance batch of the year, awaiting the county's decision.
    insurance = api.post("/insurance/batches", as_=home["fo"], json={"year": this_year()})
    assert insurance.status_code == 201, insurance.text
    world.ids["insurance_batch"] = insurance.json()["id"]
    world.ids["username"] = home["cw"]
    world.ids["region"] = home.village(1)
    return world


Request = Callable[[World, str, str], httpx.Response]  # (world, user, path) → response


def _json(method: str, body: dict | None = None) -> Request:
    def send(world: World, user: str, path: str) -> httpx.Response:
        headers = world.api.headers(user)
        return world.api.client.request(method, path, headers=headers, json=body)

    return send


def _multipart(fields: dict[str, str], file_field: str) -> Request:
    def send(world: World, user: str, path: str) -> httpx.Response:
        files = {file_field: ("paper.pdf", PDF, "application/pdf")}
        return world.api.post(path, as_=user, data=fields, files=files)

    return send


def _results(world: World, user: str, path: str) -> httpx.Response:
    line = {"reference": world.ids["batch_line"], "status": "paid", "amount_fen": 300000}
    return world.api.post(path, as_=user, json={"lines": [line]})


def _policy_file(world: World, user: str, path: str) -> httpx.Response:
    content = "户编号,保单号\n1,BOLA-0002\n".encode("utf-8-sig")
    return world.api.post(path, as_=user, files={"file": ("policies.csv", content, "text/csv")})


# (METHOD, path template) → (the object its id names, a request the owner could send).
TARGETS: dict[tuple[str, str], tuple[str, Request]] = {
    ("GET", "/api/v1/applications/{application_id}"): ("open_case", _json("GET")),
    ("PATCH", "/api/v1/applications/{application_id}"): (
        "open_case",
        _json("PATCH", {"household": {"certificate_holder": True}}),
    ),
    ("POST", "/api/v1/applications/{application_id}/documents"): (
        "open_case",
        _multipart({"kind": "hukou"}, "file"),
    ),
    ("POST", "/api/v1/applications/{application_id}/withdraw"): (
        "open_case",
        _json("POST", {"reason": "户主要求撤回"}),
    ),
    ("POST", "/api/v1/applications/{application_id}/revoke"): (
        "approved_case",
        _multipart({"reason": "虚假材料"}, "evidence"),
    ),
    ("POST", "/api/v1/tasks/{task_id}/claim"): ("task", _json("POST")),
    ("POST", "/api/v1/tasks/{task_id}/unclaim"): ("task", _json("POST")),
    ("POST", "/api/v1/tasks/{task_id}/complete"): ("task", _json("POST", {"decision": "approve"})),
    ("POST", "/api/v1/payouts/{payout_id}/pay"): ("payout", _json("POST", {"bank_reference": "X"})),
    ("GET", "/api/v1/payouts/batches/{batch_id}"): ("batch", _json("GET")),
    ("GET", "/api/v1/payouts/batches/{batch_id}/bank-file"): ("batch", _json("GET")),
    ("GET", "/api/v1/payouts/batches/{batch_id}/roster"): ("batch", _json("GET")),
    ("POST", "/api/v1/payouts/batches/{batch_id}/results"): ("batch", _results),
    ("GET", "/api/v1/recoveries/{recovery_id}"): ("recovery", _json("GET")),
    ("POST", "/api/v1/recoveries/{recovery_id}/payments"): (
        "recovery",
        _json("POST", {"amount_fen": 100, "reference": "R-1"}),
    ),
    ("GET", "/api/v1/audit/cases/{application_id}"): ("open_case", _json("GET")),
    ("POST", "/api/v1/audit/cases/{application_id}/reveal"): (
        "open_case",
        _json("POST", {"reason": "核查群众举报"}),
    ),
    ("GET", "/api/v1/audit/users/{username}"): ("username", _json("GET")),
    ("POST", "/api/v1/tasks/{task_id}/reassign"): (
        "task",
        _json("POST", {"to": "t.nobody", "reason": "越权改派"}),
    ),
    ("GET", "/api/v1/tasks/{task_id}/candidates"): ("task", _json("GET")),
    # Regions and users of another county do not exist for its administrator or auditor.
    ("GET", "/api/v1/regions/{region_code}"): ("region", _json("GET")),
    ("PATCH", "/api/v1/regions/{region_code}"): ("region", _json("PATCH", {"name": "改名村"})),
    ("POST", "/api/v1/regions/{region_code}/merge"): (
        "region",
        _json("POST", {"into": "130123100202"}),
    ),
    ("GET", "/api/v1/people/{username}"): ("username", _json("GET")),
    ("PATCH", "/api/v1/people/{username}"): (
        "username",
        _json("PATCH", {"roles": ["village_head"], "reason": "越权"}),
    ),
    ("POST", "/api/v1/people/{username}/deactivate"): (
        "username",
        _json("POST", {"reason": "越权"}),
    ),
    ("POST", "/api/v1/people/{username}/reactivate"): (
        "username",
        _json("POST", {"reason": "越权"}),
    ),
    ("POST", "/api/v1/people/{username}/password-reset"): (
        "username",
        _json("POST", {"reason": "越权"}),
    ),
    ("GET", "/api/v1/applications/{application_id}/objections"): ("open_case", _json("GET")),
    ("GET", "/api/v1/insurance/batches/{batch_id}"): ("insurance_batch", _json("GET")),
    ("POST", "/api/v1/insurance/batches/{batch_id}/decision"): (
        "insurance_batch",
        _json("POST", {"decision": "approve"}),
    ),
    ("POST", "/api/v1/insurance/batches/{batch_id}/policies"): (
        "insurance_batch",
        _json("POST", {"policies": [{"application_id": 1, "policy_no": "BOLA-0001"}]}),
    ),
    ("GET", "/api/v1/insurance/batches/{batch_id}/list"): ("insurance_batch", _json("GET")),
    ("POST", "/api/v1/insurance/batches/{batch_id}/policy-file"): ("insurance_batch", _policy_file),
    ("GET", "/api/v1/life-events/{event_id}"): ("life_event", _json("GET")),
    ("POST", "/api/v1/life-events/{event_id}/confirm"): ("life_event", _json("POST", {})),
    ("POST", "/api/v1/life-events/{event_id}/reject"): (
        "life_event",
        _json("POST", {"comment": "越权"}),
    ),
}


def _fill(template: str, value: int | str) -> str:
    return re.sub(r"\{[^}]+\}", str(value), template.removeprefix("/api/v1"))


def _outsiders(world: World, method: str, template: str) -> list[str]:
    """Users outside the objects' village who pass the route's role gate."""
    roles = ACCESS[(method, template)].roles or ANY_USER
    users = [world.home[key] for key in NEIGHBOURS if world.role_of(key) in roles]
    users += [world.away[COUNTY_KEY[role]] for role in roles]
    return users


def _state(world: World) -> list[object]:
    """What the outsiders' requests must not change."""
    api, auditor = world.api, world.home["au"]
    cases = [api.case(int(world.ids[k]), as_=auditor) for k in ("open_case", "approved_case")]
    recovery = api.get(f"/recoveries/{world.ids['recovery']}", as_=auditor).json()
    batch = api.get(f"/payouts/batches/{world.ids['batch']}", as_=auditor).json()
    person = api.get(f"/people/{world.ids['username']}", as_=world.home["admin"]).json()
    region = api.get(f"/regions/{world.ids['region']}", as_=auditor).json()
    event = api.get(f"/life-events/{world.ids['life_event']}", as_=auditor).json()
    insurance = api.get(f"/insurance/batches/{world.ids['insurance_batch']}", as_=auditor).json()
    return [
        person,
        region,
        (insurance["status"], [p["policy_no"] for p in insurance["policies"]]),
        *[(c["status"], c["household"], len(c["documents"]), c["tasks"]) for c in cases],
        (recovery["status"], recovery["payments"]),
        (batch["status"], [(line["reference"], line.get("status")) for line in batch["lines"]]),
        (event["status"], event["decided_by"]),
    ]


def test_id_routes_hide_objects_from_other_villages_townships_and_counties(
    api: Api, server: Server, backend: Backend, make_user: MakeUser
) -> None:
    id_routes = [(m, p) for m, p in documented_operations(server.url) if "{" in p]
    parameters = {name for _, p in id_routes for name in re.findall(r"\{([^}]+)\}", p)}
    unexempt = [
        (m, p)
        for m, p in id_routes
        if not set(re.findall(r"\{([^}]+)\}", p)) <= set(EXEMPT_PARAMETERS)
    ]
    uncovered = [route for route in unexempt if route not in TARGETS]
    assert not uncovered, f"id-taking routes without a BOLA target in {__file__}: {uncovered}"
    assert parameters >= {"application_id", "task_id", "payout_id", "batch_id", "recovery_id"}

    world = _build(api, make_county(backend, make_user), make_county(backend, make_user))
    before = _state(world)
    failures: list[str] = []
    for method, template in unexempt:
        target, send = TARGETS[(method, template)]
        path = _fill(template, world.ids[target])
        missing_value = "nobody-" + uuid.uuid4().hex[:6] if target == "username" else MISSING_ID
        missing = _fill(template, missing_value)
        for user in _outsiders(world, method, template):
            response = send(world, user, path)
            label = f"{method} {template} as {user}"
            if response.status_code != 404:
                failures.append(f"{label}: {response.status_code} {response.text[:200]}")
                continue
            leaked = [s for s in world.secrets if s in response.text]
            if leaked:
                failures.append(f"{label}: the answer holds {leaked}")
            # Indistinguishable from an id that does not exist: the same problem, bar the id.
            unknown = send(world, user, missing)
            same = response.json()["detail"].replace(str(world.ids[target]), "ID")
            if (
                unknown.status_code != 404
                or unknown.json()["detail"].replace(str(missing_value), "ID") != same
            ):
                failures.append(f"{label}: {response.text} differs from {unknown.text}")
    assert not failures, "\n".join(failures)
    assert _state(world) == before  # no outsider changed anything

    # The objects were there all along: their own county's users reach them.
    for key in ("open_case", "approved_case"):
        assert api.get(f"/applications/{world.ids[key]}", as_=world.home["cw"]).status_code == 200
    for key, route in (("batch", "/payouts/batches/{}"), ("recovery", "/recoveries/{}")):
        assert api.get(route.format(world.ids[key]), as_=world.home["fo"]).status_code == 200
    audit = api.get(f"/audit/users/{world.ids['username']}", as_=world.home["au"])
    assert audit.status_code == 200
