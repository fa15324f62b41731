"""Writes to cases. Each transition is one function: check the actor and scope, lock the
row, check the state, write, add the timeline entry, start/stop clocks and queue
notifications — all in one transaction (DESIGN §3, STYLE §3)."""

from __future__ import annotations

import secrets
from collections.abc import Callable, Sequence
from datetime import datetime, timedelta

from django.conf import settings
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import connection, transaction
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks import geo
from blocks.access import scope_for
from blocks.models import Area, Department, DepartmentMember, Posting
from events import deadlines
from events.models import (
    CALLBACK_SOURCES,
    TRANSITIONS,
    Action,
    Actor,
    Assignment,
    CaseEvaluation,
    CaseNumberCounter,
    Category,
    Channel,
    ClockKind,
    Deadline,
    DeadlineChange,
    DutyItem,
    Event,
    HandlerLevel,
    PartMove,
    Photo,
    Rating,
    RatingSource,
    Satisfaction,
    Status,
    TimelineEntry,
    WhistleReason,
)
from events.photos import check_photo, photo_files
from events.workflow import (
    check_actor,
    live_departments,
    move_case,
    move_part,
    rated_this_closing,
)
from governance import polls
from governance.crypto import blind_index
from governance.errors import DomainError, StateConflict
from governance.notifications import notify

TRACKING_ALPHABET = "ABCDEFGHJKMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I/L: read out on the phone


# --- helpers ----------------------------------------------------------------------------
def _next_number(*, event_id: int, district_code: str, now: datetime) -> str:
    """Give case ``event_id`` its number, YH-20261122-0042: per district and local day,
    gap-free under concurrency.

    Bumping the day's counter locks its row until the intake commits (that is what keeps
    the numbers gap-free), so intake takes its number as the last write of its transaction,
    in one statement on PostgreSQL (bench/intake.py: intake throughput).
    """
    prefix = settings.CASE_NUMBER_PREFIXES.get(district_code, district_code)
    day = timezone.localdate(now)
    counter = connection.ops.quote_name(CaseNumberCounter._meta.db_table)
    bump = (
        f"INSERT INTO {counter} (prefix, day, last) VALUES (%s, %s, 1) "
        f"ON CONFLICT (prefix, day) DO UPDATE SET last = {counter}.last + 1 RETURNING last"
    )
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            events = connection.ops.quote_name(Event._meta.db_table)
            cursor.execute(
                f"WITH bumped AS ({bump}) UPDATE {events} SET number = %s || "
                "lpad(bumped.last::text, greatest(4, length(bumped.last::text)), '0') "
                f"FROM bumped WHERE {events}.id = %s RETURNING {events}.number",
                [prefix, day, f"{prefix}-{day:%Y%m%d}-", event_id],
            )
            return cursor.fetchone()[0]
        cursor.execute(bump, [prefix, day])
        number = f"{prefix}-{day:%Y%m%d}-{cursor.fetchone()[0]:04d}"
    Event.objects.filter(pk=event_id).update(number=number)
    return number


def _tracking_code() -> str:
    return "".join(secrets.choice(TRACKING_ALPHABET) for _ in range(10))


def _record(
    *, event: Event, actor, action: str, now: datetime, from_status: str = "", note: str = "",
    data: dict | None = None,
) -> TimelineEntry:  # fmt: skip
    polls.bump(polls.area_topics(event.area_code))  # the queues' polls answer anew (issue 21)
    return TimelineEntry.objects.create(
        event=event,
        at=now,
        actor=actor,
        action=action,
        from_status=from_status,
        to_status=event.status,
        note=note,
        data=data or {},
    )


def _block_team(event: Event, roles: Sequence[str]) -> list[int]:
    return list(
        Posting.objects.filter(area_id=event.block_id, role__in=roles, ended_on__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def _case_link(event: Event) -> str:
    return reverse("events:detail", kwargs={"number": event.number})


def _checked_photos(photos: Sequence[UploadedFile]) -> list[tuple[UploadedFile, str]]:
    """Every photo checked before anything is written, so a bad one saves nothing."""
    if len(photos) > settings.PHOTO_MAX_PER_UPLOAD:
        raise ValidationError(
            _("At most %(n)s photos at a time.") % {"n": settings.PHOTO_MAX_PER_UPLOAD}
        )
    return [(photo, check_photo(photo)) for photo in photos]


def _store_photos(
    *, event: Event, photos: list[tuple[UploadedFile, str]], stage: str, actor
) -> list[Photo]:
    stored = []
    try:
        for upload, extension in photos:
            original, thumbnail = photo_files(upload, extension)
            stored.append(
                Photo.objects.create(
                    event=event, stage=stage, image=original, thumbnail=thumbnail, uploaded_by=actor
                )
            )
    except Exception:
        for photo in stored:  # the transaction rolls back the rows; remove their files too
            photo.image.delete(save=False)
            photo.thumbnail.delete(save=False)
        raise
    return stored


# --- intake -----------------------------------------------------------------------------
BOOKING_DAYS = 60  # how far ahead a service can be booked


def check_booking(*, category: Category, booked_at: datetime | None, now: datetime) -> None:
    """A booked time is for an assisted service, not in the past, at most ``BOOKING_DAYS``
    ahead."""
    if booked_at is None:
        return
    if not category.is_assisted_service:
        raise ValidationError(_("Only an assisted service can be booked for a time."))
    if booked_at < now - timedelta(minutes=5):
        raise ValidationError(_("The booked time has passed: choose a later time."))
    if booked_at > now + timedelta(days=BOOKING_DAYS):
        raise ValidationError(
            _("A service can be booked at most %(days)s days ahead.") % {"days": BOOKING_DAYS}
        )


def _place_in(block: Area, place: Area | None, lat, lon) -> Area | None:
    """The case's compound or building: the one named (it must be an open one of the
    block), else the smallest mapped area around its point, if that is below the block."""
    if place is not None:
        if (
            place.level not in (Area.Level.COMPOUND, Area.Level.BUILDING)
            or not place.code.startswith(block.code)
            or place.closed_on is not None
        ):
            raise ValidationError(_("Choose a compound or building of the case's block."))
        return place
    if lat is None or lon is None:
        return None
    found = geo.place_at(lat, lon)
    if found is not None and found.code.startswith(block.code) and found.code != block.code:
        return found
    return None


def event_log(
    *,
    actor,
    block: Area,
    category: Category,
    description: str,
    channel: str | None = None,
    priority: str | None = None,
    reporter_name: str = "",
    reporter_phone: str = "",
    address: str = "",
    building: str = "",
    lat: float | None = None,
    lon: float | None = None,
    photos: Sequence[UploadedFile] = (),
    external_number: str = "",
    booked_at: datetime | None = None,
    place: Area | None = None,
    now: datetime | None = None,
) -> Event:
    """Log a request. ``actor=None`` is a resident reporting without an account.

    ``place``: the compound or building of the block it is in (三基三元, seed 003); with a
    point and no place, the smallest mapped area around the point is taken.

    An assisted service (帮代办) is logged the same way; ``booked_at`` books it for a time
    (预约服务, seed 002), from now to ``BOOKING_DAYS`` ahead.

    Block staff who log a request have answered it (一呼即应): it starts in the block with
    them as its handler. A resident's report, a hotline transfer or a supervisor's finding
    waits for the block to accept it within 15 minutes.
    """
    now = now or timezone.now()
    if block.level != Area.Level.BLOCK or block.closed_on is not None:
        raise ValidationError(_("Choose an open block."))
    if not description.strip():
        raise ValidationError(_("Describe the problem."))
    check_booking(category=category, booked_at=booked_at, now=now)
    place = _place_in(block, place, lat, lon)
    scope = scope_for(actor) if actor is not None else None
    may_log = scope is not None and scope.can_act_in_block(block.code)
    # Staff who log what they see or hear have answered it; a hotline transfer they import
    # still waits for the block to take it on (its 15 minutes start now).
    takes_it = may_log and channel in (None, Channel.BLOCK_STAFF, Channel.PATROL)
    supervises = scope is not None and scope.covers(block.code, {Posting.Role.SUPERVISOR})
    if scope is not None and not may_log and (not supervises or scope.is_read_only):
        raise PermissionDenied(_("You may not log cases for this block."))
    if channel is None:
        channel = Channel.SELF_REPORT if actor is None else Channel.BLOCK_STAFF
        if scope is not None and not may_log:
            channel = Channel.SUPERVISOR
    checked = _checked_photos(photos)

    with transaction.atomic():
        tracking_code = _tracking_code()
        event = Event.objects.create(
            number=f"~{tracking_code}",  # its number comes last: see _next_number
            tracking_code=tracking_code,
            channel=channel,
            status=Status.IN_BLOCK if takes_it else Status.PENDING,
            handler_level=HandlerLevel.BLOCK,
            handler=actor if takes_it else None,
            block=block,
            area_code=block.code,
            address=address.strip(),
            building=building.strip(),
            lat=lat,
            lon=lon,
            category=category,
            priority=priority or category.default_priority,
            description=description.strip(),
            reporter_name=reporter_name.strip(),
            reporter_phone=reporter_phone.strip(),
            reporter_phone_index=blind_index(reporter_phone.strip()),
            created_by=actor,
            created_at=now,
            accepted_at=now if takes_it else None,
            external_number=external_number,
            booked_at=booked_at,
            place=place,
        )
        _record(event=event, actor=actor, action=Action.LOG, now=now, data={"channel": channel})
        if takes_it:  # answered as it is logged: its 15 minutes are met, solving starts
            deadlines.clocks_open(
                event=event, kinds=[ClockKind.RESPOND, ClockKind.RESOLVE], now=now,
                met=(ClockKind.RESPOND,),
            )  # fmt: skip
        else:
            deadlines.clocks_open(event=event, kinds=[ClockKind.RESPOND], now=now)
        event.number = _next_number(event_id=event.pk, district_code=block.code[:6], now=now)
        # Photos are filed under the case number.
        _store_photos(event=event, photos=checked, stage=Photo.Stage.REPORT, actor=actor)
        if not takes_it:
            notify(
                recipients=_block_team(event, [Posting.Role.GOVERNOR, Posting.Role.ASSISTANT]),
                kind="event_new",
                title=_("New case %(number)s in %(block)s: answer within 15 minutes")
                % {"number": event.number, "block": block.name},
                body=event.description[:200],
                link=_case_link(event),
                dedupe_key=f"event_new:{event.pk}",
                now=now,
            )
    return event


# --- transitions ------------------------------------------------------------------------
def _transition(
    *,
    actor,
    event_id: int,
    action: Action,
    now: datetime | None,
    expected_status: str | None = None,
    note: str = "",
    data: dict | None = None,
    apply: Callable[[Event, datetime], None] | None = None,
    system: bool = False,
) -> Event:
    """Lock, check, move and record one transition of the declaration.

    ``system=True`` is the platform acting by a rule (e.g. auto-whistle on a breach), with
    no person to check; it is recorded on the timeline with no actor.
    """
    now = now or timezone.now()
    transition = TRANSITIONS[action]
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        scope = scope_for(actor) if actor is not None else None
        if (
            scope is not None
            and not scope.covers(event.area_code)
            and not (scope.department_ids and transition.actor == Actor.DEPARTMENT)
        ):
            raise Event.DoesNotExist  # out of scope looks like not there (404)
        # The page's user acted on the case as they saw it: if it moved meanwhile, they are
        # told so, even where the move took it out of their hands (e.g. 街呼区应).
        if expected_status and event.status != expected_status:
            raise StateConflict()
        if not system:
            check_actor(scope, transition, event)
        from_status = event.status
        move_case(event, action, now=now)
        if apply:
            apply(event, now)
        event.save()
        _record(
            event=event, actor=actor, action=action, now=now, from_status=from_status, note=note,
            data=data,
        )  # fmt: skip
    return event


def event_accept(*, actor, event_id: int, expected_status: str | None = None, now=None) -> Event:
    def apply(event: Event, now: datetime) -> None:
        event.handler = actor
        event.accepted_at = now
        deadlines.clock_stop(event=event, kinds=[ClockKind.RESPOND], now=now)
        deadlines.clock_start(event=event, kind=ClockKind.RESOLVE, now=now)

    return _transition(
        actor=actor, event_id=event_id, action=Action.ACCEPT, now=now,
        expected_status=expected_status, apply=apply,
    )  # fmt: skip


def event_resolve(
    *,
    actor,
    event_id: int,
    note: str,
    photos: Sequence[UploadedFile] = (),
    expected_status: str | None = None,
    now=None,
) -> Event:
    if not note.strip():
        raise ValidationError(_("Say what was done."))
    checked = _checked_photos(photos)

    def apply(event: Event, now: datetime) -> None:
        event.resolved_at = now
        deadlines.clock_stop(event=event, kinds=[ClockKind.RESOLVE], now=now)
        deadlines.clock_start(event=event, kind=ClockKind.VERIFY, now=now)
        _store_photos(event=event, photos=checked, stage=Photo.Stage.FEEDBACK, actor=actor)
        notify(
            recipients=_block_team(event, [Posting.Role.SUPERVISOR]),
            kind="event_resolved",
            title=_("Case %(number)s was resolved; please check it") % {"number": event.number},
            link=_case_link(event),
            dedupe_key=f"event_resolved:{event.pk}:{event.rework_count}",
            now=now,
        )

    return _transition(
        actor=actor, event_id=event_id, action=Action.RESOLVE, now=now, note=note.strip(),
        expected_status=expected_status, apply=apply,
    )  # fmt: skip


def event_verify(
    *, actor, event_id: int, note: str = "", expected_status: str | None = None, now=None
) -> Event:
    def apply(event: Event, now: datetime) -> None:
        event.closed_at = now
        deadlines.clock_stop(event=event, kinds=[ClockKind.VERIFY], now=now)
        deadlines.clock_start(event=event, kind=ClockKind.RATE, now=now)

    return _transition(
        actor=actor, event_id=event_id, action=Action.VERIFY, now=now, note=note.strip(),
        expected_status=expected_status, apply=apply,
    )  # fmt: skip


def _back_to_handler(event: Event, now: datetime) -> None:
    """Rework, once the case has moved back (``move_case``): to whoever handles it (the block,
    or the lead department), with a fresh resolve clock."""
    event.rework_count += 1
    event.resolved_at = None
    event.closed_at = None
    deadlines.clock_cancel_all(event=event, now=now)
    recipients = [event.handler_id]
    if event.handler_level == HandlerLevel.DEPARTMENT:
        lead = event.assignments.get(role=Assignment.Role.LEAD, state=Assignment.State.DONE)
        move_part(lead, PartMove.REOPEN)
        lead.feedback_at = None
        lead.save(update_fields=["state", "feedback_at"])
        deadlines.clock_start(event=event, kind=ClockKind.RESOLVE, now=now, assignment=lead)
        recipients += _department_people([lead.department_id])
    else:
        deadlines.clock_start(event=event, kind=ClockKind.RESOLVE, now=now)
    notify(
        recipients=recipients,
        kind="event_rework",
        title=_("Case %(number)s was sent back for rework") % {"number": event.number},
        link=_case_link(event),
        dedupe_key=f"event_rework:{event.pk}:{event.rework_count}",
        now=now,
    )


def event_rework(
    *, actor, event_id: int, note: str, expected_status: str | None = None, now=None
) -> Event:
    if not note.strip():
        raise ValidationError(_("Say why it is not done."))
    return _transition(
        actor=actor, event_id=event_id, action=Action.REWORK, now=now, note=note.strip(),
        expected_status=expected_status, apply=_back_to_handler,
    )  # fmt: skip


def event_rate(
    *,
    actor,
    event_id: int,
    satisfaction: str,
    resolved: bool,
    comment: str = "",
    source: str | None = None,
    now=None,
) -> Event:
    """回访: a rating of the case, kept as a record. ``actor=None`` is the resident on the
    tracking page; staff record the resident's answer to a callback and say who asked
    (``source``: the desk's callback, the default, or the hotline's). They come from outside
    the team that handled the case (``SEPARATION``).

    Each closing is rated once; the rating becomes the case's current one, and the first
    rating the case ever got stays as its first (一次解决率 / 一次满意率). Dissatisfied and not
    resolved sends the case back to its handler as rework and stays counted: the case is
    rated and not resolved until a later rating replaces it (DESIGN §3, §5).
    """
    now = now or timezone.now()
    if satisfaction not in Satisfaction.values:
        raise ValidationError(_("Choose how satisfied you are."))
    if actor is None:
        source = RatingSource.RESIDENT
    elif not source:
        source = RatingSource.DESK
    elif source not in CALLBACK_SOURCES:
        raise ValidationError(_("Say who called the resident back: the desk or the hotline."))
    comment = comment.strip()[:500]

    def apply(event: Event, now: datetime) -> None:
        if rated_this_closing(event):
            raise DomainError(_("This case has already been rated."), code="already_rated")
        event.satisfaction, event.resolved_by_resident = satisfaction, resolved
        event.rating_comment, event.rated_at = comment, now
        if not event.first_satisfaction:
            event.first_satisfaction, event.first_resolved = satisfaction, resolved
        Rating.objects.create(
            event=event, source=source, satisfaction=satisfaction, resolved=resolved,
            comment=comment, rated_by=actor, rated_at=now,
        )  # fmt: skip
        deadlines.clock_stop(event=event, kinds=[ClockKind.RATE], now=now)

    with transaction.atomic():
        event = _transition(
            actor=actor, event_id=event_id, action=Action.RATE, now=now, note=comment,
            data={"satisfaction": satisfaction, "resolved": resolved, "source": source},
            apply=apply,
        )  # fmt: skip
        if satisfaction == Satisfaction.DISSATISFIED and not resolved:
            # The rating stays the case's own (it counts); the work goes back.
            from_status = event.status
            move_case(event, Action.REWORK)
            _back_to_handler(event, now)
            event.save()
            _record(
                event=event, actor=actor, action=Action.REWORK, now=now,
                from_status=from_status,
                note=_("The resident is dissatisfied and says it is not resolved."),
            )  # fmt: skip
    return event


def event_invalidate(
    *, actor, event_id: int, reason: str, expected_status: str | None = None, now=None
) -> Event:
    if not reason.strip():
        raise ValidationError(_("Give the reason."))

    def apply(event: Event, now: datetime) -> None:
        event.closing_reason = reason.strip()[:300]
        deadlines.clock_cancel_all(event=event, now=now)

    return _transition(
        actor=actor, event_id=event_id, action=Action.INVALIDATE, now=now, note=reason.strip(),
        expected_status=expected_status, apply=apply,
    )  # fmt: skip


def event_merge(
    *, actor, event_id: int, into: Event, expected_status: str | None = None, now=None
) -> Event:
    """Merge a duplicate into the case it repeats; it is never counted twice."""
    now = now or timezone.now()
    if into.pk == event_id:
        raise ValidationError(_("A case cannot be merged into itself."))
    if into.status in (Status.MERGED, Status.INVALID):
        raise ValidationError(_("Merge into a case that is still valid."))
    scope = scope_for(actor)
    if not scope.can_act_in_block(into.area_code):
        raise Event.DoesNotExist

    def apply(event: Event, now: datetime) -> None:
        event.merged_into = into
        event.closing_reason = _("Duplicate of %(number)s") % {"number": into.number}
        deadlines.clock_cancel_all(event=event, now=now)

    with transaction.atomic():
        event = _transition(
            actor=actor, event_id=event_id, action=Action.MERGE, now=now,
            expected_status=expected_status, data={"into": into.number}, apply=apply,
        )  # fmt: skip
        _record(
            event=into, actor=actor, action=Action.COMMENT, now=now,
            from_status=into.status,
            note=_("Case %(number)s was merged into this one.") % {"number": event.number},
            data={"merged": event.number},
        )  # fmt: skip
    return event


def event_comment(*, actor, event_id: int, note: str, now=None) -> TimelineEntry:
    now = now or timezone.now()
    if not note.strip():
        raise ValidationError(_("Write a comment."))
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        scope = scope_for(actor)
        # The area's people, and a department while it has a live part of the case (it
        # handles it wherever it is: DESIGN §6).
        departments = scope.department_ids
        handles_a_part = (
            bool(departments) and event.is_open and bool(departments & live_departments(event))
        )
        if not scope.covers(event.area_code) and not handles_a_part:
            if departments and event.assignments.filter(department_id__in=departments).exists():
                raise PermissionDenied(_("Your department no longer has a part in this case."))
            raise Event.DoesNotExist
        if scope.is_read_only or (scope.reads_only(event.area_code) and not handles_a_part):
            raise PermissionDenied(_("You may not do this on this case."))
        return _record(
            event=event, actor=actor, action=Action.COMMENT, now=now, from_status=event.status,
            note=note.strip(),
        )  # fmt: skip


# The actions this module carries out; a page shows a button only for these (whistle and
# dispatch belong to the dispatch workflow, which adds its own).


# --- whistle and dispatch (吹哨 → 派单 → 报到 → 反馈) ------------------------------------
def _dispatchers_at(code: str) -> list[int]:
    return list(
        Posting.objects.filter(
            area__code=code, role=Posting.Role.DISPATCHER, ended_on__isnull=True
        ).values_list("user_id", flat=True)
    )


def _street_desk(event: Event) -> list[int]:
    """The dispatchers of the case's street (its desk: 快速处置平台)."""
    return _dispatchers_at(event.area_code[:9])


def _district_desk(event: Event) -> list[int]:
    """The dispatchers posted at the case's district: its command centre (街呼区应)."""
    return _dispatchers_at(event.area_code[:6])


def _dispatching_desk(event: Event) -> list[int]:
    """The desk that dispatches the case: the district's once the street whistled it up."""
    return _district_desk(event) if event.whistled_to_district_at else _street_desk(event)


def _department_people(department_ids) -> list[int]:
    return list(
        DepartmentMember.objects.filter(department_id__in=department_ids, ended_on__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def event_whistle(
    *, actor, event_id: int, reason: str, note: str = "", expected_status: str | None = None,
    now=None, system: bool = False,
) -> Event:  # fmt: skip
    """吹哨: what the block cannot solve goes up to its street's desk, with a reason."""
    if reason not in WhistleReason.values:
        raise ValidationError(_("Choose why the block whistles."))
    if reason == WhistleReason.OTHER and not note.strip():
        raise ValidationError(_("Say why the block whistles."))

    def apply(event: Event, now: datetime) -> None:
        event.handler_level = HandlerLevel.STREET
        event.whistled_at = now
        event.whistle_reason = reason
        event.whistle_note = note.strip()[:300]
        if event.accepted_at is None:
            event.accepted_at = now  # whistling a pending case is the block's answer to it
        deadlines.clock_stop(event=event, kinds=[ClockKind.RESPOND], now=now)
        deadlines.clock_cancel(event=event, kinds=[ClockKind.RESOLVE], now=now)
        deadlines.clock_start(event=event, kind=ClockKind.DISPATCH, now=now)
        notify(
            recipients=_street_desk(event),
            kind="event_whistled",
            title=_("Whistle from %(block)s: case %(number)s needs dispatching")
            % {"block": event.block.name, "number": event.number},
            body=event.description[:200],
            link=_case_link(event),
            dedupe_key=f"event_whistled:{event.pk}:{now.timestamp()}",
            now=now,
        )

    return _transition(
        actor=actor, event_id=event_id, action=Action.WHISTLE, now=now, note=note.strip(),
        expected_status=expected_status, data={"reason": reason}, apply=apply, system=system,
    )  # fmt: skip


def event_whistle_to_district(
    *, actor, event_id: int, note: str, expected_status: str | None = None, now=None
) -> Event:
    """街呼区应 (seed 001): the street's desk passes a whistled case it cannot dispatch by
    itself to the district's command centre, with its reason; the district dispatches it to
    departments like a street does, and the district's own dispatch clock runs (DESIGN §4:
    the dispatch clock runs from a whistle to its dispatch)."""
    if not note.strip():
        raise ValidationError(_("Say why the street cannot dispatch it itself."))

    def apply(event: Event, now: datetime) -> None:
        desk = _district_desk(event)
        if not desk:
            raise DomainError(
                _("The district has no dispatcher on its desk to take the case."),
                code="no_district_desk",
            )
        event.handler_level = HandlerLevel.DISTRICT
        event.whistled_to_district_at = now
        event.district_whistle_note = note.strip()[:300]
        # The street answered its whistle by passing it on; the district's clock starts.
        deadlines.clock_stop(event=event, kinds=[ClockKind.DISPATCH], now=now)
        deadlines.clock_start(event=event, kind=ClockKind.DISPATCH, now=now)
        notify(
            recipients=desk,
            kind="event_whistled_district",
            title=_("街呼区应 from %(street)s: case %(number)s needs dispatching")
            % {"street": event.block.parent.parent.name, "number": event.number},
            body=event.district_whistle_note,
            link=_case_link(event),
            dedupe_key=f"event_whistled_district:{event.pk}:{now.timestamp()}",
            now=now,
        )

    return _transition(
        actor=actor, event_id=event_id, action=Action.WHISTLE_DISTRICT, now=now,
        note=note.strip(), expected_status=expected_status, apply=apply,
    )  # fmt: skip


def event_send_back(
    *, actor, event_id: int, note: str, expected_status: str | None = None, now=None
) -> Event:
    """区退街: the district's command centre gives a case the street whistled up back to the
    street's desk, with its reason (the street can dispatch it itself). The district's
    dispatch clock is met; the street's starts again."""
    if not note.strip():
        raise ValidationError(_("Say why the street can dispatch it itself."))

    def apply(event: Event, now: datetime) -> None:
        # The district no longer holds it: returns, approvals and warnings go to the street's
        # desk again (the timeline keeps both the whistle and this answer).
        event.handler_level = HandlerLevel.STREET
        event.whistled_to_district_at = None
        event.district_whistle_note = ""
        deadlines.clock_stop(event=event, kinds=[ClockKind.DISPATCH], now=now)
        deadlines.clock_start(event=event, kind=ClockKind.DISPATCH, now=now)
        notify(
            recipients=_street_desk(event),
            kind="event_sent_back",
            title=_("The district sent case %(number)s back: dispatch it from the street")
            % {"number": event.number},
            body=note.strip()[:200],
            link=_case_link(event),
            dedupe_key=f"event_sent_back:{event.pk}:{now.timestamp()}",
            now=now,
        )

    return _transition(
        actor=actor, event_id=event_id, action=Action.SEND_BACK, now=now,
        note=note.strip(), expected_status=expected_status, apply=apply,
    )  # fmt: skip


def _direct_call(event: Event, now: datetime) -> None:
    """村居吹哨、部门报到 (seed 004): the block calls departments itself. It is the block's
    whistle (counted as one, beyond its means) and its answer to a pending case; the street
    is told, and no dispatch clock of the street's starts."""
    event.whistled_at = now
    event.whistle_reason = WhistleReason.BEYOND_MEANS
    if event.accepted_at is None:
        event.accepted_at = now
    deadlines.clock_stop(event=event, kinds=[ClockKind.RESPOND], now=now)
    deadlines.clock_cancel(event=event, kinds=[ClockKind.RESOLVE], now=now)
    notify(
        recipients=_street_desk(event),
        kind="event_direct_call",
        title=_("%(block)s called departments straight on case %(number)s (村居吹哨)")
        % {"block": event.block.name, "number": event.number},
        body=event.description[:200],
        link=_case_link(event),
        dedupe_key=f"event_direct_call:{event.pk}:{now.timestamp()}",
        now=now,
    )


def event_dispatch(
    *,
    actor,
    event_id: int,
    lead: Department,
    cooperating: Sequence[Department] = (),
    note: str = "",
    expected_status: str | None = None,
    now=None,
) -> Event:
    """派单: the street gives the case to one lead department and any cooperating ones."""
    cooperating = [d for d in cooperating if d.pk != lead.pk]
    chosen = [lead, *cooperating]

    def apply(event: Event, now: datetime) -> None:
        district = event.area_code[:6]
        for department in chosen:
            if not department.is_active or department.district.code != district:
                raise ValidationError(
                    _("%(department)s is not a department of this district.")
                    % {"department": department}
                )
        if event.handler_level == HandlerLevel.BLOCK:
            _direct_call(event, now)
        event.handler_level = HandlerLevel.DEPARTMENT
        event.dispatched_at = now
        deadlines.clock_stop(event=event, kinds=[ClockKind.DISPATCH], now=now)
        report_in_due = None
        for department in chosen:
            assignment = Assignment.objects.create(
                event=event,
                department=department,
                role=Assignment.Role.LEAD if department == lead else Assignment.Role.COOPERATING,
                dispatched_at=now,
                dispatched_by=actor,
                dispatch_note=note.strip()[:300],
            )
            clock = deadlines.clock_start(
                event=event, kind=ClockKind.REPORT_IN, now=now, assignment=assignment
            )
            report_in_due = clock.due_at
        # The district's limit, not a fixed 24 hours (a red hotline case: 2 hours).
        notify(
            recipients=_department_people([d.pk for d in chosen]),
            kind="event_dispatched",
            title=_("Case %(number)s was dispatched to you: report in by %(due)s")
            % {
                "number": event.number,
                "due": timezone.localtime(report_in_due).strftime("%m-%d %H:%M"),
            },
            body=event.description[:200],
            link=_case_link(event),
            dedupe_key=f"event_dispatched:{event.pk}:{now.timestamp()}",
            now=now,
        )

    return _transition(
        actor=actor, event_id=event_id, action=Action.DISPATCH, now=now, note=note.strip(),
        expected_status=expected_status,
        data={"lead": lead.name, "cooperating": [d.name for d in cooperating]}, apply=apply,
    )  # fmt: skip


def _locked_part(*, actor, assignment_id: int) -> tuple[Event, Assignment]:
    """Lock the case, then its part; the actor must work for the part's department."""
    event_id = Assignment.objects.values_list("event_id", flat=True).get(pk=assignment_id)
    event = Event.objects.select_for_update().get(pk=event_id)
    assignment = (
        Assignment.objects.select_for_update().select_related("department").get(pk=assignment_id)
    )
    if not scope_for(actor).can_act_for_department(assignment.department_id):
        raise Assignment.DoesNotExist  # another department's part is not there for them
    return event, assignment


def _move_on_if_answered(*, event: Event, actor, now: datetime) -> None:
    """Once the lead's feedback is in and every cooperating part has answered, the case
    waits for verification (issue 5: it cannot close while the lead's feedback is missing)."""
    parts = list(event.assignments.exclude(state=Assignment.State.CANCELLED))
    lead_done = any(
        p.role == Assignment.Role.LEAD and p.state == Assignment.State.DONE for p in parts
    )
    if not lead_done or any(p.is_open for p in parts):
        return
    from_status = event.status
    move_case(event, Action.FEEDBACK)
    event.resolved_at = now
    event.save()
    deadlines.clock_start(event=event, kind=ClockKind.VERIFY, now=now)
    _record(
        event=event, actor=actor, action=Action.FEEDBACK, now=now, from_status=from_status,
        note=_("Every department has answered; the case waits for verification."),
    )  # fmt: skip
    notify(
        recipients=_street_desk(event) + _block_team(event, [Posting.Role.GOVERNOR]),
        kind="event_feedback",
        title=_("Case %(number)s: departments have given feedback; please verify")
        % {"number": event.number},
        link=_case_link(event),
        dedupe_key=f"event_feedback:{event.pk}:{event.rework_count}",
        now=now,
    )


def assignment_report_in(*, actor, assignment_id: int, now=None) -> Assignment:
    """报到: the department signs for its part (stops its 24-hour clock)."""
    now = now or timezone.now()
    with transaction.atomic():
        event, assignment = _locked_part(actor=actor, assignment_id=assignment_id)
        move_part(assignment, PartMove.REPORT_IN)
        assignment.reported_in_at = now
        assignment.reported_in_by = actor
        assignment.save()
        deadlines.clock_stop(
            event=event, kinds=[ClockKind.REPORT_IN], now=now, assignment=assignment
        )
        deadlines.clock_start(event=event, kind=ClockKind.RESOLVE, now=now, assignment=assignment)
        from_status = event.status
        if assignment.role == Assignment.Role.LEAD:
            move_case(event, Action.REPORT_IN)
            event.handler = actor  # 首接负责: the lead's officer owns it now
            event.save()
        _record(
            event=event, actor=actor, action=Action.REPORT_IN, now=now, from_status=from_status,
            data={"department": assignment.department.name, "role": assignment.role},
        )  # fmt: skip
    return assignment


def assignment_feedback(
    *, actor, assignment_id: int, note: str, photos: Sequence[UploadedFile] = (), now=None
) -> Assignment:
    """A department says what it did, with photos."""
    now = now or timezone.now()
    if not note.strip():
        raise ValidationError(_("Say what was done."))
    checked = _checked_photos(photos)
    with transaction.atomic():
        event, assignment = _locked_part(actor=actor, assignment_id=assignment_id)
        if assignment.state == Assignment.State.DISPATCHED:
            raise DomainError(_("Report in before giving feedback."), code="not_reported_in")
        move_part(assignment, PartMove.FEEDBACK)
        assignment.feedback_at = now
        assignment.feedback_by = actor
        assignment.feedback_note = note.strip()
        assignment.save()
        deadlines.clock_stop(event=event, kinds=[ClockKind.RESOLVE], now=now, assignment=assignment)
        stored = _store_photos(event=event, photos=checked, stage=Photo.Stage.FEEDBACK, actor=actor)
        Photo.objects.filter(pk__in=[p.pk for p in stored]).update(assignment=assignment)
        _record(
            event=event, actor=actor, action=Action.FEEDBACK, now=now, from_status=event.status,
            note=note.strip(), data={"department": assignment.department.name},
        )  # fmt: skip
        _move_on_if_answered(event=event, actor=actor, now=now)
    return assignment


def _duty_list_names_it(event: Event, assignment: Assignment) -> bool:
    """Whether the district's duty list gives this department this part of the matter."""
    codes = [event.category.code]
    if event.category.parent_id:
        codes.append(event.category.parent.code)
    items = DutyItem.objects.filter(district__code=event.area_code[:6], category_code__in=codes)
    if assignment.role == Assignment.Role.LEAD:
        return items.filter(lead=assignment.department).exists()
    return items.filter(cooperating=assignment.department).exists()


def assignment_return(
    *, actor, assignment_id: int, reason: str, note: str = "", now=None
) -> Assignment:
    """退单: a department sends back what is not its duty; it goes to the street's desk,
    never to the resident. A return that the duty list contradicts is flagged."""
    now = now or timezone.now()
    if reason not in Assignment.ReturnReason.values:
        raise ValidationError(_("Choose why you return this case."))
    if not note.strip():
        raise ValidationError(_("Explain the return to the street."))
    with transaction.atomic():
        event, assignment = _locked_part(actor=actor, assignment_id=assignment_id)
        move_part(assignment, PartMove.RETURN)
        assignment.returned_at = now
        assignment.return_reason = reason
        assignment.return_note = note.strip()[:300]
        assignment.return_contradicts_duty_list = _duty_list_names_it(event, assignment)
        assignment.save()
        Deadline.objects.filter(assignment=assignment, met_at=None, cancelled_at=None).update(
            cancelled_at=now
        )
        from_status = event.status
        if assignment.role == Assignment.Role.LEAD:
            # Without its lead the dispatch is void: the other parts stop, the desk redispatches.
            for other in event.assignments.filter(state__in=Assignment.OPEN_STATES):
                move_part(other, PartMove.CANCEL)
                other.save(update_fields=["state"])
                Deadline.objects.filter(assignment=other, met_at=None, cancelled_at=None).update(
                    cancelled_at=now
                )
            # Back to the desk that dispatched it (退单 never goes to the resident).
            move_case(event, Action.RETURN)
            event.handler_level = (
                HandlerLevel.DISTRICT if event.whistled_to_district_at else HandlerLevel.STREET
            )
            event.save()
            deadlines.clock_start(event=event, kind=ClockKind.DISPATCH, now=now)
        _record(
            event=event, actor=actor, action=Action.RETURN, now=now, from_status=from_status,
            note=assignment.return_note,
            data={
                "department": assignment.department.name,
                "reason": reason,
                "contradicts_duty_list": assignment.return_contradicts_duty_list,
            },
        )  # fmt: skip
        flag = (
            _(" The duty list names this department for this matter.")
            if assignment.return_contradicts_duty_list
            else ""
        )
        notify(
            recipients=_dispatching_desk(event),
            kind="event_returned",
            title=_("%(department)s returned case %(number)s.")
            % {"department": assignment.department.name, "number": event.number}
            + flag,
            body=assignment.return_note,
            link=_case_link(event),
            dedupe_key=f"event_returned:{assignment.pk}",
            now=now,
        )
        if assignment.role == Assignment.Role.COOPERATING:
            _move_on_if_answered(event=event, actor=actor, now=now)
    return assignment


def case_evaluate(
    *, actor, assignment_id: int, response: int, handling: int, attitude: int,
    comment: str = "", now=None,
) -> CaseEvaluation:  # fmt: skip
    """一事一考: the street scores a department on one closed case (1–5 on each point)."""
    now = now or timezone.now()
    for value in (response, handling, attitude):
        if value not in range(1, 6):
            raise ValidationError(_("Scores go from 1 to 5."))
    with transaction.atomic():
        assignment = (
            Assignment.objects.select_for_update().select_related("event").get(pk=assignment_id)
        )
        event = assignment.event
        scope = scope_for(actor)
        if not scope.covers(event.area_code):
            raise Assignment.DoesNotExist
        if not scope.can_act_in_street(event.area_code):
            raise PermissionDenied(_("Only the street scores departments."))
        if event.status != Status.CLOSED or assignment.state == Assignment.State.CANCELLED:
            raise DomainError(_("A department is scored once the case is closed."))
        if CaseEvaluation.objects.filter(assignment=assignment).exists():
            raise StateConflict(_("This department has already been scored on this case."))
        evaluation = CaseEvaluation.objects.create(
            assignment=assignment, response=response, handling=handling, attitude=attitude,
            comment=comment.strip()[:300], evaluated_by=actor, evaluated_at=now,
        )  # fmt: skip
        _record(
            event=event, actor=actor, action=Action.COMMENT, now=now, from_status=event.status,
            note=_("Scored %(department)s: %(score)s") % {
                "department": assignment.department.name, "score": evaluation.score},
            data={"evaluation": evaluation.pk},
        )  # fmt: skip
    return evaluation


# --- changes of a case and of its clocks ---------------------------------------------
def _may_handle_clock(scope, event: Event, clock: Deadline) -> bool:
    if clock.assignment_id:
        return scope.can_act_for_department(clock.assignment.department_id)
    if event.handler_level == HandlerLevel.BLOCK:
        return scope.can_act_in_block(event.area_code)
    if event.handler_level == HandlerLevel.DISTRICT:
        return scope.can_act_in_district(event.area_code)
    return scope.can_act_in_street(event.area_code)


def deadline_change_request(
    *, actor, deadline_id: int, kind: str, reason: str, extra_working_days: int = 0, now=None
) -> DeadlineChange:
    """Ask for an extension (延期) or a suspension (挂起, e.g. the resident is unreachable)."""
    now = now or timezone.now()
    if kind not in (DeadlineChange.Kind.EXTEND, DeadlineChange.Kind.SUSPEND):
        raise ValidationError(_("Ask for an extension or a suspension."))
    if not reason.strip():
        raise ValidationError(_("Give the reason."))
    if kind == DeadlineChange.Kind.EXTEND and not 1 <= extra_working_days <= 30:
        raise ValidationError(_("An extension is 1 to 30 working days."))
    with transaction.atomic():
        clock = (
            Deadline.objects.select_for_update(of=("self",))
            .select_related("event", "assignment")
            .get(pk=deadline_id)
        )
        event = clock.event
        scope = scope_for(actor)
        if not _may_handle_clock(scope, event, clock):
            raise PermissionDenied(_("Only whoever handles this clock may ask to change it."))
        if not clock.is_open or (kind == DeadlineChange.Kind.SUSPEND and clock.paused_at):
            raise StateConflict(_("This time limit can no longer be changed."))
        if clock.changes.filter(state=DeadlineChange.State.REQUESTED).exists():
            raise StateConflict(_("A change of this time limit is already waiting for approval."))
        change = DeadlineChange.objects.create(
            deadline=clock, kind=kind, reason=reason.strip()[:300],
            extra_working_days=extra_working_days if kind == DeadlineChange.Kind.EXTEND else 0,
            requested_by=actor, requested_at=now,
        )  # fmt: skip
        _record(
            event=event, actor=actor, action=Action.DEADLINE, now=now, from_status=event.status,
            note=_("Asked for %(kind)s of “%(clock)s”: %(reason)s")
            % {"kind": change.get_kind_display(), "clock": clock.get_kind_display(),
               "reason": change.reason},
            data={"change": change.pk, "state": "requested"},
        )  # fmt: skip
        notify(
            recipients=_dispatching_desk(event)
            if clock.assignment_id or event.handler_level == HandlerLevel.DISTRICT
            else _street_desk(event),
            kind="deadline_change_requested",
            title=_("Case %(number)s: %(kind)s asked for, please decide")
            % {"number": event.number, "kind": change.get_kind_display()},
            body=change.reason,
            link=_case_link(event),
            dedupe_key=f"deadline_change:{change.pk}",
            now=now,
        )
    return change


def deadline_change_decide(*, actor, change_id: int, approve: bool, now=None) -> DeadlineChange:
    """The street's desk approves or rejects; an approval moves the due time at once."""
    now = now or timezone.now()
    with transaction.atomic():
        change = DeadlineChange.objects.select_for_update().get(pk=change_id)
        clock = (
            Deadline.objects.select_for_update().select_related("event").get(pk=change.deadline_id)
        )
        event = clock.event
        scope = scope_for(actor)
        if not scope.covers(event.area_code):
            raise DeadlineChange.DoesNotExist
        district_desk = event.whistled_to_district_at and scope.can_act_in_district(event.area_code)
        if not scope.can_act_in_street(event.area_code) and not district_desk:
            raise PermissionDenied(_("The street's desk approves changes of time limits."))
        if change.requested_by_id == actor.pk:
            raise PermissionDenied(_("Nobody approves their own request."))
        if change.state != DeadlineChange.State.REQUESTED:
            raise StateConflict()
        change.state = DeadlineChange.State.APPROVED if approve else DeadlineChange.State.REJECTED
        change.decided_by, change.decided_at = actor, now
        change.save()
        if approve and clock.is_open:
            if change.kind == DeadlineChange.Kind.EXTEND:
                deadlines.clock_extend(clock=clock, working_days=change.extra_working_days)
            else:
                deadlines.clock_pause(clock=clock, now=now)
        _record(
            event=event, actor=actor, action=Action.DEADLINE, now=now, from_status=event.status,
            note=_("%(kind)s of “%(clock)s” %(state)s; due %(due)s")
            % {"kind": change.get_kind_display(), "clock": clock.get_kind_display(),
               "state": change.get_state_display(),
               "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")},
            data={"change": change.pk, "state": change.state},
        )  # fmt: skip
        notify(
            recipients=[change.requested_by_id],
            kind="deadline_change_decided",
            title=_("Case %(number)s: your request was %(state)s")
            % {"number": event.number, "state": change.get_state_display()},
            link=_case_link(event),
            dedupe_key=f"deadline_change_decided:{change.pk}",
            now=now,
        )
    return change


def deadline_resume(*, actor, deadline_id: int, now=None) -> Deadline:
    """End a suspension (the resident is reachable again): the clock runs on, its due time
    moved by the time it stood still."""
    now = now or timezone.now()
    with transaction.atomic():
        clock = (
            Deadline.objects.select_for_update(of=("self",))
            .select_related("event", "assignment")
            .get(pk=deadline_id)
        )
        if not _may_handle_clock(scope_for(actor), clock.event, clock):
            raise PermissionDenied(_("Only whoever handles this clock may resume it."))
        if clock.paused_at is None or not clock.is_open:
            raise StateConflict()
        deadlines.clock_resume(clock=clock, now=now)
        _record(
            event=clock.event, actor=actor, action=Action.DEADLINE, now=now,
            from_status=clock.event.status,
            note=_("“%(clock)s” resumed; due %(due)s")
            % {"clock": clock.get_kind_display(),
               "due": timezone.localtime(clock.due_at).strftime("%Y-%m-%d %H:%M")},
        )  # fmt: skip
    return clock


def event_recategorize(
    *, actor, event_id: int, category: Category, priority: str | None = None, now=None
) -> Event:
    """Correct the matter or colour; open clocks follow the new time limits."""
    now = now or timezone.now()
    with transaction.atomic():
        event = Event.objects.select_for_update().select_related("category").get(pk=event_id)
        scope = scope_for(actor)
        if not scope.covers(event.area_code):
            raise Event.DoesNotExist
        allowed = {
            HandlerLevel.BLOCK: scope.can_act_in_block,
            HandlerLevel.DISTRICT: scope.can_act_in_district,
        }.get(event.handler_level, scope.can_act_in_street)(event.area_code)
        if not allowed or not event.is_open:
            raise PermissionDenied(_("You may not do this on this case."))
        before = f"{event.category} / {event.get_priority_display()}"
        event.category = category
        event.priority = priority or category.default_priority
        event.save()
        deadlines.clocks_recompute(event=event)
        _record(
            event=event, actor=actor, action=Action.EDIT, now=now, from_status=event.status,
            note=_("Category and colour: %(before)s → %(after)s")
            % {"before": before, "after": f"{event.category} / {event.get_priority_display()}"},
        )  # fmt: skip
    return event
