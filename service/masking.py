"""Masking of personal numbers: resident ID and bank card numbers never leave in full."""

from __future__ import annotations


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
