"""Fixtures for the task rules: extra users that the demo data does not have.

Some rules (separation of duties, claims between colleagues) need a user holding two roles or a
second user in the same role and jurisdiction. They are inserted straight into the database of
the running server, with the demo password, so the shared token cache can log them in.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable
from datetime import UTC, datetime
from functools import cache

import pytest

from service.auth.models import User
from service.auth.passwords import hash_password
from tests.conftest import DEMO_PASSWORD, Backend


@cache
def _demo_password_hash() -> str:
    return hash_password(DEMO_PASSWORD)


MakeUser = Callable[[list[str], str], str]


@pytest.fixture
def make_user(backend: Backend) -> MakeUser:
    """Insert an active user with ``roles`` in ``jurisdiction``; returns the (unique) username."""

    def make(roles: list[str], jurisdiction: str) -> str:
        username = f"t.{roles[0][:8]}.{uuid.uuid4().hex[:10]}"
        with backend.engine.begin() as connection:
            connection.execute(
                User.__table__.insert().values(
                    username=username,
                    full_name="测试用户",
                    password_hash=_demo_password_hash(),
                    roles=roles,
                    jurisdiction=jurisdiction,
                    active=True,
                    created_at=datetime.now(UTC),
                )
            )
        return username

    return make
