"""Hypothesis strategies: personal numbers in every shape people type them, inside other text.

A resident ID (valid GB 11643 check character, X included, upper or lower case, whole or in
6-8-4 groups), a bank card (Luhn-valid, 16-19 digits, whole or in groups of four joined by
spaces or dashes), a mainland mobile number (whole, 3-4-4 groups, after +86). Each comes with
its digits (``Number.digits``), which must never come back whole from anything the service
says, stores or logs.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date

from hypothesis import strategies as st
from stdnum import luhn
from stdnum.cn import ric


@dataclass(frozen=True)
class Number:
    kind: str  # id, card, phone
    digits: str  # the number itself, as the column for it would hold it
    written: str  # as someone typed it

    def __str__(self) -> str:
        return self.written


def _groups(digits: str, sizes: list[int], separator: str) -> str:
    parts, start = [], 0
    for size in sizes:
        parts.append(digits[start : start + size])
        start += size
    parts.append(digits[start:])
    return separator.join(part for part in parts if part)


@st.composite
def resident_ids(draw: st.DrawFn) -> Number:
    region = draw(st.integers(110000, 659999))
    born = draw(st.dates(date(1900, 1, 1), date(2025, 12, 31)))
    serial = draw(st.integers(0, 999))
    body = f"{region}{born:%Y%m%d}{serial:03d}"
    number = body + ric.calc_check_digit(body + "0")
    written = number.lower() if draw(st.booleans()) else number
    if draw(st.booleans()):
        written = _groups(written, [6, 8], draw(st.sampled_from([" ", "-"])))
    return Number("id", number, written)


@st.composite
def bank_cards(draw: st.DrawFn) -> Number:
    length = draw(st.integers(16, 19))
    body = str(draw(st.integers(6 * 10 ** (length - 2), 7 * 10 ** (length - 2) - 1)))
    number = body + luhn.calc_check_digit(body)
    shape = draw(st.sampled_from(["whole", " ", "-"]))
    written = number if shape == "whole" else _groups(number, [4, 4, 4, 4], shape)
    return Number("card", number, written)


@st.composite
def mobiles(draw: st.DrawFn) -> Number:
    number = f"1{draw(st.integers(3, 9))}{draw(st.integers(0, 10**9 - 1)):09d}"
    shape = draw(st.sampled_from(["whole", " ", "-", "+86"]))
    if shape == "+86":
        written = "+86 " + number
    else:
        written = number if shape == "whole" else _groups(number, [3, 4], shape)
    return Number("phone", number, written)


def numbers() -> st.SearchStrategy[Number]:
    return st.one_of(resident_ids(), bank_cards(), mobiles())


# Text around a number: Chinese, Latin letters (X and x included), digits, punctuation, spaces.
_AROUND = "申请人身份证卡号电话银行，。：、 abcXxyz0123456789-+/()#"
# At most six digits: the text around a number never holds a personal number of its own.
surrounding = st.text(alphabet=_AROUND, max_size=12).filter(
    lambda text: sum(char.isdigit() for char in text) <= 6
)


@st.composite
def in_text(draw: st.DrawFn) -> tuple[Number, str]:
    """A number inside text. A mobile number is told from other digits only where it stands
    apart (``138…`` inside ``130123100201…`` is a village code's digits), so the text next to
    one never glues a digit to it; an ID or a card may be glued to anything."""
    number = draw(numbers())
    before, after = draw(surrounding), draw(surrounding)
    if number.kind == "phone":
        before = before.rstrip("0123456789+") + ("，" if before else "")
        after = ("，" if after else "") + after
    return number, before + number.written + after


_NOT_DIGITS = re.compile(r"[^0-9Xx]")


def shown_whole(number: Number, text: str) -> bool:
    """Whether ``text`` shows ``number`` whole, in any of its shapes: its digits in a row once
    separators and other characters between digits are dropped (an X matches x)."""
    return number.digits.upper() in _NOT_DIGITS.sub("", text).upper()
