"""Keeps the summary tables (``StatCell``) up to date: incrementally, and from scratch.

A change of a case writes a timeline entry; the same transaction marks the case's
block-day as changed (``DirtyCell``, see ``signals``). The periodic roll-up (Celery beat,
every ``STATS_ROLLUP_SECONDS``) claims the marks, recomputes those block-days from the
cases with the formulas of ``events.stats``, and re-sums the rows above them (community,
street, district; day and month). A clock falling due changes the "overdue" count with no
transition at all, so a block-day also comes up again when its ``next_due_at`` passes.

Recomputing a row from its cases (never adding deltas) makes a run idempotent: running it
twice, or after a crash, gives the same rows. The full rebuild (``rebuild``) recomputes an
area's rows chunk by chunk, each chunk a short transaction of its own; the administrators'
page runs the same steps in the worker (``rebuild_step``, ``dashboards.rebuild``).
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import F, Min, Q, Sum
from django.db.models.functions import Substr, TruncDate, TruncMonth
from django.utils import timezone

from blocks.models import Area
from dashboards.models import DirtyCell, RollupRebuild, RollupState, StatCell
from events.models import Deadline, Event
from events.stats import (
    COUNT_NAMES,
    OPEN,
    grouped_department_counts,
    grouped_event_counts,
    parts_of,
)

logger = logging.getLogger(__name__)

LEVELS = (("district", 6), ("street", 9), ("community", 12), ("block", 15))
LEVEL_OF_LENGTH = {length: level for level, length in LEVELS}
DIMS = {
    "": None,
    "category": "category_id",
    "channel": "channel",
    "priority": "priority",
    "reason": "whistle_reason",
}
# A dimension kept for some cases only: whistle reasons for the cases whistled up.
DIM_CASES = {"reason": ~Q(whistle_reason="")}
BATCH = 400  # block-days recomputed per statement
LOCK_KEY = 7_302_001  # pg advisory lock: one roll-up at a time


def level_of(code: str) -> str:
    return LEVEL_OF_LENGTH.get(len(code), "block")


def parent_of(code: str) -> str:
    lengths = [n for _level, n in LEVELS if n < len(code)]
    return code[: lengths[-1]] if lengths else ""


def day_bounds(day: date) -> tuple[datetime, datetime]:
    tz = timezone.get_current_timezone()
    start = datetime.combine(day, time.min, tzinfo=tz)
    return start, datetime.combine(day + timedelta(days=1), time.min, tzinfo=tz)


def _local_day(field: str):
    return TruncDate(field, tzinfo=timezone.get_current_timezone())


def cells_q(pairs: Iterable[tuple[str, date]]) -> Q:
    parts = []
    for code, day in pairs:
        start, end = day_bounds(day)
        parts.append(Q(area_code=code, created_at__gte=start, created_at__lt=end))
    return reduce(or_, parts, Q(pk__in=[]))


def _row(code: str, grain: str, bucket: date, dim: str, key, counts: dict) -> StatCell:
    return StatCell(
        area_code=code, level=level_of(code), parent_code=parent_of(code), grain=grain,
        bucket=bucket, dim=dim, key="" if key is None else str(key),
        **{n: counts.get(n, 0) for n in COUNT_NAMES},
    )  # fmt: skip


def _next_due(events, *, now: datetime):
    """When a running clock of an open case of ``events`` next falls due, per block-day
    (``code``, ``day``, ``next_due``): then the row's "overdue" changes with no transition."""
    return (
        Deadline.objects.filter(
            event__in=events.filter(status__in=OPEN).values("pk"),
            met_at__isnull=True, cancelled_at__isnull=True, paused_at__isnull=True,
            due_at__gt=now,
        )
        .annotate(code=Substr("event__area_code", 1, 21), day=_local_day("event__created_at"))
        .values("code", "day")
        .annotate(next_due=Min("due_at"))
    )  # fmt: skip


def block_rows(events, *, now: datetime) -> list[StatCell]:
    """The block-day rows (every dimension) of ``events``, computed from the cases."""
    rows: list[StatCell] = []
    for dim, field in DIMS.items():
        by = ["area_code", ("day", _local_day("created_at"))] + ([field] if field else [])
        cases = events.filter(DIM_CASES[dim]) if dim in DIM_CASES else events
        for r in grouped_event_counts(cases, by=by, now=now):
            rows.append(_row(r["area_code"], "d", r["day"], dim, r.get(field), r))
    by = ["event__area_code", ("day", _local_day("event__created_at")), "department_id"]
    for r in grouped_department_counts(parts_of(events), by=by):
        rows.append(_row(r["event__area_code"], "d", r["day"], "department", r["department_id"], r))
    next_due = {(r["code"], r["day"]): r["next_due"] for r in _next_due(events, now=now)}
    for row in rows:
        if row.dim == "":
            row.next_due_at = next_due.get((row.area_code, row.bucket))
    return rows


def _sums() -> dict:
    return {n: Sum(n) for n in COUNT_NAMES}


def _replace(rows: list[StatCell], keys: Q) -> None:
    StatCell.objects.filter(keys).delete()
    StatCell.objects.bulk_create(rows, batch_size=2000)


def _replace_with_sums(source, *, keys: Q, code_expr, bucket_expr, grain: str, length: int) -> int:
    """Replace the rows ``keys`` with the sums of ``source`` grouped by (code, bucket, dim,
    key) for areas of code length ``length``. On PostgreSQL one INSERT … SELECT (no rows
    through Python: a roll-up after a busy day re-sums thousands of rows)."""
    grouped = (
        source.annotate(code=code_expr, period=bucket_expr)
        .values("code", "period", "dim", "key")
        .annotate(**_sums())
    )
    if connection.vendor != "postgresql":
        rows = [_row(r["code"], grain, r["period"], r["dim"], r["key"], r) for r in grouped]
        _replace(rows, keys)
        return len(rows)
    StatCell.objects.filter(keys).delete()
    sql, params = grouped.query.sql_with_params()
    parent = max([n for _l, n in LEVELS if n < length], default=0)
    columns = ", ".join(f'"{c}"' for c in (*_KEYS, *COUNT_NAMES))
    counts = ", ".join(f'COALESCE(sub."{n}", 0)' for n in COUNT_NAMES)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} ({columns}) SELECT sub.code, %s, substr(sub.code, 1, {parent}),"
            f" %s, sub.period, sub.dim, sub.key, {counts} FROM ({sql}) sub",
            [LEVEL_OF_LENGTH.get(length, "block"), grain, *params],
        )
        return cursor.rowcount


def _month(day: date) -> date:
    return day.replace(day=1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


def _by_bucket(pairs, *, grain: str) -> Q:
    """Rows of (code, bucket) pairs as one OR term per bucket with ``area_code IN (…)``: each
    term is one scan of the unique index, however many areas changed that day."""
    codes: dict[date, list[str]] = {}
    for code, bucket in pairs:
        codes.setdefault(bucket, []).append(code)
    return reduce(
        or_, (Q(grain=grain, bucket=b, area_code__in=sorted(c)) for b, c in codes.items())
    )


def _children_of(pairs, *, grain: str) -> Q:
    """The rows one level below the (code, bucket) pairs: one OR term per bucket."""
    codes: dict[date, list[str]] = {}
    for code, bucket in pairs:
        codes.setdefault(bucket, []).append(code)
    return reduce(
        or_, (Q(grain=grain, bucket=b, parent_code__in=sorted(c)) for b, c in codes.items())
    )


def _month_days(pairs) -> Q:
    codes: dict[date, list[str]] = {}
    for code, month in pairs:
        codes.setdefault(month, []).append(code)
    return reduce(
        or_,
        (
            Q(grain="d", bucket__gte=m, bucket__lt=_next_month(m), area_code__in=sorted(c))
            for m, c in codes.items()
        ),
    )


def _chunks(pairs, size: int = BATCH):
    ordered = sorted(pairs, key=lambda p: (p[1], p[0]))
    for i in range(0, len(ordered), size):
        yield ordered[i : i + size]


def recompute(pairs: set[tuple[str, date]], *, now: datetime) -> int:
    """Recompute the block-days ``pairs`` and every row above them; returns rows written.

    Each level is the sum of the level just below it (a district-day sums its streets, not
    its blocks), so the work follows the number of areas changed, not their size.
    """
    written = 0
    pairs = {(code, day) for code, day in pairs if len(code) >= 15}
    for chunk in _chunks(pairs):
        rows = block_rows(Event.objects.filter(cells_q(chunk)), now=now)
        _replace(rows, _by_bucket(chunk, grain="d"))
        written += len(rows)
    months = {(code, _month(day)) for code, day in pairs}
    for chunk in _chunks(months):
        written += _replace_with_sums(
            StatCell.objects.filter(_month_days(chunk)), keys=_by_bucket(chunk, grain="m"),
            code_expr=F("area_code"), bucket_expr=TruncMonth("bucket"), grain="m", length=15,
        )  # fmt: skip
    # The areas above, level by level, day and month: sums of their children's rows.
    for _level, length in LEVELS[:-1][::-1]:
        for grain, changed in (("d", pairs), ("m", months)):
            upper = {(code[:length], bucket) for code, bucket in changed}
            for chunk in _chunks(upper):
                written += _replace_with_sums(
                    StatCell.objects.filter(_children_of(chunk, grain=grain)),
                    keys=_by_bucket(chunk, grain=grain), code_expr=F("parent_code"),
                    bucket_expr=F("bucket"), grain=grain, length=length,
                )  # fmt: skip
    return written


# --- The full rebuild (after a bulk load, which writes no change marks, or to check the
# increments): chunk by chunk, each chunk one short transaction.
#
# A chunk is one community: its blocks' rows, computed from their cases, and its own rows,
# their sums. Why a community: it is the smallest area whose rows are all sums of rows
# the chunk itself writes, so each chunk switches a whole community from old to new at
# once; and it is small (a district has dozens, a street's 125 k cases at 1 M would be a
# transaction of half a minute, a community's is seconds, and at 10 M still well inside a
# task's time limit), so the progress bar moves and the incremental roll-up, which skips
# while a chunk holds its lock, runs again between two chunks. A month or a block range
# would also be short, but then a community's rows would be half old and half new.
#
# The last step re-sums the streets and districts (the area's own rows, those between it
# and its communities, and those above it) from their children, day and month.
#
# What a reader sees meanwhile (MVCC: no read ever waits for a chunk): every area either
# fully as before or fully rebuilt, never a gap. A community and its blocks change together
# when their chunk commits; a street or district keeps its old rows (the sums of its
# children's old rows) until the last step commits. So a district's totals and its streets
# stay as they were until the end, while its map of blocks turns new community by
# community. A rebuild that finds the summary already right changes no number at all.
CHUNK_LENGTH = 12  # a community's code


def rebuild_chunks(area_code: str = "") -> list[str]:
    """The chunks of a rebuild of ``area_code``, in order: the communities under it (those
    of the territory, and any that still has summary rows), or the area itself when it is
    a community or a block."""
    if len(area_code) >= CHUNK_LENGTH:
        return [area_code[:15]]
    communities = set(
        Area.objects.filter(level=Area.Level.COMMUNITY, code__startswith=area_code).values_list(
            "code", flat=True
        )
    )
    communities |= set(
        StatCell.objects.filter(
            level="block", dim="", grain="m", area_code__startswith=area_code
        ).values_list("parent_code", flat=True).distinct()
    )  # fmt: skip
    return sorted(communities)


def _under(field: str, prefix: str) -> Q:
    """``field`` starts with ``prefix``, also said as a range: a plain b-tree index serves
    a range under any collation, a LIKE only under "C" (the database's is C.UTF-8)."""
    after = prefix[:-1] + chr(ord(prefix[-1]) + 1)
    return Q(**{f"{field}__startswith": prefix, f"{field}__gte": prefix, f"{field}__lt": after})


@contextmanager
def _rebuild_step():
    """One step of a rebuild: one transaction, holding the roll-up's lock (the incremental
    roll-up skips while a step runs and catches up between two), in REPEATABLE READ: every
    statement of the step sees the cases as of its first, so the block rows, their sums and
    the marks the step deletes agree. The lock is taken before the transaction starts, so
    the snapshot already holds whatever the roll-up wrote before it let go."""
    if connection.vendor != "postgresql":
        with transaction.atomic():
            yield
        return
    outermost = not connection.in_atomic_block
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [LOCK_KEY])
    try:
        with transaction.atomic():
            if outermost:  # inside a caller's transaction the caller's snapshot rules
                with connection.cursor() as cursor:
                    cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
            yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [LOCK_KEY])


class _Refused(Exception):
    """The caller's ``record`` refused the step (a job's step already done): roll back."""


def _recorded(record, written: int) -> None:
    if record is not None and not record(written):
        raise _Refused


def rebuild_chunk(prefix: str, *, now: datetime | None = None, record=None) -> int | None:
    """Recompute one chunk (a community, or a single block) from its cases; returns the
    rows written. ``record(rows)`` runs last in the same transaction (a job counts the
    chunk done there); when it returns False nothing is written and None is returned."""
    now = now or timezone.now()
    community = prefix[:CHUNK_LENGTH]
    # The chunk's block rows, said so that an index leads (the planner's counts of a table
    # a rebuild just refilled are stale): a community's are the rows it is the parent of.
    blocks = Q(area_code=prefix) if len(prefix) > CHUNK_LENGTH else Q(parent_code=prefix)
    try:
        with _rebuild_step():
            # The marks first: a change committed after this read is in neither the rows
            # below nor these marks, so its mark stays for the roll-up (never lost).
            marks = list(
                DirtyCell.objects.filter(_under("area_code", prefix)).values_list("pk", flat=True)
            )
            StatCell.objects.filter(blocks).delete()
            events = Event.objects.filter(_under("area_code", prefix))
            written = _insert_block_rows(events, now=now, community=community)
            own = Q(area_code=community)
            written += _replace_with_sums(
                StatCell.objects.filter(blocks, grain="d"), keys=Q(blocks, grain="m"),
                code_expr=F("area_code"), bucket_expr=TruncMonth("bucket"), grain="m", length=15,
            )  # fmt: skip
            written += _resum(Q(parent_code=community), own, length=CHUNK_LENGTH)
            DirtyCell.objects.filter(pk__in=marks).delete()
            _recorded(record, written)
    except _Refused:
        return None
    return written


def _resum(children: Q, codes: Q, *, length: int) -> int:
    """The rows ``codes`` (day and month) re-summed from their children's day rows."""
    written = _replace_with_sums(
        StatCell.objects.filter(children, grain="d"), keys=Q(codes, grain="d"),
        code_expr=F("parent_code"), bucket_expr=F("bucket"), grain="d", length=length,
    )  # fmt: skip
    return written + _replace_with_sums(
        StatCell.objects.filter(codes, grain="d"), keys=Q(codes, grain="m"),
        code_expr=F("area_code"), bucket_expr=TruncMonth("bucket"), grain="m", length=length,
    )  # fmt: skip


def rebuild_upper(area_code: str = "", *, now: datetime | None = None, record=None) -> int | None:
    """The last step of a rebuild: the streets' and districts' rows under ``area_code``,
    and those of the street and district it lies in, re-summed from their children's."""
    now = now or timezone.now()
    written = 0
    try:
        with _rebuild_step():
            for length, child in ((9, "community"), (6, "street")):
                level = LEVEL_OF_LENGTH[length]
                if len(area_code) >= length:
                    codes = Q(level=level, area_code=area_code[:length])
                    children = Q(level=child, parent_code=area_code[:length])
                else:
                    codes = Q(level=level, area_code__startswith=area_code)
                    children = Q(level=child, parent_code__startswith=area_code)
                written += _resum(children, codes, length=length)
            _finished(now, written)
            _recorded(record, written)
            if connection.vendor == "postgresql":
                # A rebuild rewrites the table: the planner's counts would stay those of before
                # until autovacuum catches up, and readers' plans with them (seconds, not ms).
                with connection.cursor() as cursor:
                    cursor.execute(f"ANALYZE {_TABLE}")
    except _Refused:
        return None
    return written


def rebuild(*, now: datetime | None = None, area_code: str = "", progress=None) -> int:
    """Recompute every row under ``area_code`` from the cases, chunk by chunk, inline;
    ``progress(done, total)`` is told after each step. Returns the rows written. (The
    administrators' page runs the same steps in the worker: ``dashboards.rebuild``.)"""
    chunks = rebuild_chunks(area_code)
    total = len(chunks) + 1
    written = 0
    for done, prefix in enumerate(chunks, 1):
        written += rebuild_chunk(prefix, now=now)
        if progress:
            progress(done, total)
    written += rebuild_upper(area_code, now=now)
    if progress:
        progress(total, total)
    return written


def _insert_block_rows(events, *, now: datetime, community: str) -> int:
    """Write the block-day rows (every dimension) of ``events``, cases of ``community``; in
    the database on PostgreSQL (a million cases would take minutes as Python objects)."""
    if connection.vendor != "postgresql":
        rows = block_rows(events, now=now)
        StatCell.objects.bulk_create(rows, batch_size=5000)
        return len(rows)
    from events.stats import (
        count_expressions,
        department_expressions,
        grouped_department_queryset,
        grouped_event_queryset,
    )

    written = 0
    event_names = set(count_expressions(now))
    for dim, field in DIMS.items():
        by = ["area_code", ("day", _local_day("created_at"))] + ([field] if field else [])
        cases = events.filter(DIM_CASES[dim]) if dim in DIM_CASES else events
        qs = grouped_event_queryset(cases, by=by, now=now)
        written += _insert_select(
            qs, names=event_names, code="area_code", day="day", key=field, dim=dim
        )
    by = [("code", Substr("event__area_code", 1, 21)), ("day", _local_day("event__created_at")),
          "department_id"]  # fmt: skip
    qs = grouped_department_queryset(parts_of(events), by=by)
    written += _insert_select(qs, names=set(department_expressions()), code="code", day="day",
                              key="department_id", dim="department")  # fmt: skip
    sql, params = _next_due(events, now=now).query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} AS s SET next_due_at = d.next_due FROM ({sql}) d "
            "WHERE s.level = 'block' AND s.grain = 'd' AND s.dim = '' "
            # The community's rows only: else the join may walk every block row of the table.
            "AND s.parent_code = %s AND s.area_code = d.code AND s.bucket = d.day",
            [*params, community],
        )
    return written


_TABLE = StatCell._meta.db_table
_KEYS = ("area_code", "level", "parent_code", "grain", "bucket", "dim", "key")


def _insert_select(qs, *, names, code: str, day: str, key: str | None, dim: str) -> int:
    """INSERT the block-day rows of a grouped queryset, in the database (a million cases
    would take minutes as Python objects)."""
    sql, params = qs.query.sql_with_params()

    def value(name: str) -> str:
        if name not in names:
            return "0"
        if name.endswith("_seconds"):
            return f'COALESCE(EXTRACT(EPOCH FROM sub."{name}"), 0)::bigint'
        return f'COALESCE(sub."{name}", 0)'

    key_sql = f"COALESCE(sub.\"{key}\"::text, '')" if key else "''"
    columns = ", ".join(f'"{c}"' for c in (*_KEYS, *COUNT_NAMES))
    values = ", ".join(
        [f'sub."{code}"', "'block'", f'substr(sub."{code}", 1, 12)', "'d'", f'sub."{day}"',
         "%s", key_sql] + [value(n) for n in COUNT_NAMES]
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {_TABLE} ({columns}) SELECT {values} FROM ({sql}) sub", [dim, *params]
        )
        return cursor.rowcount


def _try_lock() -> bool:
    """The roll-up's lock for this transaction, if free (a rebuild's step holds it too)."""
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_try_advisory_xact_lock(%s)", [LOCK_KEY])
        return bool(cursor.fetchone()[0])


def _finished(now: datetime, cells: int) -> None:
    RollupState.objects.update_or_create(
        name="stats", defaults={"finished_at": now, "cells": cells}
    )


def rollup(*, now: datetime | None = None, limit: int = 20_000) -> dict[str, int]:
    """One incremental run: claim the changed block-days (and those whose next clock fell
    due), recompute them. Safe to run twice at once: the second waits for nothing and
    leaves (an advisory lock), and a crash rolls the claims back."""
    now = now or timezone.now()
    with transaction.atomic():
        if not _try_lock():
            return {"skipped": 1}
        claimed = DirtyCell.objects.order_by("pk")
        if connection.vendor == "postgresql":
            claimed = claimed.select_for_update(skip_locked=True)
        marks = list(claimed.values_list("pk", "area_code", "day")[:limit])
        pairs = {(code, day) for _pk, code, day in marks}
        due = StatCell.objects.filter(
            level="block", grain="d", dim="", next_due_at__lte=now
        ).values_list("area_code", "bucket")
        pairs |= set(due)
        if marks:
            DirtyCell.objects.filter(pk__in=[pk for pk, _c, _d in marks]).delete()
        written = recompute(pairs, now=now) if pairs else 0
        _finished(now, written)
    if pairs:
        logger.info("stats roll-up at %s: %s block-days, %s rows", now, len(pairs), written)
    return {"cells": len(pairs), "rows": written, "marks": len(marks)}


def as_of() -> datetime | None:
    state = RollupState.objects.filter(name="stats").values_list("finished_at", flat=True).first()
    return state


def mark_changed(*, area_code: str, created_at: datetime) -> None:
    DirtyCell.objects.create(area_code=area_code, day=timezone.localdate(created_at))


def rebuild_step(job_id: int, step: int) -> int | None:
    """Run step ``step`` of the rebuild job ``job_id`` (a ``RollupRebuild``): chunk
    ``step``, or the last step after the chunks. Returns the next step to queue, or None
    when the job is done, failed, or this step was already done (a task delivered twice:
    the step counts only where the job still waits for it, in the step's transaction)."""
    job = RollupRebuild.objects.filter(
        pk=job_id, status__in=RollupRebuild.ACTIVE, done_chunks=step
    ).first()
    if job is None:
        return None
    now = timezone.now()
    mine = RollupRebuild.objects.filter(pk=job.pk, status__in=RollupRebuild.ACTIVE)
    mine.filter(started_at__isnull=True).update(started_at=now)
    mine.update(status=RollupRebuild.Status.RUNNING, touched_at=now)
    last = step >= len(job.chunks)

    def record(rows: int) -> bool:
        at = timezone.now()
        done = {"status": RollupRebuild.Status.DONE, "finished_at": at} if last else {}
        return bool(
            mine.filter(done_chunks=step).update(
                done_chunks=step + 1, rows=F("rows") + rows, touched_at=at, **done
            )
        )

    try:
        if last:
            written = rebuild_upper(job.area_code, now=now, record=record)
        else:
            written = rebuild_chunk(job.chunks[step], now=now, record=record)
    except Exception as error:
        mine.update(
            status=RollupRebuild.Status.FAILED, finished_at=timezone.now(), error=str(error)[:300]
        )
        raise
    if written is None or last:
        return None
    return step + 1
