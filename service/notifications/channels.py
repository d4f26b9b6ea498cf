"""Where messages go: one interface, a file sink and an HTTP SMS gateway.

A channel's ``send`` returns when the message was handed over and raises on any failure. The
worker may hand a message over more than once (at least once); the idempotency key that goes
with it lets the receiver keep one.
"""

from __future__ import annotations

import json
import os
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Protocol

import httpx

from service.clock import utcnow
from service.config import get_settings
from service.masking import mask_phone
from service.notifications.models import APPLICANT, FILE, Notification


class DeliveryFailed(Exception):
    """The channel did not take the message (it may be tried again)."""


class Channel(Protocol):
    async def send(self, message: Notification) -> None: ...


class FileSink:
    """Appends one JSON line per message to a file: staff notices, and applicants' messages
    when no SMS gateway is configured.

    The file is the development stand-in for the SMS provider, but it is also a file on the
    server that operators read like a log, so an applicant's number is written masked
    (138****1234): only the gateway ever receives a full number.
    """

    def __init__(self, path: Path) -> None:
        self.path = path

    async def send(self, message: Notification) -> None:
        recipient = message.recipient
        if message.recipient_kind == APPLICANT:
            recipient = mask_phone(recipient) or ""
        line = json.dumps(
            {
                "at": utcnow().isoformat(),
                "id": message.id,
                "application_id": message.application_id,
                "event": message.event,
                "recipient_kind": message.recipient_kind,
                "to": recipient,
                "text": message.body,
                "idempotency_key": message.idempotency_key,
            },
            ensure_ascii=False,
        )
        self.path.parent.mkdir(parents=True, exist_ok=True)
        # One write() of one line on an O_APPEND descriptor: concurrent workers never
        # interleave their lines.
        fd = os.open(self.path, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o640)
        try:
            os.write(fd, (line + "\n").encode("utf-8"))
        finally:
            os.close(fd)


class SmsGateway:
    """POSTs {to, text, idempotency_key} as JSON to the SMS gateway, with a bearer token and
    the key again as the ``Idempotency-Key`` header. Anything but a 2xx answer is a failure,
    as is a transport error (refused, reset, timed out)."""

    def __init__(self, client: httpx.AsyncClient, *, url: str, token: str) -> None:
        self.client, self.url, self.token = client, url, token

    async def send(self, message: Notification) -> None:
        headers = {"Idempotency-Key": message.idempotency_key}
        if self.token:
            headers["Authorization"] = f"Bearer {self.token}"
        payload = {
            "to": message.recipient,
            "text": message.body,
            "idempotency_key": message.idempotency_key,
        }
        try:
            response = await self.client.post(self.url, json=payload, headers=headers)
        except httpx.HTTPError as error:
            # The exception's text names the URL at most; never the number or the text.
            raise DeliveryFailed(f"SMS gateway unreachable: {type(error).__name__}") from None
        if not response.is_success:
            raise DeliveryFailed(f"SMS gateway answered {response.status_code}")


Picker = Callable[[Notification], Channel]


@asynccontextmanager
async def opened() -> AsyncIterator[Picker]:
    """The channels of one worker round, and which one takes a given message."""
    settings = get_settings()
    sink = FileSink(settings.notify_file)
    if not settings.sms_url:
        yield lambda message: sink
        return
    timeout = httpx.Timeout(settings.sms_timeout_seconds)
    async with httpx.AsyncClient(timeout=timeout, follow_redirects=False) as client:
        gateway = SmsGateway(client, url=settings.sms_url, token=settings.sms_token)
        yield lambda message: sink if message.channel == FILE else gateway
