"""Steps shared by the 平安保障 insurance tests: special-assistance households enrolled in a
county of the test's own, and the insurance batch requests."""

from __future__ import annotations

from datetime import datetime
from zoneinfo import ZoneInfo

import httpx

from tests.conftest import Api, assert_problem
from tests.fresh_county import County, advance, submit_ready
from tests.programs.test_special_assistance import special

PREMIUM_FEN = 10000  # 100 CNY per household (seed 001 line 241)
SUM_INSURED_FEN = 10000000  # 100,000 CNY
INSURER = "insurer"  # the catalogue's account key


def this_year() -> int:
    return datetime.now(ZoneInfo("Asia/Shanghai")).year


def enrol(api: Api, county: County, *, village: int = 1) -> dict:
    """A special-assistance household of ``county`` approved by the county: enrolled."""
    case, task_id = submit_ready(api, county, village=village, body=special())
    advance(api, county, task_id, levels=4, village=village)
    detail = api.case(case["id"], as_=county["au"])
    assert detail["status"] == "enrolled", detail["status"]
    return detail


def make(api: Api, county: County, *, year: int | None = None, **kwargs: object) -> httpx.Response:
    body = {"year": year or this_year()}
    return api.post("/insurance/batches", as_=county["fo"], json=body, **kwargs)


def made(api: Api, county: County, **kwargs: object) -> dict:
    response = make(api, county, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 201, response.text
    return response.json()


def decide(
    api: Api, batch_id: int, *, as_: str, decision: str = "approve", comment: str | None = None
) -> httpx.Response:
    body = {"decision": decision, "comment": comment}
    return api.post(f"/insurance/batches/{batch_id}/decision", as_=as_, json=body)


def approved(api: Api, county: County) -> dict:
    batch = made(api, county)
    response = decide(api, batch["id"], as_=county["ca"])
    assert response.status_code == 200, response.text
    return response.json()


def record(api: Api, county: County, batch_id: int, numbers: dict[int, str]) -> httpx.Response:
    body = {"policies": [{"application_id": k, "policy_no": v} for k, v in numbers.items()]}
    return api.post(f"/insurance/batches/{batch_id}/policies", as_=county["fo"], json=body)


def households(batch: dict) -> set[int]:
    return {policy["application_id"] for policy in batch["policies"]}


def refused(response: httpx.Response, status: int, code: str) -> dict:
    """An RFC 9457 problem with ``status`` and the registered ``code``."""
    body = assert_problem(response, status)
    assert body["code"] == code, body
    return body
