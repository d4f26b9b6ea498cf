"""Households of the programs the seeds name (圆梦行动, 农村双女结扎奖励): couples whose resident
IDs carry each partner's sex and birth date, and the one-time chain up to the card payout."""

from __future__ import annotations

import random
from datetime import date
from pathlib import Path
from typing import Any

from stdnum.cn import ric

from tests.conftest import VILLAGE_CHAIN, Api
from tests.factories import VILLAGE_LIZHUANG, application

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"


def person(*, born_from: date, born_to: date, female: bool) -> str:
    """A resident ID born between the dates; its 17th digit is even for a woman (GB 11643).
    Random dates and sequences keep the households of one test session apart."""
    born = date.fromordinal(random.randint(born_from.toordinal(), born_to.toordinal()))
    sequence = f"{random.randint(0, 99):02d}{random.choice('02468' if female else '13579')}"
    body = f"130123{born:%Y%m%d}{sequence}"
    return body + ric.calc_check_digit(body + "0")


def couple_case(
    program: str,
    kind: str,
    *,
    wife_born: tuple[date, date],
    village: str = VILLAGE_LIZHUANG,
    event_date: date | None = None,
    household: dict[str, bool] | None = None,
) -> dict[str, Any]:
    """A submission by the wife (born in the range) with her husband as spouse."""
    body: dict[str, Any] = application(
        program=program,
        kind=kind,
        village=village,
        event_date=event_date,
        applicant_id=person(born_from=wife_born[0], born_to=wife_born[1], female=True),
        spouse_id=person(born_from=date(1975, 1, 1), born_to=date(1990, 12, 28), female=False),
    )
    body["relation"] = "mother"
    body["household"].update(household or {})
    return body


def pay(api: Api, case: dict[str, Any], *, reference: str) -> dict[str, Any]:
    """Attach every document the case requires, approve it up the chain, pay it; the detail."""
    for kind in case["required_documents"]:
        response = api.attach(case["id"], kind)
        assert response.status_code == 201, response.text
    for user in VILLAGE_CHAIN:
        api.act(case["id"], "approve", as_=user)
    paid = api.act(case["id"], "approve", as_="fo.county", data={"bank_reference": reference})
    assert paid["status"] == "paid", paid
    return api.case(case["id"])


def upload_check(api: Api, program: str) -> dict[str, Any]:
    """What an administrator uploading the shipped flow would be told. (Its eligibility table
    is the catalogue's, called by no task of the flow: the catalogue loads and checks it.)"""
    bpmn = (f"{program}.bpmn", (WORKFLOWS / f"{program}.bpmn").read_bytes())
    response = api.post("/flows/validate", as_="admin", files=[("bpmn", bpmn)])
    assert response.status_code == 200, response.text
    answer: dict[str, Any] = response.json()
    return answer
