"""Reads of cases, always scoped to the user asking (an out-of-scope case is not found)."""

from __future__ import annotations

import difflib
from datetime import datetime, timedelta
from functools import reduce
from operator import or_

from django.db.models import (
    Exists,
    OuterRef,
    Prefetch,
    Q,
    QuerySet,
    Subquery,
    Value,
    prefetch_related_objects,
)
from django.db.models.functions import Coalesce, NullIf
from django.utils import timezone

from blocks.access import Scope, scope_for
from blocks.models import Department, Posting
from events.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    Assignment,
    Deadline,
    DutyItem,
    Event,
    HandlerLevel,
    Rating,
    Status,
    StreetDutyItem,
    TimelineEntry,
)
from events.supervision import strongest_open_card
from events.workflow import actor_may, live_departments, rated_this_closing
from governance.privacy import mask_phone

BLOCK_ROLES = frozenset({Posting.Role.GOVERNOR, Posting.Role.ASSISTANT})


# Lists never show a resident's phone: skip decrypting it for every row (it is encrypted at
# rest, and a list of 50–200 rows spent more time in Fernet than in its query).
LIST_DEFERRED = ("reporter_phone",)


def _open_clocks() -> QuerySet[Deadline]:
    return Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True)


def _visible(scope: Scope) -> Q:
    """The cases ``scope`` may see: those of its areas, and a department's wherever they
    are (what was dispatched to it, DESIGN §6)."""
    visible = scope.area_q("area_code")
    if scope.department_ids:
        visible |= Q(
            Exists(
                Assignment.objects.filter(
                    event=OuterRef("pk"), department_id__in=scope.department_ids
                )
            )
        )
    return visible


def visible_events(*, user) -> QuerySet[Event]:
    """Every case the user may see, with its matter, block, handler and place joined in."""
    return Event.objects.filter(_visible(scope_for(user))).select_related(
        "category", "category__parent", "block", "handler", "place"
    )


def event_queryset(*, user) -> QuerySet[Event]:
    """``visible_events`` with what lists show of each row (its next clock and whose it is,
    its 督办 card) annotated in: no query per row."""
    # A suspended clock (挂起) is not running: its due time moves when it resumes, so it
    # must not count down, nor turn red, on the lists meanwhile.
    next_clock = (
        _open_clocks().filter(event=OuterRef("pk"), paused_at__isnull=True).order_by("due_at")
    )
    return visible_events(user=user).annotate(
        due_at=Subquery(next_clock.values("due_at")[:1]),
        warn_at=Subquery(next_clock.values("warn_at")[:1]),
        clock_kind=Subquery(next_clock.values("kind")[:1]),
        # Whose clock it is, when it is a department's (events.responsibility.row_party).
        clock_department=Subquery(
            next_clock.annotate(
                who=Coalesce(
                    NullIf("assignment__department__short_name", Value("")),
                    "assignment__department__name",
                )
            ).values("who")[:1]
        ),
        **strongest_open_card(OuterRef("pk")),  # 督办: every list shows a case's card
    )


def event_get(*, user, number: str) -> Event:
    """The case ``number`` if the user may see it; ``Event.DoesNotExist`` otherwise."""
    return event_queryset(user=user).get(number=number)


def event_list_queryset(*, user) -> QuerySet[Event]:
    """``event_queryset`` for pages that list cases (no phone decrypted per row)."""
    return event_queryset(user=user).defer(*LIST_DEFERRED)


def workbench_queue(*, user) -> QuerySet[Event]:
    """Open cases of the blocks the user works in, most urgent first."""
    scope = scope_for(user)
    return (
        event_list_queryset(user=user)
        .filter(scope.area_q("area_code", roles=BLOCK_ROLES), status__in=OPEN_STATUSES)
        .order_by("due_at", "created_at")
    )


def parts_with_clocks() -> QuerySet[Assignment]:
    """Departments' parts with their department and their open clock's ``due_at`` and
    ``warn_at`` (the case page, the console and the inbox show each part's lateness)."""
    next_clock = _open_clocks().filter(assignment=OuterRef("pk")).order_by("due_at")
    return Assignment.objects.select_related("department").annotate(
        due_at=Subquery(next_clock.values("due_at")[:1]),
        warn_at=Subquery(next_clock.values("warn_at")[:1]),
    )


def event_timeline(*, event: Event) -> list[TimelineEntry]:
    return list(event.timeline.select_related("actor").order_by("at", "id"))


def event_with_details(*, user, number: str) -> Event:
    """The case ``number`` as ``event_get`` finds it, with what the case page shows (photos,
    clocks, parts, ratings) in the same read: one query for the case, not a second by its
    id. The page shows every clock, so it skips the lists' per-row annotations (their six
    subqueries cost more to plan than to run)."""
    event = (
        visible_events(user=user)
        .filter(number=number)
        .prefetch_related(
            "photos",
            Prefetch(
                "deadlines",
                queryset=Deadline.objects.select_related("assignment__department").order_by(
                    "started_at"
                ),
            ),
            # The departments' parts, read by the page and by allowed_actions/viewer_handles.
            Prefetch("assignments", queryset=parts_with_clocks().select_related("evaluation")),
        )
        # Only what every case page shows: a place or a case merged into is read when there
        # is one (rare), each join more cost planning time at every page (issue 21).
        .select_related(None)
        .select_related("category", "category__parent", "block", "block__parent", "handler")
        .get()
    )
    # The ratings (回访) with who recorded each: one query, not one per rating — and none for
    # a case never rated (its first rating sets first_satisfaction, events.services.event_rate).
    rated = Rating.objects.select_related("rated_by")
    ratings = rated if event.first_satisfaction else Rating.objects.none()
    prefetch_related_objects([event], Prefetch("ratings", queryset=ratings))
    return event


def viewer_handles(scope: Scope, event: Event) -> bool:
    """Whether the viewer is the current handler, who alone sees residents' data whole.

    The case is handled at one level at a time: the block's staff while it is in the
    block, the street's desk while it is whistled up. A closed case waiting for its
    callback (回访) is handled by whoever may record it (the desk, the hotline): they call
    the resident back.
    """
    if scope.is_read_only or not scope.is_authenticated:
        return False
    if event.status == Status.CLOSED:
        return not rated_this_closing(event) and actor_may(scope, TRANSITIONS[Action.RATE], event)
    if event.handler_level == HandlerLevel.BLOCK:
        return scope.covers(event.area_code, BLOCK_ROLES)
    if event.handler_level == HandlerLevel.STREET:
        return scope.can_act_in_street(event.area_code)
    if event.handler_level == HandlerLevel.DISTRICT:
        return scope.can_act_in_district(event.area_code)
    return bool(scope.department_ids & live_departments(event))


def reporter_phone_for(scope: Scope, event: Event) -> str:
    """Masked for everyone on pages, lists and the API; the current handler (see
    ``viewer_handles``) reveals it with a reason, and the reveal is audited."""
    return mask_phone(event.reporter_phone)


def similar_open_events(
    *, user, block_id: int, category_id: int | None, text: str, now: datetime | None = None,
    days: int = 7, limit: int = 5,
) -> list[tuple[Event, float]]:  # fmt: skip
    """Open cases in the same block (and category) in the last days, with similar text.

    Shown while logging as "maybe the same matter" (重复诉求: merged, never counted twice).
    """
    now = now or timezone.now()
    candidates = event_queryset(user=user).filter(
        block_id=block_id, status__in=OPEN_STATUSES, created_at__gte=now - timedelta(days=days)
    )
    if category_id:
        candidates = candidates.filter(category_id=category_id)
    text = text.strip()
    scored = []
    for event in candidates.order_by("-created_at")[:50]:
        ratio = difflib.SequenceMatcher(None, text, event.description).ratio() if text else 0.0
        if ratio >= 0.3 or (category_id and not text):
            scored.append((event, ratio))
    scored.sort(key=lambda pair: pair[1], reverse=True)
    return scored[:limit]


# --- the street's dispatch console and the departments' inbox ---------------------------
def _under(codes: tuple[str, ...]) -> Q:
    return reduce(or_, (Q(area_code__startswith=c) for c in codes))


def dispatch_desk_q(*, user) -> Q | None:
    """The cases at the user's desk: everything of their streets for a street's desk; what
    the streets whistled up (街呼区应) for the district's command centre. None: no desk."""
    scope = scope_for(user)
    street_codes, district_codes = scope.street_desk_codes(), scope.district_desk_codes()
    if not street_codes and not district_codes:
        return None
    if "" in street_codes:  # a superuser
        return Q()
    parts = [_under(street_codes)] if street_codes else []
    if district_codes:
        parts.append(_under(district_codes) & Q(whistled_to_district_at__isnull=False))
    return reduce(or_, parts)


def dispatch_queue(*, user) -> QuerySet[Event]:
    """Cases at the user's desk (``dispatch_desk_q``), with what the console shows."""
    mine = dispatch_desk_q(user=user)
    if mine is None:
        return Event.objects.none()
    return (
        event_list_queryset(user=user)
        .filter(mine)
        .prefetch_related(
            Prefetch("assignments", queryset=parts_with_clocks().order_by("-dispatched_at"))
        )
    )


def department_parts(*, user) -> QuerySet[Assignment]:
    """The parts of cases dispatched to the user's departments."""
    scope = scope_for(user)
    return (
        parts_with_clocks()
        .filter(department_id__in=scope.department_ids)
        .select_related(
            "event",
            "event__category",
            "event__category__parent",
            "event__block",
            "event__block__parent",
        )  # fmt: skip
        .defer(*(f"event__{name}" for name in LIST_DEFERRED))
        .annotate(**strongest_open_card(OuterRef("event_id")))
    )


def duty_suggestion(*, event: Event) -> dict:
    """What the district's duty list says for this matter: lead and cooperating departments,
    and whether it is on the street's own duty list (then the street handles it itself)."""
    codes = [event.category.code]
    if event.category.parent_id:
        codes.append(event.category.parent.code)
    district = event.area_code[:6]
    rows = {
        row.category_code: row
        for row in DutyItem.objects.filter(district__code=district, category_code__in=codes)
        .select_related("lead")
        .prefetch_related("cooperating")
    }
    # The matter's own row wins over its parent category's.
    item = next((rows[c] for c in codes if c in rows), None)
    street_own = StreetDutyItem.objects.filter(
        district__code=district, kind=StreetDutyItem.Kind.OWN, category_code__in=codes
    ).first()
    return {
        "item": item,
        "lead": item.lead if item else None,
        "cooperating": list(item.cooperating.all()) if item else [],
        "street_own": street_own,
    }


def district_departments(*, event: Event) -> QuerySet[Department]:
    return Department.objects.filter(district__code=event.area_code[:6], is_active=True).order_by(
        "code"
    )


def deadline_board(*, user, now: datetime | None = None, horizon: timedelta = timedelta(hours=1)):
    """Open clocks of the cases the user may see: overdue now, and due within the horizon."""
    now = now or timezone.now()
    # The visible cases' ids: not event_queryset's, whose list annotations cost more to
    # build than this whole query (issue 21).
    visible = Event.objects.filter(_visible(scope_for(user))).values("pk")
    clocks = (
        Deadline.objects.filter(
            event__in=visible,
            met_at__isnull=True,
            cancelled_at__isnull=True,
            paused_at__isnull=True,  # suspended: not breaching while it waits
            due_at__lte=now + horizon,
        )  # fmt: skip
        # What the board shows and events.responsibility.clock_party reads, nothing more:
        # each table joined is milliseconds of PostgreSQL's planning at every read, and
        # each column loaded is Python's work on every one of up to 500 rows (no phone
        # decrypted, no block boundary parsed).
        .select_related("event", "event__block", "assignment__department")
        .only(
            "kind",
            "due_at",
            "warn_at",
            "met_at",
            "cancelled_at",
            "paused_at",
            "event",
            "assignment",
            "event__number",
            "event__priority",
            "event__status",
            "event__handler_level",
            "event__area_code",
            "event__block__name",
            "assignment__department__name",
            "assignment__department__short_name",
        )  # fmt: skip
        .order_by("due_at")
    )
    overdue, soon = [], []
    for clock in clocks[:500]:
        (overdue if clock.due_at <= now else soon).append(clock)
    return {"overdue": overdue, "soon": soon, "now": now}


def pending_deadline_changes(*, event: Event) -> list:
    from events.models import DeadlineChange

    return list(
        DeadlineChange.objects.filter(
            deadline__event=event, state=DeadlineChange.State.REQUESTED
        ).select_related("deadline", "requested_by")
    )
