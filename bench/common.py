"""What every benchmark starts with: ``relief serve`` on a fresh, migrated, seeded database."""

from __future__ import annotations

import sys
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from tests.conftest import base_env, relief_cli, start_server  # noqa: E402


@contextmanager
def fresh_server(database_url: str | None) -> Iterator[str]:
    """Serve a new database (a temporary SQLite file unless a URL of an empty PostgreSQL
    database is given); yields the server's base URL and stops it afterwards."""
    tmp = Path(tempfile.mkdtemp(prefix="relief-bench-"))
    env = base_env(tmp, database_url or f"sqlite+aiosqlite:///{tmp}/relief.db")
    relief_cli(env, "db", "upgrade")
    relief_cli(env, "seed-demo")
    process, base = start_server(env)
    try:
        yield base
    finally:
        process.terminate()
        process.wait(timeout=10)
