"""Money is integer fen (1/100 CNY) everywhere; yuan only as text for people to read."""

from __future__ import annotations

import re
from decimal import Decimal

# Yuan as people type them: digits, at most two decimals, below ten billion. Checked before
# Decimal sees the text: "1e999990" would make a million-digit integer, "Infinity" a crash.
_YUAN = re.compile(r"\d{1,10}(\.\d{1,2})?")


def amount_cny(fen: int) -> str:
    """3000.00 for 300000 fen: exact, never through float."""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def display_cny(fen: int) -> str:
    """¥3,000.00 for 300000 fen: what a message to a person shows, exact, never through float."""
    return f"¥{(Decimal(fen) / 100).quantize(Decimal('0.01')):,}"


def fen_of_yuan(text: str) -> int | None:
    """300050 for "3,000.50" (commas and a leading ¥ allowed): exact; None if not an amount."""
    plain = text.replace(",", "").removeprefix("¥").strip()
    if not _YUAN.fullmatch(plain):
        return None
    return int(Decimal(plain) * 100)


# Task data that changes what is paid, by the case column it would change. A task may propose
# a new value; it reaches the case (and so any payout) only when a county approver approves
# (applications/changes.py), and upload refuses a flow whose path around the county lets a
# proposal reach a payout (flows/rules.py).
MONEY_FIELDS = ("eligible_parents", "bank_card")
