"""The relation a case states against the sex its resident ID number records (GB 11643)."""

from __future__ import annotations

import pytest

from service.applications import kinship

# 17th character: 1 (odd) a man, 2 (even) a woman; check characters are not looked at.
MAN, WOMAN = "13012319700101001X", "130123197001010026"


def test_the_seventeenth_digit_records_the_sex() -> None:
    assert kinship.sex_of(MAN) == kinship.MALE
    assert kinship.sex_of(WOMAN) == kinship.FEMALE
    assert kinship.sex_of("130123197001010") is None  # a 15-digit or mistyped number: unknown
    assert kinship.sex_of(None) is None


@pytest.mark.parametrize(
    ("relation", "number", "flagged"),
    [
        ("father", WOMAN, True),
        ("mother", MAN, True),
        ("father", MAN, False),
        ("mother", WOMAN, False),
        ("parent", WOMAN, False),  # names no sex
        ("guardian", MAN, False),
        ("father", "not a number", False),  # nothing to compare with
        (None, WOMAN, False),
    ],
)
def test_a_parent_of_the_other_sex_is_flagged(relation: str, number: str, flagged: bool) -> None:
    assert kinship.contradicts(relation, number) is flagged
