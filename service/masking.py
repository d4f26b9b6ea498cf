"""Masking of personal numbers: resident ID, bank card and mobile numbers never leave in full.

``mask_text`` finds them in free text whatever their shape: a resident ID with or without its
X, glued to other characters or digits; a bank card written in one run or in groups separated
by spaces or dashes (``6228 4829 1417 7763 174``, the form the card validator accepts); a
mobile number standing alone, grouped, or after +86. ``mask_numbers_in`` does the same to
every string, key and number of a JSON-like value (a card sent as a JSON integer becomes a
masked string), to a bounded depth, so a read never fails on what is stored.
"""

from __future__ import annotations

import math
import re
import unicodedata
from typing import Any

from stdnum.cn import ric


def mask_id_number(value: str | None) -> str | None:
    """1301**********123X: region prefix and the last four, as on public notices."""
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_card(value: str | None) -> str | None:
    """6222***********1234: issuer prefix and the last four digits."""
    if not value:
        return value
    return value[:4] + "*" * (len(value) - 8) + value[-4:]


def mask_phone(value: str | None) -> str | None:
    """138****1234: a mainland mobile number's network prefix and its last four digits."""
    if not value:
        return value
    return value[:3] + "*" * (len(value) - 7) + value[-4:]


def mask_name(value: str) -> str:
    """王*英, 王*, 欧**华: the first and (from three characters) the last character, as on
    public notices 公示."""
    if len(value) <= 1:
        return value
    if len(value) == 2:
        return value[0] + "*"
    return value[0] + "*" * (len(value) - 2) + value[-1]


def mask_contact(value: str | None) -> str | None:
    """An objector's contact as auditors see it: a phone number 138****1111 (written with
    spaces, dashes or +86 too), anything else (an e-mail, a messenger id) only its first
    character and its length in stars."""
    if not value:
        return value
    masked = mask_text(value)
    if masked != value:
        return masked
    return value[0] + "*" * (len(value) - 1)


# --- finding numbers in text -------------------------------------------------------------------
# A sequence: digits (any script's, full-width included), groups of them joined by one or two
# spaces or dashes, optionally ending in the X of a resident ID.
_SEPARATOR = "[ \u00a0\u3000\\-\u2010-\u2015\uff0d]"
_SEQUENCE = re.compile(rf"\d(?:{_SEPARATOR}{{0,2}}\d)*(?:{_SEPARATOR}{{0,2}}[Xx\uff38\uff58])?")
_GROUP = re.compile(r"\d+|[Xx\uff38\uff58]")
_ID_LENGTH = 18
_CARD_LENGTHS = (16, 17, 18, 19)
_PHONE = re.compile(r"1[3-9]\d{9}")
_PHONE_PREFIXES = {0: "", 2: "86", 4: "0086"}  # by length
_PHONE_LENGTHS = (11, 13, 15)
_LONGEST = _ID_LENGTH + 1  # a card of 19 digits


def _plain(char: str) -> str:
    """A digit as ASCII ('６' → '6'), the ID's X as 'X'."""
    if char.isdigit():
        return str(unicodedata.decimal(char, 0))
    return "X"


def _valid_id(chars: str) -> bool:
    """An 18-character resident ID: a birth date of 1800-2099 and the GB 11643 check."""
    if chars[6:8] not in ("18", "19", "20") or not "01" <= chars[10:12] <= "12":
        return False  # most digit runs end here, cheaply
    try:
        return ric.calc_check_digit(chars) == chars[-1] and ric.get_birth_date(chars) is not None
    except Exception:  # stdnum's ValidationError or a date out of range: not an ID
        return False


class _Luhn:
    """The Luhn check of any window of a digit string in constant time: two prefix sums, one
    doubling the digits at even indices, one those at odd indices."""

    def __init__(self, digits: str) -> None:
        self.sums: tuple[list[int], list[int]] = ([0], [0])
        for index, char in enumerate(digits):
            digit = int(char)
            doubled = 2 * digit - 9 if digit > 4 else 2 * digit
            self.sums[0].append(self.sums[0][-1] + (doubled if index % 2 == 0 else digit))
            self.sums[1].append(self.sums[1][-1] + (doubled if index % 2 == 1 else digit))

    def valid(self, start: int, end: int) -> bool:
        # The last digit is not doubled, the one before it is: indices of end's parity.
        sums = self.sums[end % 2]
        return (sums[end] - sums[start]) % 10 == 0


def _grouped(chars: str, bounds: list[tuple[int, int]], luhn: _Luhn) -> list[tuple[int, int, int]]:
    """Numbers as people write them, whole groups of a sequence: an 18-character ID (valid or
    mistyped), a mobile number (maybe after 86 or 0086). (start, end, how many leading
    characters stay visible.)"""
    found: list[tuple[int, int, int]] = []
    digits_end = len(luhn.sums[0]) - 1
    for first, (start, _) in enumerate(bounds):
        for last in range(first, len(bounds)):
            end = bounds[last][1]
            length = end - start
            if length > _LONGEST:
                break
            if length == _ID_LENGTH and end - 1 <= digits_end:
                found.append((start, end, 4))
            if length in _PHONE_LENGTHS and end <= digits_end:
                prefix = length - 11
                phone = _PHONE.fullmatch(chars, start + prefix, end)
                if phone and chars[start : start + prefix] == _PHONE_PREFIXES[prefix]:
                    found.append((start + prefix, end, 3))
    return found


def _anywhere(chars: str, luhn: _Luhn) -> list[tuple[int, int, int]]:
    """Numbers wherever they stand, glued to other digits or not, in groups or not: a valid
    ID (check character and birth date) and a Luhn-valid card of 16-19 digits. (A run of 19
    digits that fails the check is masked too when a part of it passes: in free text the doubt
    goes to the person, and a reference that must stay whole has a field of its own.)"""
    found: list[tuple[int, int, int]] = []
    digits_end = len(luhn.sums[0]) - 1
    for start in range(len(chars) - 10):
        end = start + _ID_LENGTH
        if end <= len(chars) and end - 1 <= digits_end and _valid_id(chars[start:end]):
            found.append((start, end, 4))
        found.extend(
            (start, start + length, 4)
            for length in _CARD_LENGTHS
            if start + length <= digits_end and luhn.valid(start, start + length)
        )
    return found


def _mask_sequence(match: re.Match[str]) -> str:
    text = match.group(0)
    positions: list[int] = []
    bounds: list[tuple[int, int]] = []
    for group in _GROUP.finditer(text):
        bounds.append((len(positions), len(positions) + len(group.group(0))))
        positions.extend(range(group.start(), group.end()))
    if len(positions) < 11:  # shorter than any personal number
        return text
    chars = "".join(_plain(text[i]) for i in positions)
    luhn = _Luhn(chars[: len(chars) - (chars[-1] == "X")])
    hidden: set[int] = set()
    for start, end, shown in _grouped(chars, bounds, luhn) + _anywhere(chars, luhn):
        hidden.update(range(start + shown, end - 4))
    if not hidden:
        return text
    out = list(text)
    for index in hidden:
        out[positions[index]] = "*"
    return "".join(out)


def mask_text(text: str) -> str:
    """Mask resident IDs, bank card and mobile numbers that someone typed into free text."""
    # Masking exposes no new number, but a second pass makes sure of it (idempotent).
    masked = _SEQUENCE.sub(_mask_sequence, text)
    return masked if masked == text else _SEQUENCE.sub(_mask_sequence, masked)


# --- JSON-like values ------------------------------------------------------------------------

# Digests are not personal numbers, though a run of their digits may look like one.
_NOT_PERSONAL = frozenset({"sha256", "hash", "prev_hash", "evidence_sha256"})
# How deep a value is read; below it, "…" stands for what is there (stored before the service
# bounded what it takes, or written by other means): reads never recurse without end.
MAX_READ_DEPTH = 8
DEEPER = "…"


def _digest_key(key: object) -> bool:
    return isinstance(key, str) and (
        key in _NOT_PERSONAL or key.endswith(("_sha256", "_hash", "_digest"))
    )


def mask_number(value: int | float) -> int | float | str:
    """A JSON number that is a personal number (a card sent as an integer) becomes its masked
    text; any other number stays as it is."""
    if isinstance(value, float) and not math.isfinite(value):
        return value
    text = str(value) if isinstance(value, int) else format(value, "f").rstrip("0").rstrip(".")
    masked = mask_text(text)
    return value if masked == text else masked


def mask_numbers_in(value: Any, *, depth: int = MAX_READ_DEPTH) -> Any:
    """``mask_text`` applied to every string, key and number inside a JSON-like value; what
    lies deeper than ``depth`` containers is replaced by "…"."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, bool) or value is None:
        return value
    if isinstance(value, int | float):
        return mask_number(value)
    if isinstance(value, dict | list | tuple):
        if depth <= 0:
            return DEEPER
        if isinstance(value, dict):
            return {
                (mask_text(key) if isinstance(key, str) else key): item
                if _digest_key(key)
                else mask_numbers_in(item, depth=depth - 1)
                for key, item in value.items()
            }
        return [mask_numbers_in(item, depth=depth - 1) for item in value]
    return value
