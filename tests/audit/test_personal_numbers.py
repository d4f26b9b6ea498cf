"""Masking before storing, for every shape of a number (issue 18, part 3), on both databases.

A card written in groups in a comment, a card sent as a JSON number in an extra field, an ID
followed by other characters: none is stored whole, in any table, nor shown by any read,
export or log line. Rows already in the trail (written before the masking knew these shapes)
cannot be rewritten: reads and exports mask them, and the chain still verifies.

The property test drives a server of its own at DEBUG (the most an operator can log, SQL
parameters included) with a handful of Hypothesis examples: numbers in every shape, in
free text and extra fields, read back through the API, the trail, its CSV and xlsx exports
and the server's log lines.
"""

from __future__ import annotations

import io
import json
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import openpyxl
import pytest
import sqlalchemy as sa
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from service.audit.chain import link_hash
from service.audit.models import AuditEvent, AuditHead
from tests.conftest import Api, Backend, MakeUser
from tests.factories import application, bank_card, id_number
from tests.fresh_county import County, make_county, submit_ready
from tests.personal_numbers import Number, in_text, numbers, shown_whole
from tests.test_logs import LoggedServer, serving_logged


def _grouped(card: str) -> str:
    return " ".join(card[i : i + 4] for i in range(0, len(card), 4))


def _stored_text(backend: Backend, case_id: int) -> list[str]:
    """Every value the database holds for the case outside the columns made for numbers."""
    queries = [
        "SELECT details FROM application WHERE id = :id",
        "SELECT comment FROM task WHERE application_id = :id",
        "SELECT comment FROM audit_event WHERE application_id = :id",
        "SELECT before FROM audit_event WHERE application_id = :id",
        "SELECT after FROM audit_event WHERE application_id = :id",
    ]
    with backend.engine.connect() as db:
        return [
            str(value)
            for query in queries
            for value in db.execute(sa.text(query), {"id": case_id}).scalars()
        ]


def test_numbers_in_every_shape_are_masked_before_they_are_stored(api: Api) -> None:
    card, person = bank_card(), id_number()
    body = application()
    body["note"] = f"另一张卡 {_grouped(card)}，身份证{person}Xu Ming"
    body["household"]["card_copy"] = int(card)  # type: ignore[index]
    case = api.submit(body)
    assert case["details"]["household"]["card_copy"] == card[:4] + "*" * (len(card) - 8) + card[-4:]
    task = api.task_for(case["id"], as_="cw.lizhuang")
    comment = f"请核对卡号 {card[:4]}-{card[4:8]}-{card[8:12]}-{card[12:]} 与 {person.lower()}1"
    assert api.decide(task["id"], "return", as_="cw.lizhuang", comment=comment).status_code == 200

    stored = _stored_text(api.server.backend, case["id"])
    assert any("****" in value for value in stored)
    for value in stored:
        for number in (card, person):
            assert not shown_whole(Number("", number, number), value), value
    read = json.dumps([api.case(case["id"]), api.events(case["id"])], ensure_ascii=False)
    for number in (card, person):
        assert not shown_whole(Number("", number, number), read)


# --- rows already in the trail -----------------------------------------------------------------


def _append_legacy_event(backend: Backend, county: County, case_id: int, card: str) -> None:
    """An event as the trail held it before masking knew cards in groups or as numbers: full
    numbers, chained with a correct hash (the database refuses to rewrite it afterwards)."""
    with backend.engine.begin() as db:
        head = db.execute(
            sa.select(AuditHead.__table__).where(AuditHead.__table__.c.county == county.code)
        ).one()
        fields: dict[str, Any] = {
            "county": county.code,
            "seq": head.seq + 1,
            "at": datetime.now(UTC),
            "actor": county["cw"],
            "role": "caseworker",
            "region": county.village(1),
            "action": "application_corrected",
            "application_id": case_id,
            "task_id": None,
            "before": {"card_copy": int(card)},
            "after": {"note": f"卡号 {_grouped(card)}"},
            "comment": f"旧卡 {_grouped(card)}",
            "request_id": None,
        }
        digest = link_hash(head.hash, fields)
        db.execute(AuditEvent.__table__.insert().values(**fields, prev_hash=head.hash, hash=digest))
        db.execute(
            AuditHead.__table__.update()
            .where(AuditHead.__table__.c.county == county.code)
            .values(seq=fields["seq"], hash=digest)
        )


def _xlsx_text(content: bytes) -> str:
    book = openpyxl.load_workbook(io.BytesIO(content))
    return "\n".join(
        "\t".join("" if cell is None else str(cell) for cell in row)
        for row in book.active.iter_rows(values_only=True)
    )


def test_rows_already_in_the_trail_are_masked_on_every_read_and_export(
    api: Api, make_user: MakeUser
) -> None:
    county = make_county(api.server.backend, make_user)
    case, _task = submit_ready(api, county)
    card = bank_card()
    _append_legacy_event(api.server.backend, county, case["id"], card)
    legacy = Number("card", card, card)
    with api.server.backend.engine.connect() as db:  # the row holds the full number
        comments = db.execute(
            sa.text("SELECT comment FROM audit_event WHERE application_id = :id"),
            {"id": case["id"]},
        ).scalars()
        assert any(shown_whole(legacy, comment or "") for comment in comments)

    auditor = county["au"]
    params = {"application_id": case["id"]}
    events = api.get("/audit/events", as_=auditor, params=params)
    assert events.status_code == 200, events.text
    [event] = [e for e in events.json()["items"] if e["action"] == "application_corrected"]
    masked = card[:4] + "*" * (len(card) - 8) + card[-4:]
    assert event["before"] == {"card_copy": masked}
    timeline = api.case(case["id"], as_=auditor)["timeline"]
    csv_file = api.get("/audit/events.csv", as_=auditor, params=params)
    xlsx_file = api.get("/audit/events.xlsx", as_=auditor, params=params)
    assert csv_file.status_code == xlsx_file.status_code == 200
    page = api.get(f"/audit/cases/{case['id']}", as_=auditor)
    for shown in (
        events.text,
        json.dumps(timeline, ensure_ascii=False),
        csv_file.content.decode("utf-8-sig"),
        _xlsx_text(xlsx_file.content),
        page.text,
    ):
        assert not shown_whole(legacy, shown)
    # The database keeps the row as it was written: the chain still verifies.
    report = api.get("/audit/verify", as_=auditor)
    assert report.json()["ok"] is True, report.text


# --- the property, end to end --------------------------------------------------------------


@pytest.fixture(scope="module")
def logged_module(
    backend: Backend, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[LoggedServer]:
    with serving_logged(backend, tmp_path_factory.mktemp("numbers-logs")) as running:
        yield running


SEEN: list[Number] = []
_READ_UP_TO: dict[Path, int] = {}


def _log_lines(logged: LoggedServer, *, new_only: bool = False) -> list[str]:
    """The server's log lines (``new_only``: whole lines written since the last call)."""
    data = logged.stderr.read_bytes()
    start = _READ_UP_TO.get(logged.stderr, 0) if new_only else 0
    end = data.rfind(b"\n") + 1
    if new_only:
        _READ_UP_TO[logged.stderr] = max(start, end)
    return data[start:end].decode("utf-8", errors="replace").splitlines()


def _assert_hidden(numbers_: list[Number], texts: list[str]) -> None:
    for text in texts:
        for number in numbers_:
            assert not shown_whole(number, text), (number, text[:2000])


@settings(
    max_examples=6,
    deadline=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow],
)
@given(
    note=in_text(),
    comment=in_text(),
    reason=in_text(),
    extra=numbers(),
    as_integer=st.booleans(),
)
def test_no_number_comes_back_whole_from_any_read_export_or_log(
    logged_module: LoggedServer,
    note: tuple[Number, str],
    comment: tuple[Number, str],
    reason: tuple[Number, str],
    extra: Number,
    as_integer: bool,
) -> None:
    api = Api(logged_module.server)
    numbers_ = [note[0], comment[0], reason[0], extra]
    SEEN.extend(numbers_)
    body = application()
    body["note"] = note[1]
    sent = int(extra.digits) if as_integer and extra.digits.isdigit() else extra.written
    body["household"]["copy"] = {"number": sent}  # type: ignore[index]
    case = api.submit(body)
    task = api.task_for(case["id"], as_="cw.lizhuang")
    returned = api.decide(task["id"], "return", as_="cw.lizhuang", comment=comment[1] or "退回")
    assert returned.status_code == 200, returned.text
    withdrawn = api.post(
        f"/applications/{case['id']}/withdraw", as_="cw.lizhuang", json={"reason": reason[1]}
    )
    assert withdrawn.status_code == 200, withdrawn.text

    params = {"application_id": case["id"]}
    reads = [
        api.get(f"/applications/{case['id']}", as_="au.county").text,
        api.get("/applications", as_="vh.lizhuang", params={"limit": 5}).text,
        api.get("/audit/events", as_="au.county", params=params).text,
        api.get("/audit/events.csv", as_="au.county", params=params).content.decode("utf-8-sig"),
        _xlsx_text(api.get("/audit/events.xlsx", as_="au.county", params=params).content),
    ]
    _assert_hidden(numbers_, reads)
    _assert_hidden(SEEN, _log_lines(logged_module, new_only=True))


def test_the_servers_log_lines_hold_no_number_of_the_property_test(
    logged_module: LoggedServer,
) -> None:
    logged_module.stop()  # every line written
    lines = _log_lines(logged_module)
    assert lines, "the server logged nothing"
    _assert_hidden(SEEN, lines)
