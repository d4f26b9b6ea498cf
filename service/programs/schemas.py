from __future__ import annotations

from pydantic import BaseModel, ConfigDict


class ProgramRead(BaseModel):
    model_config = ConfigDict(from_attributes=True)

    code: str
    name_zh: str
    name_en: str
    amount_fen: int
    amount_cny: str
    event_kinds: list[str]
    required_documents: list[str]
    spouse_documents: list[str]
    active_flow: str | None
    active: bool
