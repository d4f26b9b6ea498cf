"""Settings: production refuses unsafe secrets and databases; development makes its own secret."""

from __future__ import annotations

import os
import secrets
import subprocess
import sys
from pathlib import Path

import httpx
import pytest
from pydantic import ValidationError

from service.config import Settings
from tests.conftest import ROOT, _free_port, start_server

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
