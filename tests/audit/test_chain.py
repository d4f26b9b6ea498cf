"""The audit trail as an auditor sees it: complete, chained, recomputable and tamper-evident.

The hash is recomputed here from the rule in the docstring of ``service/audit/chain.py`` with
hashlib and json only, as an outside auditor would. Tampering happens only on a private SQLite
database made for this module, never on the shared test databases.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import sqlite3
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import httpx
import pytest
import sqlalchemy as sa

from tests.conftest import (
    DEMO_PASSWORD,
    VILLAGE_CHAIN,
    Api,
    Backend,
    base_env,
    relief_cli,
    start_server,
)
from tests.factories import EC_DOCUMENTS, PDF, application, id_number

GENESIS = "0" * 64
COUNTY = "130123"
EVENT_FIELDS = {
    "seq",
    "at",
    "actor",
    "role",
    "region",
    "action",
    "application_id",
    "task_id",
    "before",
    "after",
    "comment",
    "request_id",
    "prev_hash",
    "hash",
}
HASHED_FIELDS = (
    "county",
    "seq",
    "at",
    "actor",
    "role",
    "region",
    "action",
    "application_id",
    "task_id",
    "before",
    "after",
    "comment",
    "request_id",
)


def outside_hash(event: dict) -> str:
    """sha256(prev_hash || canonical): UTF-8 JSON, sorted keys, no spaces, non-ASCII kept,
    ``at`` in UTC as YYYY-MM-DDTHH:MM:SS.ffffffZ."""
    at = datetime.fromisoformat(event["at"].replace("Z", "+00:00"))
    if at.tzinfo is None:
        at = at.replace(tzinfo=UTC)
    body = {name: event[name] for name in HASHED_FIELDS}
    body["at"] = at.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    canonical = json.dumps(body, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(event["prev_hash"].encode("ascii") + canonical.encode()).hexdigest()


def county_events(api: Api, *, as_: str = "au.county") -> list[dict]:
    """Every event the user may read, following ``next_cursor`` to the end."""
    events: list[dict] = []
    cursor = None
    while True:
        params: dict[str, int] = {"limit": 1000}
        if cursor:
            params["cursor"] = cursor
        response = api.get("/audit/events", as_=as_, params=params)
        assert response.status_code == 200, response.text
        page = response.json()
        events.extend(page["items"])
        cursor = page["next_cursor"]
        if not cursor:
            return events


def walk_case(api: Api, case_id: int, *, comment: str) -> None:
    """Documents, then the village and township levels, with a return and a resubmission."""
    api.attach_required(case_id)
    api.act(case_id, "approve", as_="cw.lizhuang")
    api.act(case_id, "return", as_="vh.lizhuang", comment=comment)
    api.act(case_id, "approve", as_="cw.lizhuang", comment="已补正")
    for user in VILLAGE_CHAIN:
        api.act(case_id, "approve", as_=user, comment="同意")


# --- reading the trail over HTTP (both databases) -------------------------------------------


def test_case_events_are_listed_oldest_first_with_every_field(api: Api) -> None:
    case_id = api.submit()["id"]
    walk_case(api, case_id, comment="请补充户口簿")
    events = api.events(case_id)

    assert all(set(event) >= EVENT_FIELDS for event in events)
    assert all(event["application_id"] == case_id for event in events)
    assert [e["seq"] for e in events] == sorted(e["seq"] for e in events)
    assert [e["at"] for e in events] == sorted(e["at"] for e in events)
    actions = [e["action"] for e in events]
    assert actions[0] == "application_submitted"
    assert actions.count("document_added") == len(EC_DOCUMENTS)
    completions = [e for e in events if e["action"] == "task_completed"]
    assert [e["actor"] for e in completions] == [
        "cw.lizhuang",
        "vh.lizhuang",
        "cw.lizhuang",
        *VILLAGE_CHAIN,
    ]
    returned = completions[1]
    assert returned["role"] == "village_head"
    assert returned["comment"] == "请补充户口簿"
    assert returned["after"]["decision"] == "return"
    assert returned["region"] == "130123100201"
    assert all(e["request_id"] for e in events)
    assert len({e["request_id"] for e in completions}) == len(completions)


def test_events_of_a_case_link_and_recompute_outside_the_service(api: Api) -> None:
    case_id = api.submit()["id"]
    walk_case(api, case_id, comment="身份证复印件模糊，重新上传")
    events = api.events(case_id)
    assert len(events) >= len(EC_DOCUMENTS) + 7
    for event in events:
        assert event["hash"] == outside_hash(event), f"seq {event['seq']}"
    for earlier, later in zip(events, events[1:], strict=False):
        if later["seq"] == earlier["seq"] + 1 and later["county"] == earlier["county"]:
            assert later["prev_hash"] == earlier["hash"]


def test_county_chain_is_continuous_from_genesis(api: Api) -> None:
    api.submit()  # at least one event of this test's own
    events = [e for e in county_events(api) if e["county"] == COUNTY]
    events.sort(key=lambda e: e["seq"])
    assert [e["seq"] for e in events] == list(range(1, len(events) + 1))
    assert events[0]["prev_hash"] == GENESIS
    for earlier, later in zip(events, events[1:], strict=False):
        assert later["prev_hash"] == earlier["hash"], f"seq {later['seq']}"
        assert later["hash"] == outside_hash(later), f"seq {later['seq']}"
    report = api.get("/audit/verify", as_="au.county").json()
    assert report["ok"] is True
    assert report["first_broken"] is None
    assert report["events"] >= len(events)


def test_personal_numbers_never_appear_in_events(api: Api) -> None:
    applicant, spouse = id_number(), id_number()
    body = application(applicant_id=applicant, spouse_id=spouse)
    card = body["household"]["bank_card"]  # type: ignore[index]
    case_id = api.submit(body)["id"]
    api.attach_required(case_id, spouse=True)
    api.act(case_id, "approve", as_="cw.lizhuang", comment="入户核实")
    response = api.get(
        "/audit/events", as_="au.county", params={"application_id": case_id, "limit": 1000}
    )
    assert response.status_code == 200
    assert len(response.json()["items"]) >= 2
    text = response.text
    for secret in (applicant, spouse, card):
        assert secret not in text


@pytest.mark.parametrize("user", ["cw.lizhuang", "vh.lizhuang", "tr.dongcheng", "ca.county"])
def test_non_auditors_cannot_read_or_verify_the_trail(api: Api, user: str) -> None:
    for path in ("/audit/events", "/audit/verify"):
        response = api.get(path, as_=user)
        assert response.status_code == 403, f"{user} {path}: {response.text}"
        assert response.json()["type"] == "urn:relief:problem:forbidden"
        assert "items" not in response.json()


def test_anonymous_cannot_read_the_trail(api: Api) -> None:
    assert api.get("/audit/events", as_=None).status_code == 401
    assert api.get("/audit/verify", as_=None).status_code == 401


def test_auditor_sees_only_events_within_the_county(api: Api) -> None:
    # A failed login of an unknown name is a security event outside every county.
    stranger = "intruder-" + uuid.uuid4().hex[:8]
    response = api.client.post(
        "/auth/token", data={"username": stranger, "password": "wrong-password"}
    )
    assert response.status_code == 401
    api.submit()

    events = county_events(api)
    assert events
    assert all(e["region"] and e["region"].startswith(COUNTY) for e in events)
    assert stranger not in json.dumps(events)
    filtered = api.get("/audit/events", as_="au.county", params={"actor": stranger})
    assert filtered.status_code == 200
    assert filtered.json()["items"] == []


def test_database_refuses_to_rewrite_history(api: Api, backend: Backend) -> None:
    api.submit()  # so that the county chain has a first event to aim at
    # Inside a transaction that is always rolled back: the shared database stays untouched.
    for statement in (
        "UPDATE audit_event SET comment = 'rewritten' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
    ):
        with backend.engine.connect() as connection:
            transaction = connection.begin()
            try:
                with pytest.raises(sa.exc.DBAPIError) as caught:
                    connection.execute(sa.text(statement))
                assert "append-only" in str(caught.value)
            finally:
                transaction.rollback()


# --- tampering with a private SQLite database -----------------------------------------------


@dataclass
class Private:
    path: Path
    env: dict[str, str]
    tampered_seq: int  # an event with a comment, in the middle of the county chain
    last_seq: int


def _token(url: str, username: str) -> dict[str, str]:
    response = httpx.post(
        f"{url}/api/v1/auth/token", data={"username": username, "password": DEMO_PASSWORD}
    )
    response.raise_for_status()
    return {"Authorization": f"Bearer {response.json()['access_token']}"}


def _drive_case(url: str) -> None:
    with httpx.Client(base_url=f"{url}/api/v1", timeout=30) as client:
        headers = {user: _token(url, user) for user in ("cw.lizhuang", "vh.lizhuang")}
        response = client.post("/applications", headers=headers["cw.lizhuang"], json=application())
        assert response.status_code == 201, response.text
        case_id = response.json()["id"]
        for kind in EC_DOCUMENTS:
            response = client.post(
                f"/applications/{case_id}/documents",
                headers=headers["cw.lizhuang"],
                data={"kind": kind},
                files={"file": (f"{kind}.pdf", PDF, "application/pdf")},
            )
            assert response.status_code == 201, response.text
        for user, comment in (("cw.lizhuang", "入户调查属实"), ("vh.lizhuang", "同意上报")):
            response = client.get(
                "/tasks", headers=headers[user], params={"application_id": case_id}
            )
            [task] = response.json()
            response = client.post(
                f"/tasks/{task['id']}/complete",
                headers=headers[user],
                json={"decision": "approve", "comment": comment, "data": {}},
            )
            assert response.status_code == 200, response.text


@pytest.fixture(scope="module")
def private(tmp_path_factory: pytest.TempPathFactory) -> Private:
    """A migrated, seeded SQLite database with one case walked through two levels."""
    tmp = tmp_path_factory.mktemp("audit-private")
    path = tmp / "clean.db"
    env = base_env(tmp, f"sqlite+aiosqlite:///{path}")
    relief_cli(env, "db", "upgrade")
    relief_cli(env, "seed-demo")
    process, url = start_server(env)
    try:
        _drive_case(url)
    finally:
        process.terminate()
        process.wait(timeout=10)
    with sqlite3.connect(path) as connection:
        [(tampered_seq,)] = connection.execute(
            "SELECT min(seq) FROM audit_event WHERE county = ? AND comment IS NOT NULL",
            (COUNTY,),
        ).fetchall()
        [(last_seq,)] = connection.execute(
            "SELECT max(seq) FROM audit_event WHERE county = ?", (COUNTY,)
        ).fetchall()
    assert tampered_seq is not None
    assert tampered_seq < last_seq
    return Private(path, env, tampered_seq, last_seq)


def _copy(private: Private, tmp_path: Path) -> tuple[Path, dict[str, str]]:
    path = tmp_path / "copy.db"
    shutil.copyfile(private.path, path)
    return path, {**private.env, "RELIEF_DATABASE_URL": f"sqlite+aiosqlite:///{path}"}


def _tamper(path: Path, *statements: str) -> None:
    connection = sqlite3.connect(path)
    try:
        for statement in statements:
            connection.execute(statement)
        connection.commit()
    finally:
        connection.close()


def _assert_broken_at(env: dict[str, str], seq: int) -> str:
    result = relief_cli(env, "audit", "verify", check=False)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "BROKEN" in result.stdout
    assert f"'seq': {seq}," in result.stdout
    return result.stdout


def test_untouched_private_chain_verifies(private: Private, tmp_path: Path) -> None:
    _path, env = _copy(private, tmp_path)
    result = relief_cli(env, "audit", "verify", check=False)
    assert result.returncode == 0, result.stdout + result.stderr
    assert result.stdout.startswith("ok")


def test_triggers_refuse_update_and_delete_on_sqlite(private: Private, tmp_path: Path) -> None:
    path, env = _copy(private, tmp_path)
    for statement in (
        "UPDATE audit_event SET comment = 'rewritten' WHERE seq = 1",
        "DELETE FROM audit_event WHERE seq = 1",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="append-only"):
            _tamper(path, statement)
    assert relief_cli(env, "audit", "verify", check=False).returncode == 0


@pytest.mark.parametrize(
    ("column", "value"),
    [("comment", "不同意"), ("actor", "ca.county"), ("region", "130123200201")],
    ids=["comment", "actor", "region"],
)
def test_changed_event_is_detected_by_cli(
    private: Private, tmp_path: Path, column: str, value: str
) -> None:
    path, env = _copy(private, tmp_path)
    _tamper(
        path,
        "DROP TRIGGER audit_event_no_update",
        f"UPDATE audit_event SET {column} = '{value}' "
        f"WHERE county = '{COUNTY}' AND seq = {private.tampered_seq}",
    )
    _assert_broken_at(env, private.tampered_seq)


def test_changed_event_with_recomputed_hash_breaks_the_next_link(
    private: Private, tmp_path: Path
) -> None:
    path, env = _copy(private, tmp_path)
    with sqlite3.connect(path) as connection:
        connection.row_factory = sqlite3.Row
        row = dict(
            connection.execute(
                "SELECT * FROM audit_event WHERE county = ? AND seq = ?",
                (COUNTY, private.tampered_seq),
            ).fetchone()
        )
    row["before"] = json.loads(row["before"]) if row["before"] else None
    row["after"] = json.loads(row["after"]) if row["after"] else None
    row["comment"] = "不同意"
    forged = outside_hash(row)
    _tamper(
        path,
        "DROP TRIGGER audit_event_no_update",
        f"UPDATE audit_event SET comment = '不同意', hash = '{forged}' "
        f"WHERE county = '{COUNTY}' AND seq = {private.tampered_seq}",
    )
    _assert_broken_at(env, private.tampered_seq + 1)


def test_deleted_last_event_is_detected_by_cli(private: Private, tmp_path: Path) -> None:
    path, env = _copy(private, tmp_path)
    _tamper(
        path,
        "DROP TRIGGER audit_event_no_delete",
        f"DELETE FROM audit_event WHERE county = '{COUNTY}' AND seq = {private.last_seq}",
    )
    _assert_broken_at(env, private.last_seq)


def test_head_only_moves_forward(private: Private, tmp_path: Path) -> None:
    path, _env = _copy(private, tmp_path)
    for statement in (
        f"UPDATE audit_head SET seq = seq - 1 WHERE county = '{COUNTY}'",
        f"DELETE FROM audit_head WHERE county = '{COUNTY}'",
    ):
        with pytest.raises(sqlite3.DatabaseError, match="only moves forward"):
            _tamper(path, statement)


def test_deleted_tail_with_rewound_head_is_detected_by_cli(
    private: Private, tmp_path: Path
) -> None:
    # Removing the head row as well as the tail: verification must not take "no head" as fine.
    path, env = _copy(private, tmp_path)
    _tamper(
        path,
        "DROP TRIGGER audit_event_no_delete",
        "DROP TRIGGER audit_head_no_delete",
        f"DELETE FROM audit_event WHERE county = '{COUNTY}' AND seq = {private.last_seq}",
        f"DELETE FROM audit_head WHERE county = '{COUNTY}'",
    )
    output = _assert_broken_at(env, 0)
    assert "head record is missing" in output


def test_deleted_middle_event_is_detected_by_cli(private: Private, tmp_path: Path) -> None:
    path, env = _copy(private, tmp_path)
    _tamper(
        path,
        "DROP TRIGGER audit_event_no_delete",
        f"DELETE FROM audit_event WHERE county = '{COUNTY}' AND seq = {private.tampered_seq}",
    )
    _assert_broken_at(env, private.tampered_seq + 1)


def test_verify_endpoint_reports_the_broken_link(private: Private, tmp_path: Path) -> None:
    path, env = _copy(private, tmp_path)
    process, url = start_server(env)
    try:
        headers = _token(url, "au.county")
        before = httpx.get(f"{url}/api/v1/audit/verify", headers=headers)
        assert before.status_code == 200
        assert before.json()["ok"] is True
        assert before.json()["events"] == private.last_seq

        _tamper(
            path,
            "DROP TRIGGER audit_event_no_update",
            f"UPDATE audit_event SET comment = '已核实' "
            f"WHERE county = '{COUNTY}' AND seq = {private.tampered_seq}",
        )
        after = httpx.get(f"{url}/api/v1/audit/verify", headers=headers)
        assert after.status_code == 200
        report = after.json()
        assert report["ok"] is False
        assert report["first_broken"]["seq"] == private.tampered_seq
    finally:
        process.terminate()
        process.wait(timeout=10)
