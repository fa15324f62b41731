"""Time limits and their enforcement (DESIGN §4): arithmetic, warnings and breaches once."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.exceptions import PermissionDenied
from django.utils import timezone

from events import deadlines, services
from events.enforcement import enforce_deadlines
from events.models import (
    ClockKind,
    DistrictSettings,
    PolicySet,
    Status,
    WorkingDayOverride,
)
from governance.models import Notification
from tests.events.test_concurrency import run_at_once

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def pending(world, now, category=None):
    return services.event_log(
        actor=None, block=world.block, category=category or world.category,
        description="路灯不亮", now=now,
    )  # fmt: skip


def clock(event, kind):
    return event.deadlines.get(kind=kind, met_at=None, cancelled_at=None)


def test_fifteen_minutes_warn_at_twelve_and_breach_once(world):
    start = at(2026, 11, 24, 9, 0)
    event = pending(world, start)
    respond = clock(event, ClockKind.RESPOND)
    assert respond.due_at == start + timedelta(minutes=15)
    assert respond.warn_at == start + timedelta(minutes=12)
    assert enforce_deadlines(now=start + timedelta(minutes=11, seconds=59)) == {
        "breached": 0,
        "warned": 0,
    }
    assert enforce_deadlines(now=start + timedelta(minutes=12)) == {"breached": 0, "warned": 1}
    assert enforce_deadlines(now=start + timedelta(minutes=13)) == {"breached": 0, "warned": 0}
    assert enforce_deadlines(now=start + timedelta(minutes=15)) == {"breached": 1, "warned": 0}
    assert enforce_deadlines(now=start + timedelta(minutes=16)) == {"breached": 0, "warned": 0}
    respond.refresh_from_db()
    assert respond.warned_at == start + timedelta(minutes=12)
    assert respond.breached_at == start + timedelta(minutes=15)
    # The block's team, its supervisor and (on the breach) the street's desk, once each.
    breach = Notification.objects.filter(kind="deadline_breach")
    assert set(breach.values_list("recipient__username", flat=True)) == {
        "governor", "assistant", "supervisor", "dispatcher",
    }  # fmt: skip
    assert breach.count() == 4
    assert Notification.objects.filter(kind="deadline_warning").count() == 3


def test_an_answered_case_never_breaches(world):
    start = at(2026, 11, 24, 9, 0)
    event = pending(world, start)
    services.event_accept(actor=world.governor, event_id=event.pk, now=start + timedelta(minutes=5))
    assert enforce_deadlines(now=start + timedelta(minutes=30))["breached"] == 0


def test_department_report_in_is_24_hours(world):
    start = at(2026, 11, 24, 9, 0)
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="x", now=start
    )
    services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="beyond_means", now=start
    )
    dispatch = clock(event, ClockKind.DISPATCH)
    assert dispatch.due_at - dispatch.started_at == timedelta(hours=2)


def test_three_working_days_across_national_day_and_a_swapped_saturday(world):
    # 2026: 10-01…10-07 are holidays; Saturday 10-10 is a working day (调休).
    start = at(2026, 9, 30, 10, 0)
    assert deadlines.add_working_days(start, 3) == at(2026, 10, 10, 10, 0)
    orange = world.category.__class__.objects.get(code="infra-road")  # orange: 3 working days
    event = services.event_log(
        actor=world.governor, block=world.block, category=orange, description="路面塌陷", now=start
    )
    assert clock(event, ClockKind.RESOLVE).due_at == at(2026, 10, 10, 10, 0)


def test_an_administrators_override_wins_over_the_package(world):
    WorkingDayOverride.objects.create(day=at(2026, 10, 10, 0, 0).date(), is_working_day=False)
    assert deadlines.add_working_days(at(2026, 9, 30, 10, 0), 3) == at(2026, 10, 12, 10, 0)


def test_a_year_the_package_does_not_know_falls_back_to_weekdays_and_warns(world, client):
    # 2027-01-01 is a Friday and 元旦 (a holiday fixed by law, kept in the guess): the
    # second working day after 12-31 is Tuesday the 5th (tests/events/test_calendar.py).
    assert deadlines.add_working_days(at(2026, 12, 31, 10, 0), 2) == at(2027, 1, 5, 10, 0)
    with time_machine.travel(at(2026, 12, 1, 9, 0)):
        assert deadlines.calendar_gaps() == [2027]
        body = client.get("/healthz").json()
        assert 2027 in body["calendar"]["uncovered_years"]
    WorkingDayOverride.objects.create(day=at(2027, 1, 1, 0, 0).date(), is_working_day=False)
    with time_machine.travel(at(2026, 12, 1, 9, 0)):
        assert deadlines.calendar_gaps() == []


def test_suspension_needs_approval_and_moves_the_due_time(world):
    start = at(2026, 11, 24, 9, 0)
    event = pending(world, start)
    respond = clock(event, ClockKind.RESPOND)
    change = services.deadline_change_request(
        actor=world.governor, deadline_id=respond.pk, kind="suspend", reason="居民电话打不通",
        now=start + timedelta(minutes=5),
    )  # fmt: skip
    with pytest.raises(PermissionDenied):  # the block cannot approve its own suspension
        services.deadline_change_decide(actor=world.governor, change_id=change.pk, approve=True)
    services.deadline_change_decide(
        actor=world.dispatcher, change_id=change.pk, approve=True, now=start + timedelta(minutes=6)
    )
    assert enforce_deadlines(now=start + timedelta(hours=1))["breached"] == 0  # paused
    services.deadline_resume(
        actor=world.governor, deadline_id=respond.pk, now=start + timedelta(minutes=66)
    )
    respond.refresh_from_db()
    assert respond.due_at == start + timedelta(minutes=15 + 60)
    actions = list(event.timeline.values_list("action", flat=True))
    assert actions.count("deadline") == 3


def test_extension_adds_working_days(world):
    start = at(2026, 11, 24, 9, 0)  # a Tuesday
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="x", now=start
    )
    resolve = clock(event, ClockKind.RESOLVE)  # yellow: 5 working days → Tue 12-01
    assert resolve.due_at == at(2026, 12, 1, 9, 0)
    change = services.deadline_change_request(
        actor=world.governor, deadline_id=resolve.pk, kind="extend", reason="等待配件",
        extra_working_days=2, now=start,
    )  # fmt: skip
    services.deadline_change_decide(actor=world.dispatcher, change_id=change.pk, approve=True)
    resolve.refresh_from_db()
    assert resolve.due_at == at(2026, 12, 3, 9, 0)


def test_changing_the_colour_recomputes_open_clocks(world):
    start = at(2026, 11, 24, 9, 0)
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="x", now=start
    )
    services.event_recategorize(
        actor=world.governor, event_id=event.pk, category=world.category, priority="red"
    )
    assert clock(event, ClockKind.RESOLVE).due_at == start + timedelta(hours=24)


def test_the_hotline_policy_set(world):
    DistrictSettings.objects.create(district=world.district, policy_set=PolicySet.HOTLINE)
    start = at(2026, 11, 24, 9, 0)
    event = services.event_log(
        actor=world.governor,
        block=world.block,
        category=world.red_category,
        description="x",
        now=start,
    )
    assert clock(event, ClockKind.RESOLVE).due_at == start + timedelta(hours=2)
    services.event_whistle(actor=world.governor, event_id=event.pk, reason="emergency", now=start)
    assert clock(event, ClockKind.DISPATCH).due_at == start + timedelta(hours=1)


def test_auto_whistle_when_the_district_enables_it(world):
    DistrictSettings.objects.create(district=world.district, auto_whistle_on_breach=True)
    start = at(2026, 11, 24, 9, 0)
    event = pending(world, start)
    enforce_deadlines(now=start + timedelta(minutes=16))
    event.refresh_from_db()
    assert event.status == Status.ESCALATED
    assert event.timeline.get(action="whistle").actor is None


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_scans_at_once_warn_and_breach_each_clock_once(world):
    start = timezone.now() - timedelta(hours=1)
    events = [pending(world, start) for _ in range(30)]
    outcomes = run_at_once(
        lambda: enforce_deadlines(batch=7), lambda: enforce_deadlines(batch=7),
        lambda: enforce_deadlines(batch=7),
    )  # fmt: skip
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sum(o["breached"] for o in outcomes) == len(events)
    per_recipient = Notification.objects.filter(kind="deadline_breach").values_list(
        "recipient_id", "dedupe_key"
    )
    assert len(per_recipient) == len(set(per_recipient)) == len(events) * 4


def test_board_and_case_page_show_cards_and_change_forms(world, client):
    start = timezone.now() - timedelta(minutes=20)
    event = pending(world, start)
    enforce_deadlines()
    client.force_login(world.dispatcher)
    board = client.get("/events/deadlines/").content.decode()
    assert event.number in board and "card-red" in board
    client.force_login(world.governor)
    page = client.get(f"/events/{event.number}/").content.decode()
    assert "card-red" in page and "/clocks/" in page
    respond = clock(event, ClockKind.RESPOND)
    client.post(
        f"/events/{event.number}/clocks/{respond.pk}/suspend/", {"reason": "居民电话打不通"}
    )
    change = respond.changes.get()
    client.force_login(world.dispatcher)
    client.post(f"/events/{event.number}/clock-changes/{change.pk}/", {"approve": "1"})
    respond.refresh_from_db()
    assert respond.paused_at is not None
    client.force_login(world.neighbour)
    assert client.get(f"/events/{event.number}/").status_code == 404
    queue = client.get("/events/workbench/queue/").content.decode()
    assert event.number not in queue


def test_load_calendar_copies_the_exceptions_and_refuses_unknown_years(world):
    from django.core.management import CommandError, call_command

    call_command("load_calendar", "2026")
    swapped = WorkingDayOverride.objects.get(day=at(2026, 10, 10, 0, 0).date())
    assert swapped.is_working_day is True
    assert WorkingDayOverride.objects.get(day=at(2026, 10, 1, 0, 0).date()).is_working_day is False
    with pytest.raises(CommandError, match="2027"):
        call_command("load_calendar", "2027")
