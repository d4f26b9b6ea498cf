"""A trail that proves itself (issue 7), on SQLite and PostgreSQL: verify finds an edited event,
a deleted last event and two reordered events at the exact place; a tail cut off together with
the head row is found through the signed anchors; 20 writers at once make one valid chain.

Tampering needs the append-only triggers out of the way, as an attacker with the database
owner's rights would have them: PostgreSQL's ``session_replication_role = replica`` skips
triggers for one session; on SQLite the triggers are dropped and made again.
"""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import sqlalchemy as sa

from tests.conftest import ROOT, Api, relief_cli
from tests.factories import application
from tests.flows.helpers import OwnServer, own_server

COUNTY = "130123"


@pytest.fixture(params=["sqlite", "postgres"])
def fresh(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[OwnServer]:
    with own_server(request.param, tmp_path) as server:
        yield server


def _cases(api: Api, count: int) -> None:
    for _ in range(count):
        api.submit(application())


def _sqlite_triggers(connection: sa.Connection) -> list[str]:
    rows = connection.execute(
        sa.text(
            "SELECT sql FROM sqlite_master WHERE type = 'trigger'"
            " AND tbl_name IN ('audit_event', 'audit_head', 'audit_anchor')"
        )
    )
    return [row[0] for row in rows]


def _tamper(server: OwnServer, *statements: str) -> None:
    """Run ``statements`` past the append-only triggers, as the database owner could."""
    engine = server.backend.engine
    with engine.begin() as connection:
        if server.backend.name == "postgres":
            connection.execute(sa.text("SET LOCAL session_replication_role = replica"))
            for statement in statements:
                connection.execute(sa.text(statement))
            return
        triggers = _sqlite_triggers(connection)
        names = connection.execute(
            sa.text(
                "SELECT name FROM sqlite_master WHERE type = 'trigger'"
                " AND tbl_name IN ('audit_event', 'audit_head', 'audit_anchor')"
            )
        ).all()
        for (name,) in names:
            connection.execute(sa.text(f'DROP TRIGGER "{name}"'))
        for statement in statements:
            connection.execute(sa.text(statement))
        for sql in triggers:
            connection.execute(sa.text(sql))


def _verify(server: OwnServer) -> tuple[int, str]:
    result = relief_cli(server.backend.env, "audit", "verify", check=False)
    return result.returncode, result.stdout


def _broken(server: OwnServer) -> dict:
    code, out = _verify(server)
    assert code == 1, out
    api = server.api
    assert api is not None
    report = api.get("/audit/verify", as_="au.county").json()
    assert report["ok"] is False
    return report["first_broken"]


def _scalar(server: OwnServer, sql: str) -> object:
    with server.backend.engine.connect() as connection:
        return connection.execute(sa.text(sql)).scalar_one()


def test_an_edited_event_is_found_at_its_sequence(fresh: OwnServer) -> None:
    assert fresh.api is not None
    _cases(fresh.api, 2)
    assert _verify(fresh)[0] == 0
    _tamper(
        fresh, f"UPDATE audit_event SET actor = 'mallory' WHERE county = '{COUNTY}' AND seq = 2"
    )
    broken = _broken(fresh)
    assert (broken["county"], broken["seq"]) == (COUNTY, 2)
    assert broken["expected_hash"] != broken["found_hash"]


def test_two_reordered_events_are_found_where_the_order_breaks(fresh: OwnServer) -> None:
    assert fresh.api is not None
    _cases(fresh.api, 4)
    last = _scalar(fresh, f"SELECT max(seq) FROM audit_event WHERE county = '{COUNTY}'")
    assert isinstance(last, int)
    assert last >= 4
    # Swap the sequence numbers of events 2 and 3 (through a free number, for the unique key).
    _tamper(
        fresh,
        f"UPDATE audit_event SET seq = -1 WHERE county = '{COUNTY}' AND seq = 2",
        f"UPDATE audit_event SET seq = 2 WHERE county = '{COUNTY}' AND seq = 3",
        f"UPDATE audit_event SET seq = 3 WHERE county = '{COUNTY}' AND seq = -1",
    )
    broken = _broken(fresh)
    assert (broken["county"], broken["seq"]) == (COUNTY, 2)


def test_a_deleted_last_event_is_found_and_a_rewound_head_too_through_its_anchor(
    fresh: OwnServer,
) -> None:
    api = fresh.api
    assert api is not None
    _cases(api, 2)
    printed = relief_cli(fresh.backend.env, "audit", "anchor").stdout.strip().splitlines()
    [anchor] = [json.loads(line) for line in printed]
    last = _scalar(fresh, f"SELECT max(seq) FROM audit_event WHERE county = '{COUNTY}'")
    assert (anchor["county"], anchor["seq"]) == (COUNTY, last)
    assert len(anchor["signature"]) == 64
    # Nothing moved since: a second anchor run signs nothing new.
    assert relief_cli(fresh.backend.env, "audit", "anchor").stdout.strip() == ""

    # The last event deleted: the head row still names it.
    _tamper(fresh, f"DELETE FROM audit_event WHERE county = '{COUNTY}' AND seq = {last}")
    broken = _broken(fresh)
    assert (broken["county"], broken["seq"]) == (COUNTY, last)

    # The head row rewound as well, to the event before: only the anchor still knows.
    previous_hash = _scalar(
        fresh, f"SELECT hash FROM audit_event WHERE county = '{COUNTY}' AND seq = {last - 1}"
    )
    _tamper(
        fresh,
        f"UPDATE audit_head SET seq = {last - 1}, hash = '{previous_hash}'"
        f" WHERE county = '{COUNTY}'",
    )
    broken = _broken(fresh)
    assert (broken["county"], broken["seq"]) == (COUNTY, last)
    assert "anchored head is missing" in broken["reason"]
    assert broken["expected_hash"] == anchor["hash"]


def test_a_forged_anchor_is_found_and_anchors_cannot_be_rewritten(fresh: OwnServer) -> None:
    assert fresh.api is not None
    _cases(fresh.api, 1)
    relief_cli(fresh.backend.env, "audit", "anchor")
    for statement in ("UPDATE audit_anchor SET seq = 1", "DELETE FROM audit_anchor"):
        with (
            fresh.backend.engine.connect() as connection,
            pytest.raises(sa.exc.DBAPIError),
            connection.begin(),
        ):
            connection.execute(sa.text(statement))
    _tamper(fresh, f"UPDATE audit_anchor SET signature = '{'0' * 64}'")
    broken = _broken(fresh)
    assert "signature does not hold" in broken["reason"]


def test_twenty_concurrent_writers_make_one_valid_chain(fresh: OwnServer) -> None:
    api = fresh.api
    assert api is not None
    before = _scalar(
        fresh, f"SELECT coalesce(max(seq), 0) FROM audit_event WHERE county = '{COUNTY}'"
    )
    bodies = [application() for _ in range(20)]
    # One login first: twenty threads missing the token cache at once would each log in
    # (argon2, ~190 ms of CPU apiece) and race their own timeouts, not the chain.
    api.server.token("cw.lizhuang")
    with ThreadPoolExecutor(max_workers=20) as pool:
        statuses = list(
            pool.map(lambda body: api.post("/applications", as_="cw.lizhuang", json=body), bodies)
        )
    assert [response.status_code for response in statuses] == [201] * 20, [
        response.text for response in statuses if response.status_code != 201
    ]
    assert _verify(fresh)[0] == 0
    with fresh.backend.engine.connect() as connection:
        seqs = [
            row[0]
            for row in connection.execute(
                sa.text(f"SELECT seq FROM audit_event WHERE county = '{COUNTY}' ORDER BY seq")
            )
        ]
    assert seqs == list(range(1, len(seqs) + 1))  # no gap, no fork, no duplicate
    assert len(seqs) - int(before) >= 20  # type: ignore[call-overload]


def test_the_documented_script_reverifies_an_exported_chain(fresh: OwnServer) -> None:
    """docs/audit.md's few lines re-verify the county chain from the API's export."""
    api = fresh.api
    assert api is not None
    _cases(api, 3)
    lines, cursor = [], None
    while True:
        params = {"limit": 1000, **({"cursor": cursor} if cursor else {})}
        page = api.get("/audit/events", as_="au.county", params=params).json()
        lines += [json.dumps(event, ensure_ascii=False) for event in page["items"]]
        cursor = page["next_cursor"]
        if cursor is None:
            break
    doc = (ROOT / "docs" / "audit.md").read_text(encoding="utf-8")
    script = doc.split("```python\n", 1)[1].split("```", 1)[0]
    ran = subprocess.run(
        [sys.executable, "-c", script], input="\n".join(lines), text=True, capture_output=True
    )
    assert ran.returncode == 0, ran.stderr
    assert ran.stdout.startswith(f"ok: {len(lines)} events")
    # One edited character in the export, and the script names the place.
    edited = [
        lines[0],
        lines[1].replace('"actor": "cw.lizhuang"', '"actor": "mallory"'),
        *lines[2:],
    ]
    assert edited != lines
    ran = subprocess.run(
        [sys.executable, "-c", script], input="\n".join(edited), text=True, capture_output=True
    )
    assert ran.returncode != 0
    assert "broken at seq 2" in ran.stderr
