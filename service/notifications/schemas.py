from __future__ import annotations

from datetime import datetime

from pydantic import BaseModel

from service.masking import mask_phone
from service.notifications.models import APPLICANT, Notification


class NotificationRead(BaseModel):
    id: int
    application_id: int
    event: str
    recipient_kind: str
    recipient: str  # an applicant's number masked (138****1234), or a username
    channel: str
    body: str
    idempotency_key: str
    status: str
    attempts: int
    next_attempt_at: datetime
    last_error: str | None
    created_at: datetime
    sent_at: datetime | None

    @classmethod
    def of(cls, message: Notification) -> NotificationRead:
        recipient = message.recipient
        if message.recipient_kind == APPLICANT:
            recipient = mask_phone(recipient) or ""
        return cls.model_validate({**message.model_dump(), "recipient": recipient})


class NotificationPage(BaseModel):
    items: list[NotificationRead]
    next_cursor: int | None
