"""Settings: production refuses unsafe secrets and databases; development makes its own secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
import uuid
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa
from pydantic import ValidationError

from service.config import Settings
from tests.conftest import (
    DEMO_PASSWORD,
    ROOT,
    _free_port,
    base_env,
    postgres_admin_or_skip,
    relief_cli,
    start_server,
)

POSTGRES = "postgresql+asyncpg://relief@db.example/relief"
STRONG = secrets.token_urlsafe(36)  # 48 characters


def _production(secret: str, database_url: str = POSTGRES) -> Settings:
    return Settings(env="production", secret_key=secret, database_url=database_url)


def _clean_env(**relief: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("RELIEF_")}
    env.update(relief)
    return env


@pytest.mark.parametrize(
    "secret",
    ["dev-" + "x" * 60, "", "k" * 31],
    ids=["development-secret", "empty", "31-characters"],
)
def test_production_refuses_unsafe_secret(secret: str) -> None:
    with pytest.raises(ValidationError, match="RELIEF_SECRET_KEY"):
        _production(secret)


def test_production_refuses_sqlite_path_it_cannot_write() -> None:
    with pytest.raises(ValidationError, match="not writable"):
        _production(STRONG, "sqlite+aiosqlite:////proc/relief-nowhere/relief.db")


def test_production_accepts_random_secret_with_postgresql() -> None:
    assert len(STRONG) == 48
    settings = _production(STRONG)
    assert settings.secret_key == STRONG
    assert settings.database_url == POSTGRES
    assert not settings.is_sqlite


def test_production_accepts_32_character_secret_and_writable_sqlite(tmp_path: Path) -> None:
    secret = secrets.token_hex(16)
    settings = _production(secret, f"sqlite+aiosqlite:///{tmp_path}/relief.db")
    assert settings.sqlite_path == tmp_path / "relief.db"


def test_serve_refuses_to_start_in_production_with_development_secret(tmp_path: Path) -> None:
    env = _clean_env(
        RELIEF_ENV="production",
        RELIEF_SECRET_KEY="dev-" + "x" * 60,
        RELIEF_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/relief.db",
        RELIEF_FILES_DIR=str(tmp_path / "files"),
    )
    port = _free_port()
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "serve", "--port", str(port)],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=20,
    )
    assert result.returncode != 0
    output = result.stdout + result.stderr
    assert "RELIEF_SECRET_KEY" in output or "development secret" in output
    with pytest.raises(httpx.TransportError):
        httpx.get(f"http://127.0.0.1:{port}/healthz", timeout=1)


def test_serve_starts_in_production_with_a_strong_secret(tmp_path: Path) -> None:
    # Control for the refusal above: the same start-up with a proper secret serves.
    env = _clean_env(
        RELIEF_ENV="production",
        RELIEF_SECRET_KEY=STRONG,
        RELIEF_DATABASE_URL=f"sqlite+aiosqlite:///{tmp_path}/relief.db",
        RELIEF_FILES_DIR=str(tmp_path / "files"),
        RELIEF_LOG_LEVEL="WARNING",
    )
    process, url = start_server(env)
    try:
        assert httpx.get(f"{url}/healthz", timeout=5).json()["status"] == "ok"
    finally:
        process.terminate()
        process.wait(timeout=10)


def _print_secret(cwd: Path) -> subprocess.CompletedProcess[str]:
    env = _clean_env(RELIEF_ENV="development", PYTHONPATH=str(ROOT))
    return subprocess.run(
        [
            sys.executable,
            "-c",
            "from service.config import get_settings; print(get_settings().secret_key)",
        ],
        cwd=cwd,
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    )


def test_development_generates_a_secret_into_dotenv_and_keeps_it(tmp_path: Path) -> None:
    assert not (tmp_path / ".env").exists()
    first = _print_secret(tmp_path).stdout.strip()
    assert first.startswith("dev-")
    assert len(first) >= 32

    lines = (tmp_path / ".env").read_text(encoding="utf-8").splitlines()
    assert f"RELIEF_SECRET_KEY={first}" in lines

    second = _print_secret(tmp_path).stdout.strip()
    assert second == first
    lines = (tmp_path / ".env").read_text(encoding="utf-8").splitlines()
    assert [line for line in lines if line.startswith("RELIEF_SECRET_KEY=")] == [
        f"RELIEF_SECRET_KEY={first}"
    ]


def test_development_secrets_differ_between_installations(tmp_path: Path) -> None:
    (tmp_path / "a").mkdir()
    (tmp_path / "b").mkdir()
    assert _print_secret(tmp_path / "a").stdout != _print_secret(tmp_path / "b").stdout


# --- database URLs as people paste them ---------------------------------------------------


@pytest.mark.parametrize(
    ("pasted", "used"),
    [
        ("sqlite:///var/x.db", "sqlite+aiosqlite:///var/x.db"),
        ("sqlite:////srv/县 办/relief.db", "sqlite+aiosqlite:////srv/县 办/relief.db"),
        ("sqlite+aiosqlite:///./var/relief.db", "sqlite+aiosqlite:///./var/relief.db"),
        ("postgresql://user@host/db", "postgresql+asyncpg://user@host/db"),
        ("postgres://u:p%40ss@h:5433/db", "postgresql+asyncpg://u:p%40ss@h:5433/db"),
        ("postgresql+psycopg2://u@h/db?sslmode=require", "postgresql+asyncpg://u@h/db?ssl=require"),
        ("postgresql+asyncpg://u@h/db", "postgresql+asyncpg://u@h/db"),
    ],
)
def test_database_urls_people_paste_get_the_async_driver(pasted: str, used: str) -> None:
    assert Settings(database_url=pasted, secret_key="k").database_url == used


@pytest.mark.parametrize("url", ["mysql://root@localhost/relief", "relief.db", ""])
def test_a_database_relief_cannot_use_is_refused_in_one_line(url: str, tmp_path: Path) -> None:
    result = subprocess.run(
        [sys.executable, "-m", "service.cli", "db", "upgrade"],
        cwd=tmp_path,
        env=_clean_env(RELIEF_DATABASE_URL=url, RELIEF_SECRET_KEY=STRONG, PYTHONPATH=str(ROOT)),
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert result.returncode == 2
    assert result.stderr.splitlines() == [result.stderr.strip()], "one line, no traceback"
    assert result.stderr.startswith("relief: RELIEF_DATABASE_URL")
    assert "sqlite:///path/to/relief.db or postgresql://user@host[:port]/database" in result.stderr
    assert not list(tmp_path.iterdir()), "nothing was created"


@pytest.mark.parametrize("kind", ["sqlite", "postgres"])
def test_plain_database_urls_migrate_seed_and_serve(kind: str, tmp_path: Path) -> None:
    """``RELIEF_DATABASE_URL=sqlite:///…`` or ``postgresql://…`` (no driver named): the
    operator's commands and the server start and work on it."""
    admin, name = None, f"relief_plain_{uuid.uuid4().hex[:12]}"
    if kind == "sqlite":
        url = f"sqlite:///{tmp_path}/relief.db"
    else:
        admin = postgres_admin_or_skip()
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        url = f"postgresql://postgres@127.0.0.1:5432/{name}"
    env = {**base_env(tmp_path, url), "RELIEF_LOG_LEVEL": "WARNING"}
    try:
        relief_cli(env, "db", "upgrade")
        relief_cli(env, "seed-demo")
        process, server_url = start_server(env)
        try:
            token = httpx.post(
                f"{server_url}/api/v1/auth/token",
                data={"username": "cw.lizhuang", "password": DEMO_PASSWORD},
                timeout=30,
            )
            assert token.status_code == 200, token.text
            me = httpx.get(
                f"{server_url}/api/v1/auth/me",
                headers={"Authorization": f"Bearer {token.json()['access_token']}"},
                timeout=30,
            )
            assert me.json()["username"] == "cw.lizhuang"
        finally:
            process.terminate()
            process.wait(timeout=10)
        if kind == "sqlite":
            assert (tmp_path / "relief.db").stat().st_size > 0
    finally:
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()
