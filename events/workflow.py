"""The workflow's two declarations at work: who may take which transition of a case
(``TRANSITIONS``, with the separation of duties ``SEPARATION``) or a department's part
(``PART_TRANSITIONS``), and the one place where the status of a case and the state of a part
are written."""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks.access import BLOCK_ACTING_ROLES, BLOCK_TEAM_ROLES, Scope
from blocks.models import Posting
from events.models import (
    PART_TRANSITIONS,
    SEPARATION,
    TRANSITIONS,
    Action,
    Actor,
    Assignment,
    DistrictSettings,
    Event,
    HandlerLevel,
    Involvement,
    PartMove,
    Status,
    Transition,
)
from events.supervision import case_ended
from governance.errors import DomainError, StateConflict

SUPERVISORS = frozenset({Posting.Role.SUPERVISOR})


class SeparationOfDuties(DomainError):
    """The role may, the person may not: they took part in the case (DESIGN §3)."""

    code = "separation_of_duties"
    status = 403


def actor_may(scope: Scope | None, transition: Transition, event: Event) -> bool:
    """Whether the user with ``scope`` may take ``transition`` on ``event``: their role may,
    and the separation of duties does not bar them."""
    return role_may(scope, transition, event) and not barred_by(scope, transition.action, event)


def check_actor(scope: Scope | None, transition: Transition, event: Event) -> None:
    """``actor_may`` for the services: a refusal that says why, in the user's language —
    first how the user took part in the case, where that bars them, then who does it."""
    separation = SEPARATION.get(transition.action)
    barred = barred_by(scope, transition.action, event)
    if barred:
        raise SeparationOfDuties(f"{barred[0].label} {separation.rule}")
    if not role_may(scope, transition, event):
        refusal = _("You may not do this on this case.")
        raise PermissionDenied(f"{refusal} {separation.rule}" if separation else refusal)


def role_may(scope: Scope | None, transition: Transition, event: Event) -> bool:
    """Whether the user's role and areas let them take ``transition`` on ``event``.

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
            if event.handler_level == HandlerLevel.BLOCK and transition.action == Action.DISPATCH:
                # 村居吹哨 (seed 004): the block's own staff call departments straight from a
                # case still in the block, where the district allows it; nobody else.
                return scope.covers(code, BLOCK_ACTING_ROLES) and community_dispatch(code[:6])
            return scope.can_act_in_street(code) or (
                transition.action == Action.DISPATCH
                and scope.can_act_in_block(code)
                and community_dispatch(code[:6])
            )
        case Actor.HANDLER:
            return event.handler_level == HandlerLevel.BLOCK and scope.can_act_in_block(code)
        case Actor.VERIFIER:
            # The block's supervisor checks the block's work, the street's desk checks the
            # block's and the departments' (DESIGN §3); the street verifies what the district
            # dispatched too.
            return scope.can_act_in_street(code) or scope.covers(code, SUPERVISORS)
        case Actor.RESIDENT:
            # A callback (回访) records the resident's answer: the street's desk or the
            # district's command centre, which also take the hotline's callbacks.
            return scope.can_act_in_street(code) or scope.can_act_in_district(code)
        case Actor.DEPARTMENT:
            return bool(scope.department_ids & live_departments(event))
    return False


def barred_by(scope: Scope | None, action: Action, event: Event) -> list[Involvement]:
    """How the user took part in the case, where ``SEPARATION`` bars it from ``action``
    (in declaration order; empty: not barred). A resident on the tracking page never is."""
    separation = SEPARATION.get(action)
    if separation is None or scope is None:
        return []
    return [i for i in Involvement if i in separation.barred and _took_part(scope, event, i)]


def _took_part(scope: Scope, event: Event, involvement: Involvement) -> bool:
    match involvement:
        case Involvement.RESOLVED:
            return scope.user_id in resolvers(event)
        case Involvement.LOGGED:
            return event.created_by_id is not None and event.created_by_id == scope.user_id
        case Involvement.BLOCK_TEAM:
            # Postings in the case's block itself (a superuser's "everywhere" is no posting).
            return any(
                event.area_code.startswith(code)
                for role in BLOCK_TEAM_ROLES
                for code in scope.codes_by_role.get(role, ())
            )
        case Involvement.DEPARTMENT:
            return bool(scope.department_ids & {a.department_id for a in event.assignments.all()})
    return False


def resolvers(event: Event) -> set[int]:
    """Whoever resolved the case, in any round: the block's resolve, or the feedback of the
    lead department that moved it to verification."""
    ids = set(
        event.timeline.filter(action=Action.RESOLVE, actor__isnull=False).values_list(
            "actor_id", flat=True
        )
    )
    ids |= {
        a.feedback_by_id
        for a in event.assignments.all()  # prefetched by the case page
        if a.role == Assignment.Role.LEAD and a.feedback_by_id
    }
    return ids


def rated_this_closing(event: Event) -> bool:
    """Whether the case got its rating since it was last closed: a case is rated once per
    closing (after rework and a new closing it is rated again)."""
    return (
        event.rated_at is not None
        and event.closed_at is not None
        and event.rated_at >= event.closed_at
    )


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
    """The actions whose buttons the case page shows to this user, in declaration order
    (no rating button once this closing is rated)."""
    return [
        action
        for action, transition in TRANSITIONS.items()
        if event.status in transition.sources
        and not (action == Action.RATE and rated_this_closing(event))
        and actor_may(scope, transition, event)
    ]


def move_case(event: Event, action: Action, now: datetime | None = None) -> None:
    """Write the case's status by a row of ``TRANSITIONS``: the only writer of it. A case
    that ends here (closed, invalid, merged) ends its 督办 cards and settles its notices."""
    transition = TRANSITIONS[action]
    if event.status not in transition.sources:
        raise StateConflict(
            _("This case is now “%(status)s”; that action is no longer possible.")
            % {"status": event.get_status_display()}
        )
    was_open = event.is_open
    event.status = transition.target or _decided_target(event, action)
    if was_open and not event.is_open:
        case_ended(event=event, now=now or timezone.now())


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
