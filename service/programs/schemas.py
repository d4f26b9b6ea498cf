from __future__ import annotations

import datetime as dt
from typing import Any

from pydantic import BaseModel, ConfigDict, StrictInt, model_validator

from service.money import amount_cny


class ProgramRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    kind: str
    amount_fen: int
    amount_cny: str
    # Set per county and year by the county's administrator (GET …/amounts) when not null:
    # {"unit": "month" | "once", "per": "parent", "max_fen": …}; amount_fen is then 0.
    amount_by_county: dict[str, Any] | None = None
    event_kinds: list[str]
    documents: dict[str, Any]
    yearly: dict[str, Any] | None = None
    standards: dict[int, dict[str, int]] = {}
    eligibility: str | None  # the DMN decision table (XML)
    active_flow: str | None
    active: bool
    # One-time programs: "household" (once ever per household) or "household_event" (once per
    # household and event, events of a household at least min_interval_months apart).
    once_per: str = "household"
    min_interval_months: int | None = None
    # The caseworker confirms the household is a family-planning family at submission.
    confirms_family_planning: bool = False


class AmountSet(BaseModel):
    """What a county pays in a program for a year, in fen (per month or once, per parent, as
    the program's ``amount_by_county`` says)."""

    model_config = ConfigDict(extra="forbid")

    amount_fen: StrictInt


class AmountRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    program_code: str
    county_code: str
    year: int
    amount_fen: int
    amount_cny: str = ""
    set_at: dt.datetime

    @model_validator(mode="after")
    def _in_yuan(self) -> AmountRead:
        self.amount_cny = amount_cny(self.amount_fen)
        return self
