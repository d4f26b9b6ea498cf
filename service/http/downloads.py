"""Files the service hands out (bank files, exports, rosters, flows, documents): one way to
name them in Content-Disposition, for the API and the console alike; and uploaded text the
console's own script reads (a case's flow XML), served so that no browser renders it."""

from __future__ import annotations

from collections.abc import AsyncIterator, Iterator
from urllib.parse import quote

from fastapi.responses import Response, StreamingResponse


def disposition(filename: str) -> str:
    """``attachment`` with the file's name (RFC 6266): plain ASCII names as they are; others
    with an ASCII stand-in for old clients and the UTF-8 name (李庄村申请书.pdf) in
    ``filename*`` (RFC 5987). Quotes, backslashes and control characters never reach the
    header."""
    fallback = "".join(
        c if c.isascii() and c.isprintable() and c not in '"\\' else "_" for c in filename
    )
    if fallback == filename:
        return f'attachment; filename="{filename}"'
    return f"attachment; filename=\"{fallback}\"; filename*=UTF-8''{quote(filename, safe='')}"


# Uploaded text read by the console's script (fetch), never a page: a browser sent straight to
# its URL shows plain text (no XSLT from an <?xml-stylesheet?>, no XHTML <meta refresh>), and
# even a browser that rendered it anyway would get a sandbox in which nothing may load or run.
INERT_CSP = "default-src 'none'; sandbox; frame-ancestors 'none'"


def inert_text(content: str) -> Response:
    """``content`` as ``text/plain`` with ``nosniff`` and a sandbox CSP, inline."""
    return Response(
        content,
        media_type="text/plain; charset=utf-8",
        headers={"Content-Security-Policy": INERT_CSP, "X-Content-Type-Options": "nosniff"},
    )


def attachment(content: bytes, media_type: str, filename: str) -> Response:
    return Response(
        content, media_type=media_type, headers={"Content-Disposition": disposition(filename)}
    )


def streamed_attachment(
    chunks: AsyncIterator[bytes] | Iterator[bytes], media_type: str, filename: str
) -> StreamingResponse:
    return StreamingResponse(
        chunks, media_type=media_type, headers={"Content-Disposition": disposition(filename)}
    )
