"""The body of a flow check (``POST /api/v1/flows/validate``, the console editor's checks):
a multipart form like an upload's (``bpmn``, any ``dmn``), or the BPMN text as the raw body.

Files are read to at most one byte past ``RELIEF_MAX_FLOW_BYTES``, as uploads are, so
``flows_service.check_upload`` judges their size (413) without more held in memory.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from fastapi import Request
from starlette.datastructures import UploadFile

from service.config import get_settings
from service.flows.service import MAX_DECISIONS, FlowFile
from service.http.uploads import read_flow_file


@dataclass(frozen=True)
class FlowBody:
    bpmns: list[FlowFile]  # check_upload refuses other than one
    dmns: list[FlowFile]
    fields: dict[str, str] = field(default_factory=dict)  # a form's other (text) fields


async def read_flow_body(request: Request) -> FlowBody:
    """The BPMN and DMN files sent, and a form's text fields."""
    content_type = request.headers.get("content-type", "").lower()
    if content_type.startswith("multipart/form-data"):
        form = await request.form(max_files=2 + MAX_DECISIONS, max_fields=20)
        bpmns = [
            await read_flow_file(item, default="flow.bpmn")
            for item in form.getlist("bpmn")
            if isinstance(item, UploadFile)
        ]
        dmns = [
            await read_flow_file(item, default="decision.dmn")
            for item in form.getlist("dmn")
            if isinstance(item, UploadFile) and item.filename
        ]
        fields = {
            name: value
            for name, value in form.multi_items()
            if isinstance(value, str) and name not in ("bpmn", "dmn")
        }
        return FlowBody(bpmns, dmns, fields)
    limit = get_settings().max_flow_bytes
    content = bytearray()
    async for chunk in request.stream():
        content += chunk
        if len(content) > limit:
            break
    return FlowBody([FlowFile("flow.bpmn", bytes(content[: limit + 1]))], [])
