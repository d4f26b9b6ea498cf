"""``relief regions …``: the region tree from the command line.

``list`` prints the tree (current regions; ``--all`` adds merged ones with their successor);
``add``, ``rename`` and ``merge`` change it as the operator (audited as ``cli:<login>``, bound
by no jurisdiction: a county is added here only). A refusal prints its reason to stderr and
exits 1, changing nothing.
"""

from __future__ import annotations

import argparse
import asyncio
import sys
from typing import Any

from service import operator


def register(commands: Any) -> None:
    """Add the ``regions`` command and its subcommands to the ``relief`` parser."""
    regions = commands.add_parser("regions", help="the county → township → village tree")
    sub = regions.add_subparsers(dest="regions_command", required=True)
    listing = sub.add_parser("list", help="print the current tree")
    listing.add_argument("--county", default="", metavar="CODE", help="one county (default: all)")
    listing.add_argument("--all", action="store_true", help="also merged regions, with history")
    listing.set_defaults(func=_list)
    add = sub.add_parser("add", help="add a county (6 digits), township (9) or village (12)")
    add.add_argument("code")
    add.add_argument("name")
    add.set_defaults(func=_add)
    rename = sub.add_parser("rename", help="give a region a new name (the code stays)")
    rename.add_argument("code")
    rename.add_argument("name")
    rename.set_defaults(func=_rename)
    merge = sub.add_parser(
        "merge",
        help="merge a village into a village or a township into a township of the same county; "
        "its cases, tasks and users move to the successor (irreversible)",
    )
    merge.add_argument("source", metavar="SOURCE")
    merge.add_argument("--into", required=True, metavar="TARGET")
    merge.set_defaults(func=_merge)


def _run(work: Any, *, write: bool = True) -> Any:
    """Run a command; a refusal is printed to stderr and returned as None."""
    from service.errors import ReliefError

    try:
        return asyncio.run(operator.in_session(work, write=write))
    except ReliefError as error:
        print(error.detail, file=sys.stderr)  # noqa: T201
        return None


def _list(args: argparse.Namespace) -> int:
    from service.regions import service as regions_service

    nodes = _run(
        lambda session: regions_service.tree(session, prefix=args.county, include_merged=args.all),
        write=False,
    )
    if nodes is None:
        return 1
    if not nodes:
        print(f"no region under {args.county!r}", file=sys.stderr)  # noqa: T201
        return 1
    for node in nodes:
        _print(node, depth=0)
    return 0


def _print(node: Any, *, depth: int) -> None:
    region = node.region
    line = f"{'  ' * depth}{region.code}  {region.name}"
    if region.merged_into is not None:
        when = region.merged_at.date().isoformat() if region.merged_at else ""
        line += f"  (merged into {region.merged_into} {node.successor_name or ''} {when})"
    if node.merged_from:
        line += f"  [took over {', '.join(node.merged_from)}]"
    print(line.rstrip())  # noqa: T201
    for child in node.children:
        _print(child, depth=depth + 1)


def _add(args: argparse.Namespace) -> int:
    from service.places import changes

    region = _run(
        lambda session: changes.add_region(
            session, code=args.code, name=args.name, actor=None, actor_name=operator.name()
        )
    )
    if region is None:
        return 1
    print(f"{region.level} {region.code} {region.name} added")  # noqa: T201
    return 0


def _rename(args: argparse.Namespace) -> int:
    from service.places import changes

    region = _run(
        lambda session: changes.rename_region(
            session, code=args.code, name=args.name, actor=None, actor_name=operator.name()
        )
    )
    if region is None:
        return 1
    print(f"{region.code} is now named {region.name}")  # noqa: T201
    return 0


def _merge(args: argparse.Namespace) -> int:
    from service.places import merges

    done = _run(
        lambda session: merges.merge_region(
            session, source=args.source, into=args.into, actor=None, actor_name=operator.name()
        )
    )
    if done is None:
        return 1
    print(  # noqa: T201
        f"{done.source.code} merged into {done.into.code}: {done.cases} cases, "
        f"{done.tasks} tasks, {done.notices} notices and {len(done.users)} users moved"
    )
    for old, new in done.villages.items():
        print(f"village {old} is now {new}")  # noqa: T201
    return 0
