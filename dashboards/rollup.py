"""Keeps the summary tables (``StatCell``) up to date: incrementally, and from scratch.

A change of a case writes a timeline entry; the same transaction marks the case's
block-day as changed (``DirtyCell``, see ``signals``). The periodic roll-up (Celery beat,
every ``STATS_ROLLUP_SECONDS``) claims the marks, recomputes those block-days from the
cases with the formulas of ``events.stats``, and re-sums the rows above them (community,
street, district; day and month). A clock falling due changes the "overdue" count with no
transition at all, so a block-day also comes up again when its ``next_due_at`` passes.

Recomputing a row from its cases (never adding deltas) makes a run idempotent: running it
twice, or after a crash, gives the same rows.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from datetime import date, datetime, time, timedelta
from functools import reduce
from operator import or_

from django.db import connection, transaction
from django.db.models import F, Min, Q, Sum
from django.db.models.functions import Substr, TruncDate, TruncMonth
from django.utils import timezone

from dashboards.models import DirtyCell, RollupState, StatCell
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
    # When a running clock of an open case next falls due, the row's "overdue" changes.
    due = (
        Deadline.objects.filter(
            event__in=events.filter(status__in=OPEN).values("pk"),
            met_at__isnull=True,
            cancelled_at__isnull=True,
            paused_at__isnull=True,
            due_at__gt=now,
        )
        .annotate(code=Substr("event__area_code", 1, 21), day=_local_day("event__created_at"))
        .values("code", "day")
        .annotate(next_due=Min("due_at"))
    )
    next_due = {(r["code"], r["day"]): r["next_due"] for r in due}
    for row in rows:
        if row.dim == "":
            row.next_due_at = next_due.get((row.area_code, row.bucket))
    return rows


def _sums() -> dict:
    return {n: Sum(n) for n in COUNT_NAMES}


def _summed_rows(source, *, code_expr, grain: str, bucket_field: str) -> list[StatCell]:
    rows = source.annotate(code=code_expr).values("code", bucket_field, "dim", "key")
    return [
        _row(r["code"], grain, r[bucket_field], r["dim"], r["key"], r)
        for r in rows.annotate(**_sums())
    ]


def _month_rows(source) -> list[StatCell]:
    rows = source.annotate(month=TruncMonth("bucket")).values("area_code", "month", "dim", "key")
    return [
        _row(r["area_code"], "m", r["month"], r["dim"], r["key"], r)
        for r in rows.annotate(**_sums())
    ]


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


def rebuild(*, now: datetime | None = None, area_code: str = "") -> int:
    """Recompute every row from the cases (after a bulk load, or to check the increments)."""
    now = now or timezone.now()
    with transaction.atomic():
        _lock(wait=True)
        StatCell.objects.filter(area_code__startswith=area_code).delete()
        events = Event.objects.filter(area_code__startswith=area_code)
        if connection.vendor == "postgresql":
            _rebuild_in_sql(events, area_code=area_code, now=now)
        else:
            _rebuild_in_python(events, area_code=area_code, now=now)
        DirtyCell.objects.filter(area_code__startswith=area_code).delete()
        written = StatCell.objects.filter(area_code__startswith=area_code).count()
        _finished(now, written)
    return written


def _rebuild_in_python(events, *, area_code: str, now: datetime) -> None:
    StatCell.objects.bulk_create(block_rows(events, now=now), batch_size=5000)
    for _level, length in LEVELS[:-1][::-1]:
        source = StatCell.objects.filter(level="block", grain="d", area_code__startswith=area_code)
        rows = _summed_rows(
            source, code_expr=Substr("area_code", 1, length), grain="d", bucket_field="bucket"
        )
        StatCell.objects.bulk_create(rows, batch_size=5000)
    months = _month_rows(StatCell.objects.filter(grain="d", area_code__startswith=area_code))
    StatCell.objects.bulk_create(months, batch_size=5000)


_TABLE = StatCell._meta.db_table
_KEYS = ("area_code", "level", "parent_code", "grain", "bucket", "dim", "key")


def _insert_select(qs, *, names, code: str, day: str, key: str | None, dim: str) -> None:
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


def _rebuild_in_sql(events, *, area_code: str, now: datetime) -> None:
    from events.stats import (
        count_expressions,
        department_expressions,
        grouped_department_queryset,
        grouped_event_queryset,
    )

    event_names = set(count_expressions(now))
    for dim, field in DIMS.items():
        by = ["area_code", ("day", _local_day("created_at"))] + ([field] if field else [])
        cases = events.filter(DIM_CASES[dim]) if dim in DIM_CASES else events
        qs = grouped_event_queryset(cases, by=by, now=now)
        _insert_select(qs, names=event_names, code="area_code", day="day", key=field, dim=dim)
    by = [("code", Substr("event__area_code", 1, 21)), ("day", _local_day("event__created_at")),
          "department_id"]  # fmt: skip
    qs = grouped_department_queryset(parts_of(events), by=by)
    _insert_select(qs, names=set(department_expressions()), code="code", day="day",
                   key="department_id", dim="department")  # fmt: skip
    sums = ", ".join(f'SUM("{n}")' for n in COUNT_NAMES)
    columns = ", ".join(f'"{c}"' for c in (*_KEYS, *COUNT_NAMES))
    with connection.cursor() as cursor:
        for level, length in LEVELS[:-1]:
            parent = max([n for _l, n in LEVELS if n < length], default=0)
            names = ", ".join(f'"{n}"' for n in COUNT_NAMES)
            cursor.execute(
                f"INSERT INTO {_TABLE} ({columns}) SELECT code, %s, substr(code, 1, {parent}), "
                f"'d', bucket, dim, key, {names} FROM (SELECT substr(area_code, 1, {length}) "
                f"AS code, bucket, dim, key, "
                + ", ".join(f'SUM("{n}") AS "{n}"' for n in COUNT_NAMES)
                + f" FROM {_TABLE} WHERE level = 'block' AND grain = 'd' AND area_code LIKE %s "
                f"GROUP BY substr(area_code, 1, {length}), bucket, dim, key) g",
                [level, area_code + "%"],
            )
        cursor.execute(
            f"INSERT INTO {_TABLE} ({columns}) SELECT area_code, level, parent_code, 'm', "
            f"date_trunc('month', bucket)::date, dim, key, {sums} FROM {_TABLE} "
            "WHERE grain = 'd' AND area_code LIKE %s "
            "GROUP BY area_code, level, parent_code, date_trunc('month', bucket), dim, key",
            [area_code + "%"],
        )
    # When each block-day's next running clock of an open case falls due.
    due = (
        Deadline.objects.filter(
            event__in=events.filter(status__in=OPEN).values("pk"),
            met_at__isnull=True, cancelled_at__isnull=True, paused_at__isnull=True,
            due_at__gt=now,
        )
        .annotate(code=Substr("event__area_code", 1, 21), day=_local_day("event__created_at"))
        .values("code", "day")
        .annotate(next_due=Min("due_at"))
    )  # fmt: skip
    sql, params = due.query.sql_with_params()
    with connection.cursor() as cursor:
        cursor.execute(
            f"UPDATE {_TABLE} AS s SET next_due_at = d.next_due FROM ({sql}) d "
            "WHERE s.level = 'block' AND s.grain = 'd' AND s.dim = '' "
            "AND s.area_code = d.code AND s.bucket = d.day",
            params,
        )


def _lock(*, wait: bool) -> bool:
    if connection.vendor != "postgresql":
        return True
    with connection.cursor() as cursor:
        if wait:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])
            return True
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
        if not _lock(wait=False):
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
