"""Staff pages: the governor's workbench, case lists, the case page and its actions."""

from __future__ import annotations

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from blocks.access import scope_for
from blocks.models import Area
from events import exports, hotline, selectors, services
from events.filters import EventFilter
from events.forms import (
    EvaluationForm,
    EventLogForm,
    MergeForm,
    NoteForm,
    RatingForm,
    ResolveForm,
    WhistleForm,
)
from events.models import Action, DeadlineChange, Event, Status
from events.workflow import allowed_actions
from governance.audit import audit
from governance.errors import DomainError
from governance.models import AuditEntry
from governance.spreadsheets import download

ACTION_FORMS = {
    Action.RESOLVE: ResolveForm,
    Action.MERGE: MergeForm,
    Action.RATE: RatingForm,
    Action.WHISTLE: WhistleForm,
}
# What the button of each action says (the Action labels are past tense, for the timeline).
ACTION_BUTTONS = {
    Action.ACCEPT: gettext_lazy("Accept"),
    Action.RESOLVE: gettext_lazy("Mark resolved"),
    Action.VERIFY: gettext_lazy("Verified: close the case"),
    Action.REWORK: gettext_lazy("Send back for rework"),
    Action.RATE: gettext_lazy("Record the rating"),
    Action.INVALIDATE: gettext_lazy("Mark invalid"),
    Action.MERGE: gettext_lazy("Merge as a duplicate"),
    Action.WHISTLE: gettext_lazy("Whistle to the street"),
    Action.WHISTLE_DISTRICT: gettext_lazy("Whistle to the district"),
    Action.SEND_BACK: gettext_lazy("Send back to the street"),
    Action.DISPATCH: gettext_lazy("Dispatch to departments"),
}
# Actions whose note is a required reason, with the label the form shows.
ACTION_NOTE_LABELS = {
    Action.RESOLVE: gettext_lazy("What was done"),
    Action.REWORK: gettext_lazy("Why it is not done"),
    Action.INVALIDATE: gettext_lazy("Reason"),
    Action.WHISTLE_DISTRICT: gettext_lazy("Why the street cannot dispatch it itself"),
    Action.SEND_BACK: gettext_lazy("Why the street can dispatch it itself"),
}


PREFILL_FIELDS = (
    "block",
    "category",
    "description",
    "building",
    "address",
    "reporter_name",
    "reporter_phone",
)


def _loggable_blocks(user):
    scope = scope_for(user)
    return Area.objects.filter(
        scope.area_q("code", roles=selectors.BLOCK_ROLES | {"supervisor"}),
        level=Area.Level.BLOCK,
        closed_on__isnull=True,
    ).order_by("code")


def _errors_of(error: ValidationError) -> list[str]:
    return [str(m) for m in error.messages]


# The workbench shows the most urgent open cases (a phone shows a few screens of them, and
# the queue is rendered again every 30 s); the case list has them all.
WORKBENCH_ROWS = 50


def _queue_context(request: HttpRequest) -> dict:
    queue = selectors.workbench_queue(user=request.user)
    rows = list(queue[:WORKBENCH_ROWS])
    total = len(rows) if len(rows) < WORKBENCH_ROWS else queue.count()
    return {"queue": rows, "queue_total": total, "now": timezone.now()}


@login_required
def workbench(request: HttpRequest, form: EventLogForm | None = None, status: int = 200):
    blocks = _loggable_blocks(request.user)
    if form is None:
        # Other pages link here with the facts already known (a cadre's visit finding, a
        # household leader's report): the form starts filled in (一表通: type each fact once).
        prefill = {k: request.GET[k] for k in PREFILL_FIELDS if request.GET.get(k)}
        form = EventLogForm(blocks=blocks, initial=prefill)
    return render(
        request,
        "events/workbench.html",
        {
            "form": form,
            "blocks": list(blocks[:200]),
            **_queue_context(request),
        },
        status=status,
    )


@login_required
@require_GET
def workbench_queue(request: HttpRequest) -> HttpResponse:
    """htmx: the queue refreshes every 30 s, so new cases and yellow/red cards show up
    without a reload (DESIGN §4: visible within 30 s)."""
    return render(request, "events/_queue.html", _queue_context(request))


@login_required
@require_POST
def event_log(request: HttpRequest) -> HttpResponse:
    blocks = _loggable_blocks(request.user)
    form = EventLogForm(
        request.POST, request.FILES, blocks=Area.objects.filter(pk__in=[b.pk for b in blocks])
    )
    if not form.is_valid():
        return workbench(request, form=form, status=400)
    data = form.cleaned_data
    try:
        event = services.event_log(
            actor=request.user,
            block=data["block"],
            category=data["category"],
            priority=data["priority"] or None,
            description=data["description"],
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
            building=data["building"],
            address=data["address"],
            photos=data["photos"],
        )
    except ValidationError as error:
        for message in _errors_of(error):
            form.add_error(None, message)
        return workbench(request, form=form, status=400)
    messages.success(request, _("Logged as %(number)s.") % {"number": event.number})
    return redirect("events:detail", number=event.number)


@login_required
@require_GET
def similar(request: HttpRequest) -> HttpResponse:
    """htmx: "maybe the same matter" while the governor types (重复诉求)."""
    try:
        block_id = int(request.GET.get("block") or 0)
        category_id = int(request.GET.get("category") or 0) or None
    except ValueError:
        block_id, category_id = 0, None
    matches = []
    if block_id:
        matches = selectors.similar_open_events(
            user=request.user,
            block_id=block_id,
            category_id=category_id,
            text=request.GET.get("description", ""),
        )
    return render(request, "events/_similar.html", {"matches": matches})


@login_required
def event_list(request: HttpRequest) -> HttpResponse:
    filterset = EventFilter(request.GET, queryset=selectors.event_list_queryset(user=request.user))
    page = Paginator(filterset.qs.order_by("-created_at"), 50).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "events/event_list.html",
        {"filter": filterset, "page": page, "query": query.urlencode(), "now": timezone.now()},
    )


@login_required
@require_GET  # a download; other methods (PUT, DELETE…) must not export and log
def event_export(request: HttpRequest) -> HttpResponse:
    """XLSX of the filtered list. Phones are masked unless the user holds the permission to
    export them whole; every export is audited and rate-limited."""
    unmasked = request.GET.get("unmasked") == "1"
    if unmasked and not request.user.has_perm("events.export_unmasked"):
        raise PermissionDenied(_("You may not export residents' numbers unmasked."))
    if not exports.export_allowed(user=request.user):
        return HttpResponse(_("Too many exports; try again in an hour."), status=429)
    filterset = EventFilter(request.GET, queryset=selectors.event_queryset(user=request.user))
    events = filterset.qs.order_by("-created_at")
    audit(
        action=AuditEntry.Action.EXPORT, actor=request.user, request=request,
        object_type="event_list", reason=request.GET.urlencode()[:300],
        detail={"unmasked": unmasked},
    )  # fmt: skip
    return exports.events_xlsx_response(events=events, unmasked=unmasked)


def _event_or_404(request, number: str) -> Event:
    try:
        return selectors.event_get(user=request.user, number=number)
    except Event.DoesNotExist:
        raise Http404 from None


@login_required
def event_detail(request: HttpRequest, number: str) -> HttpResponse:
    event = selectors.event_with_details(event=_event_or_404(request, number))
    scope = scope_for(request.user)
    actions = [a for a in allowed_actions(scope, event) if a in services.ACTION_SERVICES]
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "timeline": selectors.event_timeline(event=event),
            "actions": [
                {
                    "action": action,
                    "form": ACTION_FORMS.get(action, NoteForm)(
                        initial={"expected_status": event.status}
                    ),
                    "note_label": ACTION_NOTE_LABELS.get(action, _("Note (optional)")),
                    "button": ACTION_BUTTONS[action],
                }
                for action in actions
            ],
            "reporter_phone": selectors.reporter_phone_for(scope, event),
            "handles": selectors.viewer_handles(scope, event),
            "can_evaluate": event.status == Status.CLOSED
            and scope.can_act_in_street(event.area_code),
            "evaluation_form": EvaluationForm(),
            "deadline_changes": selectors.pending_deadline_changes(event=event),
            "can_decide_changes": scope.can_act_in_street(event.area_code)
            or bool(event.whistled_to_district_at and scope.can_act_in_district(event.area_code)),
            "can_change_clocks": not scope.is_read_only and bool(allowed_actions(scope, event)),
            "now": timezone.now(),
        },
    )


@login_required
@require_POST
def event_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    event = _event_or_404(request, number)
    if action not in services.ACTION_SERVICES or action == Action.DISPATCH:
        raise Http404  # dispatching has its own screen on the street's console
    action = Action(action)
    form = ACTION_FORMS.get(action, NoteForm)(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))
        return redirect("events:detail", number=number)
    data = form.cleaned_data
    expected = data.get("expected_status") or None
    common = {"actor": request.user, "event_id": event.pk, "expected_status": expected}
    try:
        match action:
            case Action.ACCEPT:
                services.event_accept(**common)
            case Action.RESOLVE:
                services.event_resolve(**common, note=data["note"], photos=data["photos"])
            case Action.VERIFY:
                services.event_verify(**common, note=data["note"])
            case Action.REWORK:
                services.event_rework(**common, note=data["note"])
            case Action.INVALIDATE:
                services.event_invalidate(**common, reason=data["note"])
            case Action.MERGE:
                into = _event_or_404(request, data["into"].strip())
                services.event_merge(**common, into=into)
            case Action.WHISTLE:
                services.event_whistle(**common, reason=data["reason"], note=data["note"])
            case Action.WHISTLE_DISTRICT:
                services.event_whistle_to_district(**common, note=data["note"])
            case Action.SEND_BACK:
                services.event_send_back(**common, note=data["note"])
            case Action.RATE:
                # Staff record the answer of a phone callback (回访) for the resident.
                services.event_rate(
                    actor=request.user, event_id=event.pk, satisfaction=data["satisfaction"],
                    resolved=data["resolved"], comment=data["comment"],
                )  # fmt: skip
    except DomainError as error:
        messages.error(request, str(error.message))
    except ValidationError as error:
        messages.error(request, " ".join(_errors_of(error)))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not do this on this case."))
    except Event.DoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, _("Done: %(action)s.") % {"action": action.label})
    return redirect("events:detail", number=number)


@login_required
def deadline_board(request: HttpRequest) -> HttpResponse:
    """What breaches in the next hour and what is overdue, by whom (street and district)."""
    return render(
        request, "events/deadline_board.html", selectors.deadline_board(user=request.user)
    )


@login_required
@require_POST
def deadline_change(request: HttpRequest, number: str, clock_id: int, what: str) -> HttpResponse:
    """Ask for an extension or suspension of a clock, or resume a suspended one."""
    event = _event_or_404(request, number)
    clock = event.deadlines.filter(pk=clock_id).first()
    if clock is None:
        raise Http404
    try:
        if what == "resume":
            services.deadline_resume(actor=request.user, deadline_id=clock.pk)
        elif what in ("extend", "suspend"):
            services.deadline_change_request(
                actor=request.user, deadline_id=clock.pk, kind=what,
                reason=request.POST.get("reason", ""),
                extra_working_days=int(request.POST.get("days") or 0),
            )  # fmt: skip
        else:
            raise Http404
    except (DomainError, ValidationError, PermissionDenied, ValueError) as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(request, _("Done."))
    return redirect("events:detail", number=number)


@login_required
@require_POST
def deadline_decide(request: HttpRequest, number: str, change_id: int) -> HttpResponse:
    event = _event_or_404(request, number)
    change = selectors.pending_deadline_changes(event=event)
    change = next((c for c in change if c.pk == change_id), None)
    if change is None:
        raise Http404
    try:
        services.deadline_change_decide(
            actor=request.user, change_id=change.pk, approve=request.POST.get("approve") == "1"
        )
    except DeadlineChange.DoesNotExist:
        # The case is in sight (a department it went to) but its area is not: the service
        # does not find the change for this user; that is a 404, not a server error.
        raise Http404 from None
    except (DomainError, ValidationError, PermissionDenied) as error:
        messages.error(request, _message_of(error))
    else:
        messages.success(request, _("Done."))
    return redirect("events:detail", number=number)


def _message_of(error: Exception) -> str:
    if isinstance(error, DomainError):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(_errors_of(error))
    if isinstance(error, ValueError):
        return _("Enter a whole number of working days.")
    return str(error) or _("You may not do this on this case.")


@login_required
@require_POST
def reveal_phone(request: HttpRequest, number: str) -> HttpResponse:
    """Show the resident's phone to the current handler, with a reason; every reveal is on
    the audit log (DESIGN §6)."""
    event = _event_or_404(request, number)
    scope = scope_for(request.user)
    reason = request.POST.get("reason", "").strip()
    if not selectors.viewer_handles(scope, event):
        raise PermissionDenied(_("Only the current handler may see the resident's number."))
    if not reason:
        return HttpResponse(_("Give the reason."), status=400)
    audit(
        action=AuditEntry.Action.REVEAL, actor=request.user, request=request,
        object_type="event", object_id=event.number, reason=reason,
        detail={"field": "reporter_phone"},
    )  # fmt: skip
    return render(request, "events/_phone.html", {"phone": event.reporter_phone})


@login_required
def hotline_import(request: HttpRequest) -> HttpResponse:
    """Street staff upload a batch of 12345 transfers (XLSX/CSV) and get a row-by-row report."""
    scope = scope_for(request.user)
    if not scope.codes_for({"dispatcher", "street_admin", "governor", "assistant"}):
        raise Http404
    report = None
    if request.method == "POST":
        upload = request.FILES.get("file")
        try:
            if upload is None:
                raise ValidationError(_("Choose a file."))
            report = hotline.hotline_import_file(actor=request.user, upload=upload)
        except ValidationError as error:
            messages.error(request, " ".join(_errors_of(error)))
        else:
            cache.set(f"hotline-report:{request.user.pk}", report, timeout=3600)
    return render(
        request, "events/hotline.html", {"report": report, "columns": hotline.COLUMNS.values()}
    )


@login_required
def hotline_report(request: HttpRequest) -> HttpResponse:
    report = cache.get(f"hotline-report:{request.user.pk}")
    if report is None:
        raise Http404
    return download(hotline.report_workbook(report), "hotline-import-report.xlsx")
