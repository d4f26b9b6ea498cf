"""The users behind verified credentials, read through a short per-process cache.

A token or console session names a user id; every authenticated request needs that user's row
(roles, jurisdiction, whether still active). The cache makes that one read per user per few
seconds per process (``RELIEF_USER_CACHE_SECONDS``) instead of one per request.
"""

from __future__ import annotations

import copy
import time
from typing import Any

from sqlalchemy.orm import make_transient_to_detached

from service.auth.models import User
from service.config import get_settings
from service.db import get_database

# user id → (monotonic expiry, column values): one row read per user per few seconds per
# process instead of one per request (a round trip and an ORM load on every call).
_recent_users: dict[int, tuple[float, dict[str, Any]]] = {}


async def active_user(user_id: int) -> User | None:
    """The user behind a verified credential (a token or a web session), if still active;
    read through the per-process cache like every authenticated request."""
    user = await load_user(user_id, get_settings().user_cache_seconds)
    return user if user is not None and user.active else None


def forget_user(user_id: int) -> None:
    """Read the user's row again on their next request in this process (after a change that
    must take effect at once here; other processes follow within the cache's seconds)."""
    _recent_users.pop(user_id, None)


async def load_user(user_id: int, cache_seconds: float) -> User | None:
    now = time.monotonic()
    recent = _recent_users.get(user_id)
    if recent is not None and recent[0] > now:
        # A new detached object per request, as a session would give: requests never share
        # one, and a command may still attach it to its own session.
        user = User(**copy.deepcopy(recent[1]))
        make_transient_to_detached(user)
        return user
    # A short session of its own: the connection goes back to the pool before the command
    # runs, so a write request holds one connection, not two.
    async with get_database().read_sessions() as session:
        stored = await session.get(User, user_id)
    if stored is not None and cache_seconds > 0:
        if len(_recent_users) > 10_000:  # bounded: ids come only from valid tokens
            _recent_users.clear()
        _recent_users[user_id] = (now + cache_seconds, stored.model_dump())
    return stored
