"""Many realistic cases at once, for demos at scale and benchmarks (issue 11): a year of
cases across a district — channels, matters, colours, every stage, on time and late, rated
and not — with their clocks and timelines. PostgreSQL gets them through COPY (ten million
cases in under an hour on two shared cores, issue 21); other databases through bulk inserts.

The rows are what the workflow services would have written; the services themselves are
far too slow for millions, and the demo seeding walks them for the few hundred that matter.

Where the time goes at scale (issue 21): planning a case in Python and writing it as COPY
text costs more CPU than PostgreSQL's storing it (seven rows a case, and some forty index
entries while the indexes stay), so a big load plans its chunks in worker processes, one per
core, while this process reserves the cases' ids (no query to find which case got which id)
and streams each chunk's text into COPY. Up to ``ONE_TRANSACTION_FROM`` cases a chunk is one
transaction: an interrupted load leaves whole chunks, and the next run numbers after them.
From there the whole load is one transaction without the secondary indexes
(``_bulk_session``): interrupted, it leaves nothing.
"""

from __future__ import annotations

import json
import multiprocessing
import os
import random
import secrets
from collections import deque
from contextlib import contextmanager
from datetime import datetime, timedelta

from django.db import connection, transaction
from django.db.models import Max
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

BATCH = 20_000  # cases per chunk: one transaction, one COPY per table
PARALLEL_FROM = 4 * BATCH  # smaller loads plan in this process (no pool to start)
# From here on a load is one transaction without the secondary indexes (``_bulk_session``):
# building them once at the end is cheaper than keeping them up to date row by row.
ONE_TRANSACTION_FROM = 1_000_000
CHANNELS = (
    [Channel.BLOCK_STAFF] * 5 + [Channel.SELF_REPORT] * 3 + [Channel.HOTLINE] * 2 + [Channel.PATROL]
)
SATISFACTION = (
    [Satisfaction.SATISFIED] * 16
    + [Satisfaction.BASICALLY_SATISFIED] * 3
    + [Satisfaction.DISSATISFIED]
)
RESOLVE_DAYS = {"red": 1, "orange": 4, "yellow": 7, "green": 14}
# The columns a generated row sets, in the order ``_plan`` writes them; every other column
# of the table takes its field's default.
TABLES = (
    (Event, ("id", "number", "tracking_code", "channel", "status", "handler_level", "block_id",
             "area_code", "category_id", "priority", "description", "created_at", "updated_at",
             "accepted_at", "resolved_at", "closed_at", "rated_at", "satisfaction",
             "resolved_by_resident", "first_satisfaction", "first_resolved", "rework_count")),
    (Deadline, ("event_id", "kind", "started_at", "warn_at", "due_at", "met_at", "warned_at",
                "breached_at")),
    (TimelineEntry, ("event_id", "at", "action", "from_status", "to_status", "data")),
    (Rating, ("event_id", "source", "satisfaction", "resolved", "rated_at")),
)  # fmt: skip


def _plan(*, pk: int, number: str, block, category, now: datetime, rng: random.Random, out):
    """One case, appended to ``out`` (event, clock, timeline and rating rows, as tuples in
    the order of ``TABLES``)."""
    events, clocks, entries, ratings = out
    block_id, area_code = block
    category_id, category_name, priority = category
    created = now - timedelta(seconds=rng.randint(60, 365 * 86400))
    channel = rng.choice(CHANNELS)
    fields = _progress(pk=pk, created=created, channel=channel, priority=priority, now=now,
                       rng=rng, clocks=clocks, entries=entries, ratings=ratings)  # fmt: skip
    events.append((
        pk, number, secrets.token_hex(8).upper(),  # 64 random bits: 10 M collide ~1 in 370,000
        channel, fields["status"], HandlerLevel.BLOCK, block_id, area_code, category_id, priority,
        f"{category_name}（批量生成）", created, entries[-1][1], fields.get("accepted"),
        fields.get("resolved"), fields.get("closed"), fields.get("rated"),
        fields.get("satisfaction", ""), fields.get("resolved_by_resident"),
        fields.get("satisfaction", ""), fields.get("resolved_by_resident"), fields.get("rework", 0),
    ))  # fmt: skip


def _progress(*, pk, created, channel, priority, now, rng, clocks, entries, ratings) -> dict:
    """How far the case got: a stage drawn by its age, the clocks it started and met or
    broke, a timeline entry per transition and a rating if it got that far; returns the
    case's fields that say so."""

    def clock(kind, started, due, met=None, breached=None):
        warn = started + (due - started) * 0.8
        clocks.append((pk, kind, started, warn, due, met, warn if breached else None, breached))

    def entry(at, action, src, dst, data=None):
        entries.append((pk, at, action, src, dst, data or {}))

    age = (now - created).total_seconds()
    # Older cases are mostly done; the last days hold the open ones.
    stage = rng.random() if age < 5 * 86400 else 0.6 + rng.random() * 0.4
    entry(created, "log", "", Status.PENDING)
    respond_due = created + timedelta(minutes=15)
    if channel not in (Channel.BLOCK_STAFF, Channel.PATROL) and stage <= 0.05:
        clock(ClockKind.RESPOND, created, respond_due,
              breached=respond_due if now > respond_due else None)  # fmt: skip
        return {"status": Status.PENDING}
    staff = channel in (Channel.BLOCK_STAFF, Channel.PATROL)
    t = created if staff else created + timedelta(minutes=rng.choice([3, 6, 9, 12, 14, 20, 40]))
    clock(ClockKind.RESPOND, created, respond_due, met=t,
          breached=respond_due if t > respond_due else None)  # fmt: skip
    entry(t, "accept", Status.PENDING, Status.IN_BLOCK)
    days = RESOLVE_DAYS[priority]
    resolve_due = t + timedelta(days=days)
    if stage < 0.2:
        clock(ClockKind.RESOLVE, t, resolve_due,
              breached=resolve_due if now > resolve_due else None)  # fmt: skip
        return {"status": Status.IN_BLOCK, "accepted": t}
    resolved = t + timedelta(hours=rng.randint(1, 24 * 9))
    if resolved >= now:
        resolved = now - timedelta(minutes=1)
    clock(ClockKind.RESOLVE, t, resolve_due, met=resolved,
          breached=resolve_due if resolved > resolve_due else None)  # fmt: skip
    entry(resolved, "resolve", Status.IN_BLOCK, Status.AWAITING_VERIFICATION)
    if stage < 0.3:
        return {"status": Status.AWAITING_VERIFICATION, "accepted": t, "resolved": resolved}
    closed = min(resolved + timedelta(hours=rng.randint(1, 30)), now)
    entry(closed, "verify", Status.AWAITING_VERIFICATION, Status.CLOSED)
    if stage < 0.45:
        return {"status": Status.CLOSED, "accepted": t, "resolved": resolved, "closed": closed}
    # 回访 on the tracking page (the resident: no staff to separate from), kept as a record
    # and as the case's first and current rating, as events.services.event_rate does.
    rated = min(closed + timedelta(hours=rng.randint(2, 40)), now)
    satisfaction = rng.choice(SATISFACTION)
    resolved_by_resident = satisfaction != Satisfaction.DISSATISFIED
    ratings.append((pk, RatingSource.RESIDENT, satisfaction, resolved_by_resident, rated))
    entry(rated, "rate", Status.CLOSED, Status.CLOSED,
          {"satisfaction": satisfaction, "resolved": resolved_by_resident,
           "source": RatingSource.RESIDENT})  # fmt: skip
    fields = {"accepted": t, "rated": rated, "satisfaction": satisfaction,
              "resolved_by_resident": resolved_by_resident}  # fmt: skip
    if resolved_by_resident:
        return {**fields, "status": Status.CLOSED, "resolved": resolved, "closed": closed}
    # Dissatisfied and not resolved: back to the block as rework, with a fresh resolve
    # clock; the rating stays the case's (rated, not resolved).
    entry(rated, "rework", Status.CLOSED, Status.IN_BLOCK)
    rework_due = rated + timedelta(days=days)
    clock(ClockKind.RESOLVE, rated, rework_due, breached=rework_due if now > rework_due else None)
    return {**fields, "status": Status.IN_BLOCK, "rework": 1}


# COPY's text format: NULL is \N; a backslash, tab, newline or carriage return is escaped.
_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def _text(value) -> str:
    """A value as COPY text (the commonest types first: ten million cases are some 140
    million values)."""
    return (
        value.translate(_ESCAPES) if isinstance(value, str)
        else value.isoformat() if isinstance(value, datetime)
        else "\\N" if value is None
        else ("t" if value else "f") if isinstance(value, bool)
        else (json.dumps(value).translate(_ESCAPES) if value else "{}") if isinstance(value, dict)
        else str(value)
    )  # fmt: skip


def _defaults(model, columns) -> tuple[list[str], str]:
    """The table's other columns and their default values as the tail of a COPY line."""
    rest = [
        f for f in model._meta.concrete_fields if not f.primary_key and f.attname not in columns
    ]
    return [f.column for f in rest], "".join("\t" + _text(f.get_default()) for f in rest) + "\n"


def _chunk(spec) -> list[list[tuple]]:
    """Plan one chunk of cases: ``spec`` is (first number, their ids, a seed)."""
    first, ids, seed = spec
    rng = random.Random(seed)
    out: list[list[tuple]] = [[], [], [], []]
    for i, pk in enumerate(ids):
        _plan(pk=pk, number=f"{_ctx['prefix']}-{first + i:08d}", block=rng.choice(_ctx["blocks"]),
              category=rng.choice(_ctx["categories"]), now=_ctx["now"], rng=rng, out=out)  # fmt: skip
    return out


def _chunk_text(spec) -> list[bytes]:
    """One chunk as COPY text, table by table (run in a worker process)."""
    tails = _ctx["tails"]
    return [
        "".join(["\t".join([_text(v) for v in row]) + tail for row in rows]).encode()
        for rows, tail in zip(_chunk(spec), tails, strict=True)
    ]


_ctx: dict = {}  # what planning needs, set before the workers fork (they inherit it)


def _reserve_ids(count: int) -> list[int]:
    """Ids for ``count`` new cases, so their clocks and timelines name them without asking
    the database which case got which id."""
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT nextval(pg_get_serial_sequence('events_event', 'id')) "
                "FROM generate_series(1, %s)",
                [count],
            )
            return [row[0] for row in cursor.fetchall()]
    # Elsewhere (SQLite) a writing transaction holds the whole database.
    last = Event.objects.aggregate(last=Max("pk"))["last"] or 0
    return list(range(last + 1, last + 1 + count))


def _copy(chunk: list[bytes]) -> None:
    with connection.cursor() as cursor:
        # A seed replays; losing the last chunks to a crash costs less than a disk flush
        # per chunk. Only this transaction is affected.
        cursor.execute("SET LOCAL synchronous_commit TO off")
        for (model, columns), (rest, _tail), text in zip(TABLES, _ctx["rest"], chunk, strict=True):
            if text:
                sql = f"COPY {model._meta.db_table} ({', '.join(columns + tuple(rest))}) FROM STDIN"
                with cursor.cursor.copy(sql) as copy:
                    copy.write(text)


def _insert(chunk: list[list[tuple]]) -> None:
    for (model, columns), rows in zip(TABLES, chunk, strict=True):
        model.objects.bulk_create([model(**dict(zip(columns, r, strict=True))) for r in rows])


@contextmanager
def _bulk_session():
    """Inside the big load's one transaction: the tables' non-unique indexes are dropped
    and built again from the finished rows (one sort each instead of tens of millions of
    random inserts), and the foreign keys are not checked row by row where the role may
    say so (every id the rows name was reserved or read in this run). It is one
    transaction, so an interrupted load leaves no rows and every index as it was; other
    sessions wait for the tables until it commits."""
    tables = [model._meta.db_table for model, _columns in TABLES]
    with connection.cursor() as cursor:
        cursor.execute(
            "SELECT i.indexrelid::regclass::text, pg_get_indexdef(i.indexrelid) FROM pg_index i"
            " WHERE i.indrelid = ANY(%s::regclass[]) AND NOT i.indisunique",
            [tables],
        )
        indexes = cursor.fetchall()
        cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")  # no queue of deferred checks
        cursor.execute("SELECT current_setting('is_superuser') = 'on'")
        if cursor.fetchone()[0]:
            cursor.execute("SET LOCAL session_replication_role = replica")
        for name, _definition in indexes:
            cursor.execute(f"DROP INDEX {name}")
        yield
        cursor.execute("SET LOCAL session_replication_role = DEFAULT")
        cursor.execute("SET LOCAL maintenance_work_mem = '1GB'")
        for _name, definition in indexes:
            cursor.execute(definition)


def _chunk_texts(specs, *, workers: int):
    """Each chunk's COPY text, in order: planned in this process, or by worker processes a
    few chunks ahead while this one reserves ids (its connection is the only one) and copies."""
    if workers <= 1:
        for first, size, seed in specs:
            yield _chunk_text((first, _reserve_ids(size), seed))
        return
    with multiprocessing.get_context("fork").Pool(workers) as pool:
        pending: deque = deque()
        todo = iter(specs)
        while True:
            while len(pending) < 2 * workers and (spec := next(todo, None)):
                first, size, seed = spec
                pending.append(pool.apply_async(_chunk_text, ((first, _reserve_ids(size), seed),)))
            if not pending:
                return
            yield pending.popleft().get()


def generate_events(*, district: Area, count: int, rng: random.Random, now=None) -> int:
    """Create ``count`` cases spread over the district's blocks and the last year.

    On PostgreSQL a chunk is a transaction, except a load of ``ONE_TRANSACTION_FROM`` cases
    or more, which is one transaction without the secondary indexes (``_bulk_session``)."""
    blocks = Area.objects.filter(
        level=Area.Level.BLOCK, code__startswith=district.code, closed_on=None
    )
    categories = Category.objects.filter(parent__isnull=False, is_active=True)
    prefix = f"B{district.code}"
    start = Event.objects.filter(number__startswith=prefix).count()
    defaults = [_defaults(model, columns) for model, columns in TABLES]
    _ctx.update(
        prefix=prefix, now=now or timezone.now(), blocks=[(b.pk, b.code) for b in blocks],
        categories=[(c.pk, c.name, c.default_priority) for c in categories],
        rest=defaults, tails=[tail for _rest, tail in defaults],
    )  # fmt: skip
    firsts = range(start, start + count, BATCH)
    specs = [(first, min(BATCH, start + count - first), rng.getrandbits(64)) for first in firsts]
    if connection.vendor != "postgresql":
        for first, size, seed in specs:
            with transaction.atomic():
                _insert(_chunk((first, _reserve_ids(size), seed)))
        return count
    workers = 1 if count < PARALLEL_FROM else os.cpu_count() or 2
    if count >= ONE_TRANSACTION_FROM:
        with transaction.atomic(), _bulk_session():
            for chunk in _chunk_texts(specs, workers=workers):
                _copy(chunk)
        return count
    for chunk in _chunk_texts(specs, workers=workers):
        with transaction.atomic():
            _copy(chunk)
    return count
