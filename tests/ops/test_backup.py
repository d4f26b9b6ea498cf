"""``relief backup`` and ``relief restore`` on SQLite and PostgreSQL: an installation with real
cases (submitted, documented and decided over HTTP) is backed up, restored into a fresh
database, and the restored one has every row, the same audit chain heads, passes ``relief audit
verify`` and ``relief doctor``, and serves the same cases and document bytes. The refusals
(a non-empty target, a changed byte, another schema revision or kind of database, a non-empty
backup directory, a document file missing) each exit 1 and change nothing.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import subprocess
import threading
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness import (
    POSTGRES_ADMIN_URL,
    Backend,
    base_env,
    migrated_database,
    relief_cli,
    serving,
)
from tests.conftest import Api, postgres_admin_or_skip
from tests.factories import EC_DOCUMENTS, PDF, PNG, VILLAGE_HEKOU, VILLAGE_LIZHUANG, application
from tests.flows.helpers import OwnServer, own_server, run_case
from tests.ops.helpers import ACTORS, CHAIN
from tests.web.pages import logged_in


@dataclass
class Installation:
    """A served installation with cases in every state that matters, and a backup of it."""

    server: OwnServer
    kind: str
    backup: Path
    tmp: Path
    cases: list[int]

    @property
    def backend(self) -> Backend:
        return self.server.backend

    @property
    def api(self) -> Api:
        assert self.server.api is not None
        return self.server.api


def distinct_pdf() -> bytes:
    """A PDF of its own bytes: each document is a file of its own (storage dedups by SHA-256)."""
    return PDF + f"% {uuid.uuid4().hex}\n".encode()


def documented_case(api: Api, village: str) -> int:
    users = ACTORS[village]
    case_id = int(api.submit(application(village=village), as_=users["caseworker"])["id"])
    for kind in EC_DOCUMENTS:
        response = api.attach(case_id, kind, as_=users["caseworker"], content=distinct_pdf())
        assert response.status_code == 201, response.text
    return case_id


def build_cases(api: Api) -> list[int]:
    """A paid case, one waiting at the township, one rejected, one just submitted."""
    paid = documented_case(api, VILLAGE_LIZHUANG)
    run_case(api, paid, [ACTORS[VILLAGE_LIZHUANG][role] for role in CHAIN])
    halfway = documented_case(api, VILLAGE_HEKOU)
    run_case(api, halfway, [ACTORS[VILLAGE_HEKOU][role] for role in CHAIN[:2]])
    rejected = documented_case(api, VILLAGE_LIZHUANG)
    api.act(rejected, "approve", as_="cw.lizhuang")
    api.act(rejected, "reject", as_="vh.lizhuang")
    fresh = int(api.submit(application(village=VILLAGE_HEKOU), as_="cw.hekou")["id"])
    response = api.attach(fresh, "id_card", as_="cw.hekou", content=PNG + uuid.uuid4().bytes)
    assert response.status_code == 201, response.text
    return [paid, halfway, rejected, fresh]


@pytest.fixture(scope="module", params=["sqlite", "postgres"])
def installation(
    request: pytest.FixtureRequest, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[Installation]:
    tmp = tmp_path_factory.mktemp(f"backup-{request.param}")
    with own_server(request.param, tmp / "source") as server:
        assert server.api is not None
        cases = build_cases(server.api)
        # Signed anchors in the backup: the restored trail verifies them too.
        relief_cli(server.backend.env, "audit", "anchor")
        backup = tmp / "backup"
        done = relief_cli(server.backend.env, "backup", str(backup), check=False)
        assert done.returncode == 0, done.stderr
        assert f"backup written to {backup}" in done.stdout
        assert "19 documents (19 files)" in done.stdout, done.stdout  # 3 cases x 6, and one
        assert "audit heads 130123@" in done.stdout, done.stdout
        yield Installation(server, request.param, backup, tmp, cases)


# --- a fresh database of the same kind to restore into --------------------------------------


@dataclass
class Target:
    backend: Backend
    files: Path

    def restore(self, backup: Path, *args: str) -> subprocess.CompletedProcess[str]:
        return relief_cli(self.backend.env, "restore", str(backup), *args, check=False)


@pytest.fixture
def fresh_target(installation: Installation, tmp_path: Path) -> Iterator[Target]:
    """An empty database (a new SQLite path; a new PostgreSQL database with no tables) and
    files directory, with the source installation's secret (its anchor key)."""
    name = None
    admin = postgres_admin_or_skip() if installation.kind == "postgres" else None
    if admin is None:
        sync_url = f"sqlite:///{tmp_path / 'restored.db'}"
        async_url = sync_url.replace("sqlite:", "sqlite+aiosqlite:")
    else:
        name = f"relief_restore_{uuid.uuid4().hex[:12]}"
        with admin.connect() as connection:
            connection.execute(sa.text(f'CREATE DATABASE "{name}"'))
        sync_url = f"{POSTGRES_ADMIN_URL.rsplit('/', 1)[0]}/{name}"
        async_url = sync_url.replace("+psycopg", "+asyncpg")
    env = base_env(tmp_path, async_url)
    env["RELIEF_SECRET_KEY"] = installation.backend.env["RELIEF_SECRET_KEY"]
    engine = sa.create_engine(sync_url)
    try:
        yield Target(
            Backend(installation.kind, async_url, sync_url, env, engine), tmp_path / "files"
        )
    finally:
        engine.dispose()
        if admin is not None:
            with admin.connect() as connection:
                connection.execute(sa.text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
            admin.dispose()


def row_counts(backend: Backend) -> dict[str, int]:
    with backend.engine.connect() as connection:
        tables = sa.inspect(connection).get_table_names()
        return {
            table: connection.execute(sa.text(f'SELECT count(*) FROM "{table}"')).scalar_one()
            for table in tables
        }


def heads(backend: Backend) -> dict[str, dict[str, object]]:
    with backend.engine.connect() as connection:
        rows = connection.execute(sa.text("SELECT county, seq, hash FROM audit_head"))
        return {county: {"seq": seq, "hash": head} for county, seq, head in rows}


def file_digests(root: Path) -> dict[str, str]:
    if not root.exists():
        return {}
    return {
        path.relative_to(root).as_posix(): hashlib.sha256(path.read_bytes()).hexdigest()
        for path in root.rglob("*")
        if path.is_file()
    }


def copy_of(backup: Path, tmp: Path) -> Path:
    copy = tmp / f"copy-{uuid.uuid4().hex[:8]}"
    shutil.copytree(backup, copy)
    return copy


def flip_one_byte(path: Path, at: int) -> None:
    content = bytearray(path.read_bytes())
    content[at] ^= 0x01
    path.write_bytes(bytes(content))


def assert_untouched(target: Target) -> None:
    if target.backend.name == "sqlite":
        assert not Path(target.backend.sync_url.removeprefix("sqlite:///")).exists()
    else:
        assert row_counts(target.backend) == {}
    assert file_digests(target.files) == {}


# --- the round trip -------------------------------------------------------------------------


def test_a_backup_restores_into_a_fresh_database_whole(
    installation: Installation, fresh_target: Target
) -> None:
    source = installation.backend
    manifest = json.loads((installation.backup / "manifest.json").read_text())
    assert manifest["backend"] == installation.kind
    assert manifest["audit_heads"] == heads(source)
    assert manifest["rows"] == row_counts(source)
    assert manifest["rows"]["audit_anchor"] >= 1

    done = fresh_target.restore(installation.backup)
    assert done.returncode == 0, done.stderr
    assert "as in the backup" in done.stdout

    restored = fresh_target.backend
    assert row_counts(restored) == row_counts(source)
    assert heads(restored) == heads(source)
    assert file_digests(fresh_target.files) == file_digests(Path(source.env["RELIEF_FILES_DIR"]))
    for command in (("audit", "verify"), ("doctor",)):
        result = relief_cli(restored.env, *command, check=False)
        assert result.returncode == 0, result.stdout + result.stderr

    with serving(restored) as server:
        api = Api(server)
        page = logged_in(server, "au.county")
        for case_id in installation.cases:
            before, after = installation.api.case(case_id), api.case(case_id)
            assert after == before
            for document in after["documents"]:
                response = page.get(f"/applications/{case_id}/documents/{document['id']}")
                assert response.status_code == 200
                assert hashlib.sha256(response.content).hexdigest() == document["sha256"]
        api.client.close()


def test_a_backup_taken_while_cases_are_submitted_restores_consistent(
    installation: Installation, fresh_target: Target, tmp_path: Path
) -> None:
    """The snapshot and the files it names agree whatever the service commits meanwhile:
    the restore's own check (every table's rows, the heads) and the doctor pass."""
    stop = threading.Event()
    submitted: list[int] = []
    errors: list[str] = []

    def load() -> None:
        client = Api(installation.api.server)
        try:
            while not stop.is_set():
                submitted.append(documented_case(client, VILLAGE_LIZHUANG))
        except Exception as error:  # noqa: BLE001 - reported below
            errors.append(repr(error))
        finally:
            client.client.close()

    thread = threading.Thread(target=load, daemon=True)
    thread.start()
    try:
        while not submitted and not errors:  # the load is writing before the backup starts
            thread.join(0.1)
        backup = tmp_path / "under-load"
        done = relief_cli(installation.backend.env, "backup", str(backup), check=False)
    finally:
        stop.set()
        thread.join(60)
    assert not errors, errors
    assert done.returncode == 0, done.stderr

    result = fresh_target.restore(backup)
    assert result.returncode == 0, result.stderr
    for command in (("audit", "verify"), ("doctor",)):
        checked = relief_cli(fresh_target.backend.env, *command, check=False)
        assert checked.returncode == 0, checked.stdout + checked.stderr


# --- refusals -------------------------------------------------------------------------------


def test_restore_into_a_database_with_data_needs_force(
    installation: Installation, tmp_path: Path
) -> None:
    admin = postgres_admin_or_skip() if installation.kind == "postgres" else None
    with migrated_database(installation.kind, tmp_path, admin) as seeded:
        seeded.env["RELIEF_SECRET_KEY"] = installation.backend.env["RELIEF_SECRET_KEY"]
        before = row_counts(seeded)

        refused = relief_cli(seeded.env, "restore", str(installation.backup), check=False)
        assert refused.returncode == 1
        assert "already holds data" in refused.stderr
        assert "--force" in refused.stderr
        assert "user_account: 11 rows" in refused.stderr
        assert row_counts(seeded) == before
        assert file_digests(tmp_path / "files") == {}

        forced = relief_cli(seeded.env, "restore", str(installation.backup), "--force", check=False)
        assert forced.returncode == 0, forced.stderr
        # What the backup holds (the source has served other tests of this module since).
        manifest = json.loads((installation.backup / "manifest.json").read_text())
        assert row_counts(seeded) == manifest["rows"]
        assert heads(seeded) == manifest["audit_heads"]
        verified = relief_cli(seeded.env, "audit", "verify", check=False)
        assert verified.returncode == 0, verified.stdout
    if admin is not None:
        admin.dispose()


@pytest.mark.parametrize("changed", ["database", "document"])
def test_a_backup_with_one_byte_changed_is_refused(
    installation: Installation, fresh_target: Target, tmp_path: Path, changed: str
) -> None:
    copy = copy_of(installation.backup, tmp_path)
    if changed == "database":
        name = "database.dump" if installation.kind == "postgres" else "database.sqlite3"
    else:
        first = sorted(path for path in (copy / "files").rglob("*") if path.is_file())[0]
        name = first.relative_to(copy).as_posix()
    flip_one_byte(copy / name, at=(copy / name).stat().st_size // 2)

    refused = fresh_target.restore(copy)
    assert refused.returncode == 1
    assert f"{name} in {copy} does not match its checksum" in refused.stderr
    assert_untouched(fresh_target)


def test_a_backup_of_another_schema_revision_is_refused(
    installation: Installation, fresh_target: Target, tmp_path: Path
) -> None:
    copy = copy_of(installation.backup, tmp_path)
    manifest = json.loads((copy / "manifest.json").read_text())
    manifest["alembic_revision"] = "0123456789ab"
    (copy / "manifest.json").write_text(json.dumps(manifest))

    refused = fresh_target.restore(copy)
    assert refused.returncode == 1
    assert "alembic revision 0123456789ab" in refused.stderr
    assert_untouched(fresh_target)


def test_a_backup_restores_only_into_the_same_kind_of_database(
    installation: Installation, tmp_path: Path
) -> None:
    other = (
        f"sqlite+aiosqlite:///{tmp_path / 'other.db'}"
        if installation.kind == "postgres"
        # Never reached: the kind is judged before any connection.
        else "postgresql+asyncpg://postgres@127.0.0.1:5432/relief_never_created"
    )
    refused = relief_cli(
        base_env(tmp_path, other), "restore", str(installation.backup), check=False
    )
    assert refused.returncode == 1
    assert f"this is a {installation.kind} backup" in refused.stderr
    assert "same kind of database" in refused.stderr
    assert not (tmp_path / "other.db").exists()


def test_a_copy_without_a_manifest_is_not_a_backup(
    installation: Installation, fresh_target: Target, tmp_path: Path
) -> None:
    copy = copy_of(installation.backup, tmp_path)
    (copy / "manifest.json").unlink()
    refused = fresh_target.restore(copy)
    assert refused.returncode == 1
    assert "not a complete backup" in refused.stderr
    assert_untouched(fresh_target)


def test_backup_refuses_a_directory_that_holds_anything(
    installation: Installation, tmp_path: Path
) -> None:
    (tmp_path / "notes.txt").write_text("keep me")
    refused = relief_cli(installation.backend.env, "backup", str(tmp_path), check=False)
    assert refused.returncode == 1
    assert "is not empty" in refused.stderr
    assert sorted(path.name for path in tmp_path.iterdir()) == ["notes.txt"]
    assert (tmp_path / "notes.txt").read_text() == "keep me"


def test_backup_fails_loudly_when_a_document_file_is_missing(
    installation: Installation, tmp_path: Path
) -> None:
    files = tmp_path / "files-with-one-lost"
    shutil.copytree(installation.backend.env["RELIEF_FILES_DIR"], files)
    lost = sorted(path for path in files.rglob("*") if path.is_file())[0]
    lost.unlink()
    env = {**installation.backend.env, "RELIEF_FILES_DIR": str(files)}

    backup = tmp_path / "backup"
    failed = relief_cli(env, "backup", str(backup), check=False)
    assert failed.returncode == 1
    assert "1 document file(s) the database names are missing" in failed.stderr
    assert f"({lost.name[:12]}…)" in failed.stderr
    assert not backup.exists()  # nothing that looks like a backup is left
