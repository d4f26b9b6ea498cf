"""Eligibility: the shipped programs' decision tables (workflows/*_eligibility.dmn) on the facts
of a case, as the service decides at submission and at county approval."""

from __future__ import annotations

from datetime import UTC, date, datetime

import pytest
from stdnum.cn import ric

from service.applications.eligibility import (
    ELIGIBLE,
    INELIGIBLE,
    REVIEW,
    Ineligible,
    decide,
    require,
)
from service.applications.models import Application
from service.programs.models import Program

TODAY = date(2026, 6, 15)
APPLIED = datetime(2026, 6, 15, 2, 0, tzinfo=UTC)  # 10:00 in China


def resident_id(born: date, *, woman: bool) -> str:
    """A resident ID of county 130123: the 17th digit is even for a woman (GB 11643)."""
    body = f"130123{born:%Y%m%d}01{0 if woman else 1}"
    return body + ric.calc_check_digit(body + "0")


def case(
    program: str,
    event_kind: str,
    *,
    event_date: date = date(2026, 3, 1),
    relation: str = "parent",
    certificate_holder: bool = True,
    two_daughters_sterilised: bool = False,
    applicant: str | None = None,
    spouse: str | None = None,
    created_at: datetime = APPLIED,
) -> Application:
    return Application(
        program_code=program,
        applicant_id_number=applicant or resident_id(date(1970, 5, 1), woman=False),
        spouse_id_number=spouse,
        event_kind=event_kind,
        event_date=event_date,
        relation=relation,
        certificate_holder=certificate_holder,
        two_daughters_sterilised=two_daughters_sterilised,
        created_at=created_at,
    )


# --- hardship relief 特困救助 ---------------------------------------------------------------


def test_a_hardship_case_with_an_event_the_program_does_not_cover_is_refused(
    programs: dict[str, Program],
) -> None:
    hardship = programs["hardship_relief"]
    outcome = decide(hardship, case("hardship_relief", "child_death"), today=TODAY)
    assert outcome.eligibility == INELIGIBLE
    assert "hardship relief covers" in outcome.reason
    with pytest.raises(Ineligible) as refused:
        require(hardship, case("hardship_relief", "child_death"), today=TODAY)
    assert refused.value.status == 422


@pytest.mark.parametrize(
    "kind", ["accidental_death", "accident_injury", "disability", "serious_illness", "disaster"]
)
def test_every_covered_hardship_event_is_eligible(programs: dict[str, Program], kind: str) -> None:
    plain = case("hardship_relief", kind, certificate_holder=False)
    outcome = require(programs["hardship_relief"], plain, today=TODAY)
    assert (outcome.eligibility, outcome.priority) == (ELIGIBLE, False)


@pytest.mark.parametrize(
    ("certificate_holder", "two_daughters_sterilised"), [(True, False), (False, True)]
)
def test_certificate_holders_and_two_daughter_families_come_first(
    programs: dict[str, Program], certificate_holder: bool, two_daughters_sterilised: bool
) -> None:
    priority = case(
        "hardship_relief",
        "serious_illness",
        certificate_holder=certificate_holder,
        two_daughters_sterilised=two_daughters_sterilised,
    )
    outcome = decide(programs["hardship_relief"], priority, today=TODAY)
    assert (outcome.eligibility, outcome.priority) == (ELIGIBLE, True)


# --- emergency consolation 紧急慰藉 ------------------------------------------------------------


def test_a_parent_holding_the_certificate_whose_child_died_this_year_is_eligible(
    programs: dict[str, Program],
) -> None:
    outcome = decide(
        programs["emergency_consolation"], case("emergency_consolation", "child_death"), today=TODAY
    )
    assert outcome.eligibility == ELIGIBLE


@pytest.mark.parametrize(
    ("changes", "reason"),
    [
        ({"relation": "guardian"}, "only the parents"),
        ({"event_kind": "child_disability"}, "covers only the death"),
        ({"event_date": date(2025, 12, 31)}, "died this year"),
    ],
    ids=["guardian", "not-a-death", "last-year"],
)
def test_emergency_consolation_refuses_what_its_table_refuses(
    programs: dict[str, Program], changes: dict, reason: str
) -> None:
    refused = case("emergency_consolation", **{"event_kind": "child_death", **changes})
    outcome = decide(programs["emergency_consolation"], refused, today=TODAY)
    assert outcome.eligibility == INELIGIBLE
    assert reason in outcome.reason


def test_without_the_certificate_on_file_the_village_confirms_it(
    programs: dict[str, Program],
) -> None:
    unconfirmed = case("emergency_consolation", "child_death", certificate_holder=False)
    outcome = require(programs["emergency_consolation"], unconfirmed, today=TODAY)
    assert outcome.eligibility == REVIEW
    assert "certificate" in outcome.reason


def test_this_year_is_the_year_in_china_when_the_household_applied(
    programs: dict[str, Program],
) -> None:
    # 31 Dec 2026 17:00 UTC is already 1 Jan 2027 in China: a death on 30 Dec 2026 was last year.
    new_year = datetime(2026, 12, 31, 17, 0, tzinfo=UTC)
    late = case(
        "emergency_consolation", "child_death", event_date=date(2026, 12, 30), created_at=new_year
    )
    assert decide(programs["emergency_consolation"], late, today=TODAY).eligibility == INELIGIBLE
    on_time = case(
        "emergency_consolation",
        "child_death",
        event_date=date(2026, 12, 30),
        created_at=datetime(2026, 12, 31, 15, 0, tzinfo=UTC),  # 23:00 in China, still 2026
    )
    assert decide(programs["emergency_consolation"], on_time, today=TODAY).eligibility == ELIGIBLE


# --- special assistance 特别扶助: the mother's age ----------------------------------------------


@pytest.mark.parametrize(
    ("born", "expected"),
    [
        (date(1977, 6, 16), INELIGIBLE),  # 49 tomorrow
        (date(1977, 6, 15), ELIGIBLE),  # 49 today
        (date(1960, 1, 1), ELIGIBLE),
    ],
)
def test_special_assistance_starts_when_the_mother_is_49(
    programs: dict[str, Program], born: date, expected: str
) -> None:
    # The father applies; the mother is his spouse (an even 17th digit).
    father = resident_id(date(1970, 1, 1), woman=False)
    mother = resident_id(born, woman=True)
    applied = case("special_assistance", "child_disability", applicant=father, spouse=mother)
    assert decide(programs["special_assistance"], applied, today=TODAY).eligibility == expected


def test_without_a_mother_on_the_case_the_village_confirms_her_age(
    programs: dict[str, Program],
) -> None:
    father_alone = case(
        "special_assistance", "child_death", applicant=resident_id(date(1960, 1, 1), woman=False)
    )
    outcome = decide(programs["special_assistance"], father_alone, today=TODAY)
    assert outcome.eligibility == REVIEW
    assert "age is unknown" in outcome.reason


def test_a_program_without_a_table_lets_every_case_through() -> None:
    untabled = Program(
        code="p", name_zh="p", name_en="p", amount_fen=1, event_kinds=[], documents={}, flow_key="p"
    )
    outcome = require(untabled, case("p", "anything"), today=TODAY)
    assert outcome.eligibility == ELIGIBLE
