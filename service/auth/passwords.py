"""Passwords: hashing with argon2 (pwdlib) and the policy new passwords must meet.

Hashes are verified at login (and on a password change) only, never per request. Each
verification or hashing takes argon2's 64 MiB and ~0.2 s of a core, so a process runs at most
``RELIEF_PASSWORD_VERIFY_CONCURRENCY`` of them at once (half the cores by default); a login that
finds every slot busy waits ``RELIEF_PASSWORD_VERIFY_WAIT_SECONDS`` at most, then is refused
with 503 and ``Retry-After`` (``slots``; a login checks its limits again once it holds
one, ``auth.service._verify``; ``hash_bounded``). Eighty concurrent logins
then cost a few slots' memory, not eighty times 64 MiB, and leave cores to the other pages.

The policy follows NIST SP 800-63B (5.1.1.2, memorized secrets): a minimum length
(``RELIEF_PASSWORD_MIN_LENGTH``, 12 by default) and a maximum of 128 characters, any characters
(spaces and Chinese included), and no composition rules (no "one digit, one capital"). Refused
instead are the secrets an attacker tries first: common or breached passwords
(``common_passwords.txt``, also with digits or symbols around them and in simple l33t
spelling), the service's own name, the username, one character repeated, a repeated pattern and
simple sequences (``abcd…``, ``1234…``, keyboard rows). The reasons never quote the password.
"""

from __future__ import annotations

import asyncio
import math
import os
import re
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from functools import cache
from importlib import resources

from anyio import to_thread
from pwdlib import PasswordHash

from service.config import get_settings
from service.errors import ServiceBusy

MAX_LENGTH = 128  # argon2 hashes all of it: the bound keeps a login from being made expensive

_hasher = PasswordHash.recommended()
# Compared against when the username is unknown, so both paths cost one argon2 verification.
_DUMMY_HASH = _hasher.hash("relief-timing-equaliser")


def hash_password(password: str) -> str:
    return _hasher.hash(password)


def verify_password(password: str, password_hash: str | None) -> bool:
    return _hasher.verify(password, password_hash or _DUMMY_HASH)


class Slots:
    """At most ``size`` argon2 computations of this process at once; the next waits up to
    ``wait_seconds`` for one to end, then is refused (503, ``password-checks-busy``). One
    event loop per process, so an asyncio semaphore is the whole bound."""

    def __init__(self, size: int, wait_seconds: float) -> None:
        self.size = size
        self.wait_seconds = wait_seconds
        self.held = 0  # slots taken now
        self._semaphore = asyncio.Semaphore(size)

    @asynccontextmanager
    async def slot(self) -> AsyncIterator[None]:
        if self._semaphore.locked() and self.wait_seconds <= 0:
            raise self._busy()
        try:
            async with asyncio.timeout(self.wait_seconds or None):
                await self._semaphore.acquire()
        except TimeoutError:
            raise self._busy() from None
        self.held += 1
        try:
            yield
        finally:
            self.held -= 1
            self._semaphore.release()

    def _busy(self) -> ServiceBusy:
        wait = max(1, math.ceil(self.wait_seconds))
        return ServiceBusy(
            f"too many passwords are being checked at once; try again in {wait} seconds",
            retry_after=wait,
            code="password-checks-busy",
            params={"retry_after": wait},
        )


def cores() -> int:
    """The cores this process may run on (its affinity, as a container limits it)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not on Linux
        return os.cpu_count() or 1


_slots: Slots | None = None


def default_slots() -> int:
    """Half the cores, at least one. One argon2 verification (p=4 lanes) already keeps two
    cores busy: on the 2-core machine one slot left /public/notices at p95 79–166 ms during
    80 concurrent logins, two slots at ~640 ms, with no more logins done (docs/benchmarks.md)."""
    return max(1, cores() // 2)


def slots() -> Slots:
    """This process's slots, sized by the settings on first use."""
    global _slots
    if _slots is None:
        settings = get_settings()
        size = settings.password_verify_concurrency or default_slots()
        _slots = Slots(size, settings.password_verify_wait_seconds)
    return _slots


async def hash_bounded(password: str) -> str:
    """``hash_password`` in a slot, off the event loop."""
    async with slots().slot():
        return await to_thread.run_sync(hash_password, password)


# --- the policy ----------------------------------------------------------------------------

# Context-specific words (NIST: "the name of the service"), refused like common passwords.
SERVICE_WORDS = frozenset({"relief", "reliefdemo", "relief-demo", "relief_demo"})
# Runs that count as a "simple sequence": the alphabet and the digits wrap around
# ("…xyzabc", "…7890123"); keyboard rows and columns do not.
_CYCLIC = ("abcdefghijklmnopqrstuvwxyz", "0123456789")
_KEYBOARD = (
    "qwertyuiopasdfghjklzxcvbnm",
    "qwertyuiop[]\\",
    "asdfghjkl;'",
    "zxcvbnm,./",
    "`1234567890-=",
    "~!@#$%^&*()_+",
    "qazwsxedcrfvtgbyhnujmikolp",
    "1qaz2wsx3edc4rfv5tgb6yhn7ujm8ik,9ol.0p;/-['=]",
    "zaq1xsw2cde3vfr4bgt5nhy6mju7,ki8.lo9/;p0",
    "1q2w3e4r5t6y7u8i9o0p",
    "q1w2e3r4t5y6u7i8o9p0",
)
# Digits and symbols around a word ("Password2024!"): stripped before the list is consulted.
_AFFIXES = re.compile(r"([\W\d_]*)(.*?)([\W\d_]*)", re.DOTALL)
_MAX_PLAIN_AFFIXES = 6  # longer random affixes make the word only part of the secret
_MIN_WORD = 4
_LEET_LETTERS = {"@": "a", "4": "a", "8": "b", "3": "e", "9": "g", "!": "i", "0": "o"}
_LEET_LETTERS |= {"$": "s", "5": "s", "7": "t", "+": "t"}
_LEET = (  # "1" stands for an i as often as for an l
    str.maketrans(_LEET_LETTERS | {"1": "i"}),
    str.maketrans(_LEET_LETTERS | {"1": "l"}),
)
_USERNAME_PARTS = re.compile(r"[._@\-\s]+")

TOO_SHORT = "must have at least {minimum} characters"
TOO_LONG = f"must have at most {MAX_LENGTH} characters"
HAS_USERNAME = "must not contain the username"
SIMPLE = "must not be one character repeated, a repeated pattern or a simple sequence"
COMMON = "must not be a commonly used password, nor one with digits or symbols around it"


@cache
def common_passwords() -> frozenset[str]:
    """The blocklist, lower case, read once from the file shipped beside this module."""
    text = resources.files("service.auth").joinpath("common_passwords.txt").read_text("utf-8")
    lines = (line.strip() for line in text.splitlines())
    return frozenset(line for line in lines if line and not line.startswith("#"))


def _in_sequence(text: str) -> bool:
    """``text`` runs along the alphabet, the digits or a keyboard line, either way round."""
    if len(text) < 3:
        return False
    for line in (*_CYCLIC, *_KEYBOARD):
        wraps = line in _CYCLIC
        track = line * (len(text) // len(line) + 2) if wraps else line
        if text in track or text[::-1] in track:
            return True
    return False


def is_simple(text: str) -> bool:
    """One character repeated, a repeated pattern ("abcabc…"), or a simple sequence."""
    if not text:
        return True
    if len(set(text)) == 1:
        return True
    if text in (text + text)[1:-1]:  # a whole number of repetitions of a shorter unit
        return True
    return _in_sequence(text)


def _contains_username(lowered: str, username: str) -> bool:
    name = username.strip().lower()
    if len(name) >= 3 and name in lowered:
        return True
    parts = [part for part in _USERNAME_PARTS.split(name) if len(part) >= _MIN_WORD]
    return any(part in lowered for part in parts)


def _candidates(lowered: str) -> set[str]:
    """The password, and its word without simple or short affixes, as typed and de-l33ted."""
    found = {lowered}
    match = _AFFIXES.fullmatch(lowered)
    if match:
        prefix, word, suffix = match.groups()
        plain = len(prefix) + len(suffix) <= _MAX_PLAIN_AFFIXES
        simple = all(is_simple(affix) for affix in (prefix, suffix) if affix)
        if len(word) >= _MIN_WORD and (plain or simple):
            found.add(word)
    found |= {text.translate(table) for text in list(found) for table in _LEET}
    return found


def _is_common(lowered: str) -> bool:
    blocked = common_passwords()
    return any(
        candidate in blocked or candidate in SERVICE_WORDS for candidate in _candidates(lowered)
    )


def check_policy(password: str, *, username: str, min_length: int | None = None) -> list[str]:
    """Why ``password`` may not be used by ``username``: one reason per rule it breaks, none
    when it is fine. ``min_length`` defaults to ``RELIEF_PASSWORD_MIN_LENGTH``."""
    if min_length is None:
        min_length = get_settings().password_min_length
    reasons = []
    if len(password) < min_length:
        reasons.append(TOO_SHORT.format(minimum=min_length))
    if len(password) > MAX_LENGTH:
        reasons.append(TOO_LONG)
        return reasons  # nothing else is worth computing on it
    lowered = password.lower()
    if _contains_username(lowered, username):
        reasons.append(HAS_USERNAME)
    if is_simple(lowered):
        reasons.append(SIMPLE)
    elif _is_common(lowered):
        reasons.append(COMMON)
    return reasons
