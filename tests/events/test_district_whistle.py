"""街呼区应 (seed 001): a street's desk whistles a case it cannot dispatch by itself to the
district's command centre, which dispatches it to departments like a street does; the
departments answer, the street verifies. Where the district is not set up so, nobody can."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from blocks.access import scope_for
from blocks.models import Department, DepartmentMember, Posting
from events import services
from events.models import (
    TRANSITIONS,
    Action,
    ClockKind,
    DistrictSettings,
    Event,
    HandlerLevel,
    Status,
)
from events.workflow import allowed_actions
from governance.errors import DomainError, StateConflict
from governance.models import Notification
from tests.events.test_concurrency import run_at_once
from tests.factories import PASSWORD, UserFactory, area, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def command_centre(world, depts):
    """The district takes streets' whistles, and its desk has a dispatcher; another district
    has a desk of its own."""
    DistrictSettings.objects.create(district=world.district, street_whistle_to_district=True)
    desk = UserFactory(username="district-desk")
    post(desk, world.district, Posting.Role.DISPATCHER)
    far = area("430304", "岳塘区")
    far_desk = UserFactory(username="far-desk")
    post(far_desk, far, Posting.Role.DISPATCHER)
    return desk, far_desk


def whistled(world) -> Event:
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="沿街商铺占道经营并私搭雨棚，涉及多个部门", reporter_phone="13812345678",
    )  # fmt: skip
    return services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="law_enforcement", note="需联合执法"
    )


def to_district(world) -> Event:
    return services.event_whistle_to_district(
        actor=world.dispatcher, event_id=whistled(world).pk, note="涉及区级多部门，街道协调不动"
    )


def told(kind: str) -> set[str]:
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.mark.postgres
def test_street_to_district_to_departments_to_feedback_to_verify(
    client, world, depts, command_centre
):
    desk, _far = command_centre
    event = whistled(world)
    street_clock = event.deadlines.get(kind=ClockKind.DISPATCH, met_at=None)
    assert Action.WHISTLE_DISTRICT in allowed_actions(scope_for(world.dispatcher), event)

    event = services.event_whistle_to_district(
        actor=world.dispatcher, event_id=event.pk, note="涉及区级多部门，街道协调不动"
    )
    assert event.status == Status.DISTRICT_ESCALATED
    assert event.handler_level == HandlerLevel.DISTRICT and event.whistled_to_district_at
    street_clock.refresh_from_db()
    assert street_clock.met_at == event.whistled_to_district_at
    # The district's own dispatch clock (DESIGN §4: 2 hours from the whistle).
    district_clock = event.deadlines.get(kind=ClockKind.DISPATCH, met_at=None)
    assert (district_clock.due_at - district_clock.started_at).total_seconds() == 2 * 3600
    assert told("event_whistled_district") == {"district-desk"}

    # The district's desk sees it on its console, with the street's reason, and dispatches
    # it on the same one-screen dispatch page with the duty list's suggestion.
    client.login(username="district-desk", password=PASSWORD)
    console = client.get("/events/console/").content.decode()
    assert event.number in console and "街道协调不动" in console
    page = client.get(f"/events/{event.number}/dispatch/").content.decode()
    assert 'id="suggestion"' in page and 'id="whistle-to-district"' not in page
    response = client.post(
        f"/events/{event.number}/dispatch/",
        {"lead": depts.cgzf.department.pk, "cooperating": [depts.zjj.department.pk],
         "note": "区指挥中心派单", "expected_status": Status.DISTRICT_ESCALATED},
    )  # fmt: skip
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Status.DISPATCHED and event.handler_level == HandlerLevel.DEPARTMENT
    district_clock.refresh_from_db()
    assert district_clock.met_at is not None
    assert told("event_dispatched") == {"cgzf-officer", "zjj-officer"}
    assert set(event.assignments.values_list("dispatched_by__username", flat=True)) == {
        "district-desk"
    }

    # The departments report in and give feedback; the street verifies, as always.
    for code in ("cgzf", "zjj"):
        part = event.assignments.get(department__code=code)
        officer = getattr(depts, code).officer
        services.assignment_report_in(actor=officer, assignment_id=part.pk)
        services.assignment_feedback(actor=officer, assignment_id=part.pk, note="已联合整治")
    event.refresh_from_db()
    assert event.status == Status.AWAITING_VERIFICATION
    assert "dispatcher" in told("event_feedback")
    event = services.event_verify(actor=world.dispatcher, event_id=event.pk, note="现场已恢复")
    assert event.status == Status.CLOSED

    actions = list(event.timeline.order_by("at", "id").values_list("action", "actor__username"))
    assert actions[:4] == [
        ("log", "governor"),
        ("whistle", "governor"),
        ("whistle_district", "dispatcher"),
        ("dispatch", "district-desk"),
    ]
    assert actions[-1] == ("verify", "dispatcher")
    whistle = event.timeline.get(action="whistle_district")
    assert whistle.from_status == Status.ESCALATED
    assert whistle.to_status == Status.DISTRICT_ESCALATED
    assert whistle.note == "涉及区级多部门，街道协调不动"


def test_a_lead_return_goes_back_to_the_district_desk(world, depts, command_centre):
    event = to_district(world)
    desk, _far = command_centre
    event = services.event_dispatch(actor=desk, event_id=event.pk, lead=depts.gaj.department)
    part = event.assignments.get()
    services.assignment_return(
        actor=depts.gaj.officer, assignment_id=part.pk, reason="not_our_duty", note="非公安职责"
    )
    event.refresh_from_db()
    assert event.status == Status.DISTRICT_ESCALATED
    assert event.handler_level == HandlerLevel.DISTRICT
    assert told("event_returned") == {"district-desk"}
    assert event.deadlines.filter(kind=ClockKind.DISPATCH, met_at=None).exists()
    # and the district redispatches
    event = services.event_dispatch(actor=desk, event_id=event.pk, lead=depts.cgzf.department)
    assert event.status == Status.DISPATCHED


def test_the_district_desk_sends_a_case_back_and_the_street_dispatches_it(
    world, depts, command_centre
):
    """区退街: what the street can dispatch itself goes back to the street's desk, with the
    reason; the street's clock starts again, and later returns come to the street."""
    event = to_district(world)
    desk, _far = command_centre
    with pytest.raises(services.ValidationError):
        services.event_send_back(actor=desk, event_id=event.pk, note="  ")
    event = services.event_send_back(actor=desk, event_id=event.pk, note="属街道职责，可直接派城管")
    assert event.status == Status.ESCALATED and event.handler_level == HandlerLevel.STREET
    assert event.whistled_to_district_at is None
    assert told("event_sent_back") == {"dispatcher"}
    entry = event.timeline.latest("at")
    assert (entry.action, entry.actor, entry.note) == (
        Action.SEND_BACK,
        desk,
        "属街道职责，可直接派城管",
    )
    dispatch_clocks = event.deadlines.filter(kind=ClockKind.DISPATCH)
    assert dispatch_clocks.filter(met_at=None).count() == 1  # the street's, started now
    assert dispatch_clocks.count() == 3  # street's first, the district's (met), street's again
    # The district's desk no longer acts on it; the street's does, and a return comes back
    # to the street.
    assert allowed_actions(scope_for(desk), event) == []
    event = services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.gaj.department
    )
    part = event.assignments.get()
    services.assignment_return(
        actor=depts.gaj.officer, assignment_id=part.pk, reason="not_our_duty", note="非公安职责"
    )
    event.refresh_from_db()
    assert event.status == Status.ESCALATED and told("event_returned") == {"dispatcher"}


def test_the_district_desk_hears_of_its_overdue_dispatch_clock(world, depts, command_centre):
    from events.enforcement import _recipients

    event = to_district(world)
    clock = event.deadlines.get(kind=ClockKind.DISPATCH, met_at=None)
    leader = UserFactory(username="street-leader")
    post(leader, world.street, Posting.Role.LEADER)
    users, _hooks = _recipients(clock, breached=True)
    names = set(
        UserFactory._meta.model.objects.filter(pk__in=users).values_list("username", flat=True)
    )
    assert names == {"district-desk", "leader", "supervisor"}


# Who may take the two desk transitions, in which state: table-driven from the declaration.
DESK_CASES = [
    (Action.WHISTLE_DISTRICT, "dispatcher", Status.ESCALATED, True),
    (Action.WHISTLE_DISTRICT, "district-desk", Status.ESCALATED, False),  # not its to take
    (Action.WHISTLE_DISTRICT, "other_dispatcher", Status.ESCALATED, False),
    (Action.WHISTLE_DISTRICT, "dispatcher", Status.DISTRICT_ESCALATED, False),
    (Action.DISPATCH, "dispatcher", Status.ESCALATED, True),
    (Action.DISPATCH, "district-desk", Status.ESCALATED, False),  # the street's own work
    (Action.DISPATCH, "dispatcher", Status.DISTRICT_ESCALATED, False),  # passed on
    (Action.DISPATCH, "district-desk", Status.DISTRICT_ESCALATED, True),
    (Action.DISPATCH, "far-desk", Status.DISTRICT_ESCALATED, False),
    (Action.DISPATCH, "leader", Status.DISTRICT_ESCALATED, False),
    (Action.SEND_BACK, "district-desk", Status.DISTRICT_ESCALATED, True),
    (Action.SEND_BACK, "dispatcher", Status.DISTRICT_ESCALATED, False),  # not the street's
    (Action.SEND_BACK, "far-desk", Status.DISTRICT_ESCALATED, False),
    (Action.SEND_BACK, "leader", Status.DISTRICT_ESCALATED, False),
    (Action.SEND_BACK, "district-desk", Status.ESCALATED, False),  # nothing to send back
]


@pytest.mark.parametrize(("action", "who", "state", "may"), DESK_CASES)
def test_who_may_take_the_desk_transitions(world, depts, command_centre, action, who, state, may):
    event = whistled(world) if state == Status.ESCALATED else to_district(world)
    user = getattr(world, who, None) or UserFactory._meta.model.objects.get(username=who)
    declared = event.status in TRANSITIONS[action].sources
    assert (action in allowed_actions(scope_for(user), event)) is may
    assert declared or not may
    before = event.timeline.count()
    call = {
        Action.WHISTLE_DISTRICT: lambda: services.event_whistle_to_district(
            actor=user, event_id=event.pk, note="无法协调"
        ),
        Action.DISPATCH: lambda: services.event_dispatch(
            actor=user, event_id=event.pk, lead=depts.cgzf.department
        ),
        Action.SEND_BACK: lambda: services.event_send_back(
            actor=user, event_id=event.pk, note="街道可自行派单"
        ),
    }[action]
    if may:
        moved = call()
        assert moved.status == TRANSITIONS[action].target
        assert event.timeline.count() == before + 1
    else:
        # Out of the declared states: a conflict; in them, not this person's to take.
        with pytest.raises(StateConflict if declared is False and who == "dispatcher" else
                           (PermissionDenied, Event.DoesNotExist)):  # fmt: skip
            call()
        event.refresh_from_db()
        assert event.status == state and event.timeline.count() == before


def test_only_where_the_district_is_set_up_so(world, depts, command_centre):
    DistrictSettings.objects.filter(district=world.district).update(
        street_whistle_to_district=False
    )
    event = whistled(world)
    assert Action.WHISTLE_DISTRICT not in allowed_actions(scope_for(world.dispatcher), event)
    with pytest.raises(PermissionDenied):
        services.event_whistle_to_district(actor=world.dispatcher, event_id=event.pk, note="x")


def test_a_district_with_nobody_on_its_desk_refuses_and_a_reason_is_required(world, depts):
    DistrictSettings.objects.create(district=world.district, street_whistle_to_district=True)
    event = whistled(world)
    with pytest.raises(services.ValidationError):
        services.event_whistle_to_district(actor=world.dispatcher, event_id=event.pk, note=" ")
    with pytest.raises(DomainError):
        services.event_whistle_to_district(actor=world.dispatcher, event_id=event.pk, note="x")
    event.refresh_from_db()
    assert event.status == Status.ESCALATED
    assert event.deadlines.filter(kind=ClockKind.DISPATCH, met_at=None).count() == 1


def test_done_twice_is_a_conflict(world, depts, command_centre):
    event = to_district(world)
    with pytest.raises(StateConflict):
        services.event_whistle_to_district(actor=world.dispatcher, event_id=event.pk, note="再次")


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_street_dispatching_while_whistling_it_up_leaves_one_story(world, depts, command_centre):
    event = whistled(world)
    outcomes = run_at_once(
        # as the pages send them: with the status the dispatcher saw
        lambda: services.event_dispatch(
            actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department,
            expected_status=Status.ESCALATED,
        ),
        lambda: services.event_whistle_to_district(
            actor=world.dispatcher, event_id=event.pk, note="协调不动",
            expected_status=Status.ESCALATED,
        ),
    )  # fmt: skip
    assert sum(isinstance(o, Event) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, StateConflict) for o in outcomes) == 1, outcomes
    event.refresh_from_db()
    assert event.timeline.filter(action__in=["dispatch", "whistle_district"]).count() == 1
    assert event.deadlines.filter(kind=ClockKind.DISPATCH, met_at=None).count() <= 1


@pytest.mark.postgres
def test_scoping_the_district_desk_and_the_other_desks(client, world, depts, command_centre):
    at_district = to_district(world)
    at_street = whistled(world)
    other = services.event_log(
        actor=world.far_governor, block=world.far_block, category=world.category,
        description="另一个街道的事件",
    )  # fmt: skip
    other = services.event_whistle(
        actor=world.far_governor, event_id=other.pk, reason="beyond_means"
    )

    def console(username: str, tab: str = "to_dispatch") -> str:
        client.logout()
        client.login(username=username, password=PASSWORD)
        return client.get(f"/events/console/?tab={tab}").content.decode()

    # The district's desk: only what was whistled up to it, not the streets' own queues.
    page = console("district-desk")
    assert at_district.number in page
    assert at_street.number not in page and other.number not in page
    # The street sees its case at the district, and no longer as its own to dispatch.
    assert at_district.number not in console("dispatcher")
    assert at_district.number in console("dispatcher", "with_district")
    assert at_street.number in console("dispatcher")
    # Another street's desk and another district's desk see none of it.
    for username in ("other_dispatcher", "far-desk"):
        page = console(username) + console(username, "in_progress")
        assert at_district.number not in page and at_street.number not in page
        assert client.get(f"/events/{at_district.number}/").status_code == 404
        assert client.get(f"/events/{at_district.number}/dispatch/").status_code == 404
    # A department of another district cannot be chosen.
    far_department = Department.objects.create(
        district=area("430321", "湘潭县"), code="cgzf", name="县城管"
    )
    DepartmentMember.objects.create(department=far_department, user=UserFactory())
    with pytest.raises(services.ValidationError):
        services.event_dispatch(
            actor=command_centre[0], event_id=at_district.pk, lead=far_department
        )


def test_the_street_desk_whistles_up_from_the_dispatch_page(client, world, depts, command_centre):
    event = whistled(world)
    client.login(username="dispatcher", password=PASSWORD)
    page = client.get(f"/events/{event.number}/dispatch/").content.decode()
    assert 'id="whistle-to-district"' in page
    response = client.post(
        f"/events/{event.number}/whistle_district/",
        {"note": "需区级统筹", "expected_status": Status.ESCALATED},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Status.DISTRICT_ESCALATED and event.district_whistle_note == "需区级统筹"
    # the case page offers the district's desk the dispatch, and the street nothing more
    page = client.get(f"/events/{event.number}/").content.decode()
    assert "/whistle_district/" not in page and "/send_back/" not in page
    # The district's desk can send it back from its dispatch page, with a reason.
    client.login(username="district-desk", password=PASSWORD)
    page = client.get(f"/events/{event.number}/dispatch/").content.decode()
    assert 'id="send-back"' in page
    response = client.post(
        f"/events/{event.number}/send_back/",
        {"note": "街道可自行派单", "expected_status": Status.DISTRICT_ESCALATED},
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Status.ESCALATED and event.handler_level == HandlerLevel.STREET


def test_each_console_tab_counts_the_cases_it_lists(client, world, depts):
    """The chip beside each tab is the number of cases that tab shows (counted over the
    desk's open statuses only), with a closed case of the street in the table too."""
    import re

    closed = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="已办结"
    )
    services.event_resolve(actor=world.governor, event_id=closed.pk, note="现场处理")
    services.event_verify(actor=world.supervisor, event_id=closed.pk)
    waiting = [
        services.event_whistle(
            actor=world.governor,
            reason="beyond_means",
            event_id=services.event_log(
                actor=world.governor,
                block=world.block,
                category=world.category,
                description=f"待派单 {i}",
            ).pk,
        )  # fmt: skip
        for i in range(3)
    ]
    services.event_dispatch(
        actor=world.dispatcher, event_id=waiting[0].pk, lead=depts.cgzf.department
    )
    client.force_login(world.dispatcher)
    page = client.get("/events/console/").content.decode()
    chips = dict(re.findall(r'href="\?tab=(\w+)"[^>]*>[^<]*<span class="chip">(\d+)</span>', page))
    for tab in chips:
        listed = client.get(f"/events/console/?tab={tab}").content.decode()
        numbers = set(re.findall(r"YH-\d{8}-\d{4}", listed))
        assert int(chips[tab]) == len(numbers), tab
    assert chips["to_dispatch"] == "2" and chips["in_progress"] == "1"
