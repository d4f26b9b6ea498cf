from __future__ import annotations

import datetime as dt
from typing import Literal

from pydantic import BaseModel, Field, field_validator
from pydantic_core import PydanticCustomError

from service.text import Line

RecoveryStatus = Literal["open", "closed"]


class PaymentCreate(BaseModel):
    """An amount the finance officer got back, with the bank's or the receipt's reference."""

    amount_fen: int = Field(gt=0, le=2**31 - 1)  # integer fen, never float
    reference: Line = Field(min_length=1, max_length=100)

    @field_validator("reference")
    @classmethod
    def _not_blank(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("reference-blank", "the reference must not be blank")
        return value.strip()


class PaymentRead(BaseModel):
    id: int
    amount_fen: int
    reference: str
    recorded_by: str  # a username; the table holds the user id
    recorded_at: dt.datetime


class RecoveryRead(BaseModel):
    id: int
    application_id: int
    payout_id: int
    amount_due_fen: int
    recovered_fen: int
    balance_fen: int  # still to get back: amount_due_fen - recovered_fen
    status: str
    reason: str
    opened_at: dt.datetime
    closed_at: dt.datetime | None
    payments: list[PaymentRead]
