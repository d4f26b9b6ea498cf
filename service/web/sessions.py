"""The console's session: a signed cookie, and the CSRF token every form carries.

The cookie holds no personal data: the user id, a CSRF token, the login time, the language and
a mark of the password hash, signed with the service's secret (itsdangerous, HMAC-SHA1 over a
key derived with the salt below). It is HttpOnly (no script reads it), SameSite=Lax (other sites'
forms do not carry it) and Secure in production. A login lasts ``RELIEF_WEB_SESSION_MINUTES``
from the moment it was made; changing the password ends every session made before, because
the mark no longer matches. Logging out drops the cookie.

Forms carry the session's CSRF token in a hidden ``csrf_token`` field and HTMX requests in an
``X-CSRF-Token`` header (static/js/console.js); a request that changes anything without the
right token, or from another origin, is refused (403) before its handler runs.
"""

from __future__ import annotations

import hmac
import secrets
import time
from dataclasses import asdict, dataclass, field
from typing import Annotated, Any
from urllib.parse import urlsplit

from fastapi import Depends, Request, Response
from itsdangerous import BadSignature, URLSafeSerializer

from service.auth.models import User
from service.auth.tokens import password_mark
from service.config import get_settings
from service.errors import Forbidden
from service.web.i18n import DEFAULT_LANGUAGE, LANGUAGES

COOKIE = "relief_session"
CSRF_FIELD = "csrf_token"
CSRF_HEADER = "X-CSRF-Token"
_SALT = "relief.web.session"
_STATE_KEY = "relief_web_session"
SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})


class CsrfRefused(Forbidden):
    type, title = "csrf", "Form expired or not from this site"


def _new_csrf() -> str:
    return secrets.token_urlsafe(32)


@dataclass
class WebSession:
    csrf: str = field(default_factory=_new_csrf)
    started: float = field(default_factory=time.time)
    user_id: int | None = None
    password_mark: str | None = None
    language: str = DEFAULT_LANGUAGE
    # A message for the next page after a redirect ("Decision recorded"): a catalogue id (or
    # text already said in the session's language), whether it reports a success ("ok") or a
    # refusal ("error"), and the values of its %(name)s placeholders; shown once.
    flash: tuple[str, str, dict[str, Any]] | None = None
    # Not stored: whether the response must carry a new cookie.
    changed: bool = field(default=False, compare=False)

    def log_in(self, user: User) -> None:
        """A new session for the user: new CSRF token and start (no fixation of an old one)."""
        self.csrf, self.started = _new_csrf(), time.time()
        self.user_id, self.password_mark = user.id, password_mark(user)
        self.changed = True

    def still_valid_for(self, user: User) -> bool:
        """Not ended by a password change or by a logout (on any device) since it began."""
        ended = user.sessions_ended_at
        return password_mark(user) == self.password_mark and (
            ended is None or self.started > ended.timestamp()
        )

    def log_out(self) -> None:
        self.csrf, self.started = _new_csrf(), time.time()
        self.user_id = self.password_mark = None
        self.changed = True

    def tell(self, message: str, kind: str = "ok", params: dict[str, Any] | None = None) -> None:
        """Show ``message`` on the next page: translated there, in the language of that page,
        then given ``params`` (plain values: numbers, names, text already said)."""
        self.flash, self.changed = (message, kind, dict(params or {})), True

    def take_flash(self) -> tuple[str, str, dict[str, Any]] | None:
        flash, self.flash = self.flash, None
        if flash is not None:
            self.changed = True
        return flash

    def set_language(self, language: str) -> None:
        if language in LANGUAGES and language != self.language:
            self.language, self.changed = language, True


def _serializer() -> URLSafeSerializer:
    return URLSafeSerializer(get_settings().secret_key, salt=_SALT)


def _lifetime_seconds() -> int:
    return get_settings().web_session_minutes * 60


def _read(request: Request) -> WebSession:
    raw = request.cookies.get(COOKIE)
    if raw:
        try:
            stored: dict[str, Any] = _serializer().loads(raw)
            session = WebSession(
                csrf=str(stored["csrf"]),
                started=float(stored["started"]),
                user_id=stored.get("user_id"),
                password_mark=stored.get("password_mark"),
                language=str(stored.get("language", DEFAULT_LANGUAGE)),
                flash=_flash(stored.get("flash")),
            )
        except (BadSignature, KeyError, TypeError, ValueError):
            pass
        else:
            if time.time() - session.started <= _lifetime_seconds():
                return session
    return WebSession(changed=True)


def _flash(stored: Any) -> tuple[str, str, dict[str, Any]] | None:
    """The stored flash (a cookie of before its params were kept has two members)."""
    if not stored:
        return None
    message, kind, *rest = stored
    params = rest[0] if rest and isinstance(rest[0], dict) else {}
    return str(message), str(kind), params


def of(request: Request) -> WebSession:
    """The request's session, read once; a missing, forged or expired cookie gives a new,
    anonymous one (sent back with the response)."""
    session: WebSession | None = getattr(request.state, _STATE_KEY, None)
    if session is None:
        session = _read(request)
        setattr(request.state, _STATE_KEY, session)
    return session


async def web_session(request: Request) -> WebSession:
    return of(request)


WebSessionDep = Annotated[WebSession, Depends(web_session)]


def save(request: Request, response: Response) -> None:
    """Send the session cookie if this request changed (or started) the session."""
    session: WebSession | None = getattr(request.state, _STATE_KEY, None)
    if session is None or not session.changed:
        return
    settings = get_settings()
    secure = settings.web_cookie_secure
    if secure is None:
        secure = settings.env == "production"
    stored = {k: v for k, v in asdict(session).items() if k != "changed"}
    response.set_cookie(
        COOKIE,
        _serializer().dumps(stored),
        max_age=_lifetime_seconds(),
        path="/",
        httponly=True,
        samesite="lax",
        secure=secure,
    )


async def check_csrf(request: Request, session: WebSessionDep) -> None:
    """Refuse a state-changing request without this session's CSRF token, or sent by a page
    of another origin (the Origin header, when the browser sends one)."""
    if request.method in SAFE_METHODS:
        return
    origin = request.headers.get("origin")
    # "null" is what a sandboxed frame or a local file sends: never this site.
    if origin and (origin == "null" or urlsplit(origin).netloc != request.headers.get("host")):
        raise CsrfRefused("the form was sent from another site", code="csrf-cross-site")
    sent = request.headers.get(CSRF_HEADER)
    if sent is None:
        form = await request.form()
        value = form.get(CSRF_FIELD)
        sent = value if isinstance(value, str) else None
    if not sent or not hmac.compare_digest(sent.encode(), session.csrf.encode()):
        raise CsrfRefused(
            "the form has expired or did not come from this site; reload the page",
            code="csrf-expired",
        )


async def from_this_site(request: Request) -> None:
    """For the few GET links that leave a trace (a bank file, an audit export: each is an
    audit event): refuse them when another site's page starts them. Browsers say where a
    request came from in Sec-Fetch-Site; a typed or bookmarked address is "none"."""
    origin = request.headers.get("sec-fetch-site")
    if origin is not None and origin not in ("same-origin", "none"):
        raise CsrfRefused(
            "this download starts only from the console's own pages", code="csrf-download"
        )
