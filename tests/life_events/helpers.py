"""Steps shared by the life-event tests: enrol, pay, review a year, record and decide."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

import httpx

from tests.conftest import Api
from tests.factories import PDF

EVIDENCE = ("death.pdf", PDF, "application/pdf")


def household_payouts(api: Api, case_id: int) -> dict[str, dict]:
    """The household card's payouts of a case by period (a premium paid to the pension fund
    on the parents' behalf is a payout of its own)."""
    return {
        p["period"]: p
        for p in api.case(case_id)["payouts"]
        if p.get("payee", "household") == "household"
    }


def pay_year(api: Api, case_id: int, year: int) -> None:
    """Pay every payout of the case for ``year`` (the household's, and a premium if any)."""
    for payout in api.case(case_id)["payouts"]:
        if payout["period"] == str(year) and payout["status"] == "pending":
            paid = api.post(
                f"/payouts/{payout['id']}/pay",
                as_="fo.county",
                json={"bank_reference": f"LE-{payout['id']}"},
            )
            assert paid.status_code == 200, paid.text


def review_year(api: Api, case_id: int, year: int) -> None:
    """Open the county's yearly review and take this household's through as continuing."""
    assert api.post("/reviews/yearly", as_="ca.county", json={"year": year}).status_code == 200
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "approve", as_="vh.lizhuang")


def record(
    api: Api,
    case_id: int,
    *,
    kind: str = "death",
    event_date: str = "2025-06-01",
    person: str | None = "spouse",
    as_: str = "cw.lizhuang",
    evidence: tuple[str, bytes, str] | None = EVIDENCE,
    note: str = "村委会出具死亡证明",
) -> httpx.Response:
    data = {"application_id": str(case_id), "kind": kind, "event_date": event_date, "note": note}
    if person is not None:
        data["person"] = person
    files = {"evidence": evidence} if evidence is not None else None
    return api.post("/life-events", as_=as_, data=data, files=files)


def recorded(api: Api, case_id: int, **kwargs: object) -> dict:
    response = record(api, case_id, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    return response.json()


def decide(
    api: Api, event_id: int, decision: str, *, as_: str = "ca.county", comment: str = ""
) -> httpx.Response:
    return api.post(f"/life-events/{event_id}/{decision}", as_=as_, json={"comment": comment})


def actions(api: Api, case_id: int) -> list[str]:
    return [event["action"] for event in api.events(case_id)]


def at_once(api: Api, requests: list[tuple[str, str, dict]]) -> list[httpx.Response]:
    """POST every ``(username, path, kwargs)`` at the same moment; responses in order."""
    barrier = threading.Barrier(len(requests))
    tokens = {user: api.server.token(user) for user, _path, _kwargs in requests}

    def send(user: str, path: str, kwargs: dict) -> httpx.Response:
        headers = {"Authorization": f"Bearer {tokens[user]}"}
        with httpx.Client(base_url=f"{api.server.url}/api/v1", headers=headers, timeout=60) as c:
            c.get("/auth/me").raise_for_status()  # connection open before the start line
            barrier.wait(timeout=30)
            return c.post(path, **kwargs)

    with ThreadPoolExecutor(max_workers=len(requests)) as pool:
        return list(pool.map(lambda request: send(*request), requests))
