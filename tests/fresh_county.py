"""A county of its own for a test: regions and one user per role, none shared with others.

Batches take every pending payout of a county and rosters every case of a township, so tests
of them need a county whose cases are only their own. The regions are inserted as the demo
seed inserts them; the users come from ``make_user``. The demo county's users are then
"another county" for jurisdiction checks.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field

import sqlalchemy as sa

from service.regions.models import COUNTY, TOWNSHIP, VILLAGE, Region
from tests.conftest import Api, Backend, MakeUser
from tests.factories import EC_DOCUMENTS, application


@dataclass
class County:
    code: str
    users: dict[str, str] = field(default_factory=dict)  # role key → username

    @property
    def township(self) -> str:  # 东城 of this county: villages 201 and 202
        return self.code + "100"

    @property
    def other_township(self) -> str:  # 西河 of this county: village 201
        return self.code + "200"

    def village(self, number: int = 1) -> str:
        return {1: self.township + "201", 2: self.township + "202", 3: self.other_township + "201"}[
            number
        ]

    def __getitem__(self, role: str) -> str:
        return self.users[role]


def make_county(backend: Backend, make_user: MakeUser) -> County:
    """Insert a county with two townships and three villages, and a user for each role:
    cw/vh (village 1), cw2/vh2 (village 2), cw3/vh3 (village 3), tr (township of villages 1
    and 2), tr2 (the other township), ca, fo, au, admin."""
    with backend.engine.begin() as connection:
        taken = set(connection.execute(sa.text("SELECT code FROM region")).scalars())
        code = next(
            code
            for code in (f"13{random.randint(1000, 9999)}" for _ in range(1000))
            if code not in taken
        )
        regions = [
            (code, "测试县", COUNTY, None),
            (code + "100", "东城镇", TOWNSHIP, code),
            (code + "200", "西河乡", TOWNSHIP, code),
            (code + "100201", "李庄村", VILLAGE, code + "100"),
            (code + "100202", "王庄村", VILLAGE, code + "100"),
            (code + "200201", "河口村", VILLAGE, code + "200"),
        ]
        for region, name, level, parent in regions:
            connection.execute(
                Region.__table__.insert().values(  # type: ignore[attr-defined]
                    code=region, name=name, level=level, parent_code=parent
                )
            )
    county = County(code)
    for key, role, region in (
        ("cw", "caseworker", county.village(1)),
        ("vh", "village_head", county.village(1)),
        ("cw2", "caseworker", county.village(2)),
        ("vh2", "village_head", county.village(2)),
        ("cw3", "caseworker", county.village(3)),
        ("vh3", "village_head", county.village(3)),
        ("tr", "township_reviewer", county.township),
        ("tr2", "township_reviewer", county.other_township),
        ("ca", "county_approver", code),
        ("fo", "finance_officer", code),
        ("au", "auditor", code),
        ("admin", "admin", code),
    ):
        county.users[key] = make_user([role], region)
    return county


def submit_ready(
    api: Api, county: County, *, village: int = 1, body: dict | None = None
) -> tuple[dict, int]:
    """Submit a case with every required document; returns the case and its first task id."""
    caseworker = chain(county, village=village)[0]
    body = body or application()
    body["village"] = county.village(village)
    case = api.submit(body, as_=caseworker)
    for kind in case.get("required_documents") or EC_DOCUMENTS:
        response = api.attach(case["id"], kind, as_=caseworker)
        assert response.status_code == 201, response.text
    return case, case["tasks"][0]["id"]


def approve(api: Api, task_id: int, *, as_: str, **kwargs: object) -> dict:
    """Approve a task by id; returns the completion (``next_tasks`` holds the next task)."""
    response = api.decide(task_id, "approve", as_=as_, **kwargs)  # type: ignore[arg-type]
    assert response.status_code == 200, response.text
    return response.json()


def chain(county: County, *, village: int = 1) -> tuple[str, ...]:
    """Who approves each level of a case in ``village``, up to the county."""
    if village == 1:
        return (county["cw"], county["vh"], county["tr"], county["ca"])
    township = county["tr2"] if village == 3 else county["tr"]
    return (county[f"cw{village}"], county[f"vh{village}"], township, county["ca"])


def advance(
    api: Api, county: County, task_id: int, *, levels: int, village: int = 1
) -> dict | None:
    """Approve ``levels`` levels from the first; returns the next open task (or None)."""
    result: dict = {}
    for user in chain(county, village=village)[:levels]:
        result = approve(api, task_id, as_=user)
        if not result["next_tasks"]:
            return None
        task_id = result["next_tasks"][0]["id"]
    return result["next_tasks"][0] if result else None


def approved_case(api: Api, county: County, *, village: int = 1, body: dict | None = None) -> dict:
    """A case approved by the county: its payout pending, its payout task open."""
    case, task_id = submit_ready(api, county, village=village, body=body)
    advance(api, county, task_id, levels=4, village=village)
    return api.case(case["id"], as_=county["au"])
