"""Lean pages (issue 21): the case page reads its case once and costs the same queries
however long its timeline, and the workbench's queue rows, now drawn by one template tag,
still say everything a governor reads on them."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from events import services, supervision
from events.models import Event, Rating, RatingSource, Satisfaction
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db


def _queries(client, url: str) -> int:
    client.get(url)
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code == 200
    return len(captured)


def test_the_case_page_costs_the_same_queries_with_three_times_the_timeline(client, world):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="楼道堆物", reporter_phone="13812345678",
    )  # fmt: skip
    url = f"/events/{event.number}/"
    client.force_login(world.governor)

    def comments(first: int, last: int) -> None:
        for i in range(first, last):
            services.event_comment(actor=world.governor, event_id=event.pk, note=f"跟进 {i}")

    comments(0, 3)
    few = _queries(client, url)
    comments(3, 9)
    page = client.get(url).content.decode()
    assert "跟进 8" in page
    assert _queries(client, url) == few
    # The case is read once (it was read by number, then again by its id).
    with CaptureQueriesContext(connection) as captured:
        client.get(url)
    reads = [
        q for q in captured if re.search(r'FROM "events_event"\s+(WHERE|LEFT|INNER)', q["sql"])
    ]
    assert len(reads) == 1, [q["sql"][:120] for q in reads]


def test_the_case_page_costs_the_same_queries_with_more_ratings(client, world):
    """Each rating (回访) shows who recorded it: read with the ratings, not one by one."""
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="路灯不亮"
    )
    url = f"/events/{event.number}/"
    client.force_login(world.dispatcher)

    # As the first rating through events.services.event_rate leaves it: the case was rated.
    Event.objects.filter(pk=event.pk).update(first_satisfaction=Satisfaction.SATISFIED)

    def rate(n: int) -> None:
        for _ in range(n):
            Rating.objects.create(
                event=event, source=RatingSource.DESK, satisfaction=Satisfaction.SATISFIED,
                resolved=True, rated_by=UserFactory(), rated_at=timezone.now(),
            )  # fmt: skip

    rate(1)
    one = _queries(client, url)
    rate(3)
    assert client.get(url).content.decode().count('data-source="desk"') == 4
    assert _queries(client, url) == one


def test_a_queue_row_says_what_the_governor_reads(client, world):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="门口摆摊，摊主电话13912345678，天天都在",
    )  # fmt: skip
    services.event_whistle(actor=world.governor, event_id=event.pk, reason="law_enforcement")
    due = timezone.localdate() + timedelta(days=3)
    supervision.event_supervise(
        actor=world.leader, event_id=event.pk, card="red", note="尽快", due=due
    )
    client.force_login(world.governor)
    html = client.get("/events/workbench/").content.decode()
    row = html.split(f'data-number="{event.number}"', 1)[1].split("</li>", 1)[0]
    text = re.sub(r"<[^>]+>", " ", row)
    text = re.sub(r"\s+", " ", text)
    assert event.number in text and world.category.name in text
    assert "139****5678" in text and "13912345678" not in row  # the typed number, masked
    assert 'data-owner="street_desk"' in row and "街道派单台" in text  # waiting on the desk
    assert 'data-supervision="red"' in row and f"{due:%m-%d}" in text  # 挂牌督办 and its day
    assert world.block.name in text and Event.objects.get().get_status_display() in text
    assert 'class="clock card-' in row  # its countdown
    # The row sits under "waiting on others", not "mine".
    others = html.split('id="queue-others"', 1)[1]
    assert f'data-number="{event.number}"' in others
