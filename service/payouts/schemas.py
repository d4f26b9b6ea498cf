from __future__ import annotations

from datetime import datetime
from typing import Any

from pydantic import BaseModel, ConfigDict, Field, model_validator

from service.money import amount_cny


class PayoutListItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="after")
    def _in_yuan(self) -> PayoutListItem:
        self.amount_cny = amount_cny(self.amount_fen)
        return self

    id: int
    application_id: int
    period: str
    amount_fen: int
    amount_cny: str = ""
    status: str
    bank_reference: str | None
    paid_at: datetime | None
    rule: dict[str, Any]


class PayoutPage(BaseModel):
    items: list[PayoutListItem]


class YearlyRequest(BaseModel):
    year: int = Field(ge=2000, le=2100)


class YearlyResult(BaseModel):
    year: int
    created: int
    existing: int
    awaiting_review: int
    total_fen: int
    payout_ids: list[int]


class Payment(BaseModel):
    bank_reference: str = Field(min_length=1, max_length=100)
