"""Demo data of DESIGN.md: one county, two townships, three villages, one user per role.

Development only: every demo user has the password ``relief-demo``.
"""

from __future__ import annotations

from sqlmodel.ext.asyncio.session import AsyncSession

from service.auth.accounts import get_user
from service.auth.models import (
    ADMIN,
    AUDITOR,
    CASEWORKER,
    COUNTY_APPROVER,
    FINANCE_OFFICER,
    TOWNSHIP_REVIEWER,
    VILLAGE_HEAD,
    User,
)
from service.auth.passwords import hash_password
from service.clock import utcnow
from service.regions.models import COUNTY, TOWNSHIP, VILLAGE, Region

DEMO_PASSWORD = "relief-demo"

REGIONS = (
    ("130123", "示范县", COUNTY, None),
    ("130123100", "东城镇", TOWNSHIP, "130123"),
    ("130123200", "西河乡", TOWNSHIP, "130123"),
    ("130123100201", "李庄村", VILLAGE, "130123100"),
    ("130123100202", "王庄村", VILLAGE, "130123100"),
    ("130123200201", "河口村", VILLAGE, "130123200"),
)

USERS = (
    ("cw.lizhuang", "李庄村计生专干", CASEWORKER, "130123100201"),
    ("vh.lizhuang", "李庄村委会主任", VILLAGE_HEAD, "130123100201"),
    ("cw.wangzhuang", "王庄村计生专干", CASEWORKER, "130123100202"),
    ("cw.hekou", "河口村计生专干", CASEWORKER, "130123200201"),
    ("vh.hekou", "河口村委会主任", VILLAGE_HEAD, "130123200201"),
    ("tr.dongcheng", "东城镇计生办", TOWNSHIP_REVIEWER, "130123100"),
    ("tr.xihe", "西河乡计生办", TOWNSHIP_REVIEWER, "130123200"),
    ("ca.county", "县人口计生委审批", COUNTY_APPROVER, "130123"),
    ("fo.county", "县财务发放", FINANCE_OFFICER, "130123"),
    ("au.county", "县监督审计", AUDITOR, "130123"),
    ("admin", "系统管理员", ADMIN, "130123"),
)


async def seed_demo(session: AsyncSession) -> list[str]:
    """Insert what is missing; a second run changes nothing. Returns the users created."""
    for code, name, level, parent in REGIONS:
        if await session.get(Region, code) is None:
            session.add(Region(code=code, name=name, level=level, parent_code=parent))
            await session.flush()
    created = []
    for username, full_name, role, jurisdiction in USERS:
        if await get_user(session, username) is None:
            session.add(
                User(
                    username=username,
                    full_name=full_name,
                    password_hash=hash_password(DEMO_PASSWORD),
                    roles=[role],
                    jurisdiction=jurisdiction,
                    created_at=utcnow(),
                )
            )
            created.append(username)
    await session.commit()
    return created
