"""Money is integer fen (1/100 CNY) everywhere; yuan only as text for people to read."""

from __future__ import annotations

from decimal import Decimal


def amount_cny(fen: int) -> str:
    """3000.00 for 300000 fen: exact, never through float."""
    return str((Decimal(fen) / 100).quantize(Decimal("0.01")))


def display_cny(fen: int) -> str:
    """¥3,000.00 for 300000 fen: what a message to a person shows, exact, never through float."""
    return f"¥{(Decimal(fen) / 100).quantize(Decimal('0.01')):,}"
