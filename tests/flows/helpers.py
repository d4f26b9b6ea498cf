"""Shared by the flow administration tests: the corpus, uploads, and servers of their own.

Activation changes which flow version every new case of a program starts on, for everyone.
Tests that activate therefore never use the session's shared server: ``own_server`` migrates
and seeds a database of their own (SQLite or PostgreSQL) and serves it in a subprocess.
"""

from __future__ import annotations

import subprocess
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import httpx
import yaml

from tests.conftest import (
    Api,
    Backend,
    Server,
    migrated_database,
    postgres_admin_or_skip,
    start_server,
)

ROOT = Path(__file__).resolve().parents[2]
CORPUS = Path(__file__).resolve().parent / "corpus"
GOOD = CORPUS / "good"
SHIPPED = ROOT / "workflows" / "emergency_consolation.bpmn"
EXAMPLE_V2 = ROOT / "workflows" / "examples" / "emergency_consolation_v2.bpmn"
MODELER_BPMN = GOOD / "modeler_emergency_consolation.bpmn"
MODELER_DMN = GOOD / "modeler_priority.dmn"

ROLES = ("caseworker", "village_head", "township_reviewer", "county_approver", "finance_officer")


def _shipped_keys() -> tuple[str, ...]:
    """The flow keys the catalogue ships: each program's flow and yearly review flow (a
    shipped file is named by its process id)."""
    catalogue = yaml.safe_load((ROOT / "workflows" / "programs.yaml").read_text(encoding="utf-8"))
    keys = []
    for entry in catalogue["programs"]:
        keys.append(Path(entry["flow"]).stem)
        review = (entry.get("yearly") or {}).get("review_flow")
        if review:
            keys.append(Path(review).stem)
    return tuple(keys)


SHIPPED_KEYS = _shipped_keys()
# The audit actions of the contract (issue 5). The service and README record them as
# flow_uploaded / flow_activated (like task_completed): one side must change.
FLOW_UPLOADED = "flow_uploaded"
FLOW_ACTIVATED = "flow_activated"
# A hang shows up as this timeout; no test asserts how fast a refusal is.
HANG_S = 60.0

File = tuple[str, bytes]


def read(path: Path) -> File:
    return path.name, path.read_bytes()


def upload(
    api: Api,
    bpmn: File,
    dmns: Sequence[File] = (),
    *,
    as_: str | None = "admin",
    note: str | None = None,
    timeout: float = HANG_S,
) -> httpx.Response:
    """POST /flows as a modeler's user would: one ``bpmn`` file, any number of ``dmn`` files."""
    files = [("bpmn", (bpmn[0], bpmn[1], "application/octet-stream"))]
    files += [("dmn", (name, content, "application/octet-stream")) for name, content in dmns]
    data = {"note": note} if note is not None else None
    return api.post("/flows", as_=as_, files=files, data=data, timeout=timeout)


def flows(api: Api) -> list[dict]:
    response = api.get("/flows", as_="admin")
    assert response.status_code == 200, response.text
    return response.json()


def flow_entry(api: Api, key: str) -> dict:
    [entry] = [flow for flow in flows(api) if flow["key"] == key]
    return entry


def activate(
    api: Api, key: str, version: int, program: str | None = None, *, as_: str = "admin"
) -> httpx.Response:
    body = {"program": program} if program else None
    return api.post(f"/flows/{key}/versions/{version}/activate", as_=as_, json=body)


def events(api: Api, action: str) -> list[dict]:
    """The audit trail's events of one action, as the county auditor reads it."""
    response = api.get("/audit/events", as_="au.county", params={"action": action, "limit": 1000})
    assert response.status_code == 200, response.text
    return response.json()["items"]


def run_case(api: Api, case_id: int, chain: Sequence[str]) -> list[str]:
    """Approve the case's one ready task as each user of ``chain`` in turn; the specs done."""
    done = []
    for user in chain:
        task = api.task_for(case_id, as_=user)
        data = {"bank_reference": f"BOC-{case_id}"} if user == "fo.county" else None
        response = api.decide(task["id"], "approve", as_=user, data=data)
        assert response.status_code == 200, response.text
        done.append(task["spec"])
    return done


# --- a server and a database of the test's own --------------------------------------------


class OwnServer:
    """A migrated, seeded database served by ``relief serve``; ``restart`` keeps the data."""

    def __init__(self, backend: Backend) -> None:
        self.backend = backend
        self.process: subprocess.Popen[bytes] | None = None
        self.api: Api | None = None

    def start(self) -> Api:
        self.process, url = start_server(self.backend.env)
        self.api = Api(Server(url, self.backend))
        return self.api

    def stop(self) -> None:
        if self.api is not None:
            self.api.client.close()
            self.api = None
        if self.process is not None:
            self.process.terminate()
            self.process.wait(timeout=10)
            self.process = None

    def restart(self) -> Api:
        """A new process on the same database: nothing it knew survives but what was stored."""
        self.stop()
        return self.start()


@contextmanager
def own_server(kind: str, tmp: Path, **settings: str) -> Iterator[OwnServer]:
    """A fresh ``kind`` ("sqlite" or "postgres") database, migrated and seeded, being served.

    ``settings`` are extra ``RELIEF_`` variables (e.g. ``RELIEF_MAX_FLOW_BYTES="65536"``).
    """
    admin = postgres_admin_or_skip() if kind == "postgres" else None
    try:
        with migrated_database(kind, tmp, admin, settings) as backend:
            server = OwnServer(backend)
            try:
                server.start()
                yield server
            finally:
                server.stop()
    finally:
        if admin is not None:
            admin.dispose()
