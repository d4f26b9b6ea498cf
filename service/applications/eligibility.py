"""Eligibility: the program's DMN decision table applied to the facts of a case.

The table (workflows/<program>_eligibility.dmn) decides; this module only gathers the facts it
reads, so a county changes a rule by changing the table, not the code. Outcomes:
``eligible``; ``review`` (goes on, the reason shown to the village for a human judgement);
``ineligible`` (refused with the rule's reason).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

from stdnum.cn import ric

from service.applications.models import Application
from service.config import get_settings
from service.engine import decision_cache, evaluate_decision
from service.errors import ReliefError
from service.payouts import county_amounts
from service.programs.models import Program

ELIGIBLE, REVIEW, INELIGIBLE = "eligible", "review", "ineligible"


class Ineligible(ReliefError):
    status, type, title = 422, "ineligible", "Not eligible"


@dataclass(frozen=True)
class Outcome:
    eligibility: str
    reason: str
    priority: bool

    def as_record(self) -> dict[str, Any]:
        return {"eligibility": self.eligibility, "reason": self.reason}


def _age(id_number: str, today: date) -> int:
    born = ric.get_birth_date(id_number)
    return today.year - born.year - ((today.month, today.day) < (born.month, born.day))


def _mother_age(case: Application, today: date) -> int:
    """Age of the female parent (GB 11643: the 17th digit is even for women); -1 if unknown."""
    for number in (case.applicant_id_number, case.spouse_id_number):
        if number and int(number[16]) % 2 == 0:
            return _age(number, today)
    return -1


def _child_age(case: Application) -> int:
    born = county_amounts.child_birth_date(case)
    if born is None:
        return -1
    on = case.event_date
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def facts(case: Application, *, today: date) -> dict[str, Any]:
    """What the decision tables may read, by the names they use."""
    zone = ZoneInfo(get_settings().timezone)
    applied = (case.created_at or datetime.now(zone)).astimezone(zone).date()
    return {
        "relation": case.relation,
        "event_kind": case.event_kind,
        # "This year" is the year the household applied, at submission and at county approval.
        "event_this_year": case.event_date.year == applied.year,
        "certificate_holder": case.certificate_holder,
        "two_daughters_sterilised": case.two_daughters_sterilised,
        "mother_age": _mother_age(case, today),
        "has_spouse": case.spouse_id_number is not None,
        # The only child's age on the event's date (the reward year of 独生子女父母奖励金);
        # -1 when no ``child_birth_date`` was given.
        "child_age": _child_age(case),
    }


def decide(program: Program, case: Application, *, today: date) -> Outcome:
    if not program.eligibility_dmn:
        return Outcome(ELIGIBLE, "the program has no eligibility table", False)
    decision = decision_cache.get(program.eligibility_dmn)
    result = evaluate_decision(decision, facts(case, today=today))
    if not result:
        return Outcome(REVIEW, "no rule of the eligibility table matched: a person decides", False)
    return Outcome(
        eligibility=str(result.get("eligibility", REVIEW)),
        reason=str(result.get("reason", "")),
        priority=bool(result.get("priority", False)),
    )


def require(program: Program, case: Application, *, today: date) -> Outcome:
    """The outcome, unless the case is clearly ineligible (422 with the rule's reason)."""
    outcome = decide(program, case, today=today)
    if outcome.eligibility == INELIGIBLE:
        raise Ineligible(
            outcome.reason or "the case is not eligible",
            reason=outcome.reason,
            code="ineligible",
            params={"reason": outcome.reason},
        )
    return outcome
