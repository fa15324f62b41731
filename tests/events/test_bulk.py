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
    for event in events.prefetch_related("timeline", "deadlines"):
        actions = [t.action for t in event.timeline.all()]
        assert actions[0] == "log"
        if event.status == Status.CLOSED:
            assert "verify" in actions and event.closed_at >= event.resolved_at >= event.created_at
            assert all(d.met_at for d in event.deadlines.all())
        if event.rated_at:
            assert actions[-1] == "rate" and event.satisfaction
    statuses = set(events.values_list("status", flat=True))
    assert {"closed", "in_block"} <= statuses
