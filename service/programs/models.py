from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Column, Text
from sqlmodel import Field, SQLModel

from service.db import UTCDateTime


class Program(SQLModel, table=True):
    """A benefit program of the catalogue (workflows/programs.yaml) and the flow it runs on."""

    code: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=200)
    # "one_time" (paid once per household) or "yearly" (an enrolment paid each year).
    kind: str = Field(default="one_time", max_length=16)
    # Money is integer fen (1/100 CNY), never float. Yearly programs: 0 (see benefit standards).
    amount_fen: int
    event_kinds: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # {"common": [...], "with_spouse": [...], "by_event": {event_kind: [...]}}
    documents: dict[str, Any] = Field(sa_column=Column(JSON, nullable=False))
    # The DMN decision table of eligibility (XML), from the catalogue.
    eligibility_dmn: str | None = Field(default=None, sa_type=Text)
    # Yearly programs: {"multiplier": 2, "premium_fen_per_person": 100000, "review_flow": key}
    yearly: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    # Working days each step may take (限时办结), by BPMN task id, and a "default".
    time_limits: dict[str, int] | None = Field(default=None, sa_column=Column(JSON))
    # What "once" means for a one-time program (the catalogue's ``once_per``): "household",
    # once ever per household (紧急慰藉); "household_event", once per household and event, and a
    # household's further event is a new case only ``min_interval_months`` after the event of
    # its last case (特困救助). See service.applications.claims.
    once_per: str = Field(default="household", max_length=24)
    min_interval_months: int | None = None
    # The caseworker must confirm at submission that the household is a family-planning family
    # 计划生育家庭 and that they saw the originals of its proofs (特困救助).
    confirms_family_planning: bool = False
    # Programs whose amount the seeds leave blank (光荣证 每月**元, 放弃二胎 各**00元): the
    # county's administrator sets it per year (ProgramAmount); ``amount_fen`` is then 0.
    # {"unit": "month" | "once", "per": "parent", "max_fen": …, "until_child_age": 18}
    amount_by_county: dict[str, Any] | None = Field(default=None, sa_column=Column(JSON))
    flow_key: str = Field(max_length=100)
    active_flow_version_id: int | None = Field(default=None, foreign_key="flow_version.id")
    active: bool = True


class BenefitStandard(SQLModel, table=True):
    """A yearly base standard per person (national/provincial), by year and by the child's
    status (died / disabled): configuration from the catalogue, never in code."""

    __tablename__ = "benefit_standard"

    program_code: str = Field(primary_key=True, foreign_key="program.code", max_length=64)
    year: int = Field(primary_key=True)
    kind: str = Field(primary_key=True, max_length=32)  # the event kind: child_death, …
    amount_fen: int


class ProgramAmount(SQLModel, table=True):
    """The amount a county pays in a program and year, where the catalogue leaves it to the
    county (``Program.amount_by_county``): set by the county's administrator, never invented."""

    __tablename__ = "program_amount"
    __table_args__ = (CheckConstraint("amount_fen > 0", name="amount_positive"),)

    program_code: str = Field(primary_key=True, foreign_key="program.code", max_length=64)
    county_code: str = Field(primary_key=True, foreign_key="region.code", max_length=12)
    year: int = Field(primary_key=True)
    amount_fen: int  # per unit (a month, or once) and per parent, as the program says
    set_by: int = Field(foreign_key="user_account.id")
    set_at: datetime = Field(sa_type=UTCDateTime)
