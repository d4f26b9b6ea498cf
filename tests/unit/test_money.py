"""Money: integer fen inside, yuan as text for people; what a person types is read exactly."""

from __future__ import annotations

import pytest

from service.money import amount_cny, display_cny, fen_of_yuan


@pytest.mark.parametrize(
    ("typed", "fen"),
    [
        ("3000", 300000),
        ("3,000.50", 300050),
        ("¥5,000", 500000),
        (" 12.3 ", 1230),
        ("0.29", 29),  # through float this is 28 fen: 0.29 * 100 == 28.999999999999996
        ("0.01", 1),
        ("9999999999.99", 999999999999),
    ],
)
def test_typed_yuan_amounts_are_read_to_the_exact_fen(typed: str, fen: int) -> None:
    assert fen_of_yuan(typed) == fen


@pytest.mark.parametrize(
    "typed",
    [
        "",
        "¥",
        "-500",  # no negative amounts
        "12.345",  # fractions of a fen
        "1e5",  # Decimal would read it; a person does not type it
        "1e999990",  # a million-digit integer if Decimal saw it
        "Infinity",
        "NaN",
        "12345678901",  # ten billion yuan or more
        "3 000",
        "三千",
        "$3000",
    ],
)
def test_anything_but_a_plain_yuan_amount_is_refused(typed: str) -> None:
    assert fen_of_yuan(typed) is None


def test_fen_are_shown_as_yuan_with_two_decimals() -> None:
    assert amount_cny(300000) == "3000.00"
    assert amount_cny(1) == "0.01"
    assert amount_cny(0) == "0.00"
    assert display_cny(123456789) == "¥1,234,567.89"
    assert display_cny(500000) == "¥5,000.00"


@pytest.mark.parametrize("fen", [0, 1, 29, 10, 300050, 999999999999])
def test_an_amount_shown_reads_back_as_the_same_fen(fen: int) -> None:
    assert fen_of_yuan(amount_cny(fen)) == fen
    assert fen_of_yuan(display_cny(fen)) == fen
