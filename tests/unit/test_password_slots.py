"""The password-check slots: N checks at once, the next waits for one to end or is refused.

Counted, not timed: holders are held by events the test sets, and what is asserted is how many
are inside and who was refused, never how long anything took.
"""

from __future__ import annotations

import asyncio
from collections.abc import Callable

import pytest

from service.auth.passwords import Slots
from service.errors import ServiceBusy


async def _hold(slots: Slots, inside: list[int], release: asyncio.Event) -> None:
    async with slots.slot():
        inside.append(1)
        await release.wait()


async def _until(condition: Callable[[], bool]) -> None:
    while not condition():
        await asyncio.sleep(0)


def test_the_check_after_the_last_slot_is_refused_with_503_and_retry_after() -> None:
    async def scenario() -> None:
        slots, release = Slots(3, wait_seconds=0), asyncio.Event()
        inside: list[int] = []
        holders = [asyncio.create_task(_hold(slots, inside, release)) for _ in range(3)]
        await _until(lambda: len(inside) == 3)
        with pytest.raises(ServiceBusy) as refused:
            async with slots.slot():
                pytest.fail("a fourth check ran while three held the slots")
        assert refused.value.status == 503
        assert refused.value.code == "password-checks-busy"
        assert refused.value.extra["retry_after"] >= 1
        assert slots.held == 3
        release.set()
        await asyncio.gather(*holders)
        async with slots.slot():  # free again
            assert slots.held == 1
        assert slots.held == 0

    asyncio.run(scenario())


def test_the_check_after_the_last_slot_waits_and_runs_when_one_frees() -> None:
    async def scenario() -> None:
        slots, release = Slots(2, wait_seconds=60), asyncio.Event()
        inside: list[int] = []
        holders = [asyncio.create_task(_hold(slots, inside, release)) for _ in range(2)]
        await _until(lambda: len(inside) == 2)
        late_release = asyncio.Event()
        late = asyncio.create_task(_hold(slots, inside, late_release))
        for _ in range(20):  # many turns of the loop: it stays outside
            await asyncio.sleep(0)
        assert len(inside) == 2
        assert slots.held == 2
        release.set()  # both holders end; the waiting check gets a slot
        await asyncio.gather(*holders)
        await _until(lambda: len(inside) == 3)
        assert slots.held == 1
        late_release.set()
        await late

    asyncio.run(scenario())


def test_a_check_that_waits_past_its_bound_is_refused_and_takes_no_slot() -> None:
    async def scenario() -> None:
        slots, release = Slots(1, wait_seconds=0.05), asyncio.Event()
        inside: list[int] = []
        holder = asyncio.create_task(_hold(slots, inside, release))
        await _until(lambda: len(inside) == 1)
        with pytest.raises(ServiceBusy):
            async with slots.slot():
                pytest.fail("ran while the only slot was held")
        release.set()
        await holder
        assert slots.held == 0
        async with slots.slot():  # the refused wait left the slot free
            assert slots.held == 1

    asyncio.run(scenario())
