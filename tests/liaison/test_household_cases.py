"""A household leader's matter is a case from the moment it is reported (issue 17): its
15-minute clock runs, warns and breaches while nobody has accepted it, and whatever the block
does — on the household leaders' page or on the case page — the leader sees."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services as event_services
from events.enforcement import enforce_deadlines
from events.models import Channel, ClockKind, Deadline, Status
from governance.models import Notification
from liaison import services
from liaison.models import HouseholdMatter

M = timedelta(minutes=1)


@pytest.fixture
def leader(world):
    leader, _token = services.household_leader_create(
        actor=world.governor, block=world.block, name="赵桂兰", phone="13812345678",
        households=24,
    )  # fmt: skip
    return leader


@pytest.mark.django_db
def test_the_clock_runs_from_the_report_and_breaches_while_nobody_accepts(world, leader):
    reported = timezone.now() - 20 * M
    matter = services.household_matter_report(leader=leader, description="路灯坏了", now=reported)
    event = matter.event
    assert (event.channel, event.status, event.created_at) == (
        Channel.HOUSEHOLD_LEADER, Status.PENDING, reported,
    )  # fmt: skip
    clock = Deadline.objects.get(event=event, kind=ClockKind.RESPOND)
    assert clock.due_at == reported + 15 * M
    enforce_deadlines(now=reported + 16 * M)
    clock.refresh_from_db()
    assert clock.breached_at is not None  # nobody accepted it within 15 minutes
    assert Notification.objects.filter(
        recipient=world.governor, link__contains=event.number
    ).exists()


@pytest.mark.django_db
def test_accepting_on_the_case_page_answers_the_leader(world, leader):
    matter = services.household_matter_report(leader=leader, description="井盖松动")
    event_services.event_accept(actor=world.governor, event_id=matter.event_id)
    matter.refresh_from_db()
    assert matter.state == HouseholdMatter.State.ACCEPTED and matter.decided_by == world.governor


@pytest.mark.django_db
def test_accepting_from_the_leaders_page_sets_the_matter(world, leader):
    matter = services.household_matter_report(leader=leader, description="井盖松动")
    assert matter.event.category.code == services.UNSORTED_MATTER
    event = services.household_matter_accept(
        actor=world.governor, matter_id=matter.pk, category=world.category
    )
    assert event.category == world.category and event.status == Status.IN_BLOCK
    matter.refresh_from_db()
    assert matter.state == HouseholdMatter.State.ACCEPTED


@pytest.mark.django_db
def test_declining_marks_the_case_invalid_with_the_reason_the_leader_sees(world, leader, client):
    matter = services.household_matter_report(leader=leader, description="楼上漏水")
    declined = services.household_matter_decline(
        actor=world.governor, matter_id=matter.pk, reason="物业已修好"
    )
    assert declined.state == HouseholdMatter.State.DECLINED
    assert declined.decline_reason == "物业已修好"
    declined.event.refresh_from_db()
    assert declined.event.status == Status.INVALID  # never counted
    # Marking the case invalid on its page does the same.
    other = services.household_matter_report(leader=leader, description="重复反映")
    event_services.event_invalidate(actor=world.governor, event_id=other.event_id, reason="重复")
    other.refresh_from_db()
    assert other.state == HouseholdMatter.State.DECLINED and other.decline_reason == "重复"


@pytest.mark.django_db
def test_the_neighbour_neither_sees_nor_settles_it(world, leader):
    matter = services.household_matter_report(leader=leader, description="路灯坏了")
    with pytest.raises(HouseholdMatter.DoesNotExist):
        services.household_matter_decline(actor=world.neighbour, matter_id=matter.pk, reason="x")
    matter.refresh_from_db()
    assert matter.state == HouseholdMatter.State.REPORTED
    assert matter.event.status == Status.PENDING
