"""Reads of the leaders' dashboard: an area and a period, from the summary tables plus
the live delta, scoped to the viewer (DESIGN §5, §9).

Whole months come from month rows of ``StatCell``, the other days from day rows; what
changed since the last roll-up is recomputed from the cases with the same formulas
(``events.stats``). So the number of rows read depends on the number of areas and
buckets, never on the number of cases, and each read is a fixed number of queries.
"""

from __future__ import annotations

import hashlib
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_
from typing import NamedTuple
from urllib.parse import urlencode

from django.core.cache import cache
from django.db.models import Avg, Count, Max, Q, QuerySet, Sum
from django.db.models.functions import TruncMonth
from django.http import Http404
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blocks.access import scope_for
from blocks.models import Area, Department, Posting
from dashboards.models import (
    DirtyCell,
    ScoringSettings,
    StatCell,
    StreetDepartmentEvaluation,
)
from dashboards.rollup import LEVELS, as_of, block_rows, cells_q, day_bounds
from events import stats
from events.models import Category, Channel, Event, Priority, WhistleReason
from events.selectors import event_queryset

PERIODS = (
    ("today", _("Today")),
    ("week", _("This week")),
    ("month", _("This month")),
    ("quarter", _("This quarter")),
    ("year", _("This year")),
    ("custom", _("Custom")),
)
CHILD_LENGTH = {6: 9, 9: 12, 12: 15}
MAX_CUSTOM_DAYS = 3 * 366
# Later days are clamped: a period or month near date.max overflowed the date arithmetic (a
# 500 for ?to=9999-12-31, found by the URL walk's follow-up probes). No data lies that far.
LATEST_DAY = date(9000, 1, 1)


def _next_month(day: date) -> date:
    return (day.replace(day=28) + timedelta(days=4)).replace(day=1)


@dataclass(frozen=True)
class Period:
    key: str
    start: date
    end: date  # exclusive

    @property
    def bounds(self) -> tuple[datetime, datetime]:
        return day_bounds(self.start)[0], day_bounds(self.end)[0]

    @property
    def last_day(self) -> date:
        return self.end - timedelta(days=1)

    @property
    def days(self) -> int:
        return (self.end - self.start).days

    def params(self) -> dict[str, str]:
        if self.key == "custom":
            return {
                "period": "custom",
                "from": self.start.isoformat(),
                "to": self.last_day.isoformat(),
            }
        return {"period": self.key}


def period_for(
    key: str | None, *, today: date, start: date | None = None, end: date | None = None
) -> Period:
    """The period a picker value names; ``end`` of a custom period is its last day."""
    key = key or "month"
    if key == "custom" and start and end:
        start, end = min(start, LATEST_DAY), min(end, LATEST_DAY)
        if end < start:
            start, end = end, start
        end = min(end, start + timedelta(days=MAX_CUSTOM_DAYS))
        return Period("custom", start, end + timedelta(days=1))
    tomorrow = today + timedelta(days=1)
    if key == "today":
        return Period(key, today, tomorrow)
    if key == "week":
        return Period(key, today - timedelta(days=today.weekday()), tomorrow)
    if key == "quarter":
        return Period(key, today.replace(month=(today.month - 1) // 3 * 3 + 1, day=1), tomorrow)
    if key == "year":
        return Period(key, today.replace(month=1, day=1), tomorrow)
    return Period("month", today.replace(day=1), tomorrow)


def visible_area(*, user, code: str | None) -> Area:
    """The area whose dashboard the user asks for: one inside their scope, else 404."""
    scope = scope_for(user)
    code = (code or scope.home_area_code or "").strip()
    if not code and scope.is_superuser:
        # An administrator's scope is everything: start from the first district.
        first = Area.objects.filter(level=Area.Level.DISTRICT).order_by("code").first()
        code = first.code if first else ""
    if not code or not scope.codes or not scope.covers(code):
        raise Http404
    try:
        return Area.objects.get(code=code)
    except Area.DoesNotExist:
        raise Http404 from None


def scoring_for(code: str) -> stats.Scoring:
    row = ScoringSettings.objects.filter(district__code=code[:6]).first()
    if row is None:
        return stats.Scoring()
    return stats.Scoring(
        report_in=row.response_weight,
        resolution=row.resolution_weight,
        satisfaction=row.satisfaction_weight,
        street_share=row.street_share,
        basically_satisfied=row.basically_satisfied_factor,
        min_cases=row.min_cases,
    )


def _add(into: dict[str, int], counts: Mapping[str, int]) -> dict[str, int]:
    for name in stats.COUNT_NAMES:
        into[name] = into.get(name, 0) + int(counts.get(name) or 0)
    return into


def _empty() -> dict[str, int]:
    return dict.fromkeys(stats.COUNT_NAMES, 0)


class DeltaCell(NamedTuple):
    """A block-day row of the live delta: what ``Reader`` needs of a ``StatCell`` (a plain
    tuple is cached and read back several times faster than a model instance)."""

    area_code: str
    bucket: date
    dim: str
    key: str
    counts: tuple[int, ...]  # in the order of ``stats.COUNT_NAMES``


_OVERDUE = stats.COUNT_NAMES.index("overdue")


def _cell(row: StatCell) -> DeltaCell:
    return DeltaCell(
        row.area_code, row.bucket, row.dim, row.key,
        tuple(getattr(row, name) for name in stats.COUNT_NAMES),
    )  # fmt: skip


class Reader:
    """The counts of one area (and the areas under it) for one period.

    Summary rows as of the last roll-up, plus the live delta: the block-days changed since
    (their ``DirtyCell`` marks) or whose next clock has fallen due are recomputed from the
    cases with the same formulas, and replace their summary rows. The delta is a handful of
    block-days (what changed in the last half minute), so a read costs the same whatever
    the number of cases, and every number is current.

    Far behind (more than ``MAX_DELTA_CELLS`` block-days waiting: the roll-up stopped, or a
    migration marked everything), the summary is not read at all: every number of the area
    and period is computed from its cases (slower, never short), and ``behind`` says so.
    """

    MAX_DELTA_CELLS = 2000
    DELTA_CACHE_SECONDS = 60

    def __init__(self, *, code: str, period: Period, now: datetime):
        self.code, self.period, self.now = code, period, now
        self.behind = False
        self.pending = 0  # block-days of the area and period waiting for the roll-up
        self._delta: list[tuple[DeltaCell, int]] | None = None
        self._by_dim: dict[str, list[tuple[DeltaCell, int]]] | None = None
        self._own_rows: dict[str, dict[str, dict[str, int]]] | None = None

    # --- which summary rows ---------------------------------------------------------
    def bucket_q(self) -> Q:
        """Whole months from month rows, the days around them from day rows.

        A period that reaches today takes this month's month row too: it is the sum of the
        month's days so far, and no case is logged after now. So a year reads one row per
        area and month, not one per area and day of this month, and a month one row per
        area (issue 21: the blocks' day rows were the year page's slowest read at 1 M)."""
        start, end = self.period.start, self.period.end
        today = timezone.localdate(self.now)
        months_end = _next_month(self.period.last_day) if end > today else end
        first = start if start.day == 1 else _next_month(start)
        last = first
        while _next_month(last) <= months_end:
            last = _next_month(last)
        if last == first:
            return Q(grain="d", bucket__gte=start, bucket__lt=end)
        terms = Q(grain="m", bucket__gte=first, bucket__lt=last)
        if start < first:
            terms |= Q(grain="d", bucket__gte=start, bucket__lt=first)
        if last < end:
            terms |= Q(grain="d", bucket__gte=last, bucket__lt=end)
        return terms

    def _summary(self) -> QuerySet[StatCell]:
        """The summary rows, or none when far behind (then the delta is every case)."""
        self.delta()
        return StatCell.objects.none() if self.behind else StatCell.objects.all()

    def _rows(self, **filters) -> QuerySet[StatCell]:
        return self._summary().filter(self.bucket_q(), **filters)

    def delta(self) -> list[tuple[DeltaCell, int]]:
        """Block-day rows to add (+1, fresh from the cases) and to take away (−1, the
        summary's stale ones) for what changed since the last roll-up."""
        if self._delta is not None:
            return self._delta
        start, end = self.period.start, self.period.end
        marked = DirtyCell.objects.filter(
            area_code__startswith=self.code, day__gte=start, day__lt=end
        ).values_list("area_code", "day")
        due = StatCell.objects.filter(
            level="block", grain="d", dim="", next_due_at__lte=self.now,
            area_code__startswith=self.code, bucket__gte=start, bucket__lt=end,
        ).values_list("area_code", "bucket")  # fmt: skip
        limit = self.MAX_DELTA_CELLS + 1
        pairs = sorted(set(marked.distinct()[:limit]) | set(due[:limit]))
        self.behind = len(pairs) > self.MAX_DELTA_CELLS
        if self.behind:
            # Too much to patch block-day by block-day: every number from the cases.
            self.pending = len(set(marked.distinct()) | set(due))
            first, last = self.period.bounds
            cases = Event.objects.filter(
                area_code__startswith=self.code, created_at__gte=first, created_at__lt=last
            )
            self._delta = [(_cell(row), 1) for row in block_rows(cases, now=self.now)]
            return self._delta
        self.pending = len(pairs)
        self._delta = self._cached_delta(pairs, marked) if pairs else []
        return self._delta

    def _cached_delta(self, pairs: list[tuple[str, date]], marked: QuerySet) -> list:
        """The delta of ``pairs``, reused by every read until it can have changed.

        Recomputing it from the cases costs about as much as the rest of the page together
        (issue 21: seven grouped statements of some forty counts each, built by the ORM at
        every read). It changes only when a case of those block-days changes (a new mark:
        their number and the newest one are in the key), when the roll-up runs (its time is
        in the key) or when a running clock of one of their cases falls due (the entry
        expires at the earliest ``next_due_at`` of its rows); and at most after
        ``DELTA_CACHE_SECONDS`` whatever happens."""
        marks = marked.order_by().aggregate(n=Count("pk"), last=Max("pk"))
        key = (
            "dashboard-delta:"
            + hashlib.sha1(
                repr((pairs, marks["n"], marks["last"], self.rolled_up_at())).encode()
            ).hexdigest()
        )
        cached = cache.get(key)
        if cached is not None and cached["until"] > self.now:
            return cached["rows"]
        fresh = block_rows(Event.objects.filter(cells_q(pairs)), now=self.now)
        stale = StatCell.objects.filter(
            reduce(or_, (Q(area_code=c, grain="d", bucket=d) for c, d in pairs))
        )
        rows = [(_cell(row), 1) for row in fresh] + [(_cell(row), -1) for row in stale]
        until = min(
            [row.next_due_at for row in fresh if row.next_due_at]
            + [self.now + timedelta(seconds=self.DELTA_CACHE_SECONDS)]
        )
        seconds = (until - self.now).total_seconds()
        if seconds >= 1:
            cache.set(key, {"rows": rows, "until": until}, timeout=int(seconds))
        return rows

    def rolled_up_at(self) -> datetime | None:
        """When the summary was last brought up to date (read once per reader)."""
        if not hasattr(self, "_rolled_up_at"):
            self._rolled_up_at = as_of()
        return self._rolled_up_at

    def _apply(self, out: dict, *, dim: str, key) -> None:
        """Add the delta rows of ``dim`` into ``out``, grouped by ``key(row)``."""
        if self._by_dim is None:
            self._by_dim = defaultdict(list)
            for row, sign in self.delta():
                self._by_dim[row.dim].append((row, sign))
        for row, sign in self._by_dim.get(dim, ()):
            group = key(row)
            if group is None:
                continue
            target = out.setdefault(group, _empty())
            for name, value in zip(stats.COUNT_NAMES, row.counts, strict=True):
                target[name] += sign * value

    @staticmethod
    def _sums():
        return {n: Sum(n) for n in stats.COUNT_NAMES}

    def _grouped(self, rows: QuerySet, field: str) -> dict:
        out: dict = defaultdict(_empty)
        for row in rows.values(field).annotate(**self._sums()):
            _add(out[row[field]], row)
        return dict(out)

    def _own(self, dim: str) -> dict[str, dict[str, int]]:
        """The summary of the area itself, ``{key: counts}`` of ``dim``: every dimension
        (totals, category, channel, colour, reason, department) read in one statement, not
        one each (issue 21), and copied for each reader to add its delta to."""
        if self._own_rows is None:
            self._own_rows = defaultdict(dict)
            rows = self._rows(area_code=self.code).values("dim", "key").annotate(**self._sums())
            for row in rows:
                self._own_rows[row["dim"]][row["key"]] = _add(_empty(), row)
        return {key: dict(counts) for key, counts in self._own_rows.get(dim, {}).items()}

    # --- reads ----------------------------------------------------------------------
    def totals(self) -> dict[str, int]:
        out = {"": self._own("").get("", _empty())}
        self._apply(out, dim="", key=lambda row: "")
        return out[""]

    def by(self, dim: str) -> dict[str, dict[str, int]]:
        """Counts per category / channel / colour (``key`` is the id or the value)."""
        out = self._own(dim)
        self._apply(out, dim=dim, key=lambda row: row.key)
        return {k: v for k, v in out.items() if any(v.values())}

    def children(self) -> dict[str, dict[str, int]]:
        length = CHILD_LENGTH.get(len(self.code))
        if length is None:
            return {}
        out = self._grouped(self._rows(parent_code=self.code, dim=""), "area_code")
        self._apply(out, dim="", key=lambda row: row.area_code[:length])
        return out

    def blocks(self) -> dict[str, dict[str, int]]:
        if len(self.code) >= 15:
            return {self.code: self.totals()}
        rows = self._rows(level="block", dim="", area_code__startswith=self.code)
        out = self._grouped(rows, "area_code")
        self._apply(out, dim="", key=lambda row: row.area_code)
        return out

    def departments(self) -> dict[int, dict[str, int]]:
        out = self._own("department")
        self._apply(out, dim="department", key=lambda row: row.key)
        return {int(k): v for k, v in out.items() if any(v.values())}

    def trend(self) -> tuple[str, list[tuple[date, dict[str, int]]]]:
        """Counts per day (periods up to two months) or per month."""
        grain = "d" if self.period.days <= 62 else "m"
        start, end = self.period.start, self.period.end
        if grain == "d":
            rows = self._summary().filter(
                area_code=self.code, dim="", grain="d", bucket__gte=start, bucket__lt=end
            )
            out = self._grouped(rows, "bucket")
            self._apply(out, dim="", key=lambda row: row.bucket)
        else:
            rows = self._rows(area_code=self.code, dim="").annotate(month=TruncMonth("bucket"))
            out = self._grouped(rows, "month")
            self._apply(out, dim="", key=lambda row: row.bucket.replace(day=1))
        # Every bucket of the period, empty ones too, so the line does not skip days.
        buckets, cursor = [], start if grain == "d" else start.replace(day=1)
        while cursor < end:
            buckets.append(cursor)
            cursor = cursor + timedelta(days=1) if grain == "d" else _next_month(cursor)
        return grain, [(b, out.get(b, _empty())) for b in buckets]

    def freshness(self) -> dict:
        """How current the numbers are: ``as_of`` the moment they describe (the summary plus
        every change since, or the cases themselves), the last roll-up, and whether the
        roll-up is so far behind that they were computed from the cases."""
        self.delta()
        return {
            "as_of": self.now,
            "rolled_up_at": self.rolled_up_at(),
            "behind": self.behind,
            "pending_cells": self.pending,
        }

    def overdue_cases(self, *, user, limit: int = 20) -> list[Event]:
        """Overdue open cases of the period, most overdue first: found through the summary
        rows that count overdue cases (and the delta's), then read from the cases.

        Only the first block-days (oldest first) whose summary counts twice ``limit`` overdue
        cases are read, not a fixed number of them: the cases read then stay about the same
        whatever the cases per block-day (a district of 10 M has ~80 a block-day, of 10 k
        none or one), and each block-day is one more condition to build and plan (issue 21).
        The twice is slack for counts gone stale since the roll-up."""
        rows = (
            StatCell.objects.filter(
                level="block", dim="", grain="d", overdue__gt=0,
                area_code__startswith=self.code,
                bucket__gte=self.period.start, bucket__lt=self.period.end,
            )
            .order_by("bucket")
            .values_list("area_code", "bucket", "overdue")[: 2 * limit]
        )  # fmt: skip
        pairs, counted = set(), 0
        for code, bucket, overdue in rows:
            if counted >= 2 * limit:
                break
            pairs.add((code, bucket))
            counted += overdue
        # The delta's block-days with an overdue case (not every block-day it recomputed:
        # each pair is one more condition for the database to plan, issue 21).
        pairs |= {
            (row.area_code, row.bucket)
            for row, sign in self.delta()
            if sign > 0 and row.dim == "" and row.counts[_OVERDUE]
        }
        if not pairs:
            return []
        sets = stats.event_sets(self.now)
        events = stats.with_facts(
            event_queryset(user=user).filter(cells_q(pairs)), now=self.now, only={"f_overdue"}
        )
        return list(events.filter(sets["overdue"]).order_by("due_at", "created_at")[:limit])


# --- labels ------------------------------------------------------------------------------
def area_names(codes: Iterable[str]) -> dict[str, Area]:
    return {
        a.code: a for a in Area.objects.filter(code__in=list(codes)).only("code", "name", "level")
    }


def dim_labels(dim: str, keys: Iterable[str]) -> dict[str, str]:
    if dim == "channel":
        return {k: str(Channel(k).label) if k in Channel.values else k for k in keys}
    if dim == "priority":
        return {k: str(Priority(k).label) if k in Priority.values else k for k in keys}
    if dim == "reason":
        return {k: str(WhistleReason(k).label) if k in WhistleReason.values else k for k in keys}
    ids = [int(k) for k in keys if str(k).isdigit()]
    return {
        str(c.pk): c.full_name for c in Category.objects.filter(pk__in=ids).select_related("parent")
    }


def two_way_scores(*, code: str, period: Period) -> tuple[dict[int, float], dict[str, float]]:
    """Averages of the two-way evaluations (双向评价) of the period in the area: streets'
    scores of departments, and departments' scores of streets."""
    rows = StreetDepartmentEvaluation.objects.filter(
        street__code__startswith=code[:9] if len(code) >= 9 else code,
        period_start__lt=period.end,
        period_end__gte=period.start,
    )
    of_departments = {
        r["department_id"]: round(r["avg"], 2)
        for r in rows.filter(direction=StreetDepartmentEvaluation.Direction.STREET_RATES_DEPARTMENT)
        .values("department_id")
        .annotate(avg=Avg("score"))
    }
    of_streets = {
        r["street__code"]: round(r["avg"], 2)
        for r in rows.filter(direction=StreetDepartmentEvaluation.Direction.DEPARTMENT_RATES_STREET)
        .values("street__code")
        .annotate(avg=Avg("score"))
    }
    return of_departments, of_streets


def department_ranking(
    *, code: str, counts: Mapping[int, Mapping[str, int]], scoring: stats.Scoring,
    two_way: Mapping[int, float],
) -> list[dict]:  # fmt: skip
    """一事一考: the departments with parts in the area's cases, by composite score.

    A department the street has not scored in the period has no composite (待评价,
    ``awaiting_street_score``) and ranks after the evaluated ones, by its case score; one
    with fewer cases than the district's ``min_cases`` is marked ``small_sample``."""
    names = dict(Department.objects.filter(district__code=code[:6]).values_list("pk", "name"))
    weights = scoring.rate_weights
    ranking = []
    for dept_id in set(counts) | set(two_way):
        c = counts.get(dept_id) or _empty()
        street = stats.street_score(c, two_way.get(dept_id))
        ranking.append(
            {
                "department_id": dept_id,
                "name": names.get(dept_id, str(dept_id)),
                "counts": c,
                "cases": c["new"],
                "parts": c["parts_dispatched"],
                "report_in_rate": stats.report_in_rate(c, weights).as_dict(),
                "resolution_rate": stats.resolution_rate(c, weights).as_dict(),
                "satisfaction_rate": stats.satisfaction_rate(c, weights).as_dict(),
                "return_rate": stats.return_rate(c, weights).as_dict(),
                "supervised": c["supervised"],
                "supervised_on_time_rate": stats.supervised_on_time_rate(c, weights).as_dict(),
                "avg_report_in_hours": stats.avg_report_in_hours(c, weights).value,
                "case_score": stats.case_score(c, scoring),
                "street_score": street,
                "two_way_score": two_way.get(dept_id),
                "composite": stats.composite_score(c, scoring, two_way.get(dept_id)),
                "awaiting_street_score": street is None,
                "small_sample": c["new"] < scoring.min_cases,
            }
        )
    ranking.sort(
        key=lambda r: (
            r["composite"] is None,
            -(r["composite"] if r["composite"] is not None else r["case_score"] or 0),
            r["name"],
        )
    )
    for place, row in enumerate(ranking, 1):
        row["rank"] = place
    return ranking


def block_response_by_governor(*, block: Area, period: Period, now: datetime) -> list[dict]:
    """15分钟响应率 and 平均响应时长 of each governor the block had in the period: the
    residents' requests logged in the block while they held it. A posting's ``ended_on``
    is the handover day, the successor's first (blocks.services: ended, then posted), so
    it is not the leaver's. A handful of one block's cases: counted from the cases."""
    postings = (
        Posting.objects.filter(area=block, role=Posting.Role.GOVERNOR, started_on__lt=period.end)
        .filter(Q(ended_on__isnull=True) | Q(ended_on__gt=period.start))
        .select_related("user")
        .order_by("started_on", "pk")
    )
    rows = []
    for posting in postings:
        first = max(period.start, posting.started_on)
        end = min(period.end, posting.ended_on or period.end)
        if end <= first:
            continue  # posted and replaced on the same day
        served = Period("custom", first, end)
        start_at, end_at = served.bounds
        counts = stats.event_counts(
            Event.objects.filter(
                area_code=block.code, created_at__gte=start_at, created_at__lt=end_at
            ),
            now=now,
        )
        rows.append(
            {
                "name": posting.user.get_full_name() or posting.user.get_username(),
                "from": first,
                "to": served.last_day,
                "current": posting.ended_on is None,
                "block_response_rate": stats.block_response_rate(counts).as_dict(),
                "avg_response_minutes": stats.avg_response_minutes(counts).as_dict(),
                "link": case_list_url(code=block.code, period=served, measure="resident_requests"),
            }
        )
    return rows


def case_list_url(*, code: str, period: Period, measure: str = "", **extra) -> str:
    """The case list showing exactly the cases a number counts (same area, period, set)."""
    start, end = period.bounds
    params = {"area": code, "created_from": start.isoformat(), "created_to": end.isoformat()}
    if measure:
        params["measure"] = measure
    params.update({k: v for k, v in extra.items() if v not in (None, "")})
    return f"{reverse('events:list')}?{urlencode(params)}"


def level_of_code(code: str) -> str:
    return {length: level for level, length in LEVELS}.get(len(code), "block")
