"""Unit tests of the pure rules, in this process: no server, no database, no subprocess.

``make test-quick`` runs them with the rest of the quick suite; alone they take seconds:
``.venv/bin/python -m pytest -q tests/unit``. Settings come from a clean environment (the
developer's RELIEF_ variables and .env do not change a rule's outcome), and ``now`` is what a
test writes into ``clock`` (RELIEF_CLOCK_FILE, as the server tests move time).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from datetime import datetime
from pathlib import Path

import pytest
import yaml

from service.config import get_settings
from service.deadlines import service as deadlines_service
from service.notices import service as notices_service
from service.programs.models import Program
from service.programs.service import CATALOGUE, _program_fields

SetClock = Callable[[datetime], None]


@pytest.fixture(scope="module", autouse=True)
def _settings(tmp_path_factory: pytest.TempPathFactory) -> Iterator[Path]:
    clock_file = tmp_path_factory.mktemp("clock") / "now"
    with pytest.MonkeyPatch.context() as patch:
        for name in [name for name in os.environ if name.startswith("RELIEF_")]:
            patch.delenv(name)
        patch.setenv("RELIEF_ENV", "test")
        patch.setenv("RELIEF_SECRET_KEY", "test-unit-" + uuid.uuid4().hex + uuid.uuid4().hex)
        patch.setenv("RELIEF_NOTICE_DAYS", "0")
        patch.setenv("RELIEF_CLOCK_FILE", str(clock_file))
        get_settings.cache_clear()
        # What the server does at start: offer deadline() and notice_end() to flows.
        deadlines_service.install()
        notices_service.install()
        yield clock_file
    get_settings.cache_clear()


@pytest.fixture
def clock(_settings: Path) -> Iterator[SetClock]:
    """Set the service's ``now`` (until the test ends; real time before the first call)."""

    def set_now(moment: datetime) -> None:
        assert moment.tzinfo is not None
        written = _settings.with_suffix(".new")
        written.write_text(moment.isoformat(), encoding="utf-8")
        written.replace(_settings)  # a new file: the clock reads it again

    yield set_now
    _settings.unlink(missing_ok=True)


@pytest.fixture(scope="module")
def programs(_settings: Path) -> dict[str, Program]:
    """The shipped catalogue (workflows/programs.yaml), as the service loads it."""
    entries = yaml.safe_load(CATALOGUE.read_text(encoding="utf-8"))["programs"]
    return {entry["code"]: Program(**_program_fields(entry)) for entry in entries}
