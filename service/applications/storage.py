"""Content-addressed document storage under the files directory (``ab/cd/<sha256>``)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from service.applications.models import Document
from service.clock import utcnow
from service.db import files_root
from service.errors import InvalidInput

# Sniffed from the bytes, never trusted from the client's Content-Type or file name.
_SIGNATURES = (
    (b"%PDF-", "application/pdf"),
    (b"\xff\xd8\xff", "image/jpeg"),
    (b"\x89PNG\r\n\x1a\n", "image/png"),
)


def sniff_content_type(content: bytes, *, field: str = "file") -> str:
    """The type the bytes are; ``field`` names the form field in the 422 of any other type."""
    for signature, content_type in _SIGNATURES:
        if content.startswith(signature):
            return content_type
    raise InvalidInput(
        "only PDF, JPEG and PNG documents are accepted",
        field=field,
        code="document-type-unsupported",
    )


def path_for(sha256: str) -> Path:
    return files_root() / sha256[:2] / sha256[2:4] / sha256


def store(content: bytes) -> str:
    """Write the bytes once under their SHA-256 (atomic rename); return the digest."""
    digest = hashlib.sha256(content).hexdigest()
    target = path_for(digest)
    if target.exists():
        return digest
    target.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=target.parent, prefix=".upload-")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(content)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return digest


def new_document(
    *,
    application_id: int,
    kind: str,
    filename: str,
    content: bytes,
    content_type: str,
    user_id: int,
) -> Document:
    """Store the bytes (content-addressed) and describe them as a document of the case.

    Written before the commit: a rolled-back command leaves at most an unreferenced file,
    never a row without its file.
    """
    return Document(
        application_id=application_id,
        kind=kind,
        sha256=store(content),
        size=len(content),
        content_type=content_type,
        filename=filename[:255],
        uploaded_by=user_id,
        uploaded_at=utcnow(),
    )
