"""The eligibility tables of 圆梦行动 再生育补助 (assisted_reproduction, seed 001 line 245) and
农村双女结扎奖励 (two_daughter_sterilisation_reward, seed 001 line 387): UNIQUE tables whose
rules never overlap, and what they decide on the facts of a case."""

from __future__ import annotations

import itertools
import re
from datetime import date
from pathlib import Path

import pytest

from service.applications.eligibility import ELIGIBLE, INELIGIBLE, REVIEW, decide
from service.engine import decision_cache, evaluate_decision
from service.programs.models import Program
from tests.unit.test_eligibility import TODAY, case, resident_id

WORKFLOWS = Path(__file__).resolve().parents[2] / "workflows"
RELATIONS = ("mother", "father", "parent", "guardian", "other")  # schemas.Relation
SPACES: dict[str, dict[str, tuple[object, ...]]] = {
    "assisted_reproduction_eligibility.dmn": {
        "relation": RELATIONS,
        "event_kind": ("child_death", "child_disability", "sterilisation"),
        "mother_age": (-1, 0, 20, 48, 49, 50, 70),
        "certificate_holder": (True, False),
    },
    "two_daughter_sterilisation_reward_eligibility.dmn": {
        "relation": RELATIONS,
        "event_kind": ("sterilisation", "child_death", "disaster"),
        "two_daughters_sterilised": (True, False),
    },
}


def _rules_alone(text: str) -> list[str]:
    """The table once per rule, with that rule only."""
    first, last = text.index("      <rule "), text.rindex("</rule>") + len("</rule>\n")
    rules = re.findall(r"      <rule .*?</rule>\n", text[first:last], re.S)
    return [text[:first] + rule + text[last:] for rule in rules]


@pytest.mark.parametrize("filename", sorted(SPACES))
def test_every_case_matches_exactly_one_rule(filename: str) -> None:
    text = (WORKFLOWS / filename).read_text(encoding="utf-8")
    assert 'hitPolicy="UNIQUE"' in text
    alone = [decision_cache.get(rule) for rule in _rules_alone(text)]
    space = SPACES[filename]
    for values in itertools.product(*space.values()):
        facts = dict(zip(space, values, strict=True))
        hits = [n for n, decision in enumerate(alone) if evaluate_decision(decision, facts)]
        assert len(hits) == 1, (facts, hits)


def _woman(born: date) -> str:
    return resident_id(born, woman=True)


def _man() -> str:
    return resident_id(date(1980, 3, 1), woman=False)


# --- 圆梦行动 再生育补助 ----------------------------------------------------------------------


@pytest.mark.parametrize(
    ("wife_born", "expected"),
    [
        (date(1977, 6, 16), ELIGIBLE),  # 48 on TODAY (2026-06-15)
        (date(1977, 6, 15), INELIGIBLE),  # 49 that day: past childbearing age (not in the seeds)
        (date(1995, 1, 1), ELIGIBLE),
    ],
)
def test_the_grant_is_for_a_woman_under_49(
    programs: dict[str, Program], wife_born: date, expected: str
) -> None:
    applied = case(
        "assisted_reproduction", "child_death", applicant=_man(), spouse=_woman(wife_born)
    )
    outcome = decide(programs["assisted_reproduction"], applied, today=TODAY)
    assert outcome.eligibility == expected, outcome


def test_the_grant_asks_the_village_what_the_case_cannot_show(
    programs: dict[str, Program],
) -> None:
    program = programs["assisted_reproduction"]
    wife = _woman(date(1990, 2, 2))
    no_certificate = case(
        "assisted_reproduction", "child_death", applicant=wife, certificate_holder=False
    )
    assert decide(program, no_certificate, today=TODAY).eligibility == REVIEW
    husband_alone = case("assisted_reproduction", "child_death", applicant=_man())
    assert decide(program, husband_alone, today=TODAY).eligibility == REVIEW
    guardian = case("assisted_reproduction", "child_death", applicant=wife, relation="guardian")
    assert decide(program, guardian, today=TODAY).eligibility == INELIGIBLE


def test_the_grant_sets_no_year_for_the_child_s_death(programs: dict[str, Program]) -> None:
    long_ago = case(
        "assisted_reproduction",
        "child_death",
        applicant=_woman(date(1988, 8, 8)),
        event_date=date(2019, 1, 10),
    )
    assert decide(programs["assisted_reproduction"], long_ago, today=TODAY).eligibility == ELIGIBLE


# --- 农村双女结扎奖励 -------------------------------------------------------------------------


@pytest.mark.parametrize(("two_daughters", "expected"), [(True, ELIGIBLE), (False, INELIGIBLE)])
def test_the_reward_is_for_two_daughter_families(
    programs: dict[str, Program], two_daughters: bool, expected: str
) -> None:
    applied = case(
        "two_daughter_sterilisation_reward",
        "sterilisation",
        applicant=_woman(date(1985, 4, 4)),
        certificate_holder=False,
        two_daughters_sterilised=two_daughters,
    )
    outcome = decide(programs["two_daughter_sterilisation_reward"], applied, today=TODAY)
    assert outcome.eligibility == expected, outcome
