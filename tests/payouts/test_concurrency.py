"""Two finance officers at the same moment: a payout goes into one batch and is paid once."""

from __future__ import annotations

from collections import Counter

import pytest
import sqlalchemy as sa

from tests.conftest import Api, Backend, MakeUser
from tests.fresh_county import County, approved_case, make_county
from tests.payouts.helpers import make_batch
from tests.tasks.test_concurrency import race

EC = 300000


@pytest.fixture
def county(backend: Backend, make_user: MakeUser) -> County:
    return make_county(backend, make_user)


def test_simultaneous_batches_never_share_a_payout(
    api: Api, backend: Backend, county: County, make_user: MakeUser
) -> None:
    for _ in range(4):
        approved_case(api, county)
    officers = [county["fo"], *(make_user(["finance_officer"], county.code) for _ in range(3))]
    responses = race(api, [(officer, "/payouts/batches", {}) for officer in officers])
    statuses = Counter(response.status_code for response in responses)
    assert statuses == {201: 1, 409: 3}, [r.text for r in responses]
    # Serialised (SQLite), the others find nothing left; interleaved (PostgreSQL), the partial
    # unique index refuses the second line of a payout.
    kinds = {r.json()["type"].rsplit(":", 1)[1] for r in responses if r.status_code == 409}
    assert kinds <= {"nothing-to-batch", "conflict"}
    (made,) = [r.json() for r in responses if r.status_code == 201]
    assert made["line_count"] == 4
    with backend.engine.connect() as connection:
        lines = connection.execute(
            sa.text(
                "SELECT l.payout_id FROM payout_batch_line l JOIN payout_batch b"
                " ON b.id = l.batch_id WHERE b.county_code = :c"
            ),
            {"c": county.code},
        ).scalars()
        assert Counter(Counter(lines).values()) == {1: 4}  # each payout in one line


def test_the_same_results_posted_twice_at_once_pay_each_line_once(
    api: Api, backend: Backend, county: County
) -> None:
    cases = [approved_case(api, county) for _ in range(3)]
    batch = make_batch(api, county)
    body = {
        "lines": [
            {"reference": line["reference"], "status": "paid", "amount_fen": EC}
            for line in batch["lines"]
        ]
    }
    path = f"/payouts/batches/{batch['id']}/results"
    responses = race(api, [(county["fo"], path, body), (county["fo"], path, body)])
    assert [r.status_code for r in responses] == [200, 200], [r.text for r in responses]
    recorded = sum(r.json()["recorded"] for r in responses)
    unchanged = sum(r.json()["unchanged"] for r in responses)
    # Each line is recorded by one request; the other finds it answered (its conditional
    # update waits for the first request's row lock, then matches nothing).
    assert (recorded, unchanged) == (3, 3)
    assert [r.json()["refused"] for r in responses] == [0, 0]
    with backend.engine.connect() as connection:
        paid_events = connection.execute(
            sa.text(
                "SELECT count(*) FROM audit_event WHERE county = :c AND action = 'payout_paid'"
            ),
            {"c": county.code},
        ).scalar_one()
    assert paid_events == 3
    for case in cases:
        assert api.case(case["id"], as_=county["au"])["status"] == "paid"
    final = api.get(f"/payouts/batches/{batch['id']}", as_=county["fo"]).json()
    assert (final["status"], final["paid_count"]) == ("settled", 3)
