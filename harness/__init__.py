"""Test and benchmark tooling (not part of the installed ``service``): start a fresh database
and a real ``relief serve`` on it. ``tests/conftest.py`` and ``bench/`` both use it."""

from harness.servers import (
    ANSWER_S,
    DEMO_PASSWORD,
    POSTGRES_ADMIN_URL,
    ROOT,
    STARTUP_S,
    TEST_UPLOAD_LIMIT,
    Backend,
    Server,
    base_env,
    free_port,
    migrated_database,
    postgres_admin,
    relief_cli,
    serving,
    start_server,
    stop_server,
)

__all__ = [
    "ANSWER_S",
    "DEMO_PASSWORD",
    "POSTGRES_ADMIN_URL",
    "ROOT",
    "STARTUP_S",
    "TEST_UPLOAD_LIMIT",
    "Backend",
    "Server",
    "base_env",
    "free_port",
    "migrated_database",
    "postgres_admin",
    "relief_cli",
    "serving",
    "start_server",
    "stop_server",
]
