"""What the public and the county see of notices, objections and recipients.

Public shapes carry masked names and ID numbers only (王*英, 1301**********123X), never a
card or phone number; the county's view of an objection adds the objector's contact.
"""

from __future__ import annotations

from datetime import date, datetime

from pydantic import BaseModel, Field

from service.text import FreeText, Line


class NoticeRead(BaseModel):
    id: int
    program: str
    program_name: str
    county: str
    township: str
    township_name: str
    village: str
    village_name: str
    name: str = Field(description="masked: 王*英")
    id_number: str = Field(description="masked: 1301**********123X")
    amount_fen: int | None
    amount: str | None = Field(description="yuan, two decimals")
    opens_at: datetime
    ends_at: datetime
    state: str = Field(description="open: objections taken; held: an objection is examined")


class NoticePage(BaseModel):
    items: list[NoticeRead]
    next_cursor: int | None


class ObjectionCreate(BaseModel):
    # The service bounds the text by RELIEF_OBJECTION_MAX_CHARS; this is the outer wall.
    text: FreeText = Field(min_length=1, max_length=20000)
    # Kept as given, for the county approver to call back; auditors see it masked.
    contact: Line | None = Field(default=None, max_length=100)


class ObjectionReceipt(BaseModel):
    id: int
    notice_id: int
    received_at: datetime
    notice_state: str


class ObjectionRead(BaseModel):
    id: int
    notice_id: int
    text: str
    contact: str | None
    received_at: datetime
    resolution: str | None
    resolved_at: datetime | None


class RecipientRead(BaseModel):
    program: str
    program_name: str
    township_name: str
    village: str
    village_name: str
    name: str = Field(description="masked: 王*英")
    id_number: str = Field(description="masked: 1301**********123X")
    period: str = Field(description='"once", or the year of a yearly benefit')
    amount_fen: int
    amount: str
    paid_on: date | None


class RecipientPage(BaseModel):
    items: list[RecipientRead]
    next_cursor: int | None
