"""``relief regions list/add/rename/merge`` as an operator runs them, on both databases."""

from __future__ import annotations

import random

import pytest
import sqlalchemy as sa

from tests.conftest import Backend, MakeUser, relief_cli
from tests.fresh_county import County, make_county


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def actions(backend: Backend, county: str) -> list[tuple[str, str, str]]:
    with backend.engine.connect() as connection:
        rows = connection.execute(
            sa.text(
                "SELECT action, region, actor FROM audit_event WHERE county = :county "
                "AND action LIKE 'region%' ORDER BY seq"
            ),
            {"county": county},
        ).all()
    return [(row.action, row.region, row.actor) for row in rows]


def test_the_operator_lists_adds_renames_and_merges(backend: Backend, county: County) -> None:
    env = backend.env
    listed = relief_cli(env, "regions", "list", "--county", county.code).stdout.splitlines()
    assert listed == [
        f"{county.code}  测试县",
        f"  {county.township}  东城镇",
        f"    {county.village(1)}  李庄村",
        f"    {county.village(2)}  王庄村",
        f"  {county.other_township}  西河乡",
        f"    {county.village(3)}  河口村",
    ]
    village = county.township + "203"
    added = relief_cli(env, "regions", "add", village, "新庄村")
    assert added.stdout.strip() == f"village {village} 新庄村 added"
    renamed = relief_cli(env, "regions", "rename", village, "新庄新村")
    assert renamed.stdout.strip() == f"{village} is now named 新庄新村"
    merged = relief_cli(env, "regions", "merge", county.other_township, "--into", county.township)
    assert merged.stdout.splitlines() == [
        f"{county.other_township} merged into {county.township}: 0 cases, 0 tasks, 0 notices "
        "and 3 users moved",
        f"village {county.village(3)} is now {county.township}204",
    ]
    history = relief_cli(env, "regions", "list", "--county", county.code, "--all").stdout
    assert f"{county.other_township}  西河乡  (merged into {county.township} 东城镇" in history
    assert f"{county.township}  东城镇  [took over {county.other_township}]" in history
    current = relief_cli(env, "regions", "list", "--county", county.code).stdout.splitlines()
    assert f"  {county.other_township}  西河乡" not in current
    assert f"    {county.township}204  河口村  [took over {county.village(3)}]" in current
    operator = actions(backend, county.code)
    assert [action for action, _region, _actor in operator] == [
        "region_added",
        "region_renamed",
        "region_added",
        "region_merged",
        "region_merged",
    ]
    assert all(actor.startswith("cli:") for _action, _region, actor in operator)


def test_a_new_county_only_from_the_command_line(backend: Backend) -> None:
    with backend.engine.connect() as connection:
        taken = set(connection.execute(sa.text("SELECT code FROM region")).scalars())
    code = next(
        c for c in (f"14{random.randint(1000, 9999)}" for _ in range(1000)) if c not in taken
    )
    assert relief_cli(backend.env, "regions", "add", code, "新县").returncode == 0
    assert relief_cli(backend.env, "regions", "add", code + "100", "城关镇").returncode == 0
    listed = relief_cli(backend.env, "regions", "list", "--county", code).stdout.splitlines()
    assert listed == [f"{code}  新县", f"  {code}100  城关镇"]


def test_refusals_print_why_and_exit_1(
    backend: Backend, make_user: MakeUser, county: County
) -> None:
    other = make_county(backend, make_user)
    before = actions(backend, county.code)

    def refused(*args: str) -> str:
        result = relief_cli(backend.env, "regions", *args, check=False)
        assert result.returncode == 1, result.stdout
        assert result.stdout == ""
        return result.stderr.splitlines()[-1]

    assert refused("merge", county.village(1), "--into", other.village(1)) == (
        "regions merge within one county only"
    )
    assert refused("merge", county.village(1), "--into", county.township) == (
        "a village merges into another village only"
    )
    assert refused("merge", county.village(1), "--into", county.village(1)) == (
        "a region cannot be merged into itself"
    )
    unknown = county.township + "299"
    assert refused("merge", county.village(1), "--into", unknown) == f"no region {unknown}"
    assert refused("rename", unknown, "无名村") == f"no region {unknown}"
    assert refused("add", county.village(1), "李庄村") == f"region {county.village(1)} exists"
    assert refused("add", "12345", "x").startswith("a region code is 6 (county), 9 (township)")
    assert actions(backend, county.code) == before
