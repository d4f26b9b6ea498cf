"""Reading uploaded files: bounded before they are held in memory, never empty."""

from __future__ import annotations

from pathlib import PurePath

# Starlette's class: what routes declare (FastAPI's subclass) and what a parsed form holds.
from starlette.datastructures import UploadFile

from service.errors import InvalidInput, PayloadTooLarge


async def read_limited(file: UploadFile, *, limit: int, field: str, what: str) -> bytes:
    """The file's bytes; 413 past ``limit`` (``what`` names the kind of file in the reason)."""
    # The body limit (service.http.limits) already bounds the request; this bounds the file itself.
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(f"{what} are limited to {limit} bytes")
    if not content:
        raise InvalidInput("the file is empty", field=field)
    return content


def safe_filename(name: str | None, default: str) -> str:
    """The client's file name without any directory part, bounded; only ever displayed."""
    return (PurePath((name or "").replace("\\", "/")).name or default)[:100]
