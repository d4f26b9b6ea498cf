"""Access tokens: JWTs signed with python-jose; only the configured algorithm is accepted.

A token carries the mark of its user's password hash (``pwd``, as the console's session cookie
does): a password change (``POST /auth/password``, ``relief users set-password``) changes the
hash, so every token issued before it is refused (401 ``token-revoked``) as soon as the server
reads the user's row again: at once in the process that changed it, within
``RELIEF_USER_CACHE_SECONDS`` in the others. The check reads the cached user: no query.
"""

from __future__ import annotations

import hashlib
import hmac
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt

from service.auth.models import User
from service.config import Settings
from service.errors import NotAuthenticated


def password_mark(user: User) -> str:
    """A short digest of the stored password hash: it changes when the password does. Not
    the hash: argon2's salt is not in it, so the mark is of no use to guess the password."""
    return hashlib.sha256(user.password_hash.encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Claims:
    user_id: int
    password_mark: str


def issue_token(settings: Settings, *, user: User) -> tuple[str, int]:
    # Real time, not the service's movable clock: python-jose checks exp and nbf against the
    # system clock, and a token's lifetime is security, not business time.
    assert user.id is not None
    now = datetime.now(UTC)
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    claims: dict[str, object] = {"sub": str(user.id), "name": user.username}
    claims |= {"pwd": password_mark(user), "iat": now, "nbf": now, "exp": now + ttl}
    token = jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)
    return token, int(ttl.total_seconds())


def still_valid_for(claims: Claims, user: User) -> bool:
    """The token was issued under the user's current password."""
    return hmac.compare_digest(claims.password_mark, password_mark(user))


def read_token(settings: Settings, token: str) -> Claims:
    """The claims of a valid token (checked against its user by ``still_valid_for``); anything
    else is 401."""
    try:
        header = jwt.get_unverified_header(token)
        # jose checks the algorithm too; refusing early also rejects "none" before any parsing.
        if header.get("alg") != settings.jwt_algorithm:
            raise NotAuthenticated("token algorithm not accepted", code="token-algorithm")
        claims = jwt.decode(
            token,
            settings.secret_key,
            algorithms=[settings.jwt_algorithm],
            options={"require_exp": True, "require_sub": True},
        )
        user_id = int(claims["sub"])
        if not 1 <= user_id <= 2**31 - 1:
            raise ValueError("subject out of range")
        mark = claims.get("pwd")
        if not isinstance(mark, str):  # issued before tokens carried it, or forged
            raise ValueError("no password mark")
        return Claims(user_id=user_id, password_mark=mark)
    except NotAuthenticated:
        raise
    except (JWTError, ValueError, KeyError, TypeError):
        raise NotAuthenticated("invalid or expired token", code="token-invalid") from None
