"""The bulk generator leaves cases as the workflow would: clocks and timelines that agree."""

import random

import pytest

from demo.bulk import generate_events
from events.models import Event, Status

pytestmark = pytest.mark.django_db


def test_generated_cases_have_consistent_stages_clocks_and_timelines(world):
    made = generate_events(district=world.district, count=300, rng=random.Random(1))
    events = Event.objects.filter(number__startswith="B430302")
    assert made == 300 and events.count() == 300
    for event in events.prefetch_related("timeline", "deadlines", "ratings"):
        actions = [t.action for t in event.timeline.all()]
        assert actions[0] == "log"
        if event.status == Status.CLOSED:
            assert "verify" in actions and event.closed_at >= event.resolved_at >= event.created_at
            assert all(d.met_at for d in event.deadlines.all())
        if event.rated_at:
            # Every rating a record, first and current alike; "dissatisfied, not resolved"
            # went back for rework and stays the case's rating (issue 17).
            rating = event.ratings.get()
            assert (rating.satisfaction, rating.resolved, rating.rated_at, rating.source) == (
                event.satisfaction, event.resolved_by_resident, event.rated_at, "resident"
            )  # fmt: skip
            assert (event.first_satisfaction, event.first_resolved) == (
                event.satisfaction, event.resolved_by_resident
            )  # fmt: skip
            reworked = not event.resolved_by_resident
            assert actions[-2:] == ["rate", "rework"] if reworked else actions[-1] == "rate"
            assert event.status == (Status.IN_BLOCK if reworked else Status.CLOSED)
        else:
            assert not event.ratings.exists() and not event.first_satisfaction
    # Some of each: a kept rating, and a negative one that sent its case back.
    assert events.filter(rated_at__isnull=False, status=Status.CLOSED).exists()
    assert events.filter(rated_at__isnull=False, status=Status.IN_BLOCK).exists()
    statuses = set(events.values_list("status", flat=True))
    assert {"closed", "in_block"} <= statuses
