"""Masking of personal numbers: resident ID and bank card numbers never leave in full."""

from __future__ import annotations

import re
from typing import Any

from stdnum import luhn


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


# Resident IDs (17 digits and a check character) and card-length digit runs inside free text.
_ID_PATTERN = re.compile(r"(?<!\d)\d{17}[\dXx](?![\dXx])")
_CARD_PATTERN = re.compile(r"(?<!\d)\d{16,19}(?!\d)")
# Mainland mobile numbers (11 digits, 13x-19x) standing alone in free text.
_PHONE_PATTERN = re.compile(r"(?<!\d)1[3-9]\d{9}(?!\d)")


def _mask_card_if_valid(match: re.Match[str]) -> str:
    digits = match.group(0)
    return mask_card(digits) or digits if luhn.is_valid(digits) else digits


def mask_text(text: str) -> str:
    """Mask resident IDs, bank card and mobile numbers that someone typed into free text."""
    text = _ID_PATTERN.sub(lambda match: mask_id_number(match.group(0)) or "", text)
    text = _CARD_PATTERN.sub(_mask_card_if_valid, text)
    return _PHONE_PATTERN.sub(lambda match: mask_phone(match.group(0)) or "", text)


_NOT_PERSONAL = frozenset({"sha256", "hash", "prev_hash", "evidence_sha256"})


def mask_numbers_in(value: Any) -> Any:
    """``mask_text`` applied to every string inside a JSON-like value."""
    if isinstance(value, str):
        return mask_text(value)
    if isinstance(value, dict):
        # Digests are not personal numbers, though a run of their digits may look like one.
        return {
            key: item if key in _NOT_PERSONAL else mask_numbers_in(item)
            for key, item in value.items()
        }
    if isinstance(value, list):
        return [mask_numbers_in(item) for item in value]
    return value
