"""The operator's commands: a second `make run` (upgrade + seed) must work and change nothing."""

from __future__ import annotations

from pathlib import Path

import sqlalchemy as sa

from tests.conftest import base_env, relief_cli


def test_upgrade_and_demo_seed_are_idempotent(tmp_path: Path) -> None:
    path = tmp_path / "relief.db"
    env = base_env(tmp_path, f"sqlite+aiosqlite:///{path}")

    first = relief_cli(env, "db", "upgrade")
    assert "emergency_consolation" in first.stdout
    assert "hardship_relief" in first.stdout
    assert "11 users created" in relief_cli(env, "seed-demo").stdout

    assert "no change" in relief_cli(env, "db", "upgrade").stdout
    second = relief_cli(env, "seed-demo")
    assert "0 users created" in second.stdout
    assert "cw.lizhuang" in second.stdout  # the demo logins are printed every time

    engine = sa.create_engine(f"sqlite:///{path}")
    with engine.connect() as connection:
        assert connection.execute(sa.text("SELECT count(*) FROM user_account")).scalar() == 11
        programs = connection.execute(sa.text("SELECT count(*) FROM program")).scalar()
        assert programs == 7
        # One flow version per shipped flow (seven programs and the yearly review): the
        # second upgrade stored nothing new.
        assert connection.execute(sa.text("SELECT count(*) FROM flow_version")).scalar() == 8
        assert connection.execute(sa.text("SELECT count(*) FROM region")).scalar() == 6
    engine.dispose()


def test_audit_verify_exits_zero_on_an_intact_trail(tmp_path: Path) -> None:
    env = base_env(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'relief.db'}")
    relief_cli(env, "db", "upgrade")
    result = relief_cli(env, "audit", "verify")
    assert result.returncode == 0
    assert result.stdout.startswith("ok:")
