"""Login throttling: after repeated failures an account (or an address) must wait.

Counts failures per username and per client address in a sliding window, in this process's
memory. Throttled attempts are refused before the password is checked, so a flood of guesses
costs neither argon2 time nor audit-trail entries; the moment an account is locked is itself
recorded once. With several API replicas each keeps its own counts (a shared store is the next
step at scale).
"""

from __future__ import annotations

import time
from collections import defaultdict, deque
from threading import Lock

from service.config import get_settings


class LoginThrottle:
    def __init__(self) -> None:
        self._failures: dict[str, deque[float]] = defaultdict(deque)
        self._lock = Lock()

    def _recent(self, key: str, now: float, window: float) -> deque[float]:
        attempts = self._failures[key]
        while attempts and attempts[0] <= now - window:
            attempts.popleft()
        return attempts

    def retry_after(self, *, username: str, address: str) -> int:
        """Seconds until another attempt is allowed; 0 when it is allowed now."""
        settings = get_settings()
        window = settings.login_window_seconds
        now = time.monotonic()
        waits = []
        with self._lock:
            for key, limit in (
                (f"user:{username}", settings.login_max_failures),
                (f"addr:{address}", settings.login_max_failures_per_address),
            ):
                attempts = self._recent(key, now, window)
                if len(attempts) >= limit:
                    waits.append(int(attempts[0] + window - now) + 1)
        return max(waits, default=0)

    def failed(self, *, username: str, address: str) -> bool:
        """Count a failure; True when this failure locks the account."""
        settings = get_settings()
        now = time.monotonic()
        with self._lock:
            for key in (f"user:{username}", f"addr:{address}"):
                self._recent(key, now, settings.login_window_seconds).append(now)
            return len(self._failures[f"user:{username}"]) == settings.login_max_failures

    def succeeded(self, *, username: str) -> None:
        with self._lock:
            self._failures.pop(f"user:{username}", None)


login_throttle = LoginThrottle()
