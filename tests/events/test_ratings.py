"""Every rating is a record (回访, issue 17 item 1; DESIGN §5): a negative rating sends the
case back for rework and still counts — rated, not resolved — until the rating after the next
closing replaces it; the first rating stays for 一次解决率 / 一次满意率.

One case is driven through negative rating → rework → resolve → verify → positive rating;
at each step every rate, current and first-time, is compared with a hand count made from the
``Rating`` records themselves (the last record of a case is its current rating, the first
its first)."""

from __future__ import annotations

import importlib
from datetime import timedelta

import pytest
from django.apps import apps
from django.test import Client
from django.utils import timezone
from rest_framework.test import APIClient

from blocks.access import scope_for
from dashboards import rollup
from events import services, stats
from events.models import (
    Action,
    ClockKind,
    Event,
    Rating,
    RatingSource,
    Satisfaction,
    Status,
    TimelineEntry,
)
from events.workflow import allowed_actions
from governance.errors import DomainError

pytestmark = pytest.mark.django_db

GOOD = (Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED)


def hand_count(events) -> dict[str, float | None]:
    """The four rates in per cent, counted by hand from the rating records."""
    first: dict[int, Rating] = {}
    current: dict[int, Rating] = {}
    for rating in Rating.objects.filter(event__in=events).order_by("rated_at", "id"):
        first.setdefault(rating.event_id, rating)
        current[rating.event_id] = rating

    def percent(ratings, good) -> float | None:
        ratings = list(ratings)
        return round(100 * sum(map(good, ratings)) / len(ratings), 2) if ratings else None

    return {
        "resolution_rate": percent(current.values(), lambda r: r.resolved),
        "satisfaction_rate": percent(current.values(), lambda r: r.satisfaction in GOOD),
        "first_resolution_rate": percent(first.values(), lambda r: r.resolved),
        "first_satisfaction_rate": percent(first.values(), lambda r: r.satisfaction in GOOD),
    }


RATES = ("resolution_rate", "satisfaction_rate", "first_resolution_rate", "first_satisfaction_rate")


def counted_rates(events, now) -> dict[str, float | None]:
    measures = stats.measures(stats.event_counts(events, now=now))
    return {name: measures[name]["percent"] for name in RATES}


def summary_rates(world, day, now) -> dict[str, float | None]:
    """What ``/api/stats/summary/`` says for the block on that day, after a roll-up."""
    rollup.rollup(now=now)
    client = APIClient()
    client.force_authenticate(world.leader)
    response = client.get("/api/stats/summary/", {"area": world.block.code, "from": day, "to": day})
    assert response.status_code == 200, response.json()
    return {name: response.json()[name]["percent"] for name in RATES}


def closed_case(world, at, *, reporter="13812345678") -> Event:
    """A resident's report, accepted and resolved by the governor, verified by the supervisor."""
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮",
        reporter_phone=reporter, now=at,
    )  # fmt: skip
    services.event_accept(actor=world.governor, event_id=event.pk, now=at + timedelta(minutes=5))
    services.event_resolve(
        actor=world.governor, event_id=event.pk, note="已更换灯泡", now=at + timedelta(hours=1)
    )
    return services.event_verify(
        actor=world.supervisor, event_id=event.pk, now=at + timedelta(hours=2)
    )


def test_a_negative_rating_counts_until_a_later_rating_replaces_it(world):
    start = timezone.now() - timedelta(hours=8)
    day = timezone.localdate(start).isoformat()
    # Another case of the block, rated well: the rates are not all 0 or 100.
    other = closed_case(world, start, reporter="13800000001")
    services.event_rate(
        actor=None, event_id=other.pk, satisfaction=Satisfaction.SATISFIED, resolved=True,
        now=start + timedelta(hours=3),
    )  # fmt: skip
    event = closed_case(world, start)
    events = Event.objects.filter(block=world.block)

    def check(at, expected):
        assert hand_count(events) == expected
        assert counted_rates(events, at) == expected
        assert summary_rates(world, day, at) == expected

    at = start + timedelta(hours=3)
    check(at, dict.fromkeys(RATES, 100.0))
    rate_clock = event.deadlines.get(kind=ClockKind.RATE)
    assert rate_clock.met_at is None and rate_clock.cancelled_at is None

    # 1. The resident: dissatisfied, not resolved. Back to the block; the rating stays.
    at = start + timedelta(hours=4)
    event = services.event_rate(
        actor=None, event_id=event.pk, satisfaction=Satisfaction.DISSATISFIED, resolved=False,
        comment="路灯还是不亮", now=at,
    )  # fmt: skip
    assert event.status == Status.IN_BLOCK and event.rework_count == 1
    assert (event.satisfaction, event.resolved_by_resident, event.rated_at) == (
        Satisfaction.DISSATISFIED, False, at,
    )  # fmt: skip
    assert event.rating_comment == "路灯还是不亮"
    assert (event.first_satisfaction, event.first_resolved) == (Satisfaction.DISSATISFIED, False)
    rate_clock.refresh_from_db()
    assert rate_clock.met_at == at  # the rate clock stopped; a fresh resolve clock runs
    assert event.deadlines.filter(kind=ClockKind.RESOLVE, met_at=None, cancelled_at=None).exists()
    # 1 of 2 rated cases resolved, 1 of 2 satisfied; the first ratings say the same.
    check(at, dict.fromkeys(RATES, 50.0))

    # 2. The block does it again; the supervisor checks and closes it.
    at = start + timedelta(hours=5)
    services.event_resolve(actor=world.governor, event_id=event.pk, note="更换了整条线路", now=at)
    check(at, dict.fromkeys(RATES, 50.0))  # still rated, not resolved
    at = start + timedelta(hours=6)
    event = services.event_verify(actor=world.supervisor, event_id=event.pk, now=at)
    check(at, dict.fromkeys(RATES, 50.0))
    # A new closing: it may be rated again, and the rate clock runs again.
    assert Action.RATE in allowed_actions(scope_for(world.dispatcher), event)
    assert event.deadlines.filter(kind=ClockKind.RATE, met_at=None, cancelled_at=None).exists()

    # 3. The street desk's callback (via the hotline this time): satisfied and resolved.
    at = start + timedelta(hours=7)
    event = services.event_rate(
        actor=world.dispatcher, event_id=event.pk, satisfaction=Satisfaction.SATISFIED,
        resolved=True, source=RatingSource.HOTLINE, now=at,
    )  # fmt: skip
    assert event.status == Status.CLOSED
    assert (event.satisfaction, event.resolved_by_resident, event.rated_at) == (
        Satisfaction.SATISFIED, True, at,
    )  # fmt: skip
    # The first rating never changes; every rating is a record.
    assert (event.first_satisfaction, event.first_resolved) == (Satisfaction.DISSATISFIED, False)
    records = list(event.ratings.values_list("source", "satisfaction", "resolved", "rated_by"))
    assert records == [
        (RatingSource.RESIDENT, Satisfaction.DISSATISFIED, False, None),
        (RatingSource.HOTLINE, Satisfaction.SATISFIED, True, world.dispatcher.pk),
    ]
    check(at, {"resolution_rate": 100.0, "satisfaction_rate": 100.0,
               "first_resolution_rate": 50.0, "first_satisfaction_rate": 50.0})  # fmt: skip

    # 4. This closing is rated: no second rating, no button for it.
    with pytest.raises(DomainError) as refused:
        services.event_rate(
            actor=None, event_id=event.pk, satisfaction=Satisfaction.DISSATISFIED, resolved=False
        )
    assert refused.value.code == "already_rated"
    assert Action.RATE not in allowed_actions(scope_for(world.dispatcher), event)
    assert event.ratings.count() == 2


def test_staff_name_who_called_the_desk_or_the_hotline_never_the_resident(world):
    event = closed_case(world, timezone.now() - timedelta(hours=3))
    with pytest.raises(Exception, match="调度台|热线|desk|hotline"):
        services.event_rate(
            actor=world.dispatcher, event_id=event.pk, satisfaction=Satisfaction.SATISFIED,
            resolved=True, source=RatingSource.RESIDENT,
        )  # fmt: skip
    assert not event.ratings.exists()
    # Without a word, a staff rating is the desk's callback.
    services.event_rate(
        actor=world.dispatcher, event_id=event.pk, satisfaction=Satisfaction.SATISFIED,
        resolved=True,
    )  # fmt: skip
    assert event.ratings.get().source == RatingSource.DESK


def test_the_data_migration_turns_the_timelines_ratings_into_records(world):
    """events/migrations/0018: each RATE entry of a timeline becomes a record; the first and
    the last set the case's first and current rating (a negative one is no longer lost)."""
    at = timezone.now() - timedelta(days=3)
    reworked = closed_case(world, at, reporter="13800000001")
    kept = closed_case(world, at, reporter="13800000002")

    def rate_entry(event, when, actor, satisfaction, resolved, note=""):
        TimelineEntry.objects.create(
            event=event, at=when, actor=actor, action=Action.RATE, from_status=Status.CLOSED,
            to_status=Status.CLOSED, note=note,
            data={"satisfaction": satisfaction, "resolved": resolved},
        )  # fmt: skip

    # As the old service left them: the entries, no records.
    rate_entry(reworked, at + timedelta(hours=4), None, "dissatisfied", False, "没修好")
    rate_entry(reworked, at + timedelta(days=1), world.dispatcher, "satisfied", True)
    rate_entry(kept, at + timedelta(hours=5), None, "basically_satisfied", True, "还行")
    TimelineEntry.objects.create(  # an entry with no answer in it is no rating
        event=kept, at=at + timedelta(hours=6), action=Action.RATE, data={}
    )
    migration = importlib.import_module("events.migrations.0018_ratings_from_timelines")
    migration.forward(apps, None)

    rows = Rating.objects.order_by("event_id", "rated_at").values_list(
        "event_id", "source", "satisfaction", "resolved", "comment", "rated_by"
    )
    assert list(rows) == [
        (reworked.pk, "resident", "dissatisfied", False, "没修好", None),
        (reworked.pk, "desk", "satisfied", True, "", world.dispatcher.pk),
        (kept.pk, "resident", "basically_satisfied", True, "还行", None),
    ]
    reworked.refresh_from_db()
    kept.refresh_from_db()
    assert (reworked.first_satisfaction, reworked.first_resolved) == ("dissatisfied", False)
    assert (reworked.satisfaction, reworked.resolved_by_resident) == ("satisfied", True)
    assert reworked.rated_at == at + timedelta(days=1)
    assert (kept.first_satisfaction, kept.satisfaction, kept.rating_comment) == (
        "basically_satisfied", "basically_satisfied", "还行",
    )  # fmt: skip


def test_the_page_and_the_api_record_who_called_and_the_page_lists_every_rating(world):
    at = timezone.now() - timedelta(hours=5)
    by_page = closed_case(world, at, reporter="13800000001")
    by_api = closed_case(world, at, reporter="13800000002")
    page = Client()
    page.force_login(world.dispatcher)
    form = page.get(f"/events/{by_page.number}/").content.decode()
    assert 'name="source"' in form and 'value="hotline"' in form
    page.post(
        f"/events/{by_page.number}/rate/",
        {"satisfaction": "dissatisfied", "resolved": "0", "source": "hotline",
         "comment": "居民说灯还不亮，电话13812345678", "expected_status": "closed"},
    )  # fmt: skip
    api = APIClient()
    api.force_authenticate(world.dispatcher)
    url = f"/api/events/{by_api.number}/rate/"
    wrong = api.post(url, {"satisfaction": "satisfied", "resolved": True, "source": "resident"},
                     format="json")  # fmt: skip
    assert wrong.status_code == 400 and "source" in wrong.json()["errors"]
    done = api.post(url, {"satisfaction": "satisfied", "resolved": True}, format="json")
    assert done.status_code == 200, done.json()
    assert by_page.ratings.get().source == RatingSource.HOTLINE
    assert by_api.ratings.get().source == RatingSource.DESK  # the default

    # The case page lists the ratings: when, who asked, the answers, the comment (masked).
    by_page.refresh_from_db()
    assert by_page.status == Status.IN_BLOCK  # dissatisfied, not resolved: rework
    page.force_login(world.governor)
    html = page.get(f"/events/{by_page.number}/").content.decode()
    section = html[html.index('id="ratings"') :]
    section = section[: section.index("</section>")]
    assert 'data-source="hotline"' in section and 'data-satisfaction="dissatisfied"' in section
    rating = by_page.ratings.get()
    assert timezone.localtime(rating.rated_at).strftime("%Y-%m-%d %H:%M") in section
    assert "138****5678" in section and "13812345678" not in section


def test_the_desk_that_calls_the_resident_back_may_reveal_their_number(world):
    """回访 needs the resident's number: while a closed case waits for its rating, whoever
    may record it (the street desk) handles it; the block that resolved it no longer does,
    and once the closing is rated nobody does."""
    from blocks.access import scope_for
    from events.selectors import viewer_handles

    event = closed_case(world, timezone.now() - timedelta(hours=3))
    assert viewer_handles(scope_for(world.dispatcher), event)
    for user in (world.governor, world.supervisor, world.leader, world.neighbour):
        assert not viewer_handles(scope_for(user), event), user
    rated = services.event_rate(
        actor=world.dispatcher, event_id=event.pk, satisfaction=Satisfaction.SATISFIED,
        resolved=True,
    )  # fmt: skip
    assert not viewer_handles(scope_for(world.dispatcher), rated)
