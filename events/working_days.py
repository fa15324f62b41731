"""The working-day table and the clocks it moves (DESIGN §4, issue 17 item 9).

Every change of the table goes through ``working_days_change``: an administrator's edit in
the admin, the import of a year's table (CSV or XLSX: 日期, 休/班, 备注; the admin's import
page or ``manage.py load_calendar YEAR FILE``) and the copy of a year the calendar package
knows (``manage.py load_calendar YEAR``). In one transaction it writes the days, moves the
due and warning times of the open working-day clocks whose span the changed days touch,
writes a line on each such case's timeline and puts the change on the audit log.

What moves, and what does not:
- a clock counted in working days that is open (neither met nor cancelled), started before
  a changed day and due on or after it: its due day becomes the day that has as many
  working days after its start under the new table as it had under the old one, at the
  same time of day (an extension's days and a suspension's time are kept);
- a clock counted in minutes never moves (24 hours are 24 hours over a holiday too), nor a
  met or cancelled one;
- a clock already warned or breached keeps ``warned_at`` / ``breached_at``: the notices went
  out and each happens once (DESIGN §4); its due and warning times move all the same, so a
  warning that turns out premature is not repeated, and a breach stays on the record.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta

import chinese_calendar
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from events import deadlines
from events.models import Action, Deadline, TimelineEntry, WorkingDayOverride
from governance import polls, spreadsheets
from governance.audit import audit
from governance.models import AuditEntry
from governance.text import cell_refusal, control_character

SHANGHAI = deadlines.SHANGHAI
LOCK_KEY = 0x57444159  # "WDAY": one change of the table at a time
MAX_ROWS = 400  # a year has 366 days
OFF, WORK = "休", "班"
COLUMNS = {
    "day": ("日期", "date", "day"),
    "mark": ("休/班", "休班", "类型", "mark", "type"),
    "note": ("备注", "说明", "note"),
}
DATE_FORMATS = ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d", "%Y年%m月%d日", "%Y%m%d")
PERMISSIONS = (
    "events.add_workingdayoverride",
    "events.change_workingdayoverride",
    "events.delete_workingdayoverride",
)


@dataclass
class CalendarChange:
    """What a change of the table did."""

    days: list[date] = field(default_factory=list)  # whose working status changed
    clocks: int = 0  # clocks moved
    cases: int = 0


@dataclass
class CalendarRow:
    row: int | str
    day: date | None = None
    is_working_day: bool | None = None
    note: str = ""
    message: str = ""  # why the row cannot be imported


@dataclass
class CalendarImport:
    year: int
    rows: list[CalendarRow] = field(default_factory=list)
    change: CalendarChange | None = None

    @property
    def errors(self) -> list[CalendarRow]:
        return [r for r in self.rows if r.message]


def may_edit_calendar(user) -> bool:
    return bool(user and user.is_active and user.is_staff and user.has_perms(PERMISSIONS))


# --- the one writer -------------------------------------------------------------------------
def _lock() -> None:
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(%s)", [LOCK_KEY])


def _local_day_start(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=SHANGHAI)


def _day_ranges(days: Iterable[date]) -> str:
    """2027-10-01…2027-10-07, 2027-10-09"""
    runs: list[list[date]] = []
    for day in sorted(days):
        if runs and day - runs[-1][-1] == timedelta(days=1):
            runs[-1].append(day)
        else:
            runs.append([day])
    return ", ".join(
        f"{run[0]:%Y-%m-%d}…{run[-1]:%Y-%m-%d}" if len(run) > 1 else f"{run[0]:%Y-%m-%d}"
        for run in runs
    )


def _moved_due(
    clock: Deadline, changed: list[date], old: dict[date, bool], new: dict[date, bool]
) -> datetime | None:
    """The clock's new due time under the ``new`` table, or None if it does not move."""
    paused = timedelta(seconds=clock.paused_seconds)
    start = clock.started_at.astimezone(SHANGHAI).date()
    base_due = (clock.due_at - paused).astimezone(SHANGHAI)
    if not any(start < day <= base_due.date() for day in changed):
        return None
    span = (base_due.date() - start).days
    counted = sum(
        deadlines.is_working_day(start + timedelta(days=i), old) for i in range(1, span + 1)
    )
    if counted == 0:
        return None
    day = deadlines.nth_working_day(start, counted, new)
    if day == base_due.date():
        return None
    return datetime.combine(day, base_due.timetz()).astimezone(clock.due_at.tzinfo) + paused


def working_days_change(
    *,
    actor,
    set_days: Mapping[date, tuple[bool, str]] = {},  # noqa: B006 (read only)
    remove_days: Iterable[date] = (),
    source: str,
    request=None,
    now: datetime | None = None,
) -> CalendarChange:
    """Write ``set_days`` (day → working or not, note) and remove ``remove_days`` from the
    table; the open working-day clocks whose span a changed day touches follow. One
    transaction; audited. ``actor=None`` is a management command run at the server."""
    if actor is not None and not may_edit_calendar(actor):
        raise PermissionDenied(_("Only administrators change the working-day table."))
    now = now or timezone.now()
    remove_days = set(remove_days) - set(set_days)
    touched = set(set_days) | remove_days
    result = CalendarChange()
    with transaction.atomic():
        _lock()
        if not touched:
            return result
        first, last = min(touched), max(touched)
        clocks = list(
            Deadline.objects.select_for_update(of=("self",))
            .select_related("event", "event__category")
            .filter(
                met_at__isnull=True,
                cancelled_at__isnull=True,
                started_at__lt=_local_day_start(last + timedelta(days=1)),
                due_at__gte=_local_day_start(first),
            )
            .order_by("event_id", "pk")
        )
        # The table around every span concerned, before and after: the due times move by
        # the days that changed, however far the new due day lands.
        low = min([first] + [c.started_at.astimezone(SHANGHAI).date() for c in clocks])
        high = deadlines.working_day_horizon(
            max([last] + [c.due_at.astimezone(SHANGHAI).date() for c in clocks]), len(touched)
        )
        old = deadlines.calendar_overrides(low, high)
        WorkingDayOverride.objects.filter(day__in=remove_days).delete()
        for day, (working, note) in sorted(set_days.items()):
            WorkingDayOverride.objects.update_or_create(
                day=day, defaults={"is_working_day": working, "note": note}
            )
        new = deadlines.calendar_overrides(low, high)
        result.days = sorted(
            day
            for day in touched
            if deadlines.is_working_day(day, old) != deadlines.is_working_day(day, new)
        )
        if result.days:
            result.clocks, result.cases = _move_clocks(
                clocks, changed=result.days, old=old, new=new, actor=actor, now=now
            )
        audit(
            action=AuditEntry.Action.ADMIN_CHANGE,
            actor=actor,
            request=request,
            username="" if actor else "manage.py",
            object_type="events.workingdayoverride",
            object_id=f"{first}…{last}" if first != last else str(first),
            detail={
                "change": "working_days",
                "source": source,
                "written": len(set_days),
                "removed": len(remove_days),
                "changed_days": {
                    d.isoformat(): WORK if deadlines.is_working_day(d, new) else OFF
                    for d in result.days
                },
                "clocks_moved": result.clocks,
                "cases": result.cases,
            },
        )
    return result


def _move_clocks(
    clocks: list[Deadline], *, changed: list[date], old, new, actor, now: datetime
) -> tuple[int, int]:
    limits: dict[tuple, dict] = {}
    moved: dict[int, list[Deadline]] = {}
    for clock in clocks:
        event = clock.event
        key = (event.area_code[:6], event.category_id, event.priority)
        if key not in limits:
            limits[key] = deadlines.limits_for(event)
        duration = limits[key].get(clock.kind)
        if duration is None or not duration.working_days:
            continue  # a clock counted in minutes runs through holidays alike
        due = _moved_due(clock, changed, old, new)
        if due is None:
            continue
        clock.due_at = due
        clock.warn_at = deadlines.warn_time(clock.started_at, due)
        moved.setdefault(event.pk, []).append(clock)
    every = [clock for group in moved.values() for clock in group]
    Deadline.objects.bulk_update(every, ["due_at", "warn_at"])
    days = _day_ranges(changed)
    for group in moved.values():
        event = group[0].event
        # One entry per case: its timeline says why its clock moved (and the dashboards'
        # roll-up hears of the change through it).
        TimelineEntry.objects.create(
            event=event,
            at=now,
            actor=actor,
            action=Action.DEADLINE,
            from_status=event.status,
            to_status=event.status,
            note=_("The working-day table changed (%(days)s): %(clocks)s")
            % {
                "days": days,
                "clocks": "; ".join(
                    _("“%(clock)s” now due %(due)s")
                    % {
                        "clock": clock.get_kind_display(),
                        "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M"),
                    }
                    for clock in group
                ),
            },
            data={"working_days": [d.isoformat() for d in changed]},
        )
        polls.bump(polls.area_topics(event.area_code))  # the queues show the moved clocks
    return len(every), len(moved)


# --- a year at a time -------------------------------------------------------------------------
def _parse_day(value) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = spreadsheets.cell_text(value)
    text = re.sub(r"\s+", "", text)
    for pattern in DATE_FORMATS:
        try:
            return datetime.strptime(text, pattern).date()  # noqa: DTZ007 (a date, no time)
        except ValueError:
            continue
    return None


def check_rows(rows: list[dict], *, year: int) -> list[CalendarRow]:
    """Each row of a year's table, with why it cannot be imported ("" if it can)."""
    checked: list[CalendarRow] = []
    seen: dict[date, int | str] = {}
    max_note = WorkingDayOverride._meta.get_field("note").max_length
    for row in rows:
        result = CalendarRow(row=row["row"])
        checked.append(result)
        for key in COLUMNS:
            char = control_character(row.get(key))
            if char:
                result.message = cell_refusal(COLUMNS[key][0], char)
                break
        if result.message:
            continue
        day = _parse_day(row.get("day", ""))
        mark = spreadsheets.cell_text(row.get("mark", ""))
        result.note = spreadsheets.cell_text(row.get("note", ""))
        if day is None:
            result.message = _("“%(value)s” is not a date: write it like 2027-10-01.") % {
                "value": spreadsheets.cell_text(row.get("day", ""))
            }
        elif day.year != year:
            result.message = _("%(day)s is not in %(year)s.") % {"day": day, "year": year}
        elif day in seen:
            result.message = _("%(day)s is already in row %(row)s.") % {
                "day": day,
                "row": seen[day],
            }
        elif mark not in (OFF, WORK):
            result.message = _("“%(mark)s” is neither 休 (a day off) nor 班 (a working day).") % {
                "mark": mark
            }
        elif len(result.note) > max_note:
            result.message = _("The note is longer than %(n)s characters.") % {"n": max_note}
        if day is not None:
            result.day = day
            seen.setdefault(day, row["row"])
        result.is_working_day = mark == WORK
    return checked


def calendar_import(
    *, actor, year: int, upload, request=None, now: datetime | None = None
) -> CalendarImport:
    """A year's table (CSV or XLSX) becomes the year's days in the table: every row is
    checked first, and one bad row writes nothing. Days of the year the file does not list
    leave the table (they follow the official calendar, or the guess)."""
    if actor is not None and not may_edit_calendar(actor):
        raise PermissionDenied(_("Only administrators change the working-day table."))
    if not 2000 <= year <= 2100:
        raise ValidationError(_("Give a year between 2000 and 2100."))
    rows = spreadsheets.read_table(
        upload, columns=COLUMNS, required=("day", "mark"), max_rows=MAX_ROWS, as_text=False
    )
    report = CalendarImport(year=year, rows=check_rows(rows, year=year))
    if report.errors:
        return report
    set_days = {r.day: (r.is_working_day, r.note) for r in report.rows}
    stale = WorkingDayOverride.objects.filter(day__year=year).exclude(day__in=set_days)
    report.change = working_days_change(
        actor=actor,
        set_days=set_days,
        remove_days=list(stale.values_list("day", flat=True)),
        source="import",
        request=request,
        now=now,
    )
    return report


def official_year(year: int) -> dict[date, tuple[bool, str]]:
    """The official holidays and swapped working days (调休) of a year the calendar package
    knows: only the days that differ from Monday–Friday. NotImplementedError otherwise."""
    chinese = {h.value: h.chinese for h in chinese_calendar.Holiday}  # "National Day" → 国庆节
    days = {}
    day = date(year, 1, 1)
    while day.year == year:
        official = chinese_calendar.is_workday(day)
        if official != (day.weekday() < 5):
            _detail, name = chinese_calendar.get_holiday_detail(day)
            note = chinese.get(name, name or "")
            days[day] = (official, f"{note}调休" if official and note else note)
        day += timedelta(days=1)
    return days
