from __future__ import annotations

from typing import Any

from pydantic import BaseModel, ConfigDict


class ProgramRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    kind: str
    amount_fen: int
    amount_cny: str
    event_kinds: list[str]
    documents: dict[str, Any]
    yearly: dict[str, Any] | None = None
    standards: dict[int, dict[str, int]] = {}
    eligibility: str | None  # the DMN decision table (XML)
    active_flow: str | None
    active: bool
