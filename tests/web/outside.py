"""A flow version stored before uploads refused stylesheets and XHTML markup (issue 18 part 5).

Uploads now refuse ``<?xml-stylesheet?>`` and markup in foreign namespaces, so a version that
holds them can only come from before that: ``stored_hostile_flow`` writes one straight into the
database (a copy of the shipped flow that points at ``outside``, another origin) and moves one
case onto it, then puts everything back. The console must serve it without a browser acting
on it.
"""

from __future__ import annotations

import hashlib
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime

import sqlalchemy as sa

from tests.conftest import Backend
from tests.flows.helpers import SHIPPED

DECLARATION = '<?xml version="1.0" encoding="UTF-8"?>'
DOCUMENTATION = '<bpmn:userTask id="objection_review" name="核查举报">\n'
DOCUMENTATION += "      <bpmn:documentation>"


def hostile_flow(outside: str) -> str:
    """The shipped flow with an XSLT stylesheet from ``outside`` and, in a task's
    documentation, an XHTML ``meta`` refresh to ``outside``."""
    text = SHIPPED.read_text(encoding="utf-8")
    assert text.startswith(DECLARATION)
    assert DOCUMENTATION in text
    stylesheet = f'<?xml-stylesheet type="text/xsl" href="{outside}/evil.xsl"?>'
    meta = (
        '<html:meta xmlns:html="http://www.w3.org/1999/xhtml" http-equiv="refresh" '
        f'content="0;url={outside}/gone"/>'
    )
    text = text.replace(DECLARATION, DECLARATION + "\n" + stylesheet, 1)
    return text.replace(DOCUMENTATION, DOCUMENTATION + meta, 1)


@contextmanager
def stored_hostile_flow(backend: Backend, case_id: int, xml: str) -> Iterator[None]:
    """Case ``case_id`` on a stored version holding ``xml`` (a key of its own, bound to no
    program, so no other test sees it), until the block ends."""
    key = f"hostile_{uuid.uuid4().hex[:12]}"
    flow_version = sa.table(
        "flow_version",
        *(sa.column(name) for name in ("id", "key", "version", "bpmn_xml", "sha256")),
        sa.column("uploaded_by"),
        sa.column("uploaded_at"),
    )
    application = sa.table("application", sa.column("id"), sa.column("flow_version_id"))
    with backend.engine.begin() as connection:
        before = connection.execute(
            sa.select(application.c.flow_version_id).where(application.c.id == case_id)
        ).scalar_one()
        version_id = connection.execute(
            flow_version.insert()
            .values(
                key=key,
                version=1,
                bpmn_xml=xml,
                sha256=hashlib.sha256(xml.encode()).hexdigest(),
                uploaded_by="admin",
                uploaded_at=datetime.now(UTC),
            )
            .returning(flow_version.c.id)
        ).scalar_one()
        connection.execute(
            application.update()
            .where(application.c.id == case_id)
            .values(flow_version_id=version_id)
        )
    try:
        yield
    finally:
        with backend.engine.begin() as connection:
            connection.execute(
                application.update()
                .where(application.c.id == case_id)
                .values(flow_version_id=before)
            )
            connection.execute(flow_version.delete().where(flow_version.c.id == version_id))
