"""Settings: one typed object, read from ``RELIEF_`` environment variables and ``.env``."""

from __future__ import annotations

import os
import re
import secrets
from functools import lru_cache
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator, model_validator
from pydantic_settings import BaseSettings, SettingsConfigDict
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

DEV_SECRET_PREFIX = "dev-"
ENV_FILE = Path(".env")
# An origin as a browser sends it in the Origin header: scheme://host[:port], nothing after.
_ORIGIN = re.compile(r"https?://(\[[0-9a-f:.]+\]|[a-z0-9.-]+)(:[0-9]{1,5})?")


# The service runs on asyncio: every database URL is served by one of these async drivers,
# whichever driver (or none) the URL names, so the URLs people paste work as they are.
_ASYNC_DRIVERS = {"sqlite": "sqlite+aiosqlite", "postgresql": "postgresql+asyncpg"}
_BACKEND_ALIASES = {"postgres": "postgresql"}  # Heroku-style and libpq-style URLs
_LIBPQ_SSLMODE = re.compile(r"([?&])sslmode=")
_WHAT_TO_WRITE = "write sqlite:///path/to/relief.db or postgresql://user@host[:port]/database"


def async_database_url(url: str) -> str:
    """``url`` with the async driver of its database: ``sqlite:///var/x.db`` becomes
    ``sqlite+aiosqlite:///var/x.db``, ``postgresql://u@h/db`` (or ``postgres://``, or a
    psycopg URL) becomes ``postgresql+asyncpg://u@h/db``; libpq's ``sslmode`` becomes asyncpg's
    ``ssl``. Raises ValueError, in one line that says what to write, for anything else."""
    try:
        parsed = make_url(url.strip())
    except ArgumentError:
        raise ValueError(f"RELIEF_DATABASE_URL is not a database URL; {_WHAT_TO_WRITE}") from None
    backend = parsed.drivername.split("+", 1)[0]
    backend = _BACKEND_ALIASES.get(backend, backend)
    if backend not in _ASYNC_DRIVERS:
        raise ValueError(
            f"RELIEF_DATABASE_URL names {backend!r}: relief runs on SQLite or PostgreSQL; "
            + _WHAT_TO_WRITE
        )
    # Only the scheme changes: the rest stays as written (make_url would re-quote a path
    # holding spaces or Chinese characters).
    rest = url.strip().split("://", 1)[1]
    if backend == "postgresql":
        rest = _LIBPQ_SSLMODE.sub(r"\1ssl=", rest)
    return f"{_ASYNC_DRIVERS[backend]}://{rest}"


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="RELIEF_", env_file=".env", extra="ignore")

    env: Literal["development", "test", "production"] = "development"
    # Any SQLite or PostgreSQL URL; the validator below gives it the async driver.
    database_url: str = Field(default="sqlite:///./var/relief.db", validate_default=True)
    host: str = "127.0.0.1"
    port: int = 8000
    # Signing key for access tokens. Never in the repo: generated into .env for development.
    secret_key: str = ""
    jwt_algorithm: Literal["HS256", "HS384", "HS512"] = "HS256"
    token_ttl_minutes: int = 60
    # How long a server process reuses a user's row (roles, jurisdiction, active) between
    # requests instead of reading it again: a disabled user or a changed role takes effect
    # within this many seconds. 0 reads it on every request.
    user_cache_seconds: float = Field(default=5.0, ge=0, le=60)
    # Logging in (service/auth/throttle.py; counted in the database, so shared by every
    # process and replica). Failed logins of one username from one client address within the
    # window before that pair is locked (429) until the window frees it; other addresses are
    # not locked out by it.
    login_max_failures: int = Field(default=5, ge=1)
    login_window_seconds: int = Field(default=900, ge=60)
    # Failed logins of one username from every address within the window after which each
    # further attempt from an address the user has not logged in from lately is slowed: it
    # must wait 2, 4, 8 … seconds (at most login_max_delay_seconds) after the last failure.
    login_slow_after_failures: int = Field(default=10, ge=1)
    login_max_delay_seconds: int = Field(default=60, ge=1, le=900)
    # An address the user logged in from within this many days is "usual": it is not slowed.
    login_usual_address_days: int = Field(default=30, ge=1, le=365)
    # Failed logins from one client address, whatever the usernames, within the window
    # (password spraying): then the address is locked until the window frees it.
    login_max_failures_per_address: int = Field(default=50, ge=1)
    # Logins of one username from one address per minute, successful or not (each costs an
    # argon2 verification): then 429.
    login_max_per_minute: int = Field(default=20, ge=1)
    # Password verifications (argon2, 64 MiB each) one process runs at once; unset: half the
    # cores, at least one. A login that finds them all busy waits at most the seconds below,
    # then gets 503 with Retry-After.
    password_verify_concurrency: int | None = Field(default=None, ge=1, le=256)
    password_verify_wait_seconds: float = Field(default=2.0, ge=0, le=30)
    # Passwords follow NIST SP 800-63B (service/auth/passwords.py): at least this many
    # characters, at most 128, no composition rules; common and guessable ones are refused.
    password_min_length: int = Field(default=12, ge=8, le=128)
    # Full personal numbers an auditor may reveal per hour (one case each; then 429).
    reveal_max_per_hour: int = 20
    # Public notice 公示 after county approval, in calendar days; 0 ends it as it opens (for
    # tests and demos: the policy wants one). Objections: per client address per hour, and size.
    notice_days: int = Field(default=7, ge=0, le=60)
    objection_max_per_hour: int = Field(default=5, ge=1)
    objection_max_chars: int = Field(default=2000, ge=100, le=20000)
    # The web console's session cookie (service/web): a login lasts this long from the moment
    # it was made, whatever the activity; then the user logs in again.
    web_session_minutes: int = Field(default=480, ge=5, le=24 * 60)
    # Send the session cookie over HTTPS only. Unset: on in production, off elsewhere (so
    # `make run` works on http://127.0.0.1:8000).
    web_cookie_secure: bool | None = None
    # The API's interactive docs, /docs (Swagger UI) and /redoc, from vendored files. Unset: on,
    # except with RELIEF_ENV=production, where they answer 404 unless set to true. The schema
    # (/openapi.json) is served either way: clients generate their code from it.
    api_docs: bool | None = None
    files_dir: Path = Path("var/files")
    max_upload_bytes: int = 10 * 1024 * 1024
    # One uploaded BPMN or DMN file (RELIEF_MAX_FLOW_BYTES); flows are text, a few KB each.
    max_flow_bytes: int = 2 * 1024 * 1024
    # Any other request body (JSON, forms): submissions are a few kilobytes.
    max_body_bytes: int = 1024 * 1024
    # Browser origins that may call the API from their pages (CORS), as a JSON list:
    # RELIEF_CORS_ORIGINS='["https://console.example.gov.cn"]'. Empty: no CORS at all.
    cors_origins: list[str] = []
    # Offices work on China Standard Time: "this year" and dates are judged there.
    timezone: str = "Asia/Shanghai"
    # Wall-clock bound on one gateway condition or script of a flow.
    expression_timeout_ms: int = 200
    log_level: str = "INFO"
    # uvicorn (relief serve): how long an idle keep-alive connection is kept; how many
    # connections and requests one process accepts at once before answering 503; the largest
    # request head (request line and headers) h11 buffers before refusing it. Slow clients
    # (slowloris) are the reverse proxy's to absorb (docs/operations.md).
    keep_alive_seconds: int = Field(default=5, ge=1, le=300)
    max_concurrency: int = Field(default=1000, ge=1)
    max_header_bytes: int = Field(default=16 * 1024, ge=1024, le=1024 * 1024)
    # The proxies whose X-Forwarded-For / X-Forwarded-Proto are believed (comma-separated
    # addresses or networks, "*" for any): the client address of the login and objection limits
    # is the forwarded one only when the connection comes from one of these.
    forwarded_allow_ips: str = "127.0.0.1"
    # Holidays and worked weekends for deadlines in working days (default workflows/calendar.yaml).
    calendar_file: Path | None = None
    # The key that signs audit anchors (HMAC-SHA256). Empty: one derived from the secret key;
    # set it (and keep it) where the signing key must outlive a rotation of the token secret.
    anchor_key: str = ""
    # How often the worker anchors each county chain whose head has moved.
    anchor_interval_seconds: float = 3600.0
    # How long the first answer to an Idempotency-Key is kept for retries; older records are
    # deleted by the worker. A retry after that runs again and meets the state it left (409).
    idempotency_retention_hours: float = Field(default=168.0, gt=0)
    # Tests move time instead of sleeping: a file holding the current instant (ISO 8601) or an
    # offset in seconds ("+86400"). Refused in production.
    clock_file: Path | None = None
    # The worker: how often it looks for due work, how many tries a job gets and the first
    # pause between them (doubling each time); `make run` runs it inside the server.
    worker_interval_seconds: float = 5.0
    worker_in_process: bool = False
    job_max_attempts: int = 5
    job_backoff_seconds: float = 30.0
    # Messages to people (the outbox): staff notices, and applicants' SMS when no gateway is
    # set, are appended as JSON lines to this file (phone numbers masked in it).
    notify_file: Path = Path("var/notifications.jsonl")
    # An HTTP SMS gateway for applicants' messages: POST JSON {to, text, idempotency_key} with
    # "Authorization: Bearer <token>"; unset, applicants' messages go to the file above.
    sms_url: str | None = None
    sms_token: str = ""
    sms_timeout_seconds: float = 5.0

    @field_validator("database_url")
    @classmethod
    def _async_driver(cls, url: str) -> str:
        return async_database_url(url)

    @field_validator("cors_origins")
    @classmethod
    def _exact_origins_only(cls, origins: list[str]) -> list[str]:
        origins = [origin.lower() for origin in origins]  # browsers send them in lower case
        for origin in origins:
            if "*" in origin:
                raise ValueError(
                    "RELIEF_CORS_ORIGINS refuses wildcards: the API answers personal data to "
                    "bearer tokens, so name each allowed origin exactly (https://host[:port])"
                )
            if not _ORIGIN.fullmatch(origin):
                raise ValueError(
                    f"RELIEF_CORS_ORIGINS: {origin!r} is not an origin; give scheme://host[:port] "
                    "with no path and no trailing slash, as browsers send it"
                )
        return origins

    @model_validator(mode="after")
    def _refuse_unsafe_production(self) -> Settings:
        if self.env != "production":
            return self
        if not self.secret_key or self.secret_key.startswith(DEV_SECRET_PREFIX):
            raise ValueError(
                "RELIEF_ENV=production refuses the development secret: set RELIEF_SECRET_KEY "
                "to a random value of at least 32 characters"
            )
        if self.sms_url and not self.sms_url.lower().startswith("https://"):
            raise ValueError(
                "RELIEF_SMS_URL must be https:// in production: the token and the applicants' "
                "phone numbers go to it"
            )
        if self.clock_file is not None:
            raise ValueError("RELIEF_CLOCK_FILE moves time for tests; production uses real time")
        if len(self.secret_key) < 32:
            raise ValueError("RELIEF_SECRET_KEY must have at least 32 characters in production")
        sqlite_path = self.sqlite_path
        if sqlite_path is not None:
            folder = sqlite_path.parent
            writable = (
                os.access(sqlite_path, os.W_OK)
                if sqlite_path.exists()
                else folder.is_dir() and os.access(folder, os.W_OK)
            )
            if not writable:
                raise ValueError(
                    f"RELIEF_ENV=production: SQLite path {sqlite_path} is not writable"
                )
        return self

    @property
    def api_docs_enabled(self) -> bool:
        return self.api_docs if self.api_docs is not None else self.env != "production"

    @property
    def is_sqlite(self) -> bool:
        return self.database_url.startswith("sqlite")

    @property
    def sqlite_path(self) -> Path | None:
        if not self.is_sqlite:
            return None
        path = self.database_url.split("///", 1)[1] if "///" in self.database_url else ""
        return Path(path) if path and path != ":memory:" else None


def _write_dev_secret() -> str:
    """Generate a development signing key into .env so restarts keep sessions valid."""
    secret = DEV_SECRET_PREFIX + secrets.token_urlsafe(32)
    with ENV_FILE.open("a", encoding="utf-8") as env_file:
        env_file.write("\n# generated for development by relief; never use in production\n")
        env_file.write(f"RELIEF_SECRET_KEY={secret}\n")
    return secret


@lru_cache
def get_settings() -> Settings:
    settings = Settings()
    if not settings.secret_key and settings.env != "production":
        settings = Settings(secret_key=_write_dev_secret())
    return settings
