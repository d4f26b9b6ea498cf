"""`relief flows upload`: store (and activate) a flow from the command line, or refuse it with
every reason on stderr and nothing stored. `relief flows delete`: a version never activated,
through the API's service function and trail, an activated one refused in the API's words."""

from __future__ import annotations

import json
from collections.abc import Iterator
from pathlib import Path

import pytest
import sqlalchemy as sa

from harness.servers import Backend, migrated_database
from tests.conftest import base_env, postgres_admin_or_skip, relief_cli
from tests.flows import variants
from tests.flows.helpers import CORPUS, EXAMPLE_V2, MODELER_BPMN, MODELER_DMN


@pytest.fixture
def cli_env(tmp_path: Path) -> dict[str, str]:
    env = base_env(tmp_path, f"sqlite+aiosqlite:///{tmp_path / 'relief.db'}")
    relief_cli(env, "db", "upgrade")
    return env


def _scalar(env: dict[str, str], sql: str) -> object:
    path = env["RELIEF_DATABASE_URL"].removeprefix("sqlite+aiosqlite:///")
    engine = sa.create_engine(f"sqlite:///{path}")
    try:
        with engine.connect() as connection:
            return connection.execute(sa.text(sql)).scalar()
    finally:
        engine.dispose()


def _versions(env: dict[str, str]) -> int:
    return int(_scalar(env, "SELECT count(*) FROM flow_version"))  # type: ignore[arg-type]


def _active(env: dict[str, str], program: str) -> str:
    return str(
        _scalar(
            env,
            "SELECT f.key || '@v' || f.version FROM program p "
            f"JOIN flow_version f ON f.id = p.active_flow_version_id WHERE p.code = '{program}'",
        )
    )


def test_upload_and_activate_from_the_command_line(cli_env: dict[str, str]) -> None:
    assert _versions(cli_env) == 8
    stored = relief_cli(
        cli_env,
        "flows",
        "upload",
        str(EXAMPLE_V2),
        "--activate",
        "emergency_consolation",
        "--note",
        "乡镇分管领导签字",
    )
    assert stored.returncode == 0, stored.stderr
    assert "emergency_consolation v2 stored (sha256 " in stored.stdout
    assert "activated for emergency_consolation" in stored.stdout
    assert _versions(cli_env) == 9
    assert _active(cli_env, "emergency_consolation") == "emergency_consolation@v2"
    note = _scalar(
        cli_env, "SELECT note FROM flow_version WHERE key = 'emergency_consolation' AND version = 2"
    )
    assert note == "乡镇分管领导签字"

    # The same file again: nothing new (and still exit 0).
    again = relief_cli(cli_env, "flows", "upload", str(EXAMPLE_V2))
    assert again.returncode == 0, again.stderr
    assert "emergency_consolation v2" in again.stdout
    assert _versions(cli_env) == 9

    # A BPMN and the DMN it calls (files ending .dmn are decisions), in either order.
    with_decision = relief_cli(cli_env, "flows", "upload", str(MODELER_DMN), str(MODELER_BPMN))
    assert with_decision.returncode == 0, with_decision.stderr
    assert "emergency_consolation v3 stored (sha256 " in with_decision.stdout
    assert _versions(cli_env) == 10
    assert _active(cli_env, "emergency_consolation") == "emergency_consolation@v2"


def test_a_refused_file_prints_every_reason_and_stores_nothing(cli_env: dict[str, str]) -> None:
    before = _versions(cli_env)
    refused = relief_cli(
        cli_env,
        "flows",
        "upload",
        str(CORPUS / "two_problems.bpmn"),
        "--activate",
        "emergency_consolation",
        check=False,
    )
    assert refused.returncode == 1
    lines = refused.stderr.splitlines()
    assert any("script_prepare: " in line and "import" in line for line in lines), lines
    assert any("village_cosign: " in line and "is in no lane" in line for line in lines), lines
    assert "stored" not in refused.stdout
    assert _versions(cli_env) == before
    assert _active(cli_env, "emergency_consolation") == "emergency_consolation@v1"


@pytest.mark.parametrize(
    ("files", "reason"),
    [
        (("xxe_file.bpmn",), "DOCTYPE and ENTITY declarations are not allowed"),
        (("not_xml_png.bpmn",), "not well-formed XML"),
        (("lane_admin.bpmn",), "'admin' is not a role that acts in flows"),
        (("good/modeler_emergency_consolation.bpmn", "dmn_unsafe.dmn"), "open() is not allowed"),
    ],
    ids=["xxe", "not-xml", "lane-admin", "unsafe-dmn"],
)
def test_hostile_files_are_refused_by_the_command_too(
    cli_env: dict[str, str], files: tuple[str, ...], reason: str
) -> None:
    before = _versions(cli_env)
    refused = relief_cli(
        cli_env, "flows", "upload", *(str(CORPUS / name) for name in files), check=False
    )
    assert refused.returncode == 1
    assert reason in refused.stderr
    assert _versions(cli_env) == before


# --- relief flows delete KEY VERSION: the service function and trail of the API -------------


@pytest.fixture(params=["sqlite", "postgres"])
def backend(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Backend]:
    admin = postgres_admin_or_skip() if request.param == "postgres" else None
    with migrated_database(str(request.param), tmp_path, admin) as found:
        yield found


def _rows(backend: Backend, sql: str, **params: object) -> list[sa.Row]:
    with backend.engine.connect() as connection:
        return list(connection.execute(sa.text(sql), params))


def test_delete_a_draft_from_the_command_line(backend: Backend, tmp_path: Path) -> None:
    env = backend.env
    draft = tmp_path / "pilot.bpmn"
    draft.write_text(variants.under_key(variants.shipped(), "cli_pilot"), encoding="utf-8")
    stored = relief_cli(env, "flows", "upload", str(draft), "--note", "试点草稿")
    assert stored.returncode == 0, stored.stderr

    deleted = relief_cli(env, "flows", "delete", "cli_pilot", "1")
    assert deleted.returncode == 0, deleted.stderr
    assert deleted.stdout.strip() == "cli_pilot v1 deleted; its number will not be used again"
    [(deleted_at, deleted_by)] = _rows(
        backend,
        "SELECT deleted_at, deleted_by FROM flow_version WHERE key = 'cli_pilot' AND version = 1",
    )
    assert deleted_at is not None
    assert deleted_by.startswith("cli:")
    # The trail: the same event as the API's, the operator named.
    [(actor, role, before, after)] = _rows(
        backend,
        "SELECT actor, role, before, after FROM audit_event WHERE action = 'flow_version_deleted'",
    )
    before, after = (json.loads(v) if isinstance(v, str) else v for v in (before, after))
    assert actor == deleted_by
    assert role is None
    assert (before["flow"], before["version"], before["note"]) == ("cli_pilot@v1", 1, "试点草稿")
    assert after == {"flow": None, "deleted_by": deleted_by}
    assert relief_cli(env, "audit", "verify").returncode == 0

    # Again: not found, in the API's words; nothing more recorded.
    again = relief_cli(env, "flows", "delete", "cli_pilot", "1", check=False)
    assert again.returncode == 1
    assert "version 1 of flow 'cli_pilot' was deleted" in again.stderr
    unknown = relief_cli(env, "flows", "delete", "cli_pilot", "7", check=False)
    assert unknown.returncode == 1
    assert unknown.stderr.strip()
    # An activated version: refused with the API's words; it stays.
    refused = relief_cli(env, "flows", "delete", "emergency_consolation", "1", check=False)
    assert refused.returncode == 1
    assert (
        "version 1 of flow 'emergency_consolation' has been activated; it can only be superseded"
        " by activating another version"
    ) in refused.stderr
    events = "SELECT count(*) FROM audit_event WHERE action = 'flow_version_deleted'"
    assert _rows(backend, events)[0][0] == 1
    live = "SELECT deleted_at FROM flow_version WHERE key = 'emergency_consolation'"
    assert [row[0] for row in _rows(backend, live)] == [None]
