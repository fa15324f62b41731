"""Who hears of a warning and of a breach, per level (DESIGN §4, issue 6), and where the
yellow and red cards show: the case list, the deadline board."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from blocks.models import DepartmentMember
from events import services
from events.enforcement import enforce_deadlines
from events.models import ClockKind, Deadline, Status
from governance.models import Delivery, Notification, WebhookTarget
from tests.factories import UserFactory, post

pytestmark = pytest.mark.django_db


def told(kind: str, clock: Deadline) -> set[str]:
    return set(
        Notification.objects.filter(
            kind=kind, dedupe_key__startswith=f"deadline:{clock.pk}:"
        ).values_list("recipient__username", flat=True)
    )


def dispatched(world, depts, start):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="占道经营",
        now=start,
    )  # fmt: skip
    services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="beyond_means", now=start
    )
    services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department,
        cooperating=[depts.scjg.department], now=start,
    )  # fmt: skip
    return event


def test_a_departments_missed_report_in_reaches_its_head_the_desk_and_both_groups(world, depts):
    head = UserFactory(username="cgzf-head")
    DepartmentMember.objects.create(
        department=depts.cgzf.department, user=head, role=DepartmentMember.Role.HEAD
    )
    WebhookTarget.objects.create(
        name="城管群", url="http://127.0.0.1:9/cgzf", department=depts.cgzf.department
    )
    WebhookTarget.objects.create(
        name="街道群", url="http://127.0.0.1:9/desk", area_code=world.street.code
    )
    WebhookTarget.objects.create(name="停用", url="http://127.0.0.1:9/off", area_code=world.street.code,
                                 is_active=False)  # fmt: skip
    start = timezone.now() - timedelta(hours=25)
    event = dispatched(world, depts, start)
    lead = Deadline.objects.get(
        event=event, kind=ClockKind.REPORT_IN, assignment__department=depts.cgzf.department
    )
    enforce_deadlines(now=start + timedelta(hours=20))  # 80 % of 24 h: the warning
    assert told("deadline_warning", lead) == {"cgzf-officer", "cgzf-head", "supervisor"}
    enforce_deadlines(now=start + timedelta(hours=24, minutes=1))
    assert told("deadline_breach", lead) == {
        "cgzf-officer",
        "cgzf-head",
        "supervisor",
        "dispatcher",
    }
    hooks = set(
        Delivery.objects.filter(
            channel=Delivery.Channel.WECOM, dedupe_key=f"deadline:{lead.pk}:breach"
        ).values_list("target", flat=True)
    )
    assert hooks == {"http://127.0.0.1:9/cgzf", "http://127.0.0.1:9/desk"}
    # The cooperating department hears of its own clock, not of the lead's.
    assert "scjg-officer" not in told("deadline_breach", lead)


def test_a_missed_dispatch_reaches_the_street_and_district_leaders(world):
    street_leader = UserFactory(username="street-leader")
    post(street_leader, world.street, "leader")
    start = timezone.now() - timedelta(hours=3)
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="x", now=start
    )
    services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="beyond_means", now=start
    )
    dispatch = Deadline.objects.get(event=event, kind=ClockKind.DISPATCH)
    enforce_deadlines()
    assert told("deadline_breach", dispatch) == {
        "supervisor", "dispatcher", "leader", "street-leader",
    }  # fmt: skip
    # Another street's desk hears nothing of it.
    assert "other_dispatcher" not in told("deadline_breach", dispatch)


def test_without_the_district_setting_a_breached_block_does_not_whistle(world):
    start = timezone.now() - timedelta(minutes=16)
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x", now=start
    )
    assert enforce_deadlines()["breached"] == 1
    event.refresh_from_db()
    assert event.status == Status.PENDING


def test_the_case_list_shows_yellow_and_red_cards_that_count_down(world, client):
    now = timezone.now()
    red = services.event_log(
        actor=None, block=world.block, category=world.category, description="x",
        now=now - timedelta(minutes=20),
    )  # fmt: skip
    yellow = services.event_log(
        actor=None, block=world.block, category=world.category, description="y",
        now=now - timedelta(minutes=13),
    )  # fmt: skip
    client.force_login(world.dispatcher)
    page = client.get("/events/").content.decode()
    rows = {n: page.split(n, 1)[1].split("</tr>", 1)[0] for n in (red.number, yellow.number)}
    assert 'class="clock card-red"' in rows[red.number]
    assert 'class="clock card-yellow"' in rows[yellow.number]
    respond = Deadline.objects.get(event=yellow, kind=ClockKind.RESPOND)
    # countdown.js needs both moments to keep the colour right between reloads.
    assert f'data-due="{respond.due_at.isoformat()}"' in rows[yellow.number]
    assert f'data-warn="{respond.warn_at.isoformat()}"' in rows[yellow.number]
    assert "js/countdown.js" in page


def test_the_board_shows_overdue_and_the_next_hour_by_whom(world, depts, client):
    now = timezone.now()
    overdue = dispatched(world, depts, now - timedelta(hours=25))
    soon = services.event_log(
        actor=None, block=world.block, category=world.category, description="x",
        now=now - timedelta(minutes=5),
    )  # fmt: skip
    later = services.event_log(
        actor=None, block=world.block, category=world.category, description="z", now=now
    )
    Deadline.objects.filter(event=later).update(due_at=now + timedelta(hours=2))
    client.force_login(world.dispatcher)
    response = client.get("/events/deadlines/")
    board = response.content.decode()
    overdue_part, soon_part = board.split("<h2>", 2)[1:]
    assert (
        overdue.number in overdue_part and "城管执法" in overdue_part and "市场监管" in overdue_part
    )
    assert soon.number in soon_part and soon.number not in overdue_part  # due in 10 minutes
    assert later.number not in board  # due in 2 hours: not yet
    # The neighbouring street's desk sees none of it.
    client.force_login(world.other_dispatcher)
    other = client.get("/events/deadlines/").content.decode()
    assert overdue.number not in other and soon.number not in other


def test_a_suspended_clock_neither_counts_down_nor_shows_overdue(world, client):
    start = timezone.now() - timedelta(minutes=20)
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x", now=start
    )
    respond = Deadline.objects.get(event=event, kind=ClockKind.RESPOND)
    change = services.deadline_change_request(
        actor=world.governor, deadline_id=respond.pk, kind="suspend", reason="居民电话打不通",
        now=start + timedelta(minutes=1),
    )  # fmt: skip
    services.deadline_change_decide(
        actor=world.dispatcher, change_id=change.pk, approve=True, now=start + timedelta(minutes=2)
    )
    client.force_login(world.dispatcher)
    row = client.get("/events/").content.decode().split(event.number, 1)[1].split("</tr>", 1)[0]
    assert "card-red" not in row and "data-due" not in row
    assert event.number not in client.get("/events/deadlines/").content.decode()


def test_a_clock_the_street_owns_goes_up_to_the_streets_leaders(world):
    from events import deadlines

    street_leader = UserFactory(username="street-leader")
    post(street_leader, world.street, "leader")
    start = timezone.now() - timedelta(days=5)
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="x", now=start
    )
    services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="beyond_means", now=start
    )
    verify = deadlines.clock_start(event=event, kind=ClockKind.VERIFY, now=start)
    enforce_deadlines()
    assert told("deadline_breach", verify) == {"supervisor", "dispatcher", "street-leader"}
    assert "leader" not in told("deadline_breach", verify)  # the district is not woken for it
