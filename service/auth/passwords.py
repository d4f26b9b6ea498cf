"""Password hashing with argon2 (pwdlib). Verified at login only, never per request."""

from __future__ import annotations

from pwdlib import PasswordHash

_hasher = PasswordHash.recommended()
# Compared against when the username is unknown, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash("relief-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return _hasher.verify(password, password_hash or _DUMMY_HASH)
