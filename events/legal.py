"""Calling the block's legal team onto a case (三官一律进网格, issue 20; seeds 002, 004).

A police officer, a prosecutor, a judge and a lawyer are attached to blocks (postings of role
``legal``). They read their blocks' cases and act on none; the block's staff (its governor
and assistants) call them — all of them or one kind — onto an open case with a note. Like a
comment it moves no status: a timeline entry (``Action.CALL_LEGAL``), the members told, and
the call counted (``legal_calls``).
"""

from __future__ import annotations

from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks.access import BLOCK_ACTING_ROLES, Scope, scope_for
from blocks.models import Area, Posting
from events.models import Action, Event, TimelineEntry
from events.services import _record
from governance.notifications import notify
from governance.tasks import relay_soon

BLOCK_LEN = Area.CODE_LENGTH[Area.Level.BLOCK]
LegalKind = Posting.LegalKind


def legal_team(block_code: str, kind: str = "") -> QuerySet[Posting]:
    """The legal team posted at a block now, or its members of one kind."""
    postings = Posting.objects.filter(
        area__code=block_code[:BLOCK_LEN], role=Posting.Role.LEGAL, ended_on__isnull=True
    ).select_related("user")
    return postings.filter(legal_kind=kind) if kind else postings


def may_call_legal(scope: Scope, event: Event) -> bool:
    """Whether the case page and the API offer the call: the block's staff, on an open case."""
    return event.is_open and scope.covers(event.area_code, BLOCK_ACTING_ROLES)


def event_call_legal(
    *, actor, event_id: int, note: str, kind: str = "", now: datetime | None = None
) -> TimelineEntry:
    """Call the legal team of the case's block (or its members of ``kind``) onto the case."""
    now = now or timezone.now()
    note = (note or "").strip()
    if not note:
        raise ValidationError(_("Say what the legal team is needed for."))
    if kind and kind not in LegalKind.values:
        raise ValidationError(_("Choose a police officer, prosecutor, judge or lawyer."))
    with transaction.atomic():
        event = Event.objects.select_for_update().get(pk=event_id)
        scope = scope_for(actor)
        if not scope.covers(event.area_code):
            raise Event.DoesNotExist  # out of scope looks like not there (404)
        if not may_call_legal(scope, event):
            if not event.is_open:
                raise ValidationError(_("Only an open case can call the legal team."))
            raise PermissionDenied(_("Only the block's staff call its legal team onto a case."))
        members = list(legal_team(event.area_code, kind))
        if not members and kind:
            raise ValidationError(
                _("This block has no %(kind)s in its legal team.") % {"kind": LegalKind(kind).label}
            )
        if not members:
            raise ValidationError(_("No legal team is attached to this block."))
        entry = _record(
            event=event, actor=actor, action=Action.CALL_LEGAL, now=now,
            from_status=event.status, note=note,
            data={"kind": kind, "members": [p.user_id for p in members]},
        )  # fmt: skip
        who = LegalKind(kind).label if kind else _("legal team")
        notify(
            recipients={p.user_id for p in members} - {actor.pk},
            kind="legal_call",
            title=_("Case %(number)s calls the %(who)s (三官一律)")
            % {"number": event.number, "who": who},
            body=note,
            link=reverse("events:detail", kwargs={"number": event.number}),
            dedupe_key=f"legal_call:{entry.pk}",
            payload={"event": event.pk, "kind": kind},
            now=now,
        )
        relay_soon()
    return entry


def legal_calls(area_code: str) -> int:
    """How many times the legal team was called onto the cases of an area."""
    return TimelineEntry.objects.filter(
        action=Action.CALL_LEGAL, event__area_code__startswith=area_code
    ).count()
