"""督办 (DESIGN §3, issue 17 item 7): a formal push on a case, and the scan that repeats it.

A district or street leader, or a block's supervisor for the block, puts an open case under
supervision: a yellow card (催办: a note) or a red card (挂牌督办: a note and a date by which
it must be done). It is the one write a leader has (DESIGN §6): it moves no case, so it is
not a row of ``TRANSITIONS``; who may is ``Scope.can_supervise``.

Rules, decided here once:
- a card goes on an open case only; it ends (``ended_at``) when the case closes, is marked
  invalid or is merged (``events.workflow.move_case`` calls ``case_ended``);
- each person has at most one open card on a case: a new card from the same person replaces
  theirs (a yellow card turned red, a new date), ended at that moment, so the timeline keeps
  both; cards of different people stand side by side (a street leader's beside the block
  supervisor's);
- a red card's date is a day after today and within a year; the card runs to the end of that
  day, China time; a yellow card has no date;
- the case's current handler and their head are told at once, and told again — with the
  card's author — once a red card's date has passed with the case still open: the scan claims
  each card once (``due_notified_at``), like the deadline scan (events/enforcement.py).
"""

from __future__ import annotations

import logging
from datetime import date, datetime, time, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import connection, transaction
from django.db.models import Case, IntegerField, QuerySet, Subquery, Value, When
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks.access import scope_for
from blocks.models import DepartmentMember, Posting
from events.deadlines import SHANGHAI
from events.models import (
    Action,
    Assignment,
    Event,
    HandlerLevel,
    Status,
    Supervision,
    SupervisionCard,
    TimelineEntry,
)
from events.recipients import community_watchers
from governance import polls
from governance.audit import audit
from governance.errors import StateConflict
from governance.models import AuditEntry
from governance.notifications import notifications_settle, notify
from governance.tasks import relay_soon

logger = logging.getLogger(__name__)

NOTE_MAX = 500  # Supervision.note
LONGEST = timedelta(days=365)  # a red card's date is within a year
BATCH = 500


def case_link(event: Event) -> str:
    return reverse("events:detail", kwargs={"number": event.number})


def card_due(day: date) -> datetime:
    """A red card's date as the moment it passes: the end of that day in China."""
    return datetime.combine(day, time.max, tzinfo=SHANGHAI)


def card_day(due: datetime) -> date:
    return timezone.localtime(due, SHANGHAI).date()


def _check(*, card: str, note: str, due: date | None, now: datetime) -> str:
    """The card's input, every field checked before anything is read or written."""
    errors: dict[str, list[str]] = {}
    if card not in SupervisionCard.values:
        errors["card"] = [_("Choose a yellow card (催办) or a red card (挂牌督办).")]
    note = note.strip()
    if not note:
        errors["note"] = [_("Say what you ask of the handler.")]
    elif len(note) > NOTE_MAX:
        errors["note"] = [_("At most %(n)s characters.") % {"n": NOTE_MAX}]
    today = timezone.localtime(now, SHANGHAI).date()
    if card == SupervisionCard.RED:
        if due is None:
            errors["due"] = [_("A red card (挂牌督办) needs the date by which it must be done.")]
        elif due <= today:
            errors["due"] = [_("The date of a red card must be after today.")]
        elif due > today + LONGEST:
            errors["due"] = [_("The date of a red card must be within a year.")]
    elif card == SupervisionCard.YELLOW and due is not None:
        errors["due"] = [_("A yellow card (催办) has no date; choose a red card to set one.")]
    if errors:
        raise ValidationError(errors)
    return note


def _people(area_code: str, roles) -> set[int]:
    return set(
        Posting.objects.filter(
            area__code=area_code, role__in=roles, ended_on__isnull=True
        ).values_list("user_id", flat=True)
    )


def handlers_and_heads(event: Event) -> set[int]:
    """Who is told of a card: whoever holds the case now, and the one above them.

    In the block: its handler (or, before anyone accepted it, the block's staff), the
    block's governor and its supervisor. At a desk: the street's dispatchers, or the
    district's once the street whistled it up (街呼区应). At departments: the people of the
    departments whose parts are still open, their heads among them. Waiting for the street
    to verify a department's work: the street's desk.
    """
    block, street, district = event.area_code, event.area_code[:9], event.area_code[:6]
    Role = Posting.Role
    if event.handler_level == HandlerLevel.BLOCK:
        staff = {event.handler_id} if event.handler_id else _people(block, {Role.ASSISTANT})
        return staff | _people(block, {Role.GOVERNOR, Role.SUPERVISOR})
    if event.handler_level == HandlerLevel.DISTRICT:
        return _people(district, {Role.DISPATCHER})
    if event.status in (Status.DISPATCHED, Status.IN_PROGRESS):
        departments = Assignment.objects.filter(
            event=event, state__in=Assignment.OPEN_STATES
        ).values("department_id")
        return set(
            DepartmentMember.objects.filter(
                department_id__in=departments, ended_on__isnull=True
            ).values_list("user_id", flat=True)
        )
    return _people(street, {Role.DISPATCHER})


def card_recipients(event: Event) -> set[int]:
    """Who is told of a card: the handlers and their head, and those who watch the case's
    community — its 社区专员, first secretaries and the five officials of 五者同责 (issue 20;
    seeds 001, 004)."""
    return handlers_and_heads(event) | community_watchers(event.area_code)


def _tell(*, supervision: Supervision, event: Event, recipients: set[int], due_passed: bool,
          now: datetime) -> None:  # fmt: skip
    values = {
        "number": event.number,
        "card": supervision.get_card_display(),
        "who": supervision.created_by.get_full_name() or supervision.created_by.username,
        "day": card_day(supervision.due).isoformat() if supervision.due else "",
    }
    if due_passed:
        title = _("督办 date passed: case %(number)s is still open (%(card)s, due %(day)s)")
    elif supervision.due:
        title = _("Case %(number)s is under 督办: %(card)s from %(who)s, to be done by %(day)s")
    else:
        title = _("Case %(number)s is under 督办: %(card)s from %(who)s")
    notify(
        recipients=recipients,
        kind="supervision_due" if due_passed else "supervision",
        title=title % values,
        body=supervision.note,
        link=case_link(event),
        dedupe_key=f"supervision{'_due' if due_passed else ''}:{supervision.pk}",
        payload={"event": event.pk, "supervision": supervision.pk, "card": supervision.card},
        now=now,
    )


def event_supervise(
    *, actor, event_id: int, card: str, note: str, due: date | None = None,
    now: datetime | None = None,
) -> Supervision:  # fmt: skip
    """Put case ``event_id`` under 督办: a yellow card with a note, or a red card with a note
    and the date (``due``, a day) by which it must be done."""
    now = now or timezone.now()
    note = _check(card=card, note=note, due=due, now=now)
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        scope = scope_for(actor)
        if not scope.can_supervise(event.area_code):
            sees_it = scope.covers(event.area_code) or (
                scope.department_ids
                and Assignment.objects.filter(
                    event=event, department_id__in=scope.department_ids
                ).exists()
            )
            if not sees_it:
                raise Event.DoesNotExist  # out of scope looks like not there (404)
            raise PermissionDenied(
                _("Only a leader of the area or the block's supervisor may supervise a case.")
            )
        if not event.is_open:
            raise StateConflict(
                _("This case is “%(status)s”: only an open case can be supervised.")
                % {"status": event.get_status_display()}
            )
        # The same person's open card is replaced (see the module's rules); the row lock on
        # the case keeps two submissions of one person from both standing.
        replaced = list(
            Supervision.objects.filter(event=event, created_by=actor, ended_at__isnull=True)
        )
        Supervision.objects.filter(pk__in=[s.pk for s in replaced]).update(ended_at=now)
        supervision = Supervision.objects.create(
            event=event, card=card, note=note, due=card_due(due) if due else None,
            created_by=actor, created_at=now,
        )  # fmt: skip
        TimelineEntry.objects.create(
            event=event, at=now, actor=actor, action=Action.SUPERVISE,
            from_status=event.status, to_status=event.status, note=note,
            data={"card": card, "due": due.isoformat() if due else None,
                  "supervision": supervision.pk, "replaces": [s.pk for s in replaced]},
        )  # fmt: skip
        polls.bump(polls.area_topics(event.area_code))  # its card shows in the queues
        audit(
            action=AuditEntry.Action.SUPERVISE, actor=actor, object_type="event", object_id=event.number,
            reason=note[:300],
            detail={"card": card, "due": due.isoformat() if due else None,
                    "supervision": supervision.pk},
        )  # fmt: skip
        _tell(
            supervision=supervision, event=event, now=now, due_passed=False,
            recipients=card_recipients(event) - {actor.pk},
        )  # fmt: skip
        relay_soon()  # its e-mails leave as it commits, not at beat's next tick
    return supervision


def case_ended(*, event: Event, now: datetime) -> None:
    """What ends with a case (closed, invalid, merged), in the transaction that ends it: its
    open cards, and its notices' claim on anybody's attention (issue 18)."""
    Supervision.objects.filter(event=event, ended_at__isnull=True).update(ended_at=now)
    notifications_settle(link=case_link(event), now=now)


def supervision_due_scan(*, now: datetime | None = None, batch: int = BATCH) -> int:
    """Tell again of each red card whose date passed with its case still open; each card
    once, whatever runs at the same time (two beats, overlapping scans). Returns how many
    this scan told of."""
    now = now or timezone.now()
    due = Supervision.objects.filter(
        ended_at__isnull=True, due_notified_at__isnull=True, due__isnull=False, due__lte=now
    ).order_by("due")  # supervision_due_idx
    told = 0
    while True:
        with transaction.atomic():
            picked = due.select_related("event", "created_by")
            if connection.vendor == "postgresql":
                picked = picked.select_for_update(skip_locked=True, of=("self",))
            rows = list(picked[:batch])
            told_before = told
            for card in rows:
                won = Supervision.objects.filter(
                    pk=card.pk, ended_at__isnull=True, due_notified_at__isnull=True
                ).update(due_notified_at=now)
                if not won:
                    continue  # another scan got there first, or the case just ended
                if not card.event.is_open:
                    # Ended outside the workflow (a bulk load): nobody to push any more.
                    Supervision.objects.filter(pk=card.pk).update(ended_at=now)
                    continue
                told += 1
                _tell(
                    supervision=card, event=card.event, now=now, due_passed=True,
                    recipients=card_recipients(card.event) | {card.created_by_id},
                )  # fmt: skip
            if told > told_before:
                relay_soon()
        if len(rows) < batch:
            break
    if told:
        logger.info("supervision scan at %s: %s cards past their date", now.isoformat(), told)
    return told


# --- reads ------------------------------------------------------------------------------
def _strongest_first() -> Case:
    return Case(
        When(card=SupervisionCard.RED, then=Value(0)), default=Value(1), output_field=IntegerField()
    )


def open_supervisions(*, event: Event) -> list[Supervision]:
    """The case's open cards, red ones first, for its page and the API. A case no longer
    open has none (its cards ended with it, ``case_ended``): no query."""
    if not event.is_open:
        return []
    return list(open_supervisions_queryset().filter(event=event))


def open_supervisions_queryset() -> QuerySet[Supervision]:
    return (
        Supervision.objects.filter(ended_at__isnull=True)
        .select_related("created_by")
        .order_by(_strongest_first(), "-created_at", "-id")
    )


def strongest_open_card(event_ref) -> dict:
    """Annotations for a list's rows (no query per row): the strongest open card of each
    case (``supervision_card``: red, yellow or None) and its date (``supervision_due``).
    ``event_ref`` is an ``OuterRef`` to the row's case."""
    cards = Supervision.objects.filter(event=event_ref, ended_at__isnull=True).order_by(
        _strongest_first(), "due", "-created_at"
    )
    return {
        "supervision_card": Subquery(cards.values("card")[:1]),
        "supervision_due": Subquery(cards.values("due")[:1]),
    }
