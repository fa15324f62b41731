"""The street's dispatch console (派单台) and the departments' inbox (部门待办)."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Exists, OuterRef, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_POST

from blocks.access import scope_for
from events import selectors, services
from events.actions import CASE_ACTIONS, PART_ACTIONS, form_errors
from events.forms import DispatchForm, EvaluationForm, FeedbackForm, NoteForm, ReturnForm
from events.models import (
    OPEN_STATUSES,
    TRANSITIONS,
    Action,
    Assignment,
    Event,
    HandlerLevel,
    Status,
)
from events.responsibility import PART_STATE_LABELS, part_rows
from events.workflow import actor_may, allowed_actions, part_moves
from governance.errors import page_act

CONSOLE_TABS = {
    "to_dispatch": gettext_lazy("To dispatch"),
    "returned": gettext_lazy("Returned"),
    "overdue": gettext_lazy("Overdue"),
    "in_progress": gettext_lazy("At departments"),
    "to_verify": gettext_lazy("To verify"),
    "with_district": gettext_lazy("At the district"),
}


@login_required
def console(request: HttpRequest) -> HttpResponse:
    """The desk's queues: a street's desk (派单台), or the district's command centre, which
    takes what streets whistled up to it (街呼区应) and dispatches it the same way."""
    scope = scope_for(request.user)
    street_desk, district_desk = scope.street_desk_codes(), scope.district_desk_codes()
    if not street_desk and not district_desk:
        raise Http404
    # The statuses of the cases this desk dispatches.
    holding = [Status.ESCALATED] * bool(street_desk) + [Status.DISTRICT_ESCALATED] * bool(
        district_desk
    )
    now = timezone.now()
    queue = selectors.dispatch_queue(user=request.user)
    # A department sent it back: a subquery, not a join on the parts, so that neither the
    # rows nor the counts need DISTINCT (which sorted every wide row: issue 21).
    returned = Exists(
        Assignment.objects.filter(event=OuterRef("pk"), state=Assignment.State.RETURNED)
    )
    filters = {
        "to_dispatch": Q(status__in=holding),
        "returned": Q(returned, status__in=holding),
        "overdue": Q(status__in=[*holding, Status.DISPATCHED, Status.IN_PROGRESS], due_at__lte=now),
        "in_progress": Q(status__in=[Status.DISPATCHED, Status.IN_PROGRESS]),
    }
    statuses = set(holding) | {Status.DISPATCHED, Status.IN_PROGRESS}
    if street_desk:
        # The street verifies what departments did, whoever dispatched it.
        filters["to_verify"] = Q(
            status=Status.AWAITING_VERIFICATION, handler_level=HandlerLevel.DEPARTMENT
        )
        filters["with_district"] = Q(status=Status.DISTRICT_ESCALATED)
        statuses |= {Status.AWAITING_VERIFICATION, Status.DISTRICT_ESCALATED}
    tab = request.GET.get("tab", "to_dispatch")
    if tab not in filters:
        tab = "to_dispatch"
    rows = list(queue.filter(filters[tab]).order_by("due_at", "created_at")[:200])
    for row in rows:  # each department with its state and lateness, and who lags
        row.part_rows = part_rows(row, now)
    # Every tab's count in one query, over the bare cases; only "overdue" needs each case's
    # next clock. Every tab names its statuses, so only cases in one of them are counted:
    # the street's closed cases (nearly all of a year's) are never read (index
    # event_area_status_idx).
    desk = Event.objects.filter(selectors.dispatch_desk_q(user=request.user), status__in=statuses)
    counts = desk.aggregate(
        **{name: Count("pk", filter=q) for name, q in filters.items() if name != "overdue"}
    )
    counts["overdue"] = queue.filter(filters["overdue"]).values("pk").count()
    return render(
        request,
        "events/console.html",
        {
            "tab": tab,
            "tabs": {name: CONSOLE_TABS[name] for name in filters},
            "rows": rows,
            "counts": counts,
            "now": now,
            "holding": holding,
            "district_desk": bool(district_desk) and not street_desk,
        },
    )


@login_required
def dispatch(request: HttpRequest, number: str) -> HttpResponse:
    """One screen: the case, the duty list's suggestion, the departments to choose."""
    try:
        event = selectors.event_get(user=request.user, number=number)
    except Event.DoesNotExist:
        raise Http404 from None
    # The screen is the street's (or a community's, where the district lets blocks dispatch):
    # others who see the case (its governor, a leader, a department) may not dispatch it.
    if not actor_may(scope_for(request.user), TRANSITIONS[Action.DISPATCH], event):
        raise PermissionDenied(_("Only the street's desk dispatches this case."))
    departments = selectors.district_departments(event=event)
    suggestion = selectors.duty_suggestion(event=event)
    if request.method == "POST":
        form = DispatchForm(request.POST, departments=departments)
        if form.is_valid():
            data = form.cleaned_data
            done = page_act(
                request,
                lambda: CASE_ACTIONS[Action.DISPATCH].perform(
                    actor=request.user, event=event, data=data,
                    expected_status=data["expected_status"] or None,
                ),
                success=_("Dispatched %(number)s.") % {"number": number},
            )  # fmt: skip
            if done.ok:
                desk = scope_for(request.user)
                if desk.can_act_in_street(event.area_code) or desk.can_act_in_district(
                    event.area_code
                ):
                    return redirect("events:console")
                return redirect("events:detail", number=number)  # a block's direct call
    else:
        form = DispatchForm(
            departments=departments,
            initial={
                "lead": suggestion["lead"],
                "cooperating": suggestion["cooperating"],
                "expected_status": event.status,
            },
        )
    returns = event.assignments.filter(state=Assignment.State.RETURNED).select_related("department")
    scope = scope_for(request.user)
    return render(
        request,
        "events/dispatch.html",
        {
            "event": event, "form": form, "suggestion": suggestion, "returns": returns,
            "desk_moves": _desk_moves(allowed_actions(scope, event)),
            "move_form": NoteForm(initial={"expected_status": event.status}),
        },
    )  # fmt: skip


# Instead of dispatching, the desk holding a case may pass it on, with its reason: the
# street's up to the district (街呼区应), the district's back to the street (区退街).
DESK_MOVES = {
    Action.WHISTLE_DISTRICT: (
        "whistle-to-district",
        gettext_lazy("Cannot dispatch it here?"),
        gettext_lazy(
            "街呼区应: pass it to the district's command centre, which dispatches it to "
            "departments. Say why the street cannot."
        ),
    ),
    Action.SEND_BACK: (
        "send-back",
        gettext_lazy("The street can dispatch it itself?"),
        gettext_lazy(
            "Send it back to the street's desk with your reason; the street's two hours to "
            "dispatch start again."
        ),
    ),
}


def _desk_moves(allowed: list[Action]) -> list[dict]:
    return [
        {"id": anchor, "action": action.value, "heading": heading, "explanation": explanation,
         "label": CASE_ACTIONS[action].note_label, "button": CASE_ACTIONS[action].button}
        for action, (anchor, heading, explanation) in DESK_MOVES.items()
        if action in allowed
    ]  # fmt: skip


@login_required
@require_POST
def bulk_dispatch(request: HttpRequest) -> HttpResponse:
    """Dispatch each ticked case to what the duty list suggests for it."""
    done = skipped = 0
    for number in request.POST.getlist("numbers")[:100]:
        try:
            event = selectors.event_get(user=request.user, number=number)
        except Event.DoesNotExist:
            continue
        suggestion = selectors.duty_suggestion(event=event)
        if suggestion["lead"] is None:
            skipped += 1
            continue
        outcome = page_act(
            request,
            lambda e=event, s=suggestion: CASE_ACTIONS[Action.DISPATCH].perform(
                actor=request.user, event=e, data=s, expected_status=e.status
            ),
        )
        done += outcome.ok
    messages.success(
        request,
        _("Dispatched %(done)s cases; %(skipped)s have no duty-list entry and need a choice.")
        % {"done": done, "skipped": skipped},
    )
    return redirect("events:console")


@login_required
def inbox(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    if not scope.department_ids:
        raise Http404
    parts = selectors.department_parts(user=request.user)
    # 已反馈 is "our feedback is in" while the case is still open; 已结案 is the case closed
    # (or otherwise ended) with the department's part in it (issue 18).
    open_case = Q(event__status__in=OPEN_STATUSES)
    state = Assignment.State
    tabs = {
        "to_report_in": (_("To report in"), open_case & Q(state=state.DISPATCHED)),
        "in_hand": (_("In hand"), open_case & Q(state=state.REPORTED_IN)),
        "feedback_given": (_("Feedback given"), open_case & Q(state=state.DONE)),
        "closed": (_("Case closed"), ~open_case & Q(state=state.DONE)),
        "returned": (_("Returned"), Q(state=state.RETURNED)),
    }
    tab = request.GET.get("tab", "to_report_in")
    if tab not in tabs:
        tab = "to_report_in"
    order = ("-event__closed_at",) if tab == "closed" else ("due_at", "dispatched_at")
    rows = list(parts.filter(tabs[tab][1]).order_by(*order)[:200])
    for row in rows:  # the buttons its declaration allows on each part
        row.actions = [PART_ACTIONS[move] for move in part_moves(scope, row)]
        row.state_label = PART_STATE_LABELS[row.state]
    counts = parts.order_by().aggregate(
        **{name: Count("pk", filter=where) for name, (_l, where) in tabs.items()}
    )
    return_form = ReturnForm()
    return render(
        request,
        "events/inbox.html",
        {
            "tab": tab,
            "tabs": {name: label for name, (label, _s) in tabs.items()},
            "rows": rows,
            "counts": counts,
            "now": timezone.now(),
            "feedback_form": FeedbackForm(),
            "return_form": return_form,
            # The same <select> on every row: rendered once, not once per row (issue 21).
            "return_reason": return_form["reason"].as_widget(),
        },
    )


@login_required
@require_POST
def part_action(request: HttpRequest, part_id: int, action: str) -> HttpResponse:
    """报到 / 反馈 / 退单 on one department's part."""
    try:
        part = selectors.department_parts(user=request.user).get(pk=part_id)
    except Assignment.DoesNotExist:
        raise Http404 from None
    spec = PART_ACTIONS.get(action)
    if spec is None:
        raise Http404
    form = spec.form(request.POST, request.FILES)
    if form.is_valid():
        page_act(
            request,
            lambda: spec.perform(actor=request.user, part=part, data=form.cleaned_data),
            success=_("Done."),
        )
    else:
        messages.error(request, form_errors(form))
    # Back to where the officer was (the case page, the inbox), never to another site.
    target = request.POST.get("next", "")
    if not url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        target = "events:inbox"
    return redirect(target)


@login_required
@require_POST
def evaluate(request: HttpRequest, part_id: int) -> HttpResponse:
    """一事一考: the street scores one department on one closed case."""
    try:
        part = Assignment.objects.select_related("event").get(pk=part_id)
        selectors.event_get(user=request.user, number=part.event.number)
    except (Assignment.DoesNotExist, Event.DoesNotExist):
        raise Http404 from None
    form = EvaluationForm(request.POST)
    if form.is_valid():
        page_act(
            request,
            lambda: services.case_evaluate(
                actor=request.user, assignment_id=part.pk, **form.cleaned_data
            ),
            success=_("Score saved."),
        )
    else:
        messages.error(request, form_errors(form))
    return redirect("events:detail", number=part.event.number)
