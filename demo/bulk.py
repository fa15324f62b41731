"""Many realistic cases at once, for demos at scale and benchmarks (issue 11): a year of
cases across a district — channels, matters, colours, every stage, on time and late, rated
and not — with their clocks and timelines. PostgreSQL gets them through COPY (a million
cases in minutes); other databases through bulk inserts.

The rows are what the workflow services would have written; the services themselves are
far too slow for millions, and the demo seeding walks them for the few hundred that matter.
"""

from __future__ import annotations

import json
import random
import secrets
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.utils import timezone

from blocks.models import Area
from events.models import (
    Category,
    Channel,
    ClockKind,
    Deadline,
    Event,
    HandlerLevel,
    Rating,
    RatingSource,
    Satisfaction,
    Status,
    TimelineEntry,
)

BATCH = 20_000
CHANNELS = (
    [Channel.BLOCK_STAFF] * 5 + [Channel.SELF_REPORT] * 3 + [Channel.HOTLINE] * 2 + [Channel.PATROL]
)
SATISFACTION = (
    [Satisfaction.SATISFIED] * 16
    + [Satisfaction.BASICALLY_SATISFIED] * 3
    + [Satisfaction.DISSATISFIED]
)


def _plan(*, number: str, block: Area, category: Category, now: datetime, rng: random.Random):
    """One case: the event row's values, its clocks, its timeline (at, action, from, to and
    the entry's data) and its rating, if it has one."""
    created = now - timedelta(seconds=rng.randint(60, 365 * 86400))
    channel = rng.choice(CHANNELS)
    age = (now - created).total_seconds()
    # Older cases are mostly done; the last days hold the open ones.
    stage = rng.random() if age < 5 * 86400 else 0.6 + rng.random() * 0.4
    event = {
        # 64 random bits: a million codes collide with odds of about 1 in 37 million.
        "number": number, "tracking_code": secrets.token_hex(8).upper(), "channel": channel,
        "status": Status.PENDING, "handler_level": HandlerLevel.BLOCK, "block_id": block.pk,
        "area_code": block.code, "category_id": category.pk, "priority": category.default_priority,
        "description": f"{category.name}（批量生成）", "created_at": created, "updated_at": created,
    }  # fmt: skip
    clocks: list[dict] = []
    timeline: list[tuple[datetime, str, str, str, dict]] = [(created, "log", "", "", {})]
    rating = None
    respond_due = created + timedelta(minutes=15)
    t = created
    staff = channel in (Channel.BLOCK_STAFF, Channel.PATROL)
    if staff or stage > 0.05:
        t = created if staff else created + timedelta(minutes=rng.choice([3, 6, 9, 12, 14, 20, 40]))
        clocks.append({"kind": ClockKind.RESPOND, "started_at": created, "due_at": respond_due,
                       "met_at": t, "breached_at": respond_due if t > respond_due else None})  # fmt: skip
        event.update(status=Status.IN_BLOCK, accepted_at=t)
        timeline.append((t, "accept", Status.PENDING, Status.IN_BLOCK, {}))
    else:
        clocks.append({"kind": ClockKind.RESPOND, "started_at": created, "due_at": respond_due,
                       "breached_at": respond_due if now > respond_due else None})  # fmt: skip
        return event, clocks, timeline, rating
    days = {"red": 1, "orange": 4, "yellow": 7, "green": 14}[event["priority"]]
    resolve_due = t + timedelta(days=days)
    if stage < 0.2:
        clocks.append({"kind": ClockKind.RESOLVE, "started_at": t, "due_at": resolve_due,
                       "breached_at": resolve_due if now > resolve_due else None})  # fmt: skip
        return event, clocks, timeline, rating
    resolved = t + timedelta(hours=rng.randint(1, 24 * 9))
    if resolved >= now:
        resolved = now - timedelta(minutes=1)
    clocks.append({"kind": ClockKind.RESOLVE, "started_at": t, "due_at": resolve_due,
                   "met_at": resolved, "breached_at": resolve_due if resolved > resolve_due else None})  # fmt: skip
    event.update(status=Status.AWAITING_VERIFICATION, resolved_at=resolved)
    timeline.append((resolved, "resolve", Status.IN_BLOCK, Status.AWAITING_VERIFICATION, {}))
    if stage < 0.3:
        return event, clocks, timeline, rating
    closed = min(resolved + timedelta(hours=rng.randint(1, 30)), now)
    event.update(status=Status.CLOSED, closed_at=closed)
    timeline.append((closed, "verify", Status.AWAITING_VERIFICATION, Status.CLOSED, {}))
    if stage < 0.45:
        return event, clocks, timeline, rating
    # 回访 on the tracking page (the resident: no staff to separate from), kept as a record
    # and as the case's first and current rating, as events.services.event_rate does.
    rated = min(closed + timedelta(hours=rng.randint(2, 40)), now)
    satisfaction = rng.choice(SATISFACTION)
    resolved_by_resident = satisfaction != Satisfaction.DISSATISFIED
    rating = {"source": RatingSource.RESIDENT, "satisfaction": satisfaction,
              "resolved": resolved_by_resident, "rated_at": rated}  # fmt: skip
    event.update(rated_at=rated, satisfaction=satisfaction,
                 resolved_by_resident=resolved_by_resident, first_satisfaction=satisfaction,
                 first_resolved=resolved_by_resident)  # fmt: skip
    timeline.append((rated, "rate", Status.CLOSED, Status.CLOSED,
                     {"satisfaction": satisfaction, "resolved": resolved_by_resident,
                      "source": RatingSource.RESIDENT}))  # fmt: skip
    if not resolved_by_resident:
        # Dissatisfied and not resolved: back to the block as rework, with a fresh resolve
        # clock; the rating stays the case's (rated, not resolved).
        event.update(status=Status.IN_BLOCK, rework_count=1, resolved_at=None, closed_at=None)
        timeline.append((rated, "rework", Status.CLOSED, Status.IN_BLOCK, {}))
        rework_due = rated + timedelta(days=days)
        clocks.append({"kind": ClockKind.RESOLVE, "started_at": rated, "due_at": rework_due,
                       "breached_at": rework_due if now > rework_due else None})  # fmt: skip
    event["updated_at"] = timeline[-1][0]
    return event, clocks, timeline, rating


def _copy(model, rows: list[dict]) -> None:
    """Insert ``rows`` (field name → value) into ``model``'s table, by COPY on PostgreSQL."""
    if not rows:
        return
    fields = [f for f in model._meta.concrete_fields if not f.primary_key]
    columns = [f.column for f in fields]
    if connection.vendor != "postgresql":
        model.objects.bulk_create([model(**r) for r in rows], batch_size=2000)
        return
    defaults = {f.attname: f.get_default() for f in fields}
    with connection.cursor() as cursor:
        raw = cursor.cursor
        with raw.copy(f"COPY {model._meta.db_table} ({', '.join(columns)}) FROM STDIN") as copy:
            for row in rows:
                values = [row.get(f.attname, defaults[f.attname]) for f in fields]
                copy.write_row([json.dumps(v) if isinstance(v, dict) else v for v in values])


def generate_events(*, district: Area, count: int, rng: random.Random, now=None) -> int:
    """Create ``count`` cases spread over the district's blocks and the last year."""
    now = now or timezone.now()
    blocks = list(
        Area.objects.filter(level=Area.Level.BLOCK, code__startswith=district.code, closed_on=None)
    )
    categories = list(Category.objects.filter(parent__isnull=False, is_active=True))
    prefix = f"B{district.code}"
    start = Event.objects.filter(number__startswith=prefix).count()
    made = 0
    while made < count:
        size = min(BATCH, count - made)
        plans = [
            _plan(number=f"{prefix}-{start + made + i:08d}", block=rng.choice(blocks),
                  category=rng.choice(categories), now=now, rng=rng)
            for i in range(size)
        ]  # fmt: skip
        with transaction.atomic():
            _copy(Event, [p[0] for p in plans])
            ids = dict(
                Event.objects.filter(number__in=[p[0]["number"] for p in plans]).values_list(
                    "number", "pk"
                )
            )
            clocks, entries, ratings = [], [], []
            for event, event_clocks, timeline, rating in plans:
                pk = ids[event["number"]]
                for clock in event_clocks:
                    span = clock["due_at"] - clock["started_at"]
                    clocks.append({**clock, "event_id": pk, "warn_at": clock["started_at"] + span * 0.8,
                                   "warned_at": clock["started_at"] + span * 0.8 if clock.get("breached_at") else None})  # fmt: skip
                entries += [
                    {
                        "event_id": pk,
                        "at": at,
                        "action": action,
                        "from_status": src,
                        "to_status": dst or Status.PENDING,
                        "data": data,
                    }  # fmt: skip
                    for at, action, src, dst, data in timeline
                ]
                if rating:
                    ratings.append({**rating, "event_id": pk})
            _copy(Deadline, clocks)
            _copy(TimelineEntry, entries)
            _copy(Rating, ratings)
        made += size
    return made
