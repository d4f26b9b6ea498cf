"""Reading uploaded files: bounded before they are held in memory, never empty."""

from __future__ import annotations

from pathlib import PurePath

# Starlette's class: what routes declare (FastAPI's subclass) and what a parsed form holds.
from starlette.datastructures import UploadFile

from service.config import get_settings
from service.errors import InvalidInput, PayloadTooLarge
from service.flows.service import FlowFile


async def read_limited(file: UploadFile, *, limit: int, field: str, what: str) -> bytes:
    """The file's bytes; 413 past ``limit`` (``what`` names the kind of file in the reason)."""
    # The body limit (service.http.limits) already bounds the request; this bounds the file itself.
    content = await file.read(limit + 1)
    if len(content) > limit:
        raise PayloadTooLarge(
            f"{what} are limited to {limit} bytes",
            code="file-too-large",
            params={"what": what, "limit": limit},
        )
    if not content:
        raise InvalidInput("the file is empty", field=field, code="file-empty")
    return content


async def read_flow_file(file: UploadFile, *, default: str) -> FlowFile:
    """An uploaded flow file, read to at most one byte past ``RELIEF_MAX_FLOW_BYTES``: enough
    for ``flows_service.upload`` to judge its size without holding more in memory."""
    content = await file.read(get_settings().max_flow_bytes + 1)
    return FlowFile(safe_filename(file.filename, default), content)


def safe_filename(name: str | None, default: str) -> str:
    """The client's file name without any directory part, bounded; only ever displayed."""
    return (PurePath((name or "").replace("\\", "/")).name or default)[:100]
