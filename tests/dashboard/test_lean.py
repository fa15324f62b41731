"""The dashboard between two roll-ups (issue 21): the block-days that changed since the last
roll-up are recomputed from the cases once and reused by the reads after it, yet every
change and every clock falling due shows at once."""

from __future__ import annotations

from datetime import datetime, timedelta
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext

from events import services, stats
from events.models import Deadline, Event
from tests.dashboard.conftest import NOW, TZ

pytestmark = pytest.mark.django_db
START, END = datetime(2026, 11, 1, tzinfo=TZ), datetime(2026, 12, 1, tzinfo=TZ)

NOVEMBER = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
URL = "/dashboard/430302/?" + urlencode(NOVEMBER)


def _read(client) -> tuple[dict, int]:
    with CaptureQueriesContext(connection) as captured:
        response = client.get(URL)
    assert response.status_code == 200
    return response.context["data"]["counts"], len(captured)


def test_reads_between_roll_ups_reuse_the_recomputed_block_days(story, client):
    # No roll-up has run: every number of November comes from the live delta.
    w = story.world
    client.force_login(w.leader)
    with time_machine.travel(NOW, tick=False):
        first, first_queries = _read(client)
        again, again_queries = _read(client)
        assert again == first
        assert again_queries < first_queries  # the cases were not read again

        # A new case shows at once.
        event = services.event_log(
            actor=w.governor, block=w.block, category=w.category, description="新的事件", now=NOW
        )
        logged, _n = _read(client)
        assert logged["new"] == first["new"] + 1
        assert logged["overdue"] == first["overdue"]

    # Its clock falls due with no change to any case: the next read counts it overdue.
    due = (
        Deadline.objects.filter(event=event, met_at__isnull=True, cancelled_at__isnull=True)
        .order_by("due_at")
        .first()
        .due_at
    )
    later_now = due + timedelta(minutes=1)
    with time_machine.travel(later_now, tick=False):
        later, _n = _read(client)
    november = Event.objects.filter(
        area_code__startswith="430302", created_at__gte=START, created_at__lt=END
    )
    assert later["overdue"] > logged["overdue"]
    assert later["overdue"] == stats.event_counts(november, now=later_now)["overdue"]
