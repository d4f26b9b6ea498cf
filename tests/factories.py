"""Valid test data: resident ID numbers with GB 11643 check digits, Luhn-valid bank cards."""

from __future__ import annotations

import itertools
import random
from datetime import date

from stdnum import luhn
from stdnum.cn import ric

VILLAGE_LIZHUANG = "130123100201"
VILLAGE_WANGZHUANG = "130123100202"
VILLAGE_HEKOU = "130123200201"

# Minimal valid bodies of each accepted content type.
PDF = b"%PDF-1.4\n1 0 obj<<>>endobj\ntrailer<<>>\n%%EOF\n"
PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 32
JPEG = b"\xff\xd8\xff\xe0" + b"\x00" * 32

EC_DOCUMENTS = (  # in the catalogue's order: common kinds, then those of the event
    "application_form",
    "id_card",
    "hukou",
    "bank_card",
    "only_child_certificate",
    "death_certificate",
)


# Every ID this process makes is distinct: a test session's database holds thousands of
# households, and two random IDs that collide make one household (a spurious 409 duplicate).
# The counter walks birth dates × 1,000 sequence numbers from a random start.
FIRST_BIRTH, LAST_BIRTH = date(1960, 1, 1), date(2000, 12, 28)
_BIRTH_DAYS = LAST_BIRTH.toordinal() - FIRST_BIRTH.toordinal() + 1
_serials = itertools.count(random.randrange(_BIRTH_DAYS * 1000))


def id_number(birth: date | None = None, *, county: str = "130123") -> str:
    serial = next(_serials)
    if birth is None:
        birth = date.fromordinal(FIRST_BIRTH.toordinal() + serial // 1000 % _BIRTH_DAYS)
    body = f"{county}{birth:%Y%m%d}{serial % 1000:03d}"
    return body + ric.calc_check_digit(body + "0")


def bank_card() -> str:
    body = "622848" + "".join(str(random.randint(0, 9)) for _ in range(12))
    return body + luhn.calc_check_digit(body)


def application(
    *,
    village: str = VILLAGE_LIZHUANG,
    applicant_id: str | None = None,
    spouse_id: str | None = None,
    event_date: date | None = None,
    program: str = "emergency_consolation",
    kind: str = "child_death",
) -> dict[str, object]:
    body: dict[str, object] = {
        "program": program,
        "village": village,
        "applicant": {"name": "王秀英", "id_number": applicant_id or id_number()},
        "household": {"bank_card": bank_card(), "address": "李庄村三组"},
        "event": {"kind": kind, "date": (event_date or date.today()).isoformat()},
    }
    if spouse_id:
        body["spouse"] = {"name": "李建国", "id_number": spouse_id}
    if program == "hardship_relief":  # the caseworker confirms the family-planning family
        body["family_planning_confirmed"] = True
    return body
