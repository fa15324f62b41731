"""A big bulk load (issue 21): planned by worker processes, one transaction without the
secondary indexes. Thresholds are lowered so that a few hundred cases take that path."""

import random

import pytest
from django.db import connection

from demo import bulk
from events.models import Event, Rating, TimelineEntry

pytestmark = pytest.mark.django_db

TABLES = ("events_event", "events_deadline", "events_timelineentry", "events_rating")


def indexes() -> set[tuple[str, str]]:
    """Each index's name and table (a rebuilt partial index's predicate may read
    differently, re-parsed: ``IN (…)`` casts print otherwise, meaning the same)."""
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT indexname, tablename FROM pg_indexes WHERE tablename = ANY(%s)",
            [list(TABLES)],
        )
        return set(cursor.fetchall())


@pytest.fixture
def big(monkeypatch):
    if connection.vendor != "postgresql":
        pytest.skip("the big load's path is PostgreSQL's")
    monkeypatch.setattr(bulk, "BATCH", 50)
    monkeypatch.setattr(bulk, "PARALLEL_FROM", 100)
    monkeypatch.setattr(bulk, "ONE_TRANSACTION_FROM", 100)


def test_a_big_load_numbers_every_case_once_and_keeps_every_index(world, big):
    before = indexes()
    made = bulk.generate_events(district=world.district, count=230, rng=random.Random(5))
    assert indexes() == before
    cases = Event.objects.filter(number__startswith="B430302")
    assert made == 230 and cases.count() == 230
    assert sorted(cases.values_list("number", flat=True)) == [
        f"B430302-{i:08d}" for i in range(230)
    ]
    # Every case has its timeline, opened by its logging; ratings name rated cases only.
    assert set(
        TimelineEntry.objects.filter(action="log").values_list("event__number", flat=True)
    ) == set(cases.values_list("number", flat=True))
    assert not Rating.objects.filter(event__rated_at__isnull=True).exists()
    # The next load numbers after this one.
    bulk.generate_events(district=world.district, count=120, rng=random.Random(6))
    assert cases.count() == 350 and cases.filter(number="B430302-00000349").exists()


def test_an_interrupted_big_load_leaves_nothing_and_every_index(world, big, monkeypatch):
    before = indexes()
    copied = []

    def copy_then_fail(chunk):
        if copied:
            raise RuntimeError("interrupted")
        copied.append(chunk)
        real_copy(chunk)

    real_copy = bulk._copy
    monkeypatch.setattr(bulk, "_copy", copy_then_fail)
    with pytest.raises(RuntimeError):
        bulk.generate_events(district=world.district, count=200, rng=random.Random(5))
    assert copied  # a chunk had gone in before the interruption
    assert not Event.objects.filter(number__startswith="B430302").exists()
    assert indexes() == before
