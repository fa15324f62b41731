"""The workflow's two declarations at work: who may take which transition of a case
(``TRANSITIONS``) or a department's part (``PART_TRANSITIONS``), and the one place where the
status of a case and the state of a part are written."""

from __future__ import annotations

from django.utils.translation import gettext as _

from blocks.access import Scope
from blocks.models import Posting
from events.models import (
    PART_TRANSITIONS,
    TRANSITIONS,
    Action,
    Actor,
    Assignment,
    DistrictSettings,
    Event,
    HandlerLevel,
    PartMove,
    Status,
    Transition,
)
from governance.errors import StateConflict

SUPERVISORS = frozenset({Posting.Role.SUPERVISOR})


def actor_may(scope: Scope | None, transition: Transition, event: Event) -> bool:
    """Whether the user with ``scope`` may take ``transition`` on ``event``.

    ``scope=None`` is a resident without an account (only rating, through the tracking code).
    """
    code = event.area_code
    if scope is None:
        return transition.actor == Actor.RESIDENT
    if scope.is_read_only:
        return False
    match transition.actor:
        case Actor.BLOCK:
            return scope.can_act_in_block(code)
        case Actor.STREET:
            # 街呼区应: only where the district takes streets' whistles (seed 001).
            return scope.can_act_in_street(code) and (
                transition.action != Action.WHISTLE_DISTRICT or street_whistle_to_district(code[:6])
            )
        case Actor.DESK:
            if event.handler_level == HandlerLevel.DISTRICT:
                return scope.can_act_in_district(code)
            return scope.can_act_in_street(code) or (
                transition.action == Action.DISPATCH
                and scope.can_act_in_block(code)
                and community_dispatch(code[:6])
            )
        case Actor.HANDLER:
            return event.handler_level == HandlerLevel.BLOCK and scope.can_act_in_block(code)
        case Actor.VERIFIER:
            # The block verifies its own work with its supervisor watching; the street (or the
            # block) verifies what departments did (DESIGN §3).
            return scope.can_act_in_block(code) or scope.covers(code, SUPERVISORS)
        case Actor.RESIDENT:
            # Block staff record the answer of a phone callback (回访) for the resident.
            return scope.can_act_in_block(code)
        case Actor.DEPARTMENT:
            return bool(scope.department_ids & live_departments(event))
    return False


def community_dispatch(district_code: str) -> bool:
    """Whether the district lets blocks dispatch to departments themselves (村居吹哨)."""
    return DistrictSettings.objects.filter(
        district__code=district_code, community_dispatch=True
    ).exists()


def street_whistle_to_district(district_code: str) -> bool:
    """Whether the district's command centre takes what its streets whistle up (街呼区应)."""
    return DistrictSettings.objects.filter(
        district__code=district_code, street_whistle_to_district=True
    ).exists()


def live_departments(event: Event) -> set[int]:
    """Departments with a live part of the case (uses prefetched assignments if there)."""
    return {
        a.department_id
        for a in event.assignments.all()
        if a.state in ("dispatched", "reported_in", "done")
    }


def allowed_actions(scope: Scope | None, event: Event) -> list[Action]:
    """The actions whose buttons the case page shows to this user, in declaration order."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if event.status in transition.sources and actor_may(scope, transition, event)
    ]


def move_case(event: Event, action: Action) -> None:
    """Write the case's status by a row of ``TRANSITIONS``: the only writer of it."""
    transition = TRANSITIONS[action]
    if event.status not in transition.sources:
        raise StateConflict(
            _("This case is now “%(status)s”; that action is no longer possible.")
            % {"status": event.get_status_display()}
        )
    event.status = transition.target or _decided_target(event, action)


def _decided_target(event: Event, action: Action) -> Status:
    """Where rework and a lead's return go: back to whoever handles the case."""
    if action == Action.REWORK:
        return Status.IN_BLOCK if event.handler_level == HandlerLevel.BLOCK else Status.IN_PROGRESS
    if action == Action.RETURN:
        # 退单 goes back to the desk that dispatched: the district's once the street
        # whistled it up (街呼区应), else the street's.
        return Status.DISTRICT_ESCALATED if event.whistled_to_district_at else Status.ESCALATED
    raise ValueError(f"{action} has one target")


def move_part(part: Assignment, move: PartMove) -> None:
    """Write a department's part's state by a row of ``PART_TRANSITIONS``: the only writer."""
    transition = PART_TRANSITIONS[move]
    if part.state not in transition.sources:
        raise StateConflict()  # another officer of the department got there first
    part.state = transition.target


def part_moves(scope: Scope, part: Assignment) -> list[PartMove]:
    """The moves whose buttons a department's officer sees on its part, in declaration order."""
    if scope.is_read_only or not scope.can_act_for_department(part.department_id):
        return []
    return [
        move
        for move, transition in PART_TRANSITIONS.items()
        if transition.by_department and part.state in transition.sources
    ]
