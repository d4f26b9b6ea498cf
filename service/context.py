"""Per-request context that deep layers need without threading it through every call."""

from __future__ import annotations

from contextvars import ContextVar

request_id_var: ContextVar[str | None] = ContextVar("request_id", default=None)
# The logged-in caller (a User) in the ASGI scope, set by ``current_user``: the problem handlers
# run after the request's dependencies have closed and record refusals of that user.
CALLER_SCOPE_KEY = "relief.user"
