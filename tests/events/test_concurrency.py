"""Two people acting at once on one case: exactly one wins (PostgreSQL, real threads)."""

from __future__ import annotations

import threading

import pytest
from django.db import connection

from events import services
from events.models import Event, Status
from governance.errors import StateConflict

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def run_at_once(*calls):
    barrier = threading.Barrier(len(calls))
    outcomes: list = [None] * len(calls)

    def worker(index, call):
        try:
            barrier.wait()
            outcomes[index] = call()
        except Exception as error:  # collected and asserted by the test
            outcomes[index] = error
        finally:
            connection.close()

    threads = [threading.Thread(target=worker, args=(i, c)) for i, c in enumerate(calls)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    return outcomes


def test_two_block_staff_accepting_at_once_one_wins(world):
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮"
    )
    outcomes = run_at_once(
        lambda: services.event_accept(actor=world.governor, event_id=event.pk),
        lambda: services.event_accept(actor=world.assistant, event_id=event.pk),
    )
    winners = [o for o in outcomes if isinstance(o, Event)]
    losers = [o for o in outcomes if isinstance(o, StateConflict)]
    assert len(winners) == 1 and len(losers) == 1, outcomes
    event.refresh_from_db()
    assert event.status == Status.IN_BLOCK
    assert event.timeline.filter(action="accept").count() == 1
    assert event.deadlines.filter(kind="resolve").count() == 1


def test_resolve_and_invalidate_at_once_leave_one_story(world):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="噪音"
    )
    outcomes = run_at_once(
        lambda: services.event_resolve(actor=world.governor, event_id=event.pk, note="已处理"),
        lambda: services.event_invalidate(actor=world.assistant, event_id=event.pk, reason="重复"),
    )
    assert sum(isinstance(o, Event) for o in outcomes) == 1, outcomes
    event.refresh_from_db()
    assert event.timeline.exclude(action="log").count() == 1


def test_case_numbers_stay_unique_under_concurrent_intake(world):
    outcomes = run_at_once(
        *[
            (
                lambda i=i: services.event_log(
                    actor=world.governor,
                    block=world.block,
                    category=world.category,
                    description=f"第{i}件",
                )
            )  # fmt: skip
            for i in range(6)
        ]
    )
    numbers = [o.number for o in outcomes if isinstance(o, Event)]
    assert len(numbers) == 6, outcomes
    assert sorted(n[-4:] for n in numbers) == ["0001", "0002", "0003", "0004", "0005", "0006"]
