"""docs/api-walkthrough.md is executed, so it cannot drift from what the service prints.

The page's ```bash blocks run in order in one ``bash -euo pipefail`` process (a block sees the
variables and functions of the blocks before it), from a scratch folder that holds the
repository's ``workflows/`` and ``.venv/`` as a reader's checkout does. What a block prints
must match the ```text block right after it, where there is one: ``…`` alone on a line stands
for any number of lines, ``…`` inside a line for any text on that line. A block that fails, or
prints something else, fails the test and names the block by its line in the page.

The walks start from a fresh database, as the page asks its reader to: activating a flow
version changes every new case of a program, and the yearly runs take every enrolled household
of the county, so they never run against the session's shared server (see
``tests/flows/helpers.py``). The page's first part runs against a server like ``make run``'s
(the public notice ends as it opens); the part after the marker ``<!-- walkthrough: clock -->``
against one with a 7-day notice and a clock file at ``var/clock`` of the scratch folder, after
the page's first block (the helpers) again, as the page asks.
"""

from __future__ import annotations

import re
import subprocess
import sys
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pytest

from tests.flows.helpers import OwnServer, own_server

ROOT = Path(__file__).resolve().parents[2]
PAGE = ROOT / "docs" / "api-walkthrough.md"
CLOCK_MARKER = "<!-- walkthrough: clock -->"
CODE = {"bash", "sh"}
OUTPUT = {"text"}
ELIDED = "…"
WALK_TIMEOUT_S = 600  # a hang guard, not a speed bound


@dataclass
class Block:
    line: int  # of the opening fence, 1-based, for the failure message
    code: str
    expected: str | None  # the output block right after it, if any
    part: str  # "main" or "clock"


def page_blocks(text: str) -> list[Block]:
    """The page's shell blocks in order, each with the output block that follows it."""
    lines = text.splitlines()
    fences: list[tuple[int, str, str]] = []  # (line, language, body)
    marker_at = next((n for n, line in enumerate(lines) if line.strip() == CLOCK_MARKER), None)
    n = 0
    while n < len(lines):
        opening = re.fullmatch(r"```(\S*)\s*", lines[n])
        if opening is None:
            n += 1
            continue
        end = next(e for e in range(n + 1, len(lines)) if lines[e].rstrip() == "```")
        fences.append((n, opening[1], "\n".join(lines[n + 1 : end]) + "\n"))
        n = end + 1
    blocks: list[Block] = []
    for index, (start, language, body) in enumerate(fences):
        if language not in CODE:
            continue
        expected = None
        if index + 1 < len(fences):
            following, next_language, next_body = fences[index + 1]
            closing = start + body.count("\n") + 1
            between = lines[closing + 1 : following]
            if next_language in OUTPUT and not any(line.strip() for line in between):
                expected = next_body
        part = "clock" if marker_at is not None and start > marker_at else "main"
        blocks.append(Block(start + 1, body, expected, part))
    return blocks


def matches(expected: str, actual: str) -> bool:
    """``actual`` is ``expected``, where a line ``…`` is any lines and ``…`` in a line any text."""
    pattern = []
    for line in expected.rstrip("\n").split("\n"):
        if line.strip() == ELIDED:
            pattern.append(r"(?:[^\n]*\n)*?")
        else:
            parts = (re.escape(part) for part in line.rstrip().split(ELIDED))
            pattern.append("[^\n]*?".join(parts) + r"[ \t]*\n")
    cleaned = "".join(line.rstrip() + "\n" for line in actual.rstrip("\n").split("\n"))
    return re.fullmatch("".join(pattern), cleaned) is not None


def run_walk(blocks: list[Block], env: dict[str, str], folder: Path) -> None:
    """Run ``blocks`` in one bash in ``folder``; fail at the first that fails or differs."""
    script = []
    for number, block in enumerate(blocks):
        script.append(f"printf '\\n@@block {number}@@\\n'\n{block.code}")
    script.append("printf '\\n@@end@@\\n'\n")
    done = subprocess.run(
        ["bash", "-euo", "pipefail", "-c", "\n".join(script)],
        cwd=folder,
        env=env,
        capture_output=True,
        text=True,
        timeout=WALK_TIMEOUT_S,
    )
    pieces = re.split(r"\n?@@block (\d+)@@\n", done.stdout)
    outputs = {int(number): text for number, text in zip(pieces[1::2], pieces[2::2], strict=True)}
    finished = "\n@@end@@\n" in done.stdout
    for number, block in enumerate(blocks):
        printed = outputs.get(number, "").split("\n@@end@@\n")[0]
        last = number == max(outputs, default=-1)
        if last and not finished:
            pytest.fail(
                f"the block at {PAGE.name}:{block.line} failed (exit {done.returncode}):\n"
                f"{block.code}\n--- it printed:\n{printed}\n--- stderr:\n{done.stderr[-4000:]}"
            )
        if block.expected is not None and not matches(block.expected, printed):
            pytest.fail(
                f"the block at {PAGE.name}:{block.line} printed something else:\n{block.code}\n"
                f"--- the page says:\n{block.expected}--- it printed:\n{printed}"
            )
    assert finished, done.stderr[-4000:]
    assert done.returncode == 0, done.stderr[-4000:]


def scratch_folder(folder: Path) -> Path:
    """A reader's working directory: the repository's workflows and virtual environment."""
    folder.mkdir(parents=True, exist_ok=True)
    (folder / "workflows").symlink_to(ROOT / "workflows")
    (folder / ".venv").symlink_to(Path(sys.prefix))
    (folder / "var").mkdir()
    return folder


def walk_env(server: OwnServer, url: str) -> dict[str, str]:
    env = {**server.backend.env, "API": f"{url}/api/v1", "LC_ALL": "C.UTF-8"}
    env.pop("RELIEF_LOG_LEVEL", None)  # the commands' own lines, as a reader sees them
    return env


@pytest.fixture(params=["sqlite", "postgres"])
def kind(request: pytest.FixtureRequest) -> str:
    return str(request.param)


def test_the_page_has_both_parts_and_every_block_is_checked_or_silent() -> None:
    blocks = page_blocks(PAGE.read_text(encoding="utf-8"))
    assert {block.part for block in blocks} == {"main", "clock"}
    assert sum(block.expected is not None for block in blocks) >= len(blocks) // 2


@pytest.fixture
def scratch(tmp_path: Path) -> Path:
    return scratch_folder(tmp_path / "walk")


@pytest.mark.slow
def test_the_api_walkthrough_prints_what_the_page_says(
    kind: str, tmp_path: Path, scratch: Path
) -> None:
    blocks = page_blocks(PAGE.read_text(encoding="utf-8"))
    main = [block for block in blocks if block.part == "main"]
    # The page asks its reader to paste the helpers (its first block) again in a new shell.
    clocked = [blocks[0], *(block for block in blocks if block.part == "clock")]
    (tmp_path / "main").mkdir()
    (tmp_path / "clock").mkdir()
    with own_server(kind, tmp_path / "main") as server:
        assert server.api is not None
        run_walk(main, walk_env(server, server.api.server.url), scratch)
    clock = scratch / "var" / "clock"
    settings = {
        "RELIEF_NOTICE_DAYS": "7",
        "RELIEF_CLOCK_FILE": str(clock),
        "RELIEF_NOTIFY_FILE": str(scratch / "var" / "notifications.jsonl"),
    }
    # Any time will do until the page's first block of this part sets its own.
    clock.write_text(datetime.now(UTC).isoformat())
    with own_server(kind, tmp_path / "clock", **settings) as server:
        assert server.api is not None
        run_walk(clocked, walk_env(server, server.api.server.url), scratch)
