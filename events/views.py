"""Staff pages: the governor's workbench, case lists, the case page and its actions."""

from __future__ import annotations

import hashlib
from collections import Counter

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.template.loader import render_to_string
from django.urls import reverse
from django.utils import timezone
from django.utils.html import format_html
from django.utils.safestring import mark_safe
from django.utils.translation import get_language
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from blocks.access import scope_for
from blocks.models import Area
from events import exports, hotline, responsibility, selectors, services, supervision
from events.actions import CASE_ACTIONS, DESTRUCTIVE, STEP, Offer, case_offers, form_errors
from events.filters import EventFilter
from events.forms import (
    EvaluationForm,
    EventLogForm,
    SupervisionForm,
)
from events.models import Action, Event, Status
from events.panels import CASE_PAGE_PANELS
from events.serializers import revealed
from events.workflow import allowed_actions
from governance import polls
from governance.audit import audit
from governance.errors import page_act, refusal_message
from governance.models import AuditEntry
from governance.spreadsheets import download

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


# The workbench shows the most urgent open cases (a phone shows a few screens of them, and
# the queue is rendered again every 30 s); the case list has them all.
WORKBENCH_ROWS = 50


# How long a rendered queue is reused while its version holds: only its "… ago" texts age
# (the countdowns tick in the browser, countdown.js; a clock's warning or breach bumps the
# version like any change of the case).
QUEUE_FRAGMENT_SECONDS = 60


def _queue_html(request: HttpRequest) -> str:
    """The governor's queue, rendered. The version is read before the rows (governance/
    polls.py): the queue's next poll, sent with it, is answered 204 without a query until a
    case of the user's blocks changes (or their postings do). Until then the rendered rows
    are also kept, under the blocks' own version: the rows are those of the blocks, the same
    for the governor and every assistant of a team, so the workbench reopened, and the
    team's polls answered after a change, read and render them once (issue 21)."""
    path = reverse("events:workbench_queue")
    codes = scope_for(request.user).codes_for(selectors.BLOCK_ROLES)
    areas = [polls.area_topic(code) for code in codes]
    current = polls.remember(
        request, path=path, topics=[polls.roster_topic(request.user.pk), *areas]
    )
    rows_version = polls.version(areas) if current else None
    if rows_version is None:  # no versions (no Redis): nothing to key a copy by
        rows = _render_queue_rows(request)
    else:
        blocks = hashlib.blake2b(" ".join(sorted(codes)).encode(), digest_size=8).hexdigest()
        key = f"queue-rows:{blocks}:{rows_version}:{get_language()}"
        rows = cache.get(key)
        if rows is None:
            rows = _render_queue_rows(request)
            cache.set(key, rows, QUEUE_FRAGMENT_SECONDS)
    return format_html(
        '<section class="card" id="queue" hx-get="{}" hx-trigger="every {}s" '
        'hx-swap="outerHTML">{}</section>',
        polls.poll_url(path, current), polls.interval(), mark_safe(rows),  # noqa: S308 - ours
    )  # fmt: skip


def _render_queue_rows(request: HttpRequest) -> str:
    queue = selectors.workbench_queue(user=request.user)
    rows = list(queue[:WORKBENCH_ROWS])
    total = len(rows) if len(rows) < WORKBENCH_ROWS else queue.count()
    # 待我处理 / 等待他人: the block's own turn first; the rest waits on the desk, the
    # district or a department, and says on whom (events.responsibility).
    for row in rows:
        row.owner = responsibility.row_party(row)
    mine, others = [], []
    for row in rows:  # one pass: `row not in mine` compared every pair of models
        (mine if row.owner and row.owner.kind == responsibility.BLOCK else others).append(row)
    context = {
        "queue": rows, "queue_mine": mine, "queue_others": others, "queue_total": total,
        "now": timezone.now(),
    }  # fmt: skip
    return render_to_string("events/_queue.html", context)


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
            "queue_html": _queue_html(request),
        },
        status=status,
    )


@login_required
@require_GET
def workbench_queue(request: HttpRequest) -> HttpResponse:
    """htmx: the queue refreshes every 30 s, so new cases and yellow/red cards show up
    without a reload (DESIGN §4: visible within 30 s). An unchanged poll never gets here:
    the session middleware answers it 204 (governance/polls.py)."""
    return HttpResponse(_queue_html(request))


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
            booked_at=data["booked_at"],
        )
    except ValidationError as error:
        for message in error.messages:
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
    # A dashboard's number opened here names its area by name, not by its code.
    area = Area.objects.filter(code=request.GET.get("area", "")).first()
    return render(
        request,
        "events/event_list.html",
        {
            "filter": filterset, "page": page, "query": query.urlencode(), "now": timezone.now(),
            "area": area,
        },
    )  # fmt: skip


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
    try:
        event = selectors.event_with_details(user=request.user, number=number)
    except Event.DoesNotExist:
        raise Http404 from None
    scope = scope_for(request.user)
    now = timezone.now()
    offers = [_offer_item(offer, event) for offer in case_offers(scope, event)]
    # The one big button is the next step of the workflow, never a destructive action.
    primary = offers[0] if offers and offers[0]["weight"] == STEP else None
    return render(
        request,
        "events/event_detail.html",
        {
            "event": event,
            "timeline": selectors.event_timeline(event=event),
            "case_panels": CASE_PAGE_PANELS,
            "primary": primary,
            "secondary": [o for o in offers if o is not primary and o["weight"] != DESTRUCTIVE],
            "destructive": [o for o in offers if o["weight"] == DESTRUCTIVE],
            "waiting": responsibility.waiting_on(event),
            "holder": responsibility.handler_party(event),
            "part_rows": responsibility.part_rows(event, now),
            "reporter_phone": selectors.reporter_phone_for(scope, event),
            "handles": selectors.viewer_handles(scope, event),
            "can_evaluate": event.status == Status.CLOSED
            and scope.can_act_in_street(event.area_code),
            "evaluation_form": EvaluationForm(),
            "deadline_changes": selectors.pending_deadline_changes(event=event),
            "can_decide_changes": scope.can_act_in_street(event.area_code)
            or bool(event.whistled_to_district_at and scope.can_act_in_district(event.area_code)),
            "can_change_clocks": not scope.is_read_only and bool(allowed_actions(scope, event)),
            **_supervision_context(scope, event),
            "now": now,
        },
    )


def _offer_item(offer: Offer, event: Event) -> dict:
    """What the case page needs to show one offer: its form, its words, where it posts."""
    spec, part = offer.spec, offer.part
    if part is not None:
        url = reverse("events:part_action", args=[part.pk, offer.action])
        form = spec.form()
    elif offer.action == Action.DISPATCH:
        url, form = reverse("events:dispatch", args=[event.number]), None  # its own screen
    else:
        url = reverse("events:action", args=[event.number, offer.action])
        form = spec.form(initial={"expected_status": event.status})
    return {
        "action": offer.action,
        "part": part,
        "form": form,
        "url": url,
        "button": spec.button,
        "note_label": getattr(spec, "note_label", None) or _("Note (optional)"),
        "weight": offer.weight,
    }


@login_required
@require_POST
def event_action(request: HttpRequest, number: str, action: str) -> HttpResponse:
    event = _event_or_404(request, number)
    spec = CASE_ACTIONS.get(action)
    if spec is None or not spec.on_case_page:
        raise Http404  # dispatching has its own screen on the street's console
    form = spec.form(request.POST, request.FILES)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("events:detail", number=number)
    data = form.cleaned_data
    page_act(
        request,
        lambda: spec.perform(
            actor=request.user, event=event, data=data,
            expected_status=data.get("expected_status") or None,
        ),
        success=_("Done: %(action)s.") % {"action": spec.action.label},
    )  # fmt: skip
    return redirect("events:detail", number=number)


def _supervision_context(scope, event: Event) -> dict:
    """督办 on the case page: its open cards, and the form for those who may put one."""
    may = event.is_open and scope.can_supervise(event.area_code)
    return {
        "supervisions": supervision.open_supervisions(event=event),
        "supervise_form": SupervisionForm() if may else None,
    }


@login_required
@require_POST
def event_supervise(request: HttpRequest, number: str) -> HttpResponse:
    event = _event_or_404(request, number)
    form = SupervisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, form_errors(form))
        return redirect("events:detail", number=number)
    data = form.cleaned_data
    page_act(
        request,
        lambda: supervision.event_supervise(
            actor=request.user, event_id=event.pk, card=data["card"], note=data["note"],
            due=data["due"],
        ),
        success=_("督办 recorded; the handler has been told."),
    )  # fmt: skip
    return redirect("events:detail", number=number)


@login_required
def deadline_board(request: HttpRequest) -> HttpResponse:
    """What breaches in the next hour and what is overdue, by whom (street and district):
    each clock names who must act (events.responsibility), never the governor who
    whistled a case the street or the district now holds."""
    board = selectors.deadline_board(user=request.user)
    owners = Counter(responsibility.clock_party(clock) for clock in board["overdue"])
    return render(
        request,
        "events/deadline_board.html",
        {**board, "overdue_by_owner": owners.most_common()},
    )


@login_required
@require_POST
def deadline_change(request: HttpRequest, number: str, clock_id: int, what: str) -> HttpResponse:
    """Ask for an extension or suspension of a clock, or resume a suspended one."""
    event = _event_or_404(request, number)
    clock = event.deadlines.filter(pk=clock_id).first()
    if clock is None:
        raise Http404
    if what not in ("resume", "extend", "suspend"):
        raise Http404
    days = request.POST.get("days") or "0"
    if what == "resume":
        call = lambda: services.deadline_resume(actor=request.user, deadline_id=clock.pk)  # noqa: E731
    elif not days.isdigit():
        messages.error(request, _("Enter a whole number of working days."))
        return redirect("events:detail", number=number)
    else:
        call = lambda: services.deadline_change_request(  # noqa: E731
            actor=request.user, deadline_id=clock.pk, kind=what,
            reason=request.POST.get("reason", ""), extra_working_days=int(days),
        )  # fmt: skip
    page_act(request, call, success=_("Done."))
    return redirect("events:detail", number=number)


@login_required
@require_POST
def deadline_decide(request: HttpRequest, number: str, change_id: int) -> HttpResponse:
    event = _event_or_404(request, number)
    change = selectors.pending_deadline_changes(event=event)
    change = next((c for c in change if c.pk == change_id), None)
    if change is None:
        raise Http404
    # The case is in sight (a department it went to) but its area is not: the service does
    # not find the change for this user, a 404 (page_act), not a server error.
    page_act(
        request,
        lambda: services.deadline_change_decide(
            actor=request.user, change_id=change.pk, approve=request.POST.get("approve") == "1"
        ),
        success=_("Done."),
    )
    return redirect("events:detail", number=number)


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
    shown = revealed(event)
    return render(
        request,
        "events/_phone.html",
        {"phone": shown["reporter_phone"], "phones": shown["phones_in_text"]},
    )


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
            messages.error(request, refusal_message(error))
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
