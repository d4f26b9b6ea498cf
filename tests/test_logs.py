"""The server's logs: JSON lines with request ids, and never a full ID, card or phone number.

A server of its own runs at DEBUG (the most an operator can ask for: libraries' lines with SQL
parameters included) with its output captured, drives a whole chain with a phone number up to
the payout and some refused requests, and then reads every line it wrote.
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import uuid
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

import httpx
import pytest
from stdnum import luhn

from service.masking import mask_text
from tests.conftest import ROOT, STARTUP_S, VILLAGE_CHAIN, Api, Backend, Server, start_server
from tests.factories import application

ID_NUMBER = re.compile(r"(?<![0-9])[0-9]{17}[0-9Xx](?![0-9Xx])")
CARD = re.compile(r"(?<![0-9])[0-9]{16,19}(?![0-9])")
MOBILE = re.compile(r"(?<![0-9])1[3-9][0-9]{9}(?![0-9])")
OWN_REQUEST_ID = re.compile(r'"request_id": "[0-9a-f]{32}"')


def phone() -> str:
    return "13" + str(uuid.uuid4().int)[:9]


@dataclass
class LoggedServer:
    server: Server
    process: subprocess.Popen[bytes]
    stdout: Path
    stderr: Path

    def stop(self) -> None:
        """Stop the server, so every line it wrote is in the files."""
        if self.process.poll() is None:
            self.process.terminate()
            self.process.wait(timeout=STARTUP_S)


@contextmanager
def serving_logged(backend: Backend, tmp_path: Path, *, workers: int = 1) -> Iterator[LoggedServer]:
    """``relief serve`` at DEBUG on the session's database; its stdout and stderr in files."""
    env = {**backend.env, "RELIEF_LOG_LEVEL": "DEBUG"}
    out, err = tmp_path / "stdout.log", tmp_path / "stderr.log"
    process, url = start_server(env, workers=workers, stdout=out, stderr=err)
    running = LoggedServer(Server(url, backend), process, out, err)
    try:
        yield running
    finally:
        running.stop()


@pytest.fixture
def logged(backend: Backend, tmp_path: Path) -> Iterator[LoggedServer]:
    with serving_logged(backend, tmp_path) as running:
        yield running


def test_logs_are_json_with_request_ids_and_hold_no_personal_numbers(
    logged: LoggedServer,
) -> None:
    api = Api(logged.server)
    sent: list[httpx.Response] = []
    api.client.event_hooks["response"].append(sent.append)
    number = phone()
    body = application()
    body["household"]["phone"] = number
    secrets = {
        "id": body["applicant"]["id_number"],  # type: ignore[index]
        "card": body["household"]["bank_card"],  # type: ignore[index]
        "phone": number,
    }

    # The whole chain, up to the money on the card.
    case = api.submit(body)
    api.attach_required(case["id"])
    for user in VILLAGE_CHAIN:
        api.act(case["id"], "approve", as_=user, comment=f"核实 {number}")
    paid = api.act(case["id"], "approve", as_="fo.county", data={"bank_reference": f"RCC-{number}"})
    assert paid["status"] == "paid"
    # Refusals: a duplicate household (409), another user's task (403), nothing there (404),
    # a malformed submission that quotes the numbers (422), a wrong password (401).
    assert api.post("/applications", as_="cw.lizhuang", json=body).status_code == 409
    other = api.submit()
    task = api.task_for(other["id"], as_="cw.lizhuang")
    assert api.decide(task["id"], "approve", as_="vh.lizhuang").status_code == 403
    assert api.get("/applications/999999999", as_="cw.lizhuang").status_code == 404
    bad = {**body, "event": {"kind": "child_death", "date": f"{secrets['card']}"}}
    assert api.post("/applications", as_="cw.lizhuang", json=bad).status_code == 422
    wrong = api.client.post("/auth/token", data={"username": number, "password": secrets["id"]})
    assert wrong.status_code == 401
    headers = {**api.headers("au.county"), "X-Request-ID": "trace-me.1"}
    chosen = api.client.get("/auth/me", headers=headers)
    assert chosen.headers["x-request-id"] == "trace-me.1"
    api.client.close()
    logged.stop()

    stderr = logged.stderr.read_text(encoding="utf-8")
    stdout = logged.stdout.read_text(encoding="utf-8")
    lines = [line for line in stderr.splitlines() if line.strip()]
    assert lines, "the server logged nothing"
    records = []
    for line in lines:
        record = json.loads(line)  # every line is one JSON object …
        assert isinstance(record, dict), line
        assert {"event", "level", "timestamp"} <= set(record), line
        records.append(record)
    # … each request has its line, with the id the caller got back in X-Request-ID.
    requests = [r for r in records if r["event"] == "request"]
    assert all(r.get("request_id") for r in requests)
    seen = {(r["request_id"], r["path"], r["status"]) for r in requests}
    for response in sent:
        rid = response.headers["x-request-id"]
        assert (rid, response.request.url.path, response.status_code) in seen, rid
    statuses = {r["status"] for r in requests}
    assert {200, 201, 401, 403, 404, 409, 422} <= statuses
    # Lines written while a request ran carry its id (library lines from other threads aside).
    bound = [r for r in records if r["event"] != "request" and "request_id" in r]
    assert all(r["request_id"] for r in bound)

    # No full personal number anywhere, neither the case's own nor anything shaped like one.
    # The service's own request ids (uuid4 hex) are left as they are, digit runs and all.
    for text in (stderr, stdout):
        for kind, value in secrets.items():
            assert value not in text, f"the full {kind} is in the log"
    for text in (OWN_REQUEST_ID.sub('"request_id": "*"', stderr), stdout):
        assert not ID_NUMBER.findall(text)
        assert not [card for card in CARD.findall(text) if luhn.is_valid(card)]
        assert not MOBILE.findall(text)
    # Masked forms did reach the log (the numbers went through it, as DEBUG SQL parameters).
    assert mask_text(secrets["card"]) in stderr or logged.server.backend.name == "postgres"


def test_two_worker_processes_on_one_stderr_write_whole_lines(
    backend: Backend, tmp_path: Path
) -> None:
    """``relief serve --workers 2`` at DEBUG (on SQLite the driver's every statement a line)
    under 8 concurrent clients: the two processes share one stderr, and every line is still
    one whole record."""
    clients, each = 8, 10
    with serving_logged(backend, tmp_path, workers=2) as logged:
        headers = {"Authorization": f"Bearer {logged.server.token('au.county')}"}

        def read_cases(_client: int) -> list[int]:
            with httpx.Client(base_url=logged.server.url, headers=headers, timeout=120) as http:
                return [http.get("/api/v1/applications").status_code for _ in range(each)]

        with ThreadPoolExecutor(clients) as pool:
            statuses = [status for done in pool.map(read_cases, range(clients)) for status in done]
        assert statuses == [200] * clients * each
        logged.stop()
    lines = logged.stderr.read_text(encoding="utf-8").splitlines()
    records = [json.loads(line) for line in lines]  # each line parses, as one record
    reads = [r for r in records if r["event"] == "request" and r["path"] == "/api/v1/applications"]
    assert len(reads) == clients * each
    assert len({r["request_id"] for r in reads}) == clients * each


# --- one record, one line: a flood from threads, tasks and processes at once -------------

_FLOODER = """
import asyncio, logging, sys, threading
import structlog
from service.logging import configure_logging

process, records = sys.argv[1], int(sys.argv[2])
configure_logging("DEBUG")
service_log = structlog.get_logger("relief.flood")
driver_log = logging.getLogger("aiosqlite")  # a library logging from its own thread
SIZES = (10, 300, 3000, 20000)  # up to far beyond a pipe's atomic 4 KiB

def body(writer, i):
    return f"{writer}:{i}:" + "字x"[i % 2] * SIZES[i % len(SIZES)]

def thread_flood(writer):
    for i in range(records):
        if i % 2:
            driver_log.debug("statement %s", body(writer, i))
        else:
            service_log.info("flood", writer=writer, i=i, text=body(writer, i))

async def task_flood(writer):
    for i in range(records):
        structlog.contextvars.bind_contextvars(request_id=writer)
        service_log.warning("flood", writer=writer, i=i, text=body(writer, i))
        await asyncio.sleep(0)

async def tasks():
    await asyncio.gather(*(task_flood(f"{process}-task{n}") for n in range(3)))

threads = [threading.Thread(target=thread_flood, args=(f"{process}-thread{n}",)) for n in range(4)]
for thread in threads:
    thread.start()
asyncio.run(tasks())
for thread in threads:
    thread.join()
import warnings
warnings.warn(f"{process} warns", UserWarning)  # Python's own writer, unless captured
"""


def test_every_record_is_one_whole_line_under_a_flood(tmp_path: Path) -> None:
    """Three processes, each with four threads and three asyncio tasks logging at once (the
    service's events and a library's records, some 20 KB long), append to one file: every
    line parses as one JSON record and every record arrives whole."""
    records, processes = 200, 3
    log_file = tmp_path / "flood.log"
    with log_file.open("ab") as shared_stderr:
        children = [
            subprocess.Popen(
                [sys.executable, "-c", _FLOODER, f"p{n}", str(records)],
                cwd=ROOT,
                stderr=shared_stderr,
            )
            for n in range(processes)
        ]
        for child in children:
            assert child.wait(timeout=120) == 0
    # Every line is one JSON record (asyncio's own DEBUG lines among them) …
    parsed = [json.loads(line) for line in log_file.read_text(encoding="utf-8").splitlines()]
    flood = [r for r in parsed if r["event"] == "flood" or r.get("logger") == "aiosqlite"]
    writers = processes * (4 + 3)
    assert len(flood) == writers * records
    # … and each record arrived whole, once.
    seen: dict[str, set[int]] = {}
    for record in flood:
        text = record.get("text") or record["event"].removeprefix("statement ")
        writer, i, payload = text.split(":", 2)
        assert payload == "字x"[int(i) % 2] * (10, 300, 3000, 20000)[int(i) % 4], writer
        seen.setdefault(writer, set()).add(int(i))
    assert len(seen) == writers
    assert all(numbers == set(range(records)) for numbers in seen.values())
    warned = [r for r in parsed if r.get("logger") == "py.warnings"]
    assert len(warned) == processes
    assert all(any(f"p{n} warns" in r["event"] for r in warned) for n in range(processes))
