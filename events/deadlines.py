"""Time limits: which one applies, working-day arithmetic, and a case's clocks (DESIGN §4).

Durations are wall-clock minutes or Chinese working days. Working days follow the
official calendar with its holiday swaps (调休): the ``WorkingDayOverride`` table, which an
administrator edits or imports a year at a time (``events.calendar``), is the source of
truth; the ``chinese-calendar`` package answers for the days it does not name; for a year
the package does not cover yet (it raises NotImplementedError) and nobody entered, we guess:
Monday–Friday less the holidays the law fixes by date, and /healthz and the admin say so.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
from django.db.models import F, Q, Subquery, Value
from django.db.models.functions import Coalesce
from django.utils import timezone

from events.categories import ASSISTED_SERVICES
from events.models import (
    CategoryKind,
    ClockKind,
    Deadline,
    DeadlinePolicy,
    DistrictSettings,
    Event,
    PolicySet,
    WorkingDayOverride,
)

SHANGHAI = ZoneInfo("Asia/Shanghai")
WARN_FRACTION = 0.8  # 预警 at 80 % of the time (DESIGN §4)


@dataclass(frozen=True)
class Duration:
    minutes: int = 0
    working_days: int = 0
    from_dispatch: bool = False  # a department's resolve clock counts from its dispatch


# --- working days -----------------------------------------------------------------------
# The holidays the law fixes by date (全国年节及纪念日放假办法, as revised in 2024 and in
# force from 2025): 元旦 1 January, 劳动节 1–2 May, 国庆节 1–3 October. The others follow
# the lunar calendar or a solar term, and the State Council adds swapped days (调休) every
# year, so only its published table (imported) is right; these are the guess for a year
# nobody entered yet (issue 17: 2027-01-01 counted as a working day).
FIXED_HOLIDAYS = ((1, 1), (5, 1), (5, 2), (10, 1), (10, 2), (10, 3))


def calendar_covers(year: int) -> bool:
    try:
        chinese_calendar.is_workday(date(year, 6, 1))
    except NotImplementedError:
        return False
    return True


def year_guessed(year: int) -> bool:
    """Neither the package nor the table knows ``year``: its working days are a guess."""
    return (
        not calendar_covers(year) and not WorkingDayOverride.objects.filter(day__year=year).exists()
    )


def calendar_gaps(*, today: date | None = None) -> list[int]:
    """The years whose working days are guessed and somebody should enter: this year, and
    from 1 December the next one (its holidays are published in the autumn)."""
    today = today or timezone.localdate()
    years = [today.year] + ([today.year + 1] if today.month == 12 else [])
    return [year for year in years if year_guessed(year)]


def calendar_probe(*, today: date | None = None) -> dict:
    """A guessed year does not stop the service, but /healthz says so, loudly (DESIGN §4)."""
    gaps = calendar_gaps(today=today)
    if not gaps:
        return {"ok": True}
    return {
        "ok": True,
        "warning": (
            f"no working-day table for {', '.join(map(str, gaps))}: guessing (Monday to Friday, "
            "with 1 January, 1-2 May and 1-3 October off) until an administrator imports the "
            "year's table (admin › working-day overrides › import)"
        ),
        "uncovered_years": gaps,
        "guessing": True,
    }


def _official_working_day(day: date) -> bool:
    try:
        return chinese_calendar.is_workday(day)
    except NotImplementedError:
        return day.weekday() < 5 and (day.month, day.day) not in FIXED_HOLIDAYS


def calendar_overrides(first: date, last: date) -> dict[date, bool]:
    """The table's days between ``first`` and ``last`` (inclusive): day → working or not."""
    return dict(
        WorkingDayOverride.objects.filter(day__gte=first, day__lte=last).values_list(
            "day", "is_working_day"
        )
    )


def is_working_day(day: date, overrides: dict[date, bool]) -> bool:
    """The one test of a working day: the table, else the package, else the guess."""
    return overrides.get(day, _official_working_day(day))


def nth_working_day(day: date, days: int, overrides: dict[date, bool]) -> date:
    """The ``days``-th working day after ``day`` (``overrides`` must reach that far)."""
    counted = 0
    while counted < days:
        day += timedelta(days=1)
        if is_working_day(day, overrides):
            counted += 1
    return day


def working_day_horizon(day: date, days: int) -> date:
    """A day certainly beyond the ``days``-th working day after ``day`` (the longest run of
    days off is a week of holidays next to a weekend)."""
    return day + timedelta(days=days * 3 + 30)


def add_working_days(start: datetime, days: int) -> datetime:
    """The same local time of day, ``days`` working days after ``start``'s day."""
    local = start.astimezone(SHANGHAI)
    overrides = calendar_overrides(local.date(), working_day_horizon(local.date(), days))
    day = nth_working_day(local.date(), days, overrides)
    return datetime.combine(day, local.timetz()).astimezone(start.tzinfo)


def due_after(start: datetime, duration: Duration) -> datetime:
    if duration.working_days:
        return add_working_days(start, duration.working_days)
    return start + timedelta(minutes=duration.minutes)


# --- which limit applies ----------------------------------------------------------------
def limits_for(event: Event) -> dict[str, Duration]:
    """The most specific time limit of every clock kind for this case's district, category
    and colour, read in one query and kept on the event while those stay the same (a case
    starts several clocks in one transition: intake starts two)."""
    district_code = event.area_code[:6]
    category = event.category
    key = (district_code, category.pk, event.priority)
    kept = getattr(event, "_limits_cache", None)
    if kept is not None and kept[0] == key:
        return kept[1]
    chosen_set = Coalesce(
        Subquery(
            DistrictSettings.objects.filter(district__code=district_code).values("policy_set")[:1]
        ),
        Value(PolicySet.SEEDS),
    )
    categories = [category.pk] + ([category.parent_id] if category.parent_id else [])
    rows = (
        DeadlinePolicy.objects.annotate(chosen_set=chosen_set)
        .filter(
            Q(district__isnull=True) | Q(district__code=district_code),
            Q(category__isnull=True) | Q(category_id__in=categories),
            Q(priority="") | Q(priority=event.priority),
            policy_set=F("chosen_set"),
        )
        .values(
            "kind",
            "district_id",
            "category_id",
            "priority",
            "minutes",
            "working_days",
            "from_dispatch",
        )
    )

    # An assisted service's own limit is its limit, whatever the colour.
    service = category.kind == CategoryKind.ASSISTED_SERVICE

    def specificity(row: dict) -> tuple:
        # A colour (red: an emergency) outranks a category, which outranks the default.
        return (
            row["district_id"] is not None,
            service and row["category_id"] == category.pk,
            row["priority"] != "",
            row["category_id"] == category.pk,
            row["category_id"] is not None,
        )

    best: dict[str, dict] = {}
    for row in rows:
        if row["kind"] not in best or specificity(row) > specificity(best[row["kind"]]):
            best[row["kind"]] = row
    limits = {
        kind: Duration(
            minutes=row["minutes"],
            working_days=row["working_days"],
            from_dispatch=row["from_dispatch"],
        )
        for kind, row in best.items()
    }
    event._limits_cache = (key, limits)
    return limits


def duration_for(*, event: Event, kind: str) -> Duration:
    """The most specific time limit for this case's district, category and colour."""
    try:
        return limits_for(event)[kind]
    except KeyError:
        raise LookupError(
            f"no time limit for {kind} in the policy set of district {event.area_code[:6]}"
        ) from None


# --- a case's clocks --------------------------------------------------------------------
def warn_time(started_at: datetime, due_at: datetime) -> datetime:
    return started_at + (due_at - started_at) * WARN_FRACTION


def _schedule(clock: Deadline, duration: Duration) -> None:
    """Set due and warn times from the start, the limit and the time spent paused."""
    due = due_after(clock.started_at, duration) + timedelta(seconds=clock.paused_seconds)
    clock.due_at = due
    clock.warn_at = warn_time(clock.started_at, due)


def clock_start_time(*, event: Event, kind: str, now: datetime, assignment=None) -> datetime:
    """When a clock starts counting: now, except a booked service's (预约服务, seed 002):
    the block does it at the booked time, so its resolve clock counts the service's limit
    from then (due = booked time + limit; its 15-minute respond clock still runs now)."""
    if (
        kind == ClockKind.RESOLVE
        and assignment is None
        and event.booked_at
        and event.booked_at > now
    ):
        return event.booked_at
    return now


def clock_start(*, event: Event, kind: str, now: datetime, assignment=None) -> Deadline:
    """Start ``kind`` for ``event`` (or one department's part of it) unless it runs already.

    A limit counted from dispatch (12345: an emergency's feedback within 2 h of dispatch)
    starts a part's first resolve clock at the part's dispatch, so the report-in does not
    add its own time; a rework's resolve clock counts from the rework."""
    running = event.deadlines.filter(
        kind=kind, assignment=assignment, met_at=None, cancelled_at=None
    ).first()
    if running:
        return running
    duration = duration_for(event=event, kind=kind)
    start = clock_start_time(event=event, kind=kind, now=now, assignment=assignment)
    if (
        duration.from_dispatch
        and assignment is not None
        and not assignment.deadlines.filter(kind=kind).exists()
    ):
        start = min(assignment.dispatched_at, now)
    clock = Deadline(event=event, assignment=assignment, kind=kind, started_at=start)
    _schedule(clock, duration)
    clock.save()
    return clock


def clocks_open(*, event: Event, kinds: list[str], now: datetime, met: tuple = ()) -> list:
    """A new case's first clocks, in one insert (none can be running yet); those in ``met``
    are answered at once, as when block staff log what they see (一呼即应)."""
    clocks = []
    for kind in kinds:
        clock = Deadline(
            event=event,
            kind=kind,
            started_at=clock_start_time(event=event, kind=kind, now=now),
            met_at=now if kind in met else None,
        )
        _schedule(clock, duration_for(event=event, kind=kind))
        clocks.append(clock)
    return Deadline.objects.bulk_create(clocks)


def clock_stop(*, event: Event, kinds: list[str], now: datetime, assignment=None) -> int:
    """The clocks of ``kinds`` (of the case, or of one department's part) are met now."""
    return event.deadlines.filter(
        kind__in=kinds, assignment=assignment, met_at=None, cancelled_at=None
    ).update(met_at=now, paused_at=None)


def clock_cancel(*, event: Event, kinds: list[str], now: datetime) -> int:
    """The case's clocks of ``kinds`` no longer apply (e.g. the block's resolve clock once
    it whistles the case up)."""
    return event.deadlines.filter(
        kind__in=kinds, assignment=None, met_at=None, cancelled_at=None
    ).update(cancelled_at=now)


def clock_cancel_all(*, event: Event, now: datetime) -> int:
    """A case that is invalid or merged stops counting: its open clocks are cancelled."""
    return event.deadlines.filter(met_at=None, cancelled_at=None).update(cancelled_at=now)


def clocks_recompute(*, event: Event) -> int:
    """After a change of category or colour, open clocks follow the new limits (from their
    original start; a clock already warned or breached keeps that record)."""
    changed = 0
    for clock in event.deadlines.filter(met_at=None, cancelled_at=None):
        _schedule(clock, duration_for(event=event, kind=clock.kind))
        clock.save(update_fields=["due_at", "warn_at"])
        changed += 1
    return changed


def clock_pause(*, clock: Deadline, now: datetime) -> None:
    clock.paused_at = now
    clock.save(update_fields=["paused_at"])


def clock_resume(*, clock: Deadline, now: datetime) -> None:
    """Time spent suspended (挂起) moves the due time by as much."""
    paused = int((now - clock.paused_at).total_seconds())
    clock.paused_seconds += paused
    clock.due_at += timedelta(seconds=paused)
    clock.warn_at += timedelta(seconds=paused)
    clock.paused_at = None
    clock.save(update_fields=["paused_seconds", "due_at", "warn_at", "paused_at"])


def clock_extend(*, clock: Deadline, working_days: int) -> None:
    """延期: the due time moves by whole working days; a breach not yet happened is gone."""
    clock.due_at = add_working_days(clock.due_at, working_days)
    clock.warn_at = warn_time(clock.started_at, clock.due_at)
    clock.save(update_fields=["due_at", "warn_at"])


# The defaults of the seeds and the 12345 hotline set, loaded by a data migration.
UTILITY_CATEGORIES = ("infra-water-supply", "infra-power", "infra-gas", "infra-heating")
COMPLEX_CATEGORIES = ("dispute-land", "dispute-labour")


def default_policy_rows() -> list[dict]:
    """(policy set, kind, category code or None, colour, minutes, working days[, counted
    from dispatch])."""
    seeds = [
        (ClockKind.RESPOND, None, "", 15, 0),
        (ClockKind.DISPATCH, None, "", 120, 0),
        (ClockKind.REPORT_IN, None, "", 24 * 60, 0),
        (ClockKind.RESOLVE, None, "", 0, 5),
        (ClockKind.RESOLVE, None, "red", 24 * 60, 0),
        (ClockKind.RESOLVE, None, "orange", 0, 3),
        (ClockKind.RESOLVE, None, "yellow", 0, 5),
        (ClockKind.RESOLVE, None, "green", 0, 10),
        (ClockKind.VERIFY, None, "", 0, 1),
        (ClockKind.RATE, None, "", 0, 2),
    ]
    # Beijing 12345 (DB11/T 2021-2022): dispatch 1 h for emergencies, 2 h for utilities
    # (water, power, gas, heating), 24 h otherwise; feedback 2 h / 24 h / 7 days / 15 days
    # for complex matters. An emergency's department reports in AND feeds back within 2 h
    # of dispatch (issue 17: the report-in's 24 h used to come first, ≈ 27 h in all).
    hotline = [
        (ClockKind.RESPOND, None, "", 15, 0),
        (ClockKind.DISPATCH, None, "", 24 * 60, 0),
        (ClockKind.DISPATCH, None, "red", 60, 0),
        *[(ClockKind.DISPATCH, c, "", 120, 0) for c in UTILITY_CATEGORIES],
        (ClockKind.REPORT_IN, None, "", 24 * 60, 0),
        (ClockKind.REPORT_IN, None, "red", 120, 0),
        (ClockKind.RESOLVE, None, "", 7 * 24 * 60, 0),
        (ClockKind.RESOLVE, None, "red", 120, 0, True),
        *[(ClockKind.RESOLVE, c, "", 24 * 60, 0) for c in UTILITY_CATEGORIES],
        *[(ClockKind.RESOLVE, c, "", 15 * 24 * 60, 0) for c in COMPLEX_CATEGORIES],
        (ClockKind.VERIFY, None, "", 0, 1),
        (ClockKind.RATE, None, "", 0, 2),
    ]
    # Each assisted service's own time to get it done (帮代办, seed 000), in both sets.
    services = [(ClockKind.RESOLVE, code, "", 0, days) for code, _n, days, _d in ASSISTED_SERVICES]
    seeds += services
    hotline += services
    return [
        {"policy_set": name, "kind": str(k), "category": c, "priority": p, "minutes": m,
         "working_days": w, "from_dispatch": bool(rest and rest[0])}
        for name, rows in ((PolicySet.SEEDS, seeds), (PolicySet.HOTLINE, hotline))
        for k, c, p, m, w, *rest in rows
    ]  # fmt: skip


def load_default_policies(Category, DeadlinePolicy) -> None:
    """Create the built-in time limits where missing (the models may be a migration's, from
    before a field existed); a limit an administrator changed is kept."""
    categories = dict(Category.objects.values_list("code", "pk"))
    fields = {f.name for f in DeadlinePolicy._meta.get_fields()}
    for row in default_policy_rows():
        code = row.pop("category")
        if code is not None and code not in categories:
            continue
        limit = {k: row.pop(k) for k in ("minutes", "working_days", "from_dispatch")}
        identity = {"category_id": categories.get(code), "district": None, **row}
        if not DeadlinePolicy.objects.filter(**identity).exists():
            DeadlinePolicy.objects.create(
                **identity, **{k: v for k, v in limit.items() if k in fields}
            )
