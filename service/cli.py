"""The ``relief`` command: serve, db upgrade, seed-demo, users, flows upload and delete, payouts,
reviews, audit, doctor."""

from __future__ import annotations

import argparse
import asyncio
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from service import operator

if TYPE_CHECKING:
    from service.config import Settings

ROOT = Path(__file__).resolve().parents[1]


def _upgrade(_args: argparse.Namespace) -> int:
    from alembic.config import Config

    from alembic import command
    from service.config import get_settings

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = get_settings().database_url
    command.upgrade(config, "head")
    return asyncio.run(_sync_catalogue())


async def _sync_catalogue() -> int:
    from service.programs import service as programs_service

    async def sync(session: Any) -> list[str]:
        changed: list[str] = await programs_service.sync_catalogue(session)
        await session.commit()
        return changed

    changed = await operator.in_session(sync)
    print(f"database migrated; catalogue synced ({', '.join(changed) or 'no change'})")  # noqa: T201
    return 0


def _seed_demo(_args: argparse.Namespace) -> int:
    return asyncio.run(_seed())


async def _seed() -> int:
    from service.ops.seed import DEMO_PASSWORD, USERS, seed_demo

    created = await operator.in_session(seed_demo)
    print(f"demo data loaded ({len(created)} users created)")  # noqa: T201
    print(f"demo logins (password {DEMO_PASSWORD!r}):")  # noqa: T201
    for username, _name, role, jurisdiction in USERS:
        print(f"  {username:<15} {role:<18} {jurisdiction}")  # noqa: T201
    return 0


def _serve(args: argparse.Namespace) -> int:
    import uvicorn

    from service.config import get_settings

    settings = get_settings()
    host = args.host or settings.host
    port = args.port or settings.port
    print(f"relief serving on http://{host}:{port}  (API docs: http://{host}:{port}/docs)")  # noqa: T201
    uvicorn.run(
        "service.main:app",
        host=host,
        port=port,
        workers=args.workers,
        log_level="warning",
        access_log=False,
        # Not uvicorn's own plain-text handlers: its records go to the service's JSON handler
        # (main() installed it here; each worker process installs it again in create_app).
        log_config=None,
        **connection_limits(settings),
    )
    return 0


def connection_limits(settings: Settings) -> dict[str, Any]:
    """What one server process accepts from its clients (docs/operations.md, "Behind a
    reverse proxy"): idle keep-alive connections are closed after RELIEF_KEEP_ALIVE_SECONDS;
    past RELIEF_MAX_CONCURRENCY connections and requests at once it answers 503; a request
    head over RELIEF_MAX_HEADER_BYTES is refused (400) before it is parsed; X-Forwarded-For
    names the client only when the connection comes from RELIEF_FORWARDED_ALLOW_IPS, so the
    per-address login and objection limits see the address the trusted proxy saw."""
    return {
        # h11, not httptools: httptools buffers a request head of any size (5 MB were read
        # whole), h11 refuses one that grows past the bound before it is complete.
        "http": "h11",
        "timeout_keep_alive": settings.keep_alive_seconds,
        "limit_concurrency": settings.max_concurrency,
        "h11_max_incomplete_event_size": settings.max_header_bytes,
        "proxy_headers": True,
        "forwarded_allow_ips": settings.forwarded_allow_ips,
    }


def _audit_verify(args: argparse.Namespace) -> int:
    return asyncio.run(_verify(args.county))


async def _verify(county: str | None) -> int:
    from service.audit import service as audit_service

    report = await operator.in_session(
        lambda session: audit_service.verify(session, counties=[county] if county else None),
        write=False,
    )
    if report.ok:
        print(f"ok: {report.events} events in {len(report.counties)} chain(s) verify")  # noqa: T201
        return 0
    print(f"BROKEN: {report.first_broken}")  # noqa: T201
    return 1


def _doctor(_args: argparse.Namespace) -> int:
    return asyncio.run(_run_doctor())


async def _run_doctor() -> int:
    from service.ops import doctor

    report = await operator.in_session(
        lambda session: doctor.check(session, emit=lambda line: print(line, flush=True)),  # noqa: T201
        write=False,
    )
    print(report.summary())  # noqa: T201
    return 0 if report.ok else 1


def _audit_anchor(args: argparse.Namespace) -> int:
    return asyncio.run(_anchor(args.county))


async def _anchor(county: str | None) -> int:
    import json

    from service.audit import anchors
    from service.audit.chain import format_at

    created = await operator.in_session(
        lambda session: anchors.anchor_heads(session, counties=[county] if county else None)
    )
    for anchor in created:  # one JSON line each: keep them somewhere else too
        line = {
            "county": anchor.county,
            "seq": anchor.seq,
            "hash": anchor.hash,
            "signed_at": format_at(anchor.signed_at),
            "key_id": anchor.key_id,
            "signature": anchor.signature,
        }
        print(json.dumps(line, ensure_ascii=False))  # noqa: T201
    if not created:
        print("no chain moved since its last anchor", file=sys.stderr)  # noqa: T201
    return 0


def _payouts_generate(args: argparse.Namespace) -> int:
    return asyncio.run(_generate(args.year, args.region))


async def _generate(year: int, region: str) -> int:
    from service.payouts import yearly

    run = await operator.in_session(
        lambda session: yearly.generate(session, year=year, region=region, actor=None)
    )
    print(  # noqa: T201
        f"{year}: {run.created} payouts created ({run.total_fen / 100:.2f} CNY: "
        f"{run.benefit_fen / 100:.2f} to households, {run.premium_fen / 100:.2f} to the pension "
        f"fund), {run.existing} already there, {run.awaiting_review} awaiting the annual review"
    )
    for label, ids in (
        ("no annual review", run.missing_review),
        ("annual review unfinished", run.unfinished_review),
    ):
        if ids:
            print(f"  not paid, {label}: cases {', '.join(map(str, ids))}")  # noqa: T201
    return 0


def _reviews_start(args: argparse.Namespace) -> int:
    return asyncio.run(_start_reviews(args.year, args.region))


async def _start_reviews(year: int, region: str) -> int:
    from service.reviews import service as reviews_service

    run = await operator.in_session(
        lambda session: reviews_service.start_year(session, year=year, region=region, actor=None)
    )
    print(  # noqa: T201
        f"{year}: {run.started} annual reviews opened, "
        f"{run.existing} household(s) already had this year's review"
    )
    return 0


def _flows_upload(args: argparse.Namespace) -> int:
    return asyncio.run(_upload_flow([Path(name) for name in args.files], args.activate, args.note))


async def _upload_flow(paths: list[Path], program: str | None, note: str | None) -> int:
    from service.config import get_settings
    from service.engine import InvalidFlow
    from service.errors import ReliefError
    from service.flows import lifecycle
    from service.flows import service as flows_service

    # Read to one byte past the limit: the service judges sizes and counts (check_upload).
    limit = get_settings().max_flow_bytes
    files = []
    for path in paths:
        with path.open("rb") as handle:
            files.append((path, flows_service.FlowFile(path.name, handle.read(limit + 1))))
    bpmns = [file for path, file in files if path.suffix.lower() != ".dmn"]
    dmns = [file for path, file in files if path.suffix.lower() == ".dmn"]
    actor = operator.name()
    try:
        version, created = await operator.in_session(
            lambda session: flows_service.upload(
                session, bpmns=bpmns, dmns=dmns, note=note, user=None, actor_name=actor
            )
        )
        state = "stored" if created else "already stored"
        print(f"{version.key} v{version.version} {state} (sha256 {version.sha256})")  # noqa: T201
        if program:
            result = await operator.in_session(
                lambda session: lifecycle.activate(
                    session,
                    key=version.key,
                    number=version.version,
                    program_code=program,
                    user=None,
                    actor_name=actor,
                )
            )
            change = "activated" if result.changed else "already active"
            print(f"{result.key} v{result.version} {change} for {result.program}")  # noqa: T201
    except InvalidFlow as refused:
        for problem in refused.problems:
            where = ":".join(part for part in (problem.file, problem.element) if part)
            print(f"{where or 'flow'}: {problem.reason}", file=sys.stderr)  # noqa: T201
        return 1
    except ReliefError as error:
        print(error.detail, file=sys.stderr)  # noqa: T201
        return 1
    return 0


def _flows_delete(args: argparse.Namespace) -> int:
    return asyncio.run(_delete_flow(args.key, args.version))


async def _delete_flow(key: str, number: int) -> int:
    """Delete a version never activated, as DELETE /flows/{key}/versions/{number} does (the
    same service function, the same trail event, the same refusals' words)."""
    from service.errors import ReliefError
    from service.flows import lifecycle

    try:
        await operator.in_session(
            lambda session: lifecycle.delete_version(
                session, key=key, number=number, user=None, actor_name=operator.name()
            )
        )
    except ReliefError as error:
        print(error.detail, file=sys.stderr)  # noqa: T201
        return 1
    print(f"{key} v{number} deleted; its number will not be used again")  # noqa: T201
    return 0


def _users_add(args: argparse.Namespace) -> int:
    roles = ", ".join(args.role)
    return _people_command(
        lambda session, actor: _people().create(
            session,
            actor=actor,
            username=args.username,
            full_name=args.name,
            roles=args.role,
            jurisdiction=args.region,
            issue_password=False,
        ),
        f"user {args.username} added ({roles}, {args.region}); "
        f"set a password: relief users set-password {args.username}",
    )


def _people() -> Any:
    from service.people import service as people_service

    return people_service


def _people_command(work: Any, done: str) -> int:
    """Run a change of ``service.people`` as the operator (no jurisdiction bound); print
    ``done``, the tasks handed over and any one-time password (to give the user; shown once)."""
    actor = _people().Actor(None, operator.name())
    change = asyncio.run(_account_command(lambda session: work(session, actor), done))
    if change is None:
        return 1
    if change.tasks_handed_over:
        tasks = ", ".join(str(task) for task in change.tasks_handed_over)
        print(f"claimed tasks released or handed over: {tasks}")  # noqa: T201
    if change.one_time_password:
        print(f"one-time password (the user must change it at login): {change.one_time_password}")  # noqa: T201
    return 0


def _users_list(args: argparse.Namespace) -> int:
    people = asyncio.run(
        operator.in_session(
            lambda session: _people().list_people(
                session, actor=_people().Actor(None, operator.name()), active=None, role=None
            ),
            write=False,
        )
    )
    for user in people:
        if user.jurisdiction.startswith(args.region):
            state = "active" if user.active else "inactive"
            line = f"{user.username:<24} {user.jurisdiction:<12} {state:<8} {','.join(user.roles)}"
            print(f"{line}  {user.full_name}")  # noqa: T201
    return 0


# relief users <change>: the service.people function, the options it takes besides the
# username and the reason, and what is printed when it is done.
_USER_CHANGES: dict[str, tuple[str, tuple[str, ...], str]] = {
    "deactivate": ("deactivate", ("hand_to",), "user {username} deactivated"),
    "reactivate": ("reactivate", (), "user {username} reactivated"),
    "roles": ("change_roles", ("roles", "hand_to"), "roles of {username} now: {roles}"),
    "move": (
        "move",
        ("jurisdiction", "roles", "hand_to"),
        "user {username} moved to {jurisdiction}",
    ),
    "reset-password": ("reset_password", (), "password of {username} reset"),
}


def _users_change(args: argparse.Namespace) -> int:
    function, options, done = _USER_CHANGES[args.users_command]
    values = {"username": args.username, "reason": args.reason}
    values |= {option: getattr(args, option) for option in options}
    shown = values | {"roles": ", ".join(values.get("roles") or [])}
    return _people_command(
        lambda session, actor: getattr(_people(), function)(session, actor=actor, **values),
        done.format(**shown),
    )


def _users_set_password(args: argparse.Namespace) -> int:
    from service.auth import accounts

    password = _read_password()
    if password is None:
        return 1
    done = asyncio.run(
        _account_command(
            lambda session: accounts.set_password(
                session, username=args.username, password=password, actor_name=operator.name()
            ),
            f"password of {args.username} set",
        )
    )
    return 0 if done is not None else 1


def _read_password() -> str | None:
    """The new password: typed twice at a terminal, else one line of standard input (a
    script pipes it in; only its line break is dropped)."""
    import getpass

    if sys.stdin.isatty():
        password = getpass.getpass("new password: ")
        if getpass.getpass("again: ") != password:
            print("the two passwords differ; nothing changed", file=sys.stderr)  # noqa: T201
            return None
        return password
    return sys.stdin.readline().removesuffix("\n").removesuffix("\r")


async def _account_command(work: Any, done: str) -> Any:
    """Run ``work`` in a session; print ``done`` and return its result, or print why it was
    refused and return None."""
    from service.auth.accounts import WeakPassword
    from service.errors import ReliefError

    try:
        result = await operator.in_session(work)
    except WeakPassword as weak:
        for reason in weak.reasons:
            print(f"password {reason}", file=sys.stderr)  # noqa: T201
        return None
    except ReliefError as error:
        print(error.detail, file=sys.stderr)  # noqa: T201
        return None
    print(done)  # noqa: T201
    return result


def _worker(args: argparse.Namespace) -> int:
    return asyncio.run(_run_worker(once=args.once))


async def _run_worker(*, once: bool) -> int:
    import signal

    from service.db import get_database
    from service.worker import loop

    try:
        if once:
            done = await loop.run_once()
            print(" ".join(f"{name}={count}" for name, count in done.items()))  # noqa: T201
            return 0
        stop = asyncio.Event()
        running = asyncio.get_running_loop()
        for signum in (signal.SIGINT, signal.SIGTERM):
            running.add_signal_handler(signum, stop.set)
        await loop.run_until(stop)
        return 0
    finally:
        await get_database().dispose()


def _settings_refused() -> list[str]:
    """Why the settings cannot be used, one line each (no traceback); empty when they can."""
    from pydantic import ValidationError

    from service.config import get_settings

    try:
        get_settings()
    except ValidationError as invalid:
        lines = []
        for error in invalid.errors():
            message = str(error["msg"]).removeprefix("Value error, ")
            field = "".join(str(part) for part in error["loc"][:1]).upper()
            named = field and not message.startswith("RELIEF_")
            lines.append(f"RELIEF_{field}: {message}" if named else message)
        return lines
    return []


def _user_change_commands(users_commands: Any) -> None:
    """``relief users list/deactivate/reactivate/roles/move/reset-password``: the changes an
    administrator makes in the console, as the operator (audited as cli:<login>)."""
    listing = users_commands.add_parser("list", help="list users (of a region, default all)")
    listing.add_argument("--region", default="", metavar="CODE")
    listing.set_defaults(func=_users_list)

    helps = {
        "deactivate": "stop a user logging in; releases their tasks",
        "reactivate": "let a user log in again (prints a one-time password)",
        "roles": "give a user other roles",
        "move": "move a user to another region",
        "reset-password": "a one-time password the user must change at login",
    }
    for name, (_function, options, _done) in _USER_CHANGES.items():
        parser = users_commands.add_parser(name, help=helps[name])
        parser.add_argument("username")
        parser.add_argument("--reason", required=True, help="why (kept in the audit trail)")
        if "jurisdiction" in options:
            parser.add_argument("--region", dest="jurisdiction", required=True, metavar="CODE")
        if "roles" in options:
            parser.add_argument(
                "--role",
                dest="roles",
                action="append",
                required=name == "roles",
                help="a role (repeat for several); on a move: the roles the new level needs",
            )
        if "hand_to" in options:
            parser.add_argument(
                "--hand-to", metavar="USERNAME", help="give their claimed tasks to this colleague"
            )
        parser.set_defaults(func=_users_change)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="relief", description=__doc__)
    commands = parser.add_subparsers(dest="command", required=True)

    serve = commands.add_parser("serve", help="serve the API with uvicorn")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--workers", type=int, default=1)
    serve.set_defaults(func=_serve)

    db = commands.add_parser("db", help="database maintenance")
    db_commands = db.add_subparsers(dest="db_command", required=True)
    db_commands.add_parser(
        "upgrade", help="migrate to head and sync the program catalogue"
    ).set_defaults(func=_upgrade)

    commands.add_parser("seed-demo", help="load the demo regions and users").set_defaults(
        func=_seed_demo
    )

    users = commands.add_parser("users", help="user accounts")
    users_commands = users.add_subparsers(dest="users_command", required=True)
    add = users_commands.add_parser(
        "add", help="add a user (who can log in once a password is set)"
    )
    add.add_argument("username")
    add.add_argument(
        "--role", required=True, action="append", help="caseworker, village_head, … or admin"
    )
    add.add_argument("--region", required=True, metavar="CODE", help="jurisdiction region code")
    add.add_argument("--name", help="full name (default: the username)")
    add.set_defaults(func=_users_add)
    _user_change_commands(users_commands)
    set_password = users_commands.add_parser(
        "set-password",
        help="set a user's password: typed twice at a terminal, else one line of standard input",
    )
    set_password.add_argument("username")
    set_password.set_defaults(func=_users_set_password)

    flows = commands.add_parser("flows", help="BPMN flow versions")
    flows_commands = flows.add_subparsers(dest="flows_command", required=True)
    upload = flows_commands.add_parser(
        "upload", help="validate and store a BPMN flow (and the DMN files it calls)"
    )
    upload.add_argument("files", nargs="+", metavar="FILE", help="one .bpmn and any .dmn files")
    upload.add_argument("--activate", metavar="PROGRAM", help="then bind it to this program")
    upload.add_argument("--note", help="why this version (kept with it)")
    upload.set_defaults(func=_flows_upload)
    delete = flows_commands.add_parser(
        "delete",
        help="delete a version never activated (an activated one can only be superseded)",
    )
    delete.add_argument("key", metavar="KEY", help="the flow's key (its BPMN process id)")
    delete.add_argument("version", metavar="VERSION", type=int, help="the version's number")
    delete.set_defaults(func=_flows_delete)

    worker = commands.add_parser(
        "worker", help="run timers and background jobs (several may share one PostgreSQL)"
    )
    worker.add_argument("--once", action="store_true", help="one round of due work, then exit")
    worker.set_defaults(func=_worker)

    payouts = commands.add_parser("payouts", help="payouts")
    payouts_commands = payouts.add_subparsers(dest="payouts_command", required=True)
    generate = payouts_commands.add_parser(
        "generate", help="create a year's payouts of enrolled households; safe to run twice"
    )
    generate.add_argument("--year", type=int, required=True)
    generate.add_argument("--region", default="", help="a county/township code (default: all)")
    generate.set_defaults(func=_payouts_generate)

    reviews = commands.add_parser("reviews", help="yearly re-certification 年审")
    reviews_commands = reviews.add_subparsers(dest="reviews_command", required=True)
    start = reviews_commands.add_parser("start", help="open a year's reviews; safe to run twice")
    start.add_argument("--year", type=int, required=True)
    start.add_argument("--region", default="", help="a county/township code (default: all)")
    start.set_defaults(func=_reviews_start)

    commands.add_parser(
        "doctor",
        help="check every case's task rows, status and payouts against its stored workflow, "
        "and every audit chain; read only, exit 1 on any problem",
    ).set_defaults(func=_doctor)

    audit = commands.add_parser("audit", help="audit trail")
    audit_commands = audit.add_subparsers(dest="audit_command", required=True)
    verify = audit_commands.add_parser("verify", help="recompute the hash chains; exit 1 if broken")
    verify.add_argument("--county")
    verify.set_defaults(func=_audit_verify)
    anchor = audit_commands.add_parser(
        "anchor", help="sign each county chain's head, store it and print it (JSON lines)"
    )
    anchor.add_argument("--county")
    anchor.set_defaults(func=_audit_anchor)

    from service.ops import backup_cli
    from service.places import cli as places_cli

    places_cli.register(commands)
    backup_cli.register(commands)

    args = parser.parse_args(argv)
    refused = _settings_refused()
    if refused:
        for line in refused:
            print(f"relief: {line}", file=sys.stderr)  # noqa: T201
        return 2
    from service.config import get_settings
    from service.logging import configure_logging

    configure_logging(get_settings().log_level)  # JSON lines on stderr, in every command
    if args.command != "serve":  # the server installs these itself
        from service.deadlines import service as deadlines_service
        from service.notices import service as notices_service

        deadlines_service.install()  # flows count deadlines in the county's working days
        notices_service.install()  # flows end their public notice after the configured days
    return int(args.func(args))


if __name__ == "__main__":
    sys.exit(main())
