"""The eligibility tables of the only-child parents' rewards (seed 003 line 355): UNIQUE tables
whose rules never overlap, and the months the monthly reward pays in the year the child turns
18 (payouts/county_amounts.py)."""

from __future__ import annotations

import itertools
from datetime import date

import pytest

from service.engine import decision_cache, evaluate_decision
from service.payouts.county_amounts import months_before_age
from tests.unit.test_seed_program_tables import RELATIONS, WORKFLOWS, _rules_alone

SPACES = {
    "only_child_monthly_reward_eligibility.dmn": {
        "relation": RELATIONS,
        "event_kind": ("only_child_reward_year", "second_child_waiver", "child_death"),
        "certificate_holder": (True, False),
        "child_age": (-1, 0, 1, 17, 18, 19, 40),
    },
    "second_child_waiver_reward_eligibility.dmn": {
        "relation": RELATIONS,
        "event_kind": ("second_child_waiver", "only_child_reward_year", "sterilisation"),
        "certificate_holder": (True, False),
    },
}


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


@pytest.mark.parametrize(
    ("child_age", "expected"),
    [(-1, "ineligible"), (0, "eligible"), (17, "eligible"), (18, "ineligible")],
)
def test_the_monthly_reward_is_for_a_child_under_18(child_age: int, expected: str) -> None:
    text = (WORKFLOWS / "only_child_monthly_reward_eligibility.dmn").read_text(encoding="utf-8")
    facts = {
        "relation": "mother",
        "event_kind": "only_child_reward_year",
        "certificate_holder": True,
        "child_age": child_age,
    }
    assert evaluate_decision(decision_cache.get(text), facts)["eligibility"] == expected


@pytest.mark.parametrize(
    ("born", "year", "months"),
    [
        (date(2008, 6, 15), 2026, 6),  # turns 18 in June: January to June
        (date(2008, 1, 31), 2026, 1),
        (date(2008, 12, 1), 2026, 12),
        (date(2010, 3, 1), 2026, 12),  # younger: the whole year
        (date(2007, 6, 15), 2026, 0),  # 18 last year
        (None, 2026, 12),
    ],
)
def test_months_of_the_reward_year(born: date | None, year: int, months: int) -> None:
    assert months_before_age(born, year=year, age=18) == months
