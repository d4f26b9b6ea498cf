"""Bulk loader: make a database look like one that has served N emergency-consolation cases.

    .venv/bin/python bench/bulk.py [--backend postgres|sqlite] [--cases 100000]
        [--open-share 0.005] [--audit full|lean]

(standalone it fills a scratch database, prints rows/s and drops it; ``bench/scale.py``
calls ``fill`` and then measures the queries.)

Method: six real cases are driven through ``relief serve`` over HTTP — one to ``paid`` and
one waiting at each of the five levels — and every row they left is read back (application
with its workflow state, tasks, payout, household claims, documents, notifications, audit
events). Those rows are the templates: each bulk case is a copy of one with new ids, its own
applicant ID number and bank card (so the household-claim keys stay unique), a village among
30 (the demo's three plus 27 added, with a caseworker and a village head each, and a third
township with its reviewer), and its times shifted to a creation instant spread over the past
three years in id order. The newest ``open_share`` of the cases are still open, copied from the
case waiting at a level (a ready task in that level's inbox, and that case's workflow state),
the rest are paid. Audit events are appended to the county chain after the real ones, with
hashes computed as the service does, and ``audit_head`` is moved to the last one, so
``relief audit verify`` holds. ``--audit lean`` keeps only a case's submission, task
completions, status changes and payout events (drops the six ``document_added`` events):
10 events a case instead of 16.

PostgreSQL gets the rows by COPY (one transaction per batch of cases), SQLite by executemany;
then VACUUM ANALYZE / ANALYZE. Document files are not written (their rows point at the one
file the real cases uploaded).
"""

from __future__ import annotations

import argparse
import asyncio
import hashlib
import json
import random
import re
import sys
import time
from collections import defaultdict
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import httpx
import sqlalchemy as sa

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlmodel import SQLModel  # noqa: E402

from bench.common import (  # noqa: E402
    CHAIN,
    Database,
    approve_levels,
    bearer_headers,
    bench_database,
    serving,
    submit_case,
)  # noqa: E402
from service import models as _models  # noqa: E402,F401 - registers every table
from service.audit.chain import HASHED_FIELDS, canonical  # noqa: E402

COUNTY = "130123"
# Tables a case has rows in, in the order they are loaded (foreign keys first).
TABLES = ("application", "task", "payout", "household_claim", "document", "notification")
AUDIT = "audit_event"
LEAN_SKIPS = {"document_added"}
SPAN = timedelta(days=3 * 365)
BATCH_CASES = 2000
SURNAMES = "王李张刘陈杨赵黄周吴徐孙胡朱高林何郭马罗"
GIVEN = ("秀英", "桂兰", "建国", "淑珍", "玉兰", "志强", "凤英", "国华", "春梅", "德明")


# -- templates: real cases driven through the API -------------------------------------------


async def _drive_case(client: httpx.AsyncClient, headers: dict, levels: int) -> int:
    """Submit a case with its documents and approve it at the first ``levels`` levels."""
    case_id, task_id = await submit_case(client, headers)
    await approve_levels(client, headers, case_id, task_id, CHAIN[:levels])
    return case_id


async def _drive_templates(base: str) -> dict[int, int]:
    """{levels approved: case id}: 0..4 wait at that level, 5 is paid."""
    async with httpx.AsyncClient(base_url=f"{base}/api/v1", timeout=60) as client:
        headers = await bearer_headers(client, CHAIN)
        return {levels: await _drive_case(client, headers, levels) for levels in range(6)}


@dataclass
class Template:
    """One real case's rows, per table, as the database holds them (ordered by id)."""

    rows: dict[str, list[dict[str, Any]]]

    @property
    def case(self) -> dict[str, Any]:
        return self.rows["application"][0]


def _read_template(connection: sa.Connection, case_id: int, audit: str) -> Template:
    rows = {}
    for name in (*TABLES, AUDIT):
        table = SQLModel.metadata.tables[name]
        key = table.c.id if name == "application" else table.c.application_id
        order = [table.c.id] if "id" in table.c else [table.c.claim_key]
        statement = sa.select(table).where(key == case_id).order_by(*order)
        rows[name] = [dict(row) for row in connection.execute(statement).mappings()]
    if audit == "lean":
        rows[AUDIT] = [e for e in rows[AUDIT] if e["action"] not in LEAN_SKIPS]
    for row in (row for table in rows.values() for row in table):
        row["__times__"] = [k for k, v in row.items() if isinstance(v, datetime)]
    return Template(rows)


def templates(database: Database, audit: str) -> dict[int, Template]:
    with serving(database, workers=1) as server:
        ids = asyncio.run(_drive_templates(server.url))
    with database.engine.connect() as connection:
        return {levels: _read_template(connection, i, audit) for levels, i in ids.items()}


# -- the region tree and the village staff ----------------------------------------------------


def _region_rows() -> list[tuple[str, str, str, str]]:
    rows = [("130123300", "南山镇", "township", COUNTY)]
    for township in ("100", "200", "300"):
        for n in range(1, 11):
            code = f"{COUNTY}{township}2{n:02d}"
            rows.append((code, f"{township}-{n}村", "village", f"{COUNTY}{township}"))
    return rows


def _ensure_regions(connection: sa.Connection) -> list[str]:
    """The 30 villages (3 townships × 10); adds those missing and their staff."""
    region = SQLModel.metadata.tables["region"]
    have = set(connection.execute(sa.select(region.c.code)).scalars())
    for code, name, level, parent in _region_rows():
        if code not in have:
            connection.execute(
                region.insert().values(code=code, name=name, level=level, parent_code=parent)
            )
    villages = [code for code, _, level, _ in _region_rows() if level == "village"]
    _ensure_staff(connection, villages)
    return villages


def _staff_name(role: str, region: str) -> str:
    return {"caseworker": "cw", "village_head": "vh", "township_reviewer": "tr"}[role] + (
        f".v{region[-6:]}" if len(region) == 12 else f".t{region[-3:]}"
    )


def _ensure_staff(connection: sa.Connection, villages: list[str]) -> None:
    """A caseworker and a village head in every village, a reviewer in every township (the
    demo's users where they exist; new ones copy cw.lizhuang's row, password included)."""
    users = SQLModel.metadata.tables["user_account"]
    rows = [dict(r) for r in connection.execute(sa.select(users)).mappings()]
    model = next(r for r in rows if r["username"] == "cw.lizhuang")
    covered = {(r["roles"][0], r["jurisdiction"]) for r in rows if r["roles"]}
    wanted = [(role, v) for v in villages for role in ("caseworker", "village_head")]
    wanted += [("township_reviewer", t) for t in sorted({v[:9] for v in villages})]
    for role, region in wanted:
        if (role, region) not in covered:
            name = _staff_name(role, region)
            new = {k: v for k, v in model.items() if k != "id"}
            new.update(username=name, full_name=name, roles=[role], jurisdiction=region)
            connection.execute(users.insert().values(**new))


def _staff(connection: sa.Connection) -> dict[tuple[str, str], tuple[int, str]]:
    """(role, jurisdiction) → (user id, username), the first user of each."""
    users = SQLModel.metadata.tables["user_account"]
    staff: dict[tuple[str, str], tuple[int, str]] = {}
    statement = sa.select(users.c.id, users.c.username, users.c.roles, users.c.jurisdiction)
    for uid, name, roles, region in connection.execute(statement.order_by(users.c.id)):
        for role in roles:
            staff.setdefault((role, region), (uid, name))
    return staff


# -- generating a case from a template --------------------------------------------------------


@dataclass
class Generator:
    """Hands out ids, extends the audit chain, and turns templates into new rows."""

    next_id: dict[str, int]
    seq: int
    prev_hash: str
    staff: dict[tuple[str, str], tuple[int, str]]
    batch: dict[str, list[dict[str, Any]]] = field(default_factory=lambda: defaultdict(list))

    def take(self, table: str) -> int:
        self.next_id[table] += 1
        return self.next_id[table]

    def people(self, village: str) -> tuple[dict[int, int], dict[str, str]]:
        """Template's village staff (ids and usernames) → this village's."""
        ids, names = {}, {}
        for role, region in (
            ("caseworker", "130123100201"),
            ("village_head", "130123100201"),
            ("township_reviewer", "130123100"),
        ):
            old = self.staff[(role, region)]
            new = self.staff[(role, village if len(region) == 12 else village[:9])]
            ids[old[0]], names[old[1]] = new[0], new[1]
        return ids, names


@dataclass
class Case:
    """What changes from a template to one bulk case."""

    id: int
    village: str
    delta: timedelta
    name: str
    user_ids: dict[int, int]
    usernames: dict[str, str]
    ids: dict[str, dict[int, int]] = field(default_factory=lambda: defaultdict(dict))
    identity: dict[str, str] = field(default_factory=dict)


def _shifted(row: dict[str, Any], delta: timedelta) -> dict[str, Any]:
    new = row.copy()
    for key in row["__times__"]:
        new[key] = row[key] + delta
    return new


def _application(gen: Generator, template: Template, case: Case) -> None:
    row = _shifted(template.case, case.delta)
    card, number = f"9{case.id:018d}", f"{COUNTY}{case.id:011d}X"
    case.identity = {row["applicant_id_number"]: number, row["bank_card"]: card}
    if row["spouse_id_number"]:
        case.identity[row["spouse_id_number"]] = f"{COUNTY}{case.id:011d}Y"
    row.update(
        id=case.id,
        village_code=case.village,
        applicant_name=case.name,
        applicant_id_number=number,
        bank_card=card,
        spouse_id_number=case.identity.get(row["spouse_id_number"]),
        submitted_by=case.user_ids.get(row["submitted_by"], row["submitted_by"]),
    )
    case.ids["application"][template.case["id"]] = case.id
    gen.batch["application"].append(row)


def _map_user(case: Case, uid: int | None) -> int | None:
    return case.user_ids.get(uid, uid) if uid is not None else None


def _children(gen: Generator, template: Template, case: Case) -> None:
    """Tasks, payout, claims and documents: new ids, the case's village and people."""
    for name in ("task", "payout", "document"):
        for old in template.rows[name]:
            row = _shifted(old, case.delta)
            row["id"] = case.ids[name][old["id"]] = gen.take(name)
            row["application_id"] = case.id
            _children_fields(name, row, case)
            gen.batch[name].append(row)
    for old in template.rows["household_claim"]:
        kind, key = old["claim_key"].split(":", 1)
        claim = {**old, "claim_key": f"{kind}:{case.identity[key]}", "application_id": case.id}
        gen.batch["household_claim"].append(claim)


def _children_fields(name: str, row: dict[str, Any], case: Case) -> None:
    if name == "task":
        row["village_code"] = case.village
        row["completed_by"] = _map_user(case, row["completed_by"])
    elif name == "payout":
        if row["bank_reference"]:
            row["bank_reference"] = f"B{case.id}"
    else:
        row["uploaded_by"] = _map_user(case, row["uploaded_by"])


_JSON = json.JSONEncoder(ensure_ascii=False).encode
_KEY = re.compile(r"task(\d+):(\w+):user(\d+)")


def _notifications(gen: Generator, template: Template, case: Case) -> None:
    """As delivered long ago (sent), to this village's people."""
    for old in template.rows["notification"]:
        row = _shifted(old, case.delta)
        row["id"] = gen.take("notification")
        row["application_id"] = case.id
        row["recipient"] = case.usernames.get(row["recipient"], row["recipient"])
        row["status"], row["attempts"], row["sent_at"] = "sent", 1, row["created_at"]
        match = _KEY.fullmatch(row["idempotency_key"])
        if match:
            task = case.ids["task"].get(int(match[1]), int(match[1]))
            user = _map_user(case, int(match[3]))
            row["idempotency_key"] = f"task{task}:{match[2]}:user{user}"
        else:
            row["idempotency_key"] = f"{row['idempotency_key']}:n{row['id']}"
        gen.batch["notification"].append(row)


def _payload(value: dict[str, Any] | None, case: Case) -> dict[str, Any] | None:
    if not value:
        return value
    value = dict(value)
    for key, table in (("document_id", "document"), ("payout_id", "payout")):
        if key in value:
            value[key] = case.ids[table].get(value[key], value[key])
    if value.get("bank_reference"):
        value["bank_reference"] = f"B{case.id}"
    return value


def _audit(gen: Generator, template: Template, case: Case) -> None:
    """The case's events, appended to the county chain with their hashes."""
    requests: dict[str, str] = {}
    for old in template.rows[AUDIT]:
        row = _shifted(old, case.delta)
        gen.seq += 1
        rid = old["request_id"]
        if rid:
            rid = requests.setdefault(rid, f"{case.id:020x}{len(requests):012x}")
        row.update(
            id=gen.take(AUDIT),
            seq=gen.seq,
            actor=case.usernames.get(row["actor"], row["actor"]),
            region=case.village if row["region"] else None,
            application_id=case.id,
            task_id=case.ids["task"].get(row["task_id"]) if row["task_id"] else None,
            before=_payload(row["before"], case),
            after=_payload(row["after"], case),
            request_id=rid,
            prev_hash=gen.prev_hash,
        )
        digest = hashlib.sha256((gen.prev_hash + _canonical(old, row)).encode())
        row["hash"] = gen.prev_hash = digest.hexdigest()
        gen.batch[AUDIT].append(row)


# The canonical form of an event (service/audit/chain.py) with markers where a bulk copy
# differs from its template: filling in the markers costs a tenth of encoding the event.
_CANONICAL = json.JSONEncoder(sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode
_NUMBERS = ("seq", "application_id", "task_id", "document_id", "payout_id")
_STRINGS = ("at", "actor", "region", "request_id", "bank_reference")


def _marked(fields: dict[str, Any]) -> dict[str, Any]:
    return {k: f"@@{k}@@" if v is not None and k in _NUMBERS + _STRINGS else v
            for k, v in fields.items()}  # fmt: skip


def _canonical_pattern(old: dict[str, Any]) -> tuple[list[str], list[tuple[str, str]]]:
    """The template's canonical text split at the markers: literal parts, and (key, where
    its value is: ``row``, ``at``, or the ``before``/``after`` payload) of each marker."""
    body = _marked({f: old[f] for f in HASHED_FIELDS})
    for side in ("before", "after"):
        if old[side]:
            body[side] = _marked(old[side])
    text = _CANONICAL(body)
    for key in _NUMBERS:
        text = text.replace(f'"@@{key}@@"', f"@@{key}@@")
    pieces = re.split(r"@@(\w+)@@", text)
    sources = []
    for key in pieces[1::2]:
        if key in HASHED_FIELDS:
            sources.append((key, "at" if key == "at" else "row"))
        else:
            sources.append((key, "after" if key in (old["after"] or {}) else "before"))
    return pieces[::2], sources


def _canonical(old: dict[str, Any], row: dict[str, Any]) -> str:
    """``canonical(row)`` of service/audit/chain.py, filled into the template's pattern."""
    if "__canonical__" not in old:
        old["__canonical__"] = _canonical_pattern(old)
        check = _fill_pattern(old["__canonical__"], row)
        assert check == canonical(row).decode(), (old["__canonical__"], check)
    return _fill_pattern(old["__canonical__"], row)


def _fill_pattern(pattern: tuple[list[str], list[tuple[str, str]]], row: dict) -> str:
    parts, sources = pattern
    out = [parts[0]]
    for (key, where), literal in zip(sources, parts[1:], strict=True):
        if where == "row":
            out.append(str(row[key]))
        elif where == "at":  # format_at of a UTC instant
            out.append(row["at"].isoformat(timespec="microseconds")[:-6] + "Z")
        else:
            out.append(str(row[where][key]))
        out.append(literal)
    return "".join(out)


def add_case(gen: Generator, template: Template, case: Case) -> None:
    _application(gen, template, case)
    _children(gen, template, case)
    _notifications(gen, template, case)
    _audit(gen, template, case)


# -- writing ----------------------------------------------------------------------------------


def _copy_postgres(raw: Any, batch: dict[str, list[dict[str, Any]]]) -> None:
    with raw.cursor() as cursor:
        for name in (*TABLES, AUDIT):
            table = SQLModel.metadata.tables[name]
            columns = [c.name for c in table.columns]
            json_columns = [c.name for c in table.columns if isinstance(c.type, sa.JSON)]
            statement = f"COPY {name} ({', '.join(columns)}) FROM STDIN"
            with cursor.copy(statement) as copy:
                for row in batch[name]:
                    for c in json_columns:
                        if row[c] is not None:
                            row[c] = _JSON(row[c])
                    copy.write_row([row[c] for c in columns])
    raw.commit()


def _insert_sqlite(engine: sa.Engine, batch: dict[str, list[dict[str, Any]]]) -> None:
    with engine.begin() as connection:
        for name in (*TABLES, AUDIT):
            table = SQLModel.metadata.tables[name]
            rows = [{c.name: row[c.name] for c in table.columns} for row in batch[name]]
            if rows:
                connection.execute(table.insert(), rows)


def _start(connection: sa.Connection, staff: dict) -> Generator:
    next_id = {}
    for name in ("application", "task", "payout", "document", "notification", AUDIT):
        top = connection.execute(sa.text(f"SELECT max(id) FROM {name}")).scalar()
        next_id[name] = top or 0
    seq, head = connection.execute(
        sa.text("SELECT seq, hash FROM audit_head WHERE county = :c"), {"c": COUNTY}
    ).one()
    return Generator(next_id=next_id, seq=seq, prev_hash=head, staff=staff)


def _finish(database: Database, gen: Generator) -> None:
    """Move the chain's head to the last event; sequences past the ids; statistics."""
    with database.engine.begin() as connection:
        connection.execute(
            sa.text("UPDATE audit_head SET seq = :s, hash = :h WHERE county = :c"),
            {"s": gen.seq, "h": gen.prev_hash, "c": COUNTY},
        )
        if database.name == "postgres":
            for name, top in gen.next_id.items():
                connection.execute(
                    sa.text(f"SELECT setval(pg_get_serial_sequence('{name}', 'id'), :t)"),
                    {"t": top},
                )
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("VACUUM ANALYZE" if database.name == "postgres" else "ANALYZE")


def _plan(cases: int, open_share: float, villages: list[str], seed: int) -> Iterator[tuple]:
    """(index, levels approved, village, created_at) of each case, oldest first; the newest
    ``open_share`` wait at a level (round robin), the others are paid."""
    rng = random.Random(seed)
    end = datetime.now(UTC) - timedelta(hours=1)
    opened = round(cases * open_share)
    for i in range(cases):
        at = end - SPAN * (1 - (i + rng.random()) / cases)
        levels = 5 if i < cases - opened else i % 5
        yield i, levels, rng.choice(villages), at


def fill(
    database: Database,
    cases: int,
    *,
    open_share: float = 0.005,
    audit: str = "full",
    seed: int = 1,
) -> dict[str, int]:
    """Add ``cases`` emergency-consolation cases (see the module's docstring); returns the
    rows written per table. Drives six real cases through ``relief serve`` first."""
    started = time.perf_counter()
    shapes = templates(database, audit)
    with database.engine.begin() as connection:
        villages = _ensure_regions(connection)
        gen = _start(connection, _staff(connection))
    loaded = time.perf_counter()
    with _indexes_deferred(database):
        counts = _load(database, gen, shapes, _plan(cases, open_share, villages, seed), cases)
        generated = time.perf_counter()
    indexed = time.perf_counter()
    _finish(database, gen)
    _report(cases, counts, [started, loaded, generated, indexed, time.perf_counter()])
    return dict(counts)


def _load(
    database: Database, gen: Generator, shapes: dict[int, Template], plan: Iterator, cases: int
) -> dict[str, int]:
    """Generate the cases; each batch is written by a second thread while the next one is
    generated (the database works meanwhile)."""
    counts: dict[str, int] = defaultdict(int)
    raw = database.engine.raw_connection() if database.name == "postgres" else None
    if raw is not None:
        with raw.cursor() as cursor:  # consistent by construction: skip the FK triggers
            cursor.execute("SET session_replication_role = replica")
    started = time.perf_counter()
    try:
        with ThreadPoolExecutor(max_workers=1) as writer:
            pending: Future | None = None
            for i, levels, village, at in plan:
                template = shapes[levels]
                user_ids, usernames = gen.people(village)
                name = SURNAMES[i % len(SURNAMES)] + GIVEN[i // len(SURNAMES) % len(GIVEN)]
                delta = at - template.case["created_at"]
                case = Case(gen.take("application"), village, delta, name, user_ids, usernames)
                add_case(gen, template, case)
                if (i + 1) % BATCH_CASES == 0 or i + 1 == cases:
                    if pending is not None:
                        pending.result()
                        _progress(i + 1, cases, counts, started)
                    batch, gen.batch = gen.batch, defaultdict(list)
                    pending = writer.submit(_flush, database, raw, batch, counts)
            if pending is not None:
                pending.result()
    finally:
        if raw is not None:
            raw.close()
    return counts


@contextmanager
def _indexes_deferred(database: Database) -> Iterator[None]:
    """PostgreSQL: drop the case tables' plain indexes (not those of keys) while loading and
    build them again afterwards: a sorted build costs far less than millions of inserts."""
    if database.name != "postgres":
        yield
        return
    with database.engine.begin() as connection:
        indexes = connection.execute(_PLAIN_INDEXES, {"tables": [*TABLES, AUDIT]}).all()
        for name, _ in indexes:
            connection.exec_driver_sql(f'DROP INDEX "{name}"')
    yield
    with database.engine.connect().execution_options(isolation_level="AUTOCOMMIT") as c:
        c.exec_driver_sql("SET maintenance_work_mem = '512MB'")
        for _, definition in indexes:
            c.exec_driver_sql(definition)


_PLAIN_INDEXES = sa.text(
    "SELECT c.relname, pg_get_indexdef(i.indexrelid) FROM pg_index i"
    " JOIN pg_class c ON c.oid = i.indexrelid JOIN pg_class t ON t.oid = i.indrelid"
    " WHERE t.relname = ANY(:tables)"
    " AND NOT EXISTS (SELECT 1 FROM pg_constraint k WHERE k.conindid = i.indexrelid)"
)


def _flush(database: Database, raw: Any, batch: dict, counts: dict[str, int]) -> None:
    if raw is not None:
        _copy_postgres(raw, batch)
    else:
        _insert_sqlite(database.engine, batch)
    for name, rows in batch.items():
        counts[name] += len(rows)


def _progress(done: int, cases: int, counts: dict[str, int], started: float) -> None:
    if done % 100_000 == 0:
        elapsed = time.perf_counter() - started
        rows = sum(counts.values())
        print(  # noqa: T201
            f"  bulk: {done:,}/{cases:,} cases, {rows:,} rows, {rows / elapsed:,.0f} rows/s",
            flush=True,
        )


def _report(cases: int, counts: dict[str, int], marks: list[float]) -> None:
    started, loaded, generated, indexed, now = marks
    rows = sum(counts.values())
    print(  # noqa: T201
        f"bulk fill: {cases:,} cases in {now - started:.1f} s: templates {loaded - started:.1f}"
        f" s, load {generated - loaded:.1f} s = {rows / (generated - loaded):,.0f} rows/s,"
        f" index build {indexed - generated:.1f} s, vacuum/analyze {now - indexed:.1f} s\n"
        "  rows: " + ", ".join(f"{name} {n:,}" for name, n in counts.items()),
        flush=True,
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--backend", choices=("postgres", "sqlite"), default="postgres")
    parser.add_argument("--cases", type=int, default=100_000)
    parser.add_argument("--open-share", type=float, default=0.005)
    parser.add_argument("--audit", choices=("full", "lean"), default="full")
    args = parser.parse_args()
    with bench_database(args.backend) as database:
        fill(database, args.cases, open_share=args.open_share, audit=args.audit)
    return 0


if __name__ == "__main__":
    sys.exit(main())
