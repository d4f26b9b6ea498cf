from __future__ import annotations

from datetime import datetime
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError

from service.errors import ItemProblem
from service.masking import mask_id_number
from service.money import amount_cny
from service.text import FreeText, Line


class PayoutPersonRead(BaseModel):
    """One person a payout is for (the pension premium's insured parents); ID masked."""

    model_config = ConfigDict(from_attributes=True)

    line_no: int
    name: str
    id_number: str  # masked
    amount_fen: int

    @field_validator("id_number")
    @classmethod
    def _masked(cls, value: str) -> str:
        return mask_id_number(value) or ""


class PayoutListItem(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    @model_validator(mode="after")
    def _in_yuan(self) -> PayoutListItem:
        self.amount_cny = amount_cny(self.amount_fen)
        return self

    id: int
    application_id: int
    period: str
    # household (the family's card), pension_fund, insurer or reward; and the catalogue's
    # account key when not the household's card.
    payee: str = "household"
    payee_account: str | None = None
    amount_fen: int
    amount_cny: str = ""
    status: str
    bank_reference: str | None
    paid_at: datetime | None
    rule: dict[str, Any]
    last_failure: str | None = None  # the bank's reason when a batch line of it last failed
    persons: list[PayoutPersonRead] = []  # per-person lines (the pension premium's)


class PayoutPage(BaseModel):
    items: list[PayoutListItem]


class YearlyRequest(BaseModel):
    year: int = Field(ge=2000, le=2100)


class YearlyResult(BaseModel):
    year: int
    created: int  # payouts created: households' benefits and the pension fund's premiums
    existing: int
    awaiting_review: int  # households not paid: the year's review 年审 is not completed
    missing_review: list[int]  # case ids: no review of the year was opened
    unfinished_review: list[int]  # case ids: the year's review is still in progress
    total_fen: int
    benefit_fen: int  # to households' cards
    premium_fen: int  # to the pension fund (县财政代缴养老保险费)
    payout_ids: list[int]


class Payment(BaseModel):
    # A reference, kept in full: it must match the bank's result file.
    bank_reference: Line = Field(min_length=1, max_length=100)


# --- bank batches --------------------------------------------------------------------------

BatchStatus = Literal["open", "settled"]
Payee = Literal["household", "pension_fund", "insurer", "reward"]
LineStatus = Literal["open", "paid", "failed"]
MAX_RESULT_LINES = 10000


class BatchCreate(BaseModel):
    """Which pending payouts to batch: every one of the caller's county, or those of a program
    and/or a period ("once" or a year)."""

    program: str | None = Field(default=None, max_length=64)
    period: str | None = Field(default=None, pattern=r"^(once|\d{4})$")
    # Whose payouts: the households' cards (default) or an account's (the pension fund's).
    payee: Payee = "household"
    payee_account: str | None = Field(default=None, max_length=64)


class BatchLineRead(BaseModel):
    line_no: int
    reference: str
    payout_id: int
    application_id: int
    period: str
    name: str  # the household's applicant (an account's line: whose payout it is)
    bank_card: str  # masked: the card's, or the account's; in full only in the bank file
    persons: list[PayoutPersonRead] = []  # who an account's line pays for (IDs masked)
    amount_fen: int
    amount_cny: str
    status: LineStatus
    bank_reference: str | None
    reason: str | None
    result_at: datetime | None


class BatchRead(BaseModel):
    id: int
    reference: str  # B000012
    county: str
    program: str | None
    period: str | None
    payee: str = "household"
    payee_account: str | None = None  # the catalogue's account key (an account's batch)
    payee_name: str | None = None  # and its name
    status: BatchStatus
    line_count: int
    total_fen: int
    total_cny: str
    paid_count: int
    paid_fen: int
    failed_count: int
    failed_fen: int
    open_count: int
    created_by: str
    created_at: datetime
    settled_at: datetime | None
    lines: list[BatchLineRead] | None = None  # in the detail only


class BatchPage(BaseModel):
    items: list[BatchRead]
    next_cursor: int | None


class LineResult(BaseModel):
    """The bank's result for one line: paid (with its own reference, optionally) or failed
    (with the reason). ``amount_fen`` must be the line's amount."""

    reference: str = Field(pattern=r"^B\d{6}-\d{4}$")
    status: Literal["paid", "failed"]
    amount_fen: int = Field(ge=0, le=2**31 - 1)
    bank_reference: Line | None = Field(default=None, max_length=100)
    reason: FreeText | None = Field(default=None, max_length=500)

    @model_validator(mode="after")
    def _reason_when_failed(self) -> LineResult:
        self.bank_reference = (self.bank_reference or "").strip() or None
        self.reason = (self.reason or "").strip() or None
        if self.status == "failed" and not self.reason:
            raise PydanticCustomError(
                "failed-line-reason-required", "a failed line needs the bank's reason"
            )
        return self


class BatchResults(BaseModel):
    lines: list[LineResult] = Field(min_length=1, max_length=MAX_RESULT_LINES)


class LineOutcome(BaseModel):
    reference: str
    result: Literal["recorded", "unchanged", "refused"]
    problem: ItemProblem | None = None


class ResultsOutcome(BaseModel):
    recorded: int
    unchanged: int
    refused: int
    lines: list[LineOutcome]
    batch: BatchRead
