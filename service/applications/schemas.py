from __future__ import annotations

import datetime as dt
import json
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator
from pydantic_core import PydanticCustomError
from stdnum import luhn
from stdnum.cn import ric
from stdnum.exceptions import ValidationError

from service.payouts.schemas import PayoutPersonRead
from service.recoveries.schemas import RecoveryRead
from service.text import FreeText, MaskedLine, StoredJson, StoredText, free_fields

DOCUMENT_KINDS = (
    "application_form", "id_card", "spouse_id_card", "hukou", "only_child_certificate",
    "death_certificate", "disability_certificate", "bank_card", "medical_records",
    "accident_death_proof", "household_income", "villager_meeting_minutes",
    "revocation_evidence", "assisted_reproduction_certificate", "sterilisation_certificate",
    "second_child_waiver_record",
)  # fmt: skip
REVOCATION_EVIDENCE = "revocation_evidence"
# What the village attaches; revocation evidence comes only with a county revocation.
CASEWORKER_DOCUMENT_KINDS = tuple(kind for kind in DOCUMENT_KINDS if kind != REVOCATION_EVIDENCE)
EVENT_KINDS = (
    "child_death", "child_disability", "accidental_death", "accident_injury", "disability",
    "serious_illness", "disaster", "sterilisation", "only_child_reward_year",
    "second_child_waiver",
)  # fmt: skip
MAX_EXTRA_BYTES = 16 * 1024
Relation = Literal["mother", "father", "parent", "guardian", "other"]
# A mainland mobile number, for messages to the applicant about the case.
PHONE_PATTERN = r"^1[3-9]\d{9}$"


def validate_id_number(value: str) -> str:
    """An 18-character resident ID: GB 11643 check digit and a real birth date.

    The region prefix is deliberately not checked against stdnum's table: it knows a county
    only for the years its code was assigned, and real IDs keep codes of merged or renamed
    counties, so that check would refuse genuine residents.
    """
    number = ric.compact(value).upper()
    if len(number) != 18 or not number[:17].isdigit():
        raise PydanticCustomError(
            "id-number-format", "resident ID numbers have 17 digits and a check character"
        )
    if number[-1] != ric.calc_check_digit(number):
        raise PydanticCustomError(
            "id-check-digit", "resident ID number fails the GB 11643 check digit"
        )
    try:
        ric.get_birth_date(number)
    except ValidationError:
        raise PydanticCustomError(
            "id-birth-date", "resident ID number holds no valid birth date"
        ) from None
    return number


def validate_bank_card(value: str) -> str:
    number = value.replace(" ", "").replace("-", "")
    if not number.isdigit() or not 16 <= len(number) <= 19:
        raise PydanticCustomError("bank-card-format", "bank card numbers have 16 to 19 digits")
    try:
        return luhn.validate(number)
    except ValidationError:
        raise PydanticCustomError(
            "bank-card-check-digit", "bank card number fails the Luhn check"
        ) from None


class Person(BaseModel):
    name: MaskedLine = Field(min_length=1, max_length=50)
    id_number: str = Field(min_length=1, max_length=32)

    @field_validator("name")
    @classmethod
    def _strip_name(cls, value: str) -> str:
        if not value.strip():
            raise PydanticCustomError("name-blank", "name must not be blank")
        return value.strip()

    @field_validator("id_number")
    @classmethod
    def _check_id(cls, value: str) -> str:
        return validate_id_number(value)


class Household(BaseModel):
    model_config = ConfigDict(extra="allow")

    bank_card: str = Field(min_length=1, max_length=32)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)  # no number: no messages
    certificate_holder: bool = False  # holds the only-child parents' certificate 独生子女父母光荣证
    two_daughters_sterilised: bool = False  # two daughters, long-term sterilisation (priority)

    @field_validator("bank_card")
    @classmethod
    def _check_card(cls, value: str) -> str:
        return validate_bank_card(value)


class Event(BaseModel):
    kind: str
    date: dt.date

    @field_validator("kind")
    @classmethod
    def _known_kind(cls, value: str) -> str:
        if value not in EVENT_KINDS:
            raise PydanticCustomError(
                "event-kind-unknown",
                f"unknown event kind; one of {', '.join(EVENT_KINDS)}",
                {"kinds": list(EVENT_KINDS)},
            )
        return value


class ApplicationCreate(BaseModel):
    """A caseworker's submission. Fields beyond these are kept with the case as details."""

    model_config = ConfigDict(extra="allow")

    program: str = Field(max_length=64)
    village: str = Field(pattern=r"^\d{12}$")
    applicant: Person
    # The applicant's relation to the child; the eligibility tables decide who may apply.
    relation: Relation = "parent"
    spouse: Person | None = None
    household: Household
    event: Event
    # The caseworker confirms the household is a family-planning family 计划生育家庭 and that
    # they saw the originals of its proofs (required by programs that say so: 特困救助).
    family_planning_confirmed: bool = False

    @model_validator(mode="after")
    def _spouse_differs(self) -> ApplicationCreate:
        if self.spouse and self.spouse.id_number == self.applicant.id_number:
            raise PydanticCustomError(
                "spouse-is-applicant", "spouse.id_number: the spouse cannot be the applicant"
            )
        # Additional fields are bounded and masked before anything stores or logs them.
        for model, prefix in ((self, ""), (self.household, "household.")):
            if model.__pydantic_extra__:
                model.__pydantic_extra__ = free_fields(model.__pydantic_extra__, prefix=prefix)
        extra = {**(self.model_extra or {}), **(self.household.model_extra or {})}
        if len(json.dumps(extra, ensure_ascii=False, default=str)) > MAX_EXTRA_BYTES:
            raise PydanticCustomError(
                "extra-fields-too-large",
                "additional fields exceed {limit} bytes",
                {"limit": MAX_EXTRA_BYTES},
            )
        return self

    def details(self) -> dict[str, Any]:
        extra = dict(self.model_extra or {})
        household_extra = dict(self.household.model_extra or {})
        if household_extra:
            extra["household"] = household_extra
        # A JSON round trip: dates and the like become the strings the column stores.
        plain: dict[str, Any] = json.loads(json.dumps(extra, ensure_ascii=False, default=str))
        return plain


class HouseholdEdit(BaseModel):
    model_config = ConfigDict(extra="forbid")

    bank_card: str | None = Field(default=None, min_length=1, max_length=32)
    phone: str | None = Field(default=None, pattern=PHONE_PATTERN)
    certificate_holder: bool | None = None
    two_daughters_sterilised: bool | None = None

    @field_validator("bank_card")
    @classmethod
    def _check_card(cls, value: str | None) -> str | None:
        return validate_bank_card(value) if value is not None else None


class ApplicationEdit(BaseModel):
    """A correction of a returned case: only the fields given change (``spouse: null`` removes
    the spouse)."""

    model_config = ConfigDict(extra="forbid")

    applicant: Person | None = None
    relation: Relation | None = None
    spouse: Person | None = None
    household: HouseholdEdit | None = None
    event: Event | None = None


class Withdrawal(BaseModel):
    reason: FreeText = Field(min_length=1, max_length=2000)


class PersonRead(BaseModel):
    name: str
    id_number: str  # masked


class HouseholdRead(BaseModel):
    bank_card: str  # masked
    phone: str | None = None  # masked: 138****1234
    certificate_holder: bool
    two_daughters_sterilised: bool


class EligibilityRead(BaseModel):
    eligibility: str | None = None  # eligible | review | ineligible
    reason: str | None = None


class TaskSummary(BaseModel):
    id: int
    application_id: int
    name: str  # the flow's Chinese name of the step, and its English name
    name_en: str = ""
    spec: str
    role: str
    status: str
    due_at: dt.datetime | None
    # When the step's deadline passed and the level above was told (督办); null until then.
    escalated_at: dt.datetime | None = None
    priority: bool = False
    claimed_by: str | None = None  # a username; the table holds the user id
    created_at: dt.datetime

    @classmethod
    def of(cls, task: Any, claimer: str | None) -> TaskSummary:
        """Summarise a task row; ``claimer`` is the username behind ``task.claimed_by``."""
        return cls.model_validate({**task.model_dump(), "claimed_by": claimer})


class DocumentRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    kind: str
    sha256: str
    size: int
    content_type: str
    filename: str
    uploaded_at: dt.datetime


class TimelineEntry(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    seq: int
    at: dt.datetime
    actor: str | None
    role: str | None
    action: str
    task_id: int | None
    before: StoredJson
    after: StoredJson
    comment: StoredText


class PayoutRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    id: int
    amount_fen: int
    amount_cny: str
    status: str
    bank_reference: str | None
    paid_at: dt.datetime | None
    period: str
    rule: dict[str, Any]  # which rule and which standard produced the amount
    # Who the money goes to: household (the family's card), pension_fund, insurer, reward; the
    # catalogue's account key otherwise; and the persons it is for (IDs masked).
    payee: str = "household"
    payee_account: str | None = None
    persons: list[PayoutPersonRead] = []


class ApplicationRead(BaseModel):
    id: int
    program: str
    village: str
    submitted_village: str  # the village it was submitted under (``village``: now, after merges)
    status: str
    applicant: PersonRead
    spouse: PersonRead | None
    household: HouseholdRead
    event: Event
    details: dict[str, Any]
    relation: str
    eligibility: EligibilityRead
    priority: bool
    # The caseworker confirmed the family-planning family at submission (特困救助).
    family_planning_confirmed: bool = False
    # Parents paid the yearly benefit, as the county approved it (0 until enrolled; one-time
    # programs: 0).
    eligible_parents: int = 0
    submitted_by: str
    flow_version: str
    created_at: dt.datetime
    updated_at: dt.datetime
    tasks: list[TaskSummary]


class ApplicationDetail(ApplicationRead):
    documents: list[DocumentRead]
    required_documents: list[str]
    missing_documents: list[str]
    timeline: list[TimelineEntry]
    payout: PayoutRead | None  # the one-time payout, if the program pays once
    payouts: list[PayoutRead]  # every payout of the case (yearly benefits: one per year)
    recoveries: list[RecoveryRead]  # money to get back after a revocation, with its balance


class ApplicationPage(BaseModel):
    items: list[ApplicationRead]
    next_cursor: int | None
