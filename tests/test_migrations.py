"""The schema the migrations build is the schema the models describe, and history is append-only."""

from __future__ import annotations

import uuid

import pytest
import sqlalchemy as sa
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext

import service.models  # noqa: F401 - registers every table on the metadata
from service.db import metadata
from tests.conftest import Api, Backend


def test_models_and_migrations_do_not_drift(backend: Backend) -> None:
    with backend.engine.connect() as connection:
        context = MigrationContext.configure(connection, opts={"compare_type": True})
        diff = compare_metadata(context, metadata)
    assert diff == []


def _audit_rows(backend: Backend) -> list[tuple]:
    with backend.engine.connect() as connection:
        return list(connection.execute(sa.text("SELECT * FROM audit_event ORDER BY id")))


@pytest.fixture
def trail(api: Api, backend: Backend) -> list[tuple]:
    """The audit trail after a fresh security event (a failed login) was written."""
    response = api.client.post(
        "/auth/token", data={"username": "vh.hekou", "password": "wrong-" + uuid.uuid4().hex}
    )
    assert response.status_code == 401
    rows = _audit_rows(backend)
    assert rows
    return rows


REWRITES = (
    "UPDATE audit_event SET comment = 'rewritten', actor = 'nobody'",
    "UPDATE audit_event SET hash = prev_hash WHERE id = (SELECT MAX(id) FROM audit_event)",
)
DELETES = (
    "DELETE FROM audit_event WHERE id = (SELECT MAX(id) FROM audit_event)",
    "DELETE FROM audit_event WHERE actor = 'vh.hekou'",
)


def _refused(backend: Backend, statement: str) -> None:
    with pytest.raises(sa.exc.DBAPIError), backend.engine.begin() as connection:
        connection.execute(sa.text(statement))


def test_database_refuses_to_update_audit_events(
    api: Api, backend: Backend, trail: list[tuple]
) -> None:
    for statement in REWRITES:
        _refused(backend, statement)
    assert _audit_rows(backend) == trail
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


def test_database_refuses_to_delete_audit_events(
    api: Api, backend: Backend, trail: list[tuple]
) -> None:
    for statement in DELETES:
        _refused(backend, statement)
    assert _audit_rows(backend) == trail
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True


def test_database_refuses_to_wipe_the_audit_trail(backend: Backend, trail: list[tuple]) -> None:
    wipes = ["DELETE FROM audit_event"]
    if backend.name == "postgres":
        wipes.append("TRUNCATE audit_event")
    for statement in wipes:
        _refused(backend, statement)
    assert _audit_rows(backend) == trail


def test_database_refuses_to_rewind_or_remove_a_chain_head(
    api: Api, backend: Backend, trail: list[tuple]
) -> None:
    statements = [
        "UPDATE audit_head SET seq = seq - 1",
        "UPDATE audit_head SET seq = 0, hash = '" + "0" * 64 + "'",
        "DELETE FROM audit_head",
    ]
    if backend.name == "postgres":
        statements.append("TRUNCATE audit_head")
    for statement in statements:
        _refused(backend, statement)
    assert api.get("/audit/verify", as_="au.county").json()["ok"] is True
