"""The block workflow, table-driven from the one declaration (events.models.TRANSITIONS)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from events import services
from events.actions import CASE_ACTIONS
from events.models import (
    TRANSITIONS,
    Action,
    ClockKind,
    DistrictSettings,
    Event,
    Satisfaction,
    Status,
    TimelineEntry,
)
from governance.errors import StateConflict
from governance.models import Notification

pytestmark = pytest.mark.django_db


def log_pending(world) -> Event:
    """A resident's self-report: waits for the block."""
    return services.event_log(
        actor=None, block=world.block, category=world.category, description="门口有人占道摆摊",
        reporter_name="李四", reporter_phone="13812345678",
    )  # fmt: skip


def bring_to(world, status: str) -> Event:
    """A case in ``status``, reached through the services like a user would."""
    event = log_pending(world)
    g = world.governor
    steps = {
        Status.PENDING: [],
        Status.IN_BLOCK: [lambda e: services.event_accept(actor=g, event_id=e.pk)],
        Status.AWAITING_VERIFICATION: [
            lambda e: services.event_accept(actor=g, event_id=e.pk),
            lambda e: services.event_resolve(actor=g, event_id=e.pk, note="已劝离"),
        ],
        Status.CLOSED: [
            lambda e: services.event_accept(actor=g, event_id=e.pk),
            lambda e: services.event_resolve(actor=g, event_id=e.pk, note="已劝离"),
            lambda e: services.event_verify(actor=world.supervisor, event_id=e.pk),
        ],
    }
    for step in steps[status]:
        event = step(event)
    assert event.status == status
    return event


# The input each action's form or serializer would give (events.actions reads it).
INPUT = {
    Action.ACCEPT: {},
    Action.RESOLVE: {"note": "处理完毕"},
    Action.VERIFY: {},
    Action.REWORK: {"note": "现场仍有摊点"},
    Action.RATE: {"satisfaction": Satisfaction.SATISFIED, "resolved": True},
    Action.INVALIDATE: {"reason": "重复报送"},
    Action.WHISTLE: {"reason": "beyond_means"},
    Action.WHISTLE_DISTRICT: {"note": "需区级多部门联动"},
    Action.SEND_BACK: {"note": "街道可自行派单"},
}


def perform(world, action: Action, event: Event, actor):
    """What the case page and the API do: the registry's service, with the form's input."""
    data = INPUT.get(action)
    if action == Action.MERGE:
        data = {"into": log_pending(world).number}
    return CASE_ACTIONS[action].perform(actor=actor, event=event, data=data, expected_status=None)


BLOCK_STATES = [Status.PENDING, Status.IN_BLOCK, Status.AWAITING_VERIFICATION, Status.CLOSED]
# Dispatching needs departments and the street's desk: tests/events/test_dispatch.py walks it;
# the street → district path (街呼区应) and back (区退街) in tests/events/test_district_whistle.py.
CASES = [
    (action, state)
    for action in CASE_ACTIONS
    # Calling the legal team moves no status (tests/events/test_legal.py).
    if action != Action.DISPATCH and action in TRANSITIONS
    for state in BLOCK_STATES
]


@pytest.mark.parametrize(("action", "state"), CASES)
def test_every_transition_is_allowed_exactly_where_declared(world, action, state):
    event = bring_to(world, state)
    transition = TRANSITIONS[action]
    actor = world.supervisor if action in (Action.VERIFY, Action.REWORK) else world.governor
    if action == Action.RATE:
        actor = world.dispatcher  # a callback from outside the case's team (SEPARATION)
    if action == Action.WHISTLE_DISTRICT:
        # 街呼区应: the street's desk, in a district that takes streets' whistles.
        DistrictSettings.objects.create(district=world.district, street_whistle_to_district=True)
        actor = world.dispatcher
    if action == Action.SEND_BACK:
        actor = world.dispatcher  # a desk; from none of the block's states does it apply
    before = TimelineEntry.objects.filter(event=event).count()
    if state in transition.sources:
        moved = perform(world, action, event, actor)
        expected = transition.target or Status.IN_BLOCK
        assert moved.status == expected
        assert TimelineEntry.objects.filter(event=event).count() > before
        last = TimelineEntry.objects.filter(event=event, action=action).last()
        assert last.from_status == state and last.actor == actor
    else:
        with pytest.raises(StateConflict):
            perform(world, action, event, actor)
        event.refresh_from_db()
        assert event.status == state
        assert TimelineEntry.objects.filter(event=event).count() == before


@pytest.mark.parametrize("persona", ["neighbour", "far_governor", "leader", "other_dispatcher"])
def test_people_outside_the_block_cannot_act(world, persona):
    event = log_pending(world)
    with pytest.raises((PermissionDenied, Event.DoesNotExist)):
        services.event_accept(actor=getattr(world, persona), event_id=event.pk)
    event.refresh_from_db()
    assert event.status == Status.PENDING


def test_the_block_path_end_to_end_with_clocks_and_timeline(world):
    event = log_pending(world)
    assert event.number.startswith("YH-") and len(event.tracking_code) == 10
    respond = event.deadlines.get(kind=ClockKind.RESPOND)
    assert (respond.due_at - respond.started_at).total_seconds() == 15 * 60
    # The block's governor and assistant are told to answer within 15 minutes.
    assert set(Notification.objects.values_list("recipient__username", flat=True)) == {
        "governor",
        "assistant",
    }
    event = services.event_accept(actor=world.assistant, event_id=event.pk)
    assert event.handler == world.assistant
    assert event.deadlines.get(kind=ClockKind.RESPOND).met_at is not None
    event = services.event_resolve(actor=world.governor, event_id=event.pk, note="已劝离")
    event = services.event_rework(actor=world.supervisor, event_id=event.pk, note="仍在")
    assert event.status == Status.IN_BLOCK and event.rework_count == 1
    event = services.event_resolve(actor=world.governor, event_id=event.pk, note="已取缔")
    event = services.event_verify(actor=world.supervisor, event_id=event.pk)
    event = services.event_rate(
        actor=None, event_id=event.pk, satisfaction=Satisfaction.BASICALLY_SATISFIED, resolved=True
    )
    assert event.status == Status.CLOSED and event.satisfaction == "basically_satisfied"
    actions = list(event.timeline.values_list("action", flat=True))
    assert actions == ["log", "accept", "resolve", "rework", "resolve", "verify", "rate"]
    assert not event.deadlines.filter(met_at=None, cancelled_at=None).exists()


def test_staff_logging_answers_at_once(world):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.red_category, description="井盖丢失"
    )
    assert event.status == Status.IN_BLOCK and event.handler == world.governor
    assert event.priority == "red"
    resolve = event.deadlines.get(kind=ClockKind.RESOLVE)
    assert (resolve.due_at - resolve.started_at).total_seconds() == 24 * 3600


def test_dissatisfied_and_unresolved_rating_sends_it_back(world):
    event = bring_to(world, Status.CLOSED)
    event = services.event_rate(
        actor=None, event_id=event.pk, satisfaction=Satisfaction.DISSATISFIED, resolved=False
    )
    assert event.status == Status.IN_BLOCK and event.rework_count == 1
    # The rating stays the case's own: rated, not resolved (tests/events/test_ratings.py).
    assert event.satisfaction == Satisfaction.DISSATISFIED and event.resolved_by_resident is False
    assert event.rated_at is not None


def test_a_case_is_rated_once(world):
    event = bring_to(world, Status.CLOSED)
    services.event_rate(actor=None, event_id=event.pk, satisfaction="satisfied", resolved=True)
    with pytest.raises(Exception, match="已评价过"):
        services.event_rate(actor=None, event_id=event.pk, satisfaction="satisfied", resolved=True)


def test_second_click_on_a_stale_page_is_a_conflict(world):
    event = log_pending(world)
    services.event_accept(actor=world.governor, event_id=event.pk, expected_status=Status.PENDING)
    with pytest.raises(StateConflict) as raised:
        services.event_accept(
            actor=world.assistant, event_id=event.pk, expected_status=Status.PENDING
        )
    assert str(raised.value.message) == "该事件已被他人处理"


def test_the_timeline_is_append_only(world):
    event = log_pending(world)
    entry = event.timeline.get()
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        entry.delete()
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(event=event).update(note="x")
    with pytest.raises(TypeError):
        TimelineEntry.objects.filter(event=event).delete()


def test_merged_duplicates_point_to_the_original(world):
    original = log_pending(world)
    duplicate = log_pending(world)
    duplicate = services.event_merge(actor=world.governor, event_id=duplicate.pk, into=original)
    assert duplicate.status == Status.MERGED and duplicate.merged_into == original
    assert original.timeline.filter(action="comment", data__merged=duplicate.number).exists()
