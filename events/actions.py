"""The one registry of what people do to a case and to a department's part (issue 16).

For each action: the service that does it, the page's form and the API's serializer that check
its input, the words of its button and of its note. Who may is the declaration's
(``TRANSITIONS`` / ``PART_TRANSITIONS``, asked through ``events.workflow``). The case page, the
dispatch desk, the department inbox, the API and the tests all read it, so a new action is
one entry here and one row of the declaration.

A ``perform`` takes the validated input of either the form or the serializer (both give the
same keys) and the status the user saw (``expected_status``: whoever acts second on a moved
case is told so).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, NamedTuple

from django import forms
from django.core.exceptions import ValidationError
from django.utils.functional import Promise
from django.utils.translation import gettext
from django.utils.translation import gettext_lazy as _
from rest_framework import serializers as drf

from events import legal, selectors, services
from events import serializers as s
from events.forms import (
    CallbackRatingForm,
    DispatchForm,
    FeedbackForm,
    InvalidateForm,
    LegalCallForm,
    MergeForm,
    NoteForm,
    ResolveForm,
    ReturnForm,
    WhistleForm,
)
from events.models import TRANSITIONS, Action, Assignment, Event, PartMove, Transition
from events.workflow import allowed_actions, part_moves

# How a page offers an action (issue 18): the workflow's next step is the one big button; an
# alternative (whistling up instead of handling) sits beside it; a destructive one (invalidate,
# merge, rework, a desk's or a department's return) is secondary, behind a confirm step, and
# asks its reason (each service refuses it without one; a merge's reason is the case it repeats).
STEP, ALTERNATIVE, DESTRUCTIVE = "step", "alternative", "destructive"


@dataclass(frozen=True)
class CaseAction:
    action: Action
    perform: Callable[..., Any]
    form: type[forms.Form]
    serializer: type[drf.Serializer]
    button: Promise
    # The label of the note the form asks for; None: an optional note.
    note_label: Promise | None = None
    # Dispatching has its own screen (the desk chooses departments), not a form on the case page.
    on_case_page: bool = True
    weight: str = STEP
    # An action with no row in the declaration (it moves no status, like a comment): who
    # may, asked of the user's scope and the case. None: the declaration says.
    may: Callable[[Any, Event], bool] | None = None

    @property
    def transition(self) -> Transition:
        """Who may, from which statuses, to which: the declaration's row."""
        return TRANSITIONS[self.action]


def _merge(*, actor, event: Event, data: dict, expected_status: str | None) -> Event:
    # The case it repeats is looked for among those the user sees, like any case they open.
    into = selectors.event_queryset(user=actor).filter(number=data["into"].strip()).first()
    if into is None:
        raise ValidationError({"into": [gettext("No such case.")]})
    return services.event_merge(
        actor=actor, event_id=event.pk, into=into, expected_status=expected_status
    )


CASE_ACTIONS: dict[Action, CaseAction] = {
    a.action: a
    for a in [
        CaseAction(
            Action.ACCEPT,
            lambda *, actor, event, data, expected_status: services.event_accept(
                actor=actor, event_id=event.pk, expected_status=expected_status
            ),
            NoteForm, s.NoteSerializer, _("Accept"),
        ),
        CaseAction(
            Action.RESOLVE,
            lambda *, actor, event, data, expected_status: services.event_resolve(
                actor=actor, event_id=event.pk, note=data["note"],
                photos=data.get("photos") or [], expected_status=expected_status,
            ),
            ResolveForm, s.ResolveSerializer, _("Mark resolved"), _("What was done"),
        ),
        CaseAction(
            Action.WHISTLE,
            lambda *, actor, event, data, expected_status: services.event_whistle(
                actor=actor, event_id=event.pk, reason=data["reason"],
                note=data.get("note", ""), expected_status=expected_status,
            ),
            WhistleForm, s.WhistleSerializer, _("Whistle to the street"), weight=ALTERNATIVE,
        ),
        CaseAction(
            Action.WHISTLE_DISTRICT,
            lambda *, actor, event, data, expected_status: services.event_whistle_to_district(
                actor=actor, event_id=event.pk, note=data["note"],
                expected_status=expected_status,
            ),
            NoteForm, s.RequiredNoteSerializer, _("Whistle to the district"),
            _("Why the street cannot dispatch it itself"), weight=ALTERNATIVE,
        ),
        CaseAction(
            Action.SEND_BACK,
            lambda *, actor, event, data, expected_status: services.event_send_back(
                actor=actor, event_id=event.pk, note=data["note"],
                expected_status=expected_status,
            ),
            NoteForm, s.RequiredNoteSerializer, _("Send back to the street"),
            _("Why the street can dispatch it itself"), weight=DESTRUCTIVE,
        ),
        CaseAction(
            Action.DISPATCH,
            lambda *, actor, event, data, expected_status: services.event_dispatch(
                actor=actor, event_id=event.pk, lead=data["lead"],
                cooperating=list(data.get("cooperating") or []), note=data.get("note", ""),
                expected_status=expected_status,
            ),
            DispatchForm, s.DispatchSerializer, _("Dispatch to departments"), on_case_page=False,
        ),
        CaseAction(
            Action.VERIFY,
            lambda *, actor, event, data, expected_status: services.event_verify(
                actor=actor, event_id=event.pk, note=data.get("note", ""),
                expected_status=expected_status,
            ),
            NoteForm, s.NoteSerializer, _("Verified: close the case"),
        ),
        CaseAction(
            Action.REWORK,
            lambda *, actor, event, data, expected_status: services.event_rework(
                actor=actor, event_id=event.pk, note=data["note"],
                expected_status=expected_status,
            ),
            NoteForm, s.RequiredNoteSerializer, _("Send back for rework"),
            _("Why it is not done"), weight=DESTRUCTIVE,
        ),
        CaseAction(
            # Staff outside the case's team record the resident's answer to a callback (回访)
            # and who called; a closing is rated once, so a stale page meets "already rated".
            Action.RATE,
            lambda *, actor, event, data, expected_status: services.event_rate(
                actor=actor, event_id=event.pk, satisfaction=data["satisfaction"],
                resolved=data["resolved"], comment=data.get("comment", ""),
                source=data.get("source") or None,
            ),
            CallbackRatingForm, s.RateSerializer, _("Record the rating"),
        ),
        CaseAction(
            Action.INVALIDATE,
            lambda *, actor, event, data, expected_status: services.event_invalidate(
                actor=actor, event_id=event.pk, reason=data["reason"],
                expected_status=expected_status,
            ),
            InvalidateForm, s.InvalidateSerializer, _("Mark invalid"), _("Reason"),
            weight=DESTRUCTIVE,
        ),
        CaseAction(
            Action.MERGE, _merge, MergeForm, s.MergeSerializer, _("Merge as a duplicate"),
            weight=DESTRUCTIVE,
        ),
        CaseAction(
            # 三官一律进网格 (seeds 002, 004): the block calls its legal team onto a case.
            Action.CALL_LEGAL,
            lambda *, actor, event, data, expected_status: legal.event_call_legal(
                actor=actor, event_id=event.pk, note=data["note"], kind=data.get("kind", ""),
            ),
            LegalCallForm, s.LegalCallSerializer, _("Call the legal team"),
            _("What the legal team is needed for"), weight=ALTERNATIVE,
            may=legal.may_call_legal,
        ),
    ]
}  # fmt: skip


@dataclass(frozen=True)
class PartAction:
    move: PartMove
    perform: Callable[..., Any]
    form: type[forms.Form]
    serializer: type[drf.Serializer] | None
    button: Promise
    weight: str = STEP


PART_ACTIONS: dict[PartMove, PartAction] = {
    a.move: a
    for a in [
        PartAction(
            PartMove.REPORT_IN,
            lambda *, actor, part, data: services.assignment_report_in(
                actor=actor, assignment_id=part.pk
            ),
            forms.Form, None, _("Report in"),
        ),
        PartAction(
            PartMove.FEEDBACK,
            lambda *, actor, part, data: services.assignment_feedback(
                actor=actor, assignment_id=part.pk, note=data["note"],
                photos=data.get("photos") or [],
            ),
            FeedbackForm, s.FeedbackSerializer, _("Send feedback"),
        ),
        PartAction(
            PartMove.RETURN,
            lambda *, actor, part, data: services.assignment_return(
                actor=actor, assignment_id=part.pk, reason=data["reason"], note=data["note"]
            ),
            ReturnForm, s.ReturnSerializer, _("Return to the street"), weight=DESTRUCTIVE,
        ),
    ]
}  # fmt: skip


class Offer(NamedTuple):
    """One button a page offers: a case's action, or a move of one department's part."""

    action: str
    spec: CaseAction | PartAction
    part: Assignment | None = None

    @property
    def weight(self) -> str:
        return self.spec.weight


def case_offers(scope, event: Event) -> list[Offer]:
    """What the case page offers this user, the next step first: the case's actions the
    declaration allows them (``allowed_actions``), and the moves of their departments' parts
    (a department reports in, gives feedback and returns its part, not the whole case).
    ``event`` carries its parts (``events.selectors.event_with_details``)."""
    offers = [
        Offer(a.value, CASE_ACTIONS[a]) for a in allowed_actions(scope, event) if a in CASE_ACTIONS
    ] + [Offer(a.action.value, a) for a in CASE_ACTIONS.values() if a.may and a.may(scope, event)]
    if scope.department_ids:
        offers += [
            Offer(move.value, PART_ACTIONS[move], part)
            for part in event.assignments.all()
            for move in part_moves(scope, part)
        ]
    rank = {STEP: 0, ALTERNATIVE: 1, DESTRUCTIVE: 2}
    return sorted(offers, key=lambda offer: rank[offer.weight])


def form_errors(form: forms.Form) -> str:
    """A form's errors as one message for the page."""
    return " ".join(e for errors in form.errors.values() for e in errors)
