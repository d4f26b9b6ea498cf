from __future__ import annotations

from datetime import date, datetime
from typing import Literal

from pydantic import BaseModel, Field, model_validator
from pydantic_core import PydanticCustomError

from service.text import FreeText

DEFAULT_PLAN = "safety_insurance"
PlanCode = Field(default=DEFAULT_PLAN, pattern=r"^[a-z][a-z0-9_]{0,63}$")
# An insurer's policy number: letters, digits and dashes (as printed on the policy).
POLICY_NO = r"^[A-Za-z0-9][A-Za-z0-9-]{3,63}$"
MAX_POLICIES = 10000


class PlanRead(BaseModel):
    code: str
    name_zh: str
    name_en: str
    for_program: str
    premium_fen: int
    sum_insured_fen: int
    payee_account: str
    deadline: str
    documents: dict[str, list[str]]


class BatchCreate(BaseModel):
    plan: str = PlanCode
    year: int = Field(ge=2000, le=2100)


class BatchDecision(BaseModel):
    decision: Literal["approve", "reject"]
    comment: FreeText | None = Field(default=None, max_length=2000)

    @model_validator(mode="after")
    def _reason_to_reject(self) -> BatchDecision:
        if self.decision == "reject" and not (self.comment or "").strip():
            raise PydanticCustomError(
                "comment-required",
                "a {decision} needs a comment giving the reason",
                {"decision": self.decision},
            )
        return self


class PolicyNumber(BaseModel):
    application_id: int = Field(ge=1, le=2**31 - 1)
    policy_no: str = Field(pattern=POLICY_NO)


class PolicyNumbers(BaseModel):
    policies: list[PolicyNumber] = Field(min_length=1, max_length=MAX_POLICIES)


class PolicyRead(BaseModel):
    id: int
    line_no: int
    application_id: int
    applicant_name: str
    applicant_id_number: str  # masked
    village_code: str
    status: str
    premium_fen: int
    sum_insured_fen: int
    policy_no: str | None
    payout_id: int | None
    payout_status: str | None
    payee: str | None
    payee_account: str | None
    recorded_at: datetime | None


class BatchRead(BaseModel):
    id: int
    plan_code: str
    plan_name: str
    county_code: str
    year: int
    seq: int
    kind: Literal["annual", "supplementary"]
    status: str
    household_count: int
    premium_fen: int
    sum_insured_fen: int
    total_fen: int
    total_cny: str
    due_on: date
    # Made after the catalogue's deadline of its year (8月底前): shown, not refused.
    late: bool
    made_by: str
    made_at: datetime
    decided_by: str | None
    decided_at: datetime | None
    comment: str | None
    insured: int  # policies with the insurer's number
    policies: list[PolicyRead] = []


class BatchPage(BaseModel):
    items: list[BatchRead]


class Candidate(BaseModel):
    application_id: int
    applicant_name: str
    applicant_id_number: str  # masked
    village_code: str
    enrolled_at: datetime | None
    eligible: bool
    reason: str


class Candidates(BaseModel):
    plan: str
    year: int
    due_on: date
    households: list[Candidate]


class PoliciesRecorded(BaseModel):
    batch_id: int
    recorded: int
    unchanged: int
