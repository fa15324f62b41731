"""村居吹哨、部门报到 (seed 004, issue 20): where the district allows it, a block calls
departments straight from its own case — the duty list's suggestion preselected — the street
is told, and the street's dispatch clock never starts. Elsewhere, and for anyone else, no."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from events import services
from events.models import ClockKind, Deadline, DistrictSettings, Status
from governance.models import Notification


def in_block(world):
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="夜市占道经营"
    )
    return services.event_accept(actor=world.governor, event_id=event.pk)


@pytest.fixture
def allowed(world):
    return DistrictSettings.objects.create(district=world.district, community_dispatch=True)


@pytest.mark.django_db
def test_the_block_calls_departments_straight_and_the_street_is_told(world, depts, allowed):
    event = in_block(world)
    done = services.event_dispatch(
        actor=world.governor, event_id=event.pk, lead=depts.cgzf.department,
        cooperating=[depts.scjg.department],
    )  # fmt: skip
    assert done.status == Status.DISPATCHED and done.whistled_at is not None
    assert done.whistle_reason == "beyond_means"  # counted among whistles
    assert not Deadline.objects.filter(event=done, kind=ClockKind.DISPATCH).exists()
    assert Deadline.objects.filter(event=done, kind=ClockKind.REPORT_IN).count() == 2
    told = Notification.objects.filter(kind="event_direct_call").values_list(
        "recipient__username", flat=True
    )
    assert set(told) == {"dispatcher"}
    # a pending case called straight is answered by the call
    pending = services.event_log(
        actor=None, block=world.block, category=world.category, description="占道"
    )
    called = services.event_dispatch(
        actor=world.governor, event_id=pending.pk, lead=depts.cgzf.department
    )
    assert called.accepted_at is not None
    respond = Deadline.objects.get(event=called, kind=ClockKind.RESPOND)
    assert respond.met_at is not None


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["dispatcher", "neighbour", "far_governor", "leader", "supervisor"])
def test_nobody_else_calls_departments_on_a_blocks_case(world, depts, allowed, who):
    event = in_block(world)
    with pytest.raises((PermissionDenied, type(event).DoesNotExist)):
        services.event_dispatch(
            actor=getattr(world, who), event_id=event.pk, lead=depts.cgzf.department
        )
    event.refresh_from_db()
    assert event.status == Status.IN_BLOCK


@pytest.mark.django_db
def test_where_the_district_does_not_allow_it_the_block_whistles_first(world, depts):
    event = in_block(world)
    with pytest.raises(PermissionDenied):
        services.event_dispatch(actor=world.governor, event_id=event.pk, lead=depts.cgzf.department)


@pytest.mark.django_db
def test_the_case_page_offers_it_and_the_screen_preselects_the_duty_list(
    client, world, depts, allowed
):
    event = in_block(world)
    client.force_login(world.governor)
    page = client.get(reverse("events:detail", args=[event.number])).content.decode()
    url = reverse("events:dispatch", args=[event.number])
    assert url in page
    screen = client.get(url)
    assert screen.status_code == 200
    lead = screen.context["form"].initial["lead"]
    assert lead == depts.cgzf.department  # the duty list's lead for street vending
    answer = client.post(url, {"lead": depts.cgzf.department.pk, "expected_status": event.status})
    assert answer.status_code == 302 and answer.url == reverse("events:detail", args=[event.number])
    event.refresh_from_db()
    assert event.status == Status.DISPATCHED
