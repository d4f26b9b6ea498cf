"""Request body limits, enforced before anything parses a body.

A JSON or form body is bounded by ``RELIEF_MAX_BODY_BYTES``; a multipart upload by the document
limit plus room for its framing, and a flow upload by the flow file limit times the files it
may hold. A declared ``Content-Length`` over the limit is refused at
once; a body that streams past the limit (chunked, or lying about its length) is cut off as
soon as it does.

An API client is answered the problem JSON here, before any route runs. A console page is
answered as the console answers every error (its error page, or for an htmx request the
message fragment it swaps into the page's ``#flash``): the request goes on to its route, whose
first read of the body raises ``BodyTooLarge`` for the problem handler, which hands console
pages to the console. A browser that uploads a 30 MB file from the case page thus sees a
message in place instead of raw JSON.
"""

from __future__ import annotations

import json
import re

from starlette.exceptions import HTTPException
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from service.config import get_settings
from service.flows.service import MAX_DECISIONS
from service.http.headers import is_console_page

MULTIPART_SLACK = 64 * 1024
PROBLEM_TYPE = "urn:relief:problem:payload-too-large"


class BodyTooLarge(HTTPException):
    """Raised from inside body parsing; FastAPI lets HTTPException subclasses through."""

    def __init__(self, limit: int) -> None:
        super().__init__(413, f"the request body exceeds {limit} bytes")
        self.limit = limit


FLOW_UPLOAD_PATH = "/api/v1/flows"
# A flow's check and the flow editor's save: a BPMN (and DMN) form, or the BPMN as the body.
FLOW_CHECK_PATH = "/api/v1/flows/validate"
FLOW_EDITOR = re.compile(r"^/flows/(validate|new|[A-Za-z_][A-Za-z0-9_.\-]{0,99}/edit)$")


def _limit_for(path: str, headers: dict[bytes, bytes]) -> int:
    settings = get_settings()
    flow_files = path in (FLOW_UPLOAD_PATH, FLOW_CHECK_PATH) or FLOW_EDITOR.match(path)
    if headers.get(b"content-type", b"").lower().startswith(b"multipart/form-data"):
        if flow_files:  # a BPMN and its DMN files, each within its own limit
            return settings.max_flow_bytes * (1 + MAX_DECISIONS) + MULTIPART_SLACK
        return settings.max_upload_bytes + MULTIPART_SLACK
    if path == FLOW_CHECK_PATH:  # the BPMN as the raw body: its own limit says 413
        return settings.max_flow_bytes + MULTIPART_SLACK
    return settings.max_body_bytes


class BodySizeLimit:
    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope.get("headers") or [])
        limit = _limit_for(scope.get("path", ""), headers)
        declared = headers.get(b"content-length", b"")
        if declared.isdigit() and int(declared) > limit:
            if is_console_page(scope.get("path", "")):
                await self.app(scope, _refused_body(limit), send)
            else:
                await _refuse(scope, send, limit)
            return
        received = 0

        async def bounded_receive() -> Message:
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                received += len(message.get("body", b""))
                if received > limit:
                    raise BodyTooLarge(limit)
            return message

        await self.app(scope, bounded_receive, send)


def _refused_body(limit: int) -> Receive:
    """A ``receive`` whose first read of the body raises ``BodyTooLarge`` (nothing is read)."""

    async def receive() -> Message:
        raise BodyTooLarge(limit)

    return receive


async def _refuse(scope: Scope, send: Send, limit: int) -> None:
    """Answer 413 without reading the body (RFC 9457, like every other error)."""
    body = json.dumps(
        {
            "type": PROBLEM_TYPE,
            "title": "Payload too large",
            "status": 413,
            "detail": f"the request body exceeds {limit} bytes",
            "code": "body-too-large",  # registered in codes.py, as the handler's 413
            "params": {"limit": limit},
            "instance": scope.get("path"),
            "request_id": scope.get("relief.request_id"),
        }
    ).encode()
    await send(
        {
            "type": "http.response.start",
            "status": 413,
            "headers": [
                (b"content-type", b"application/problem+json"),
                (b"content-length", str(len(body)).encode()),
                (b"connection", b"close"),
            ],
        }
    )
    await send({"type": "http.response.body", "body": body})
