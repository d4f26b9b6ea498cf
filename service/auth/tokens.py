"""Access tokens: JWTs signed with python-jose; only the configured algorithm is accepted."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from jose import JWTError, jwt

from service.config import Settings
from service.errors import NotAuthenticated


def issue_token(settings: Settings, *, user_id: int, username: str) -> tuple[str, int]:
    # Real time, not the service's movable clock: python-jose checks exp and nbf against the
    # system clock, and a token's lifetime is security, not business time.
    now = datetime.now(UTC)
    ttl = timedelta(minutes=settings.token_ttl_minutes)
    claims = {"sub": str(user_id), "name": username, "iat": now, "nbf": now, "exp": now + ttl}
    token = jwt.encode(claims, settings.secret_key, algorithm=settings.jwt_algorithm)
    return token, int(ttl.total_seconds())


def read_token(settings: Settings, token: str) -> int:
    """Return the user id of a valid token; anything else is 401."""
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
        return user_id
    except NotAuthenticated:
        raise
    except (JWTError, ValueError, KeyError, TypeError):
        raise NotAuthenticated("invalid or expired token", code="token-invalid") from None
