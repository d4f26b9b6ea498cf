from __future__ import annotations

from sqlalchemy import JSON, Column
from sqlmodel import Field, SQLModel


class Program(SQLModel, table=True):
    """A benefit program of the catalogue (workflows/programs.json) and the flow it runs on."""

    code: str = Field(primary_key=True, max_length=64)
    name_zh: str = Field(max_length=100)
    name_en: str = Field(max_length=200)
    # Money is integer fen (1/100 CNY), never float.
    amount_fen: int
    event_kinds: list[str] = Field(sa_column=Column(JSON, nullable=False))
    required_documents: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # Kinds required only when the case names a spouse.
    spouse_documents: list[str] = Field(sa_column=Column(JSON, nullable=False))
    # The event (the child's death) must fall in the current calendar year.
    event_in_current_year: bool = False
    flow_key: str = Field(max_length=100)
    active_flow_version_id: int | None = Field(default=None, foreign_key="flow_version.id")
    active: bool = True
