"""Pages of the links between levels (issue 8). Reads come from liaison.selectors (out of
scope: 404), every POST is parsed by a form of liaison.forms (a choice outside the user's
scope is not a valid one), writes go through liaison.services; a refused write or a bad
input is a message on the page, and writes nothing."""

from __future__ import annotations

from datetime import date

import segno
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from blocks.access import scope_for, under_q
from blocks.models import Area
from events.actions import form_errors
from events.assisted import assisted_services
from events.models import StreetDutyItem
from governance import ratelimit
from governance.audit import audit
from governance.errors import page_act
from governance.models import AuditEntry
from governance.privacy import mask_phone, mask_phones_in_text
from liaison import admissions, exports, joint, selectors, services
from liaison.forms import (
    ActionForm,
    CadreLinkForm,
    CategoryForm,
    ClaimForm,
    DemandCasesForm,
    DemandFindingsForm,
    DemandItemForm,
    DemandListOpenForm,
    DemandTextForm,
    FindingCloseForm,
    HouseholdLeaderForm,
    JointGroupEvaluationForm,
    JointGroupForm,
    LedgerCloseForm,
    LedgerEnterForm,
    LedgerTrackForm,
    MatterReportForm,
    MeetingForm,
    MemberForm,
    NoteForm,
    OrganisationForm,
    ProblemForm,
    ProblemListOpenForm,
    ReasonForm,
    TaskAdmissionForm,
    VisitForm,
    WishAssignForm,
    WishForm,
)
from liaison.models import (
    JointGroupEvaluation,
    JointGroupMember,
    LedgerItem,
    QuarterState,
    ServiceItem,
    TaskAdmission,
    VisitFinding,
    Wish,
    current_quarter,
)


# --- helpers ------------------------------------------------------------------------------
def _valid(request: HttpRequest, form) -> bool:
    """Whether the form parsed; if not, its errors are the page's message (nothing is
    written)."""
    if form.is_valid():
        return True
    messages.error(request, form_errors(form))
    return False


def _action(request: HttpRequest, actions, name: str = "action", default: str | None = None):
    """Which of the page's forms was sent; anything else is not a page of ours (404)."""
    action = ActionForm(request.POST, actions=actions, name=name, default=default).action
    if action is None:
        raise Http404
    return action


def _case_or_back(request: HttpRequest, form: CategoryForm, make, success: str, back):
    """Something found or reported becomes a case: on success, open the case page."""
    if not _valid(request, form):
        return back
    data = form.cleaned_data
    made = page_act(request, lambda: make(data["category"], data["priority"] or None), success)
    return redirect("events:detail", number=made.value.number) if made.ok else back


def _int(value, default: int = 0) -> int:
    """A number from a page's address (``?year=``): a page to look at, nothing written."""
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _get(queryset, **lookup):
    return _get_by(lambda: queryset.get(**lookup))


def _get_by(read):
    """What a selector reads, or a 404: out of the user's scope is not found."""
    try:
        return read()
    except ObjectDoesNotExist:
        raise Http404 from None


# --- hub --------------------------------------------------------------------------------------
@login_required
def hub(request: HttpRequest) -> HttpResponse:
    """One page per role: what waits for the user among the links between levels."""
    user = request.user
    scope = scope_for(user)
    today = timezone.localdate()
    year, quarter = current_quarter(today)
    context = {
        "cadre": selectors.cadre_of(user),
        "is_block_staff": bool(scope.block_staff_codes()),
        "is_street": bool(scope.street_staff_codes()),
        "is_department": bool(scope.department_ids),
        "is_watcher": bool(scope.codes),
        "is_member": selectors.is_registered_member(user),
        "year": year,
        "quarter": quarter,
        "open_findings": selectors.open_findings(user=user).count(),
        "open_matters": selectors.waiting_matters(user=user).count(),
        "open_wishes": selectors.wishes(user=user).filter(state=Wish.State.POSTED).count(),
        "my_wishes": selectors.my_wishes(user=user)
        .filter(state__in=[Wish.State.ASSIGNED, Wish.State.TAKEN])
        .count(),
        "my_service_items": selectors.service_items(user=user)
        .filter(department_id__in=scope.department_ids)
        .exclude(state=ServiceItem.State.DONE)
        .count(),
        "streets": selectors.desk_streets(user=user) if scope.codes else [],
        "needs_waiting": selectors.needs_waiting(user=user),
    }
    return render(request, "liaison/hub.html", context)


# --- cadres, visits, coverage -----------------------------------------------------------------
@login_required
def cadres(request: HttpRequest) -> HttpResponse:
    """The street links cadres to its blocks; everyone in scope sees who is linked where."""
    form = None
    if selectors.desk_streets(user=request.user).exists():
        form = CadreLinkForm(
            request.POST or None,
            cadres=selectors.linkable_cadres(user=request.user),
            areas=selectors.linkable_areas(user=request.user),
        )
        if request.method == "POST":
            if _valid(request, form):
                data = form.cleaned_data
                page_act(
                    request,
                    lambda: services.cadre_link(
                        actor=request.user,
                        cadre=data["cadre"],
                        area=data["area"],
                        role=data["role"],
                    ),
                    _("Linked."),
                )
            return redirect("liaison:cadres")
    elif request.method == "POST":
        raise PermissionDenied
    return render(
        request,
        "liaison/cadres.html",
        {"links": selectors.cadre_links(user=request.user)[:500], "form": form},
    )


@login_required
@require_POST
def cadre_unlink(request: HttpRequest, link_id: int) -> HttpResponse:
    link = _get(selectors.cadre_links(user=request.user), pk=link_id)
    page_act(
        request, lambda: services.cadre_unlink(actor=request.user, link_id=link.pk), _("Done.")
    )
    return redirect("liaison:cadres")


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    """Which blocks had no cadre visit this month (三级干部进区块: every block)."""
    code = request.GET.get("area") or selectors.home_area_code(user=request.user)
    area = _get_by(lambda: selectors.area_get(user=request.user, code=code))
    try:
        month = date.fromisoformat((request.GET.get("month") or "") + "-01")
    except ValueError:
        month = timezone.localdate().replace(day=1)
    rows = selectors.visit_coverage(user=request.user, area=area, month=month)
    return render(
        request,
        "liaison/coverage.html",
        {
            "area": area,
            "month": month,
            "rows": rows,
            "unvisited": sum(1 for r in rows if not r["visits"]),
            "areas": selectors.coverage_areas(user=request.user),
        },
    )


def _visit_form(request: HttpRequest, data=None) -> VisitForm | None:
    """A cadre records their own visits to their linked blocks; block and street staff
    record visits for cadres linked to their blocks."""
    cadre = selectors.cadre_of(request.user)
    if cadre is not None:
        blocks = selectors.cadre_blocks(cadre=cadre)
        return VisitForm(data, blocks=blocks,
                         initial={"visited_on": timezone.localdate(), "block": blocks.first()})  # fmt: skip
    blocks = selectors.staffed_blocks(user=request.user)
    if not blocks.exists():
        return None
    return VisitForm(data, blocks=blocks, cadres=selectors.recordable_cadres(user=request.user),
                     initial={"visited_on": timezone.localdate(), "block": blocks.first()})  # fmt: skip


@login_required
def visits(request: HttpRequest) -> HttpResponse:
    form = _visit_form(request, request.POST or None)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if not _valid(request, form):
            return redirect("liaison:visits")
        data = form.cleaned_data
        cadre = data.get("cadre") or selectors.cadre_of(request.user)
        visit = page_act(
            request,
            lambda: services.visit_record(
                actor=request.user,
                cadre=cadre,
                block=data["block"],
                kind=data["kind"],
                visited_on=data["visited_on"],
                households_visited=data["households_visited"],
                participants=data["participants"],
                summary=data["summary"],
                findings=form.findings(),
            ),
            _("Visit recorded."),
        )
        if visit.ok:
            return redirect("liaison:visit_detail", visit_id=visit.value.pk)
        return redirect("liaison:visits")
    return render(
        request,
        "liaison/visits.html",
        {
            "form": form,
            "visits": selectors.visits(user=request.user).order_by("-visited_on", "-id")[:100],
            "open_findings": selectors.open_findings(user=request.user)[:200],
        },
    )


@login_required
def visit_detail(request: HttpRequest, visit_id: int) -> HttpResponse:
    visit = _get(selectors.visits(user=request.user), pk=visit_id)
    scope = scope_for(request.user)
    findings = list(visit.findings.all())
    may_case = scope.can_act_in_block(visit.area_code)
    return render(
        request,
        "liaison/visit_detail.html",
        {
            "visit": visit,
            "findings": [
                {
                    "finding": f,
                    "form": CategoryForm(initial_code=f.category_code, prefix=f"f{f.pk}"),
                }
                for f in findings
            ],
            "may_case": may_case,
            "may_close": may_case or visit.cadre.user_id == request.user.pk,
        },
    )


def _get_finding(request: HttpRequest, finding_id: int) -> VisitFinding:
    return _get_by(lambda: selectors.finding_get(user=request.user, finding_id=finding_id))


@login_required
@require_POST
def finding_case(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = _get_finding(request, finding_id)
    return _case_or_back(
        request,
        CategoryForm(request.POST, prefix=f"f{finding.pk}"),
        lambda category, priority: services.finding_to_case(
            actor=request.user, finding_id=finding.pk, category=category, priority=priority
        ),
        _("Logged as a case."),
        redirect("liaison:visit_detail", visit_id=finding.visit_id),
    )


@login_required
@require_POST
def finding_close(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = _get_finding(request, finding_id)
    form = FindingCloseForm(request.POST)
    if _valid(request, form):
        page_act(
            request,
            lambda: services.finding_close(
                actor=request.user, finding_id=finding.pk, **form.cleaned_data
            ),
            _("Done."),
        )
    return redirect("liaison:visit_detail", visit_id=finding.visit_id)


# --- household leaders ------------------------------------------------------------------------
def _link_page(request: HttpRequest, leader, token: str) -> HttpResponse:
    url = request.build_absolute_uri(reverse("liaison:household_report", args=[token]))
    return render(
        request,
        "liaison/household_link.html",
        {"leader": leader, "url": url, "qr": segno.make(url).svg_inline(scale=4)},
    )


@login_required
def household_leaders(request: HttpRequest) -> HttpResponse:
    blocks = selectors.staffed_blocks(user=request.user)
    form = HouseholdLeaderForm(
        request.POST or None, blocks=blocks, initial={"block": blocks.first()}
    )
    if request.method == "POST":
        if not _valid(request, form):
            return redirect("liaison:household_leaders")
        made = page_act(
            request,
            lambda: services.household_leader_create(actor=request.user, **form.cleaned_data),
            _("Household leader registered. Give them this link; it is shown only now."),
        )
        if made.ok:
            return _link_page(request, *made.value)
        return redirect("liaison:household_leaders")
    waiting = list(selectors.waiting_matters(user=request.user).order_by("reported_at")[:200])
    service_codes = dict(assisted_services().values_list("pk", "code"))
    return render(
        request,
        "liaison/household_leaders.html",
        {
            "form": form if blocks.exists() else None,
            "leaders": selectors.household_leaders(user=request.user).filter(is_active=True)[:500],
            "waiting": [
                {
                    "matter": m,
                    # An assisted service the leader asked for is preselected.
                    "form": CategoryForm(
                        prefix=f"m{m.pk}",
                        initial_code=service_codes.get(m.event.category_id, "") if m.event else "",
                    ),
                    "phone": mask_phone(m.leader.phone),
                }
                for m in waiting
            ],  # fmt: skip
            "recent": selectors.decided_matters(user=request.user)[:30],
            "may_act": scope_for(request.user).links_staff_codes(),
            "report_form": MatterReportForm(),
        },
    )


def _leader(request: HttpRequest, leader_id: int):
    return _get(selectors.household_leaders(user=request.user), pk=leader_id)


@login_required
@require_POST
def household_leader_link(request: HttpRequest, leader_id: int) -> HttpResponse:
    leader = _leader(request, leader_id)
    made = page_act(
        request,
        lambda: services.household_leader_new_link(actor=request.user, leader_id=leader.pk),
        _("A new link; the old one no longer works."),
    )
    if not made.ok:
        return redirect("liaison:household_leaders")
    return _link_page(request, leader, made.value)


@login_required
@require_POST
def household_leader_end(request: HttpRequest, leader_id: int) -> HttpResponse:
    leader = _leader(request, leader_id)
    page_act(request, lambda: services.household_leader_end(actor=request.user, leader_id=leader.pk),
             _("Done."))  # fmt: skip
    return redirect("liaison:household_leaders")


@login_required
@require_POST
def household_matter_take_down(request: HttpRequest, leader_id: int) -> HttpResponse:
    """Staff take down what a household leader says on the phone (attributed to them)."""
    leader = _leader(request, leader_id)
    form = MatterReportForm(request.POST)
    if _valid(request, form):
        page_act(
            request,
            lambda: services.household_matter_report(
                leader=leader, actor=request.user, **form.cleaned_data
            ),  # fmt: skip
            _("Taken down."),
        )
    return redirect("liaison:household_leaders")


@login_required
@require_POST
def household_matter_decide(request: HttpRequest, matter_id: int, what: str) -> HttpResponse:
    matter = _get(selectors.household_matters(user=request.user), pk=matter_id)
    back = redirect("liaison:household_leaders")
    if what == "accept":
        return _case_or_back(
            request,
            CategoryForm(request.POST, prefix=f"m{matter.pk}"),
            lambda category, priority: services.household_matter_accept(
                actor=request.user, matter_id=matter.pk, category=category, priority=priority
            ),
            _("Accepted as a case."),
            back,
        )
    if what != "decline":
        raise Http404
    form = ReasonForm(request.POST)
    if _valid(request, form):
        page_act(
            request,
            lambda: services.household_matter_decline(
                actor=request.user, matter_id=matter.pk, reason=form.cleaned_data["reason"]
            ),
            _("Declined."),
        )
    return back


def _reveal(request: HttpRequest, object_type: str, object_id, phone: str) -> HttpResponse:
    """Show a resident's number to whoever handles it, with a reason, on the audit log
    (DESIGN §6) — the same rule as a case's reporter."""
    form = ReasonForm(request.POST)
    if not form.is_valid():
        return HttpResponse(form_errors(form), status=400)
    reason = form.cleaned_data["reason"].strip()
    if not reason:
        return HttpResponse(_("Give the reason."), status=400)
    audit(action=AuditEntry.Action.REVEAL, actor=request.user, request=request,
          object_type=object_type, object_id=str(object_id), reason=reason)  # fmt: skip
    return render(request, "events/_phone.html", {"phone": phone})


@login_required
@require_POST
def household_leader_reveal(request: HttpRequest, leader_id: int) -> HttpResponse:
    """The block's staff call their household leader back."""
    leader = _leader(request, leader_id)
    if not scope_for(request.user).can_act_in_block(leader.area_code):
        raise PermissionDenied
    return _reveal(request, "household_leader", leader.pk, leader.phone)


def _takes_wish(request: HttpRequest, wish: Wish) -> bool:
    """The member the wish was given to, once they have taken it."""
    mine = wish.member is not None and wish.member.user_id == request.user.pk
    return mine and wish.state == Wish.State.TAKEN


@login_required
@require_POST
def wish_reveal(request: HttpRequest, wish_id: int) -> HttpResponse:
    """The member who took the wish (or the community) calls the resident."""
    wish = _get(selectors.wishes(user=request.user), pk=wish_id)
    serves = selectors.serves_community(scope_for(request.user), wish.area_code)
    if not (serves or _takes_wish(request, wish)):
        raise PermissionDenied
    return _reveal(request, "wish", wish.pk, wish.resident_phone)


REPORTS_PER_HOUR = 20


def household_report(request: HttpRequest, token: str) -> HttpResponse:
    """A household leader's own page (no account): report a matter, see the last ones.
    Shows only the leader's own matters and never a staff name or number."""
    leader = selectors.leader_for_token(token)
    if leader is None:
        raise Http404
    form = MatterReportForm(request.POST or None)
    if request.method == "POST":
        key = f"household-report:{leader.pk}:{timezone.now():%Y%m%d%H}"
        if ratelimit.count(key) >= REPORTS_PER_HOUR:
            return HttpResponse(_("Too many reports; try again in an hour."), status=429)
        if form.is_valid():
            ratelimit.hit(key)
            try:
                services.household_matter_report(leader=leader, **form.cleaned_data)
            except ValidationError as error:  # e.g. a booked time already past
                form.add_error(None, error)
            else:
                messages.success(request, _("Sent. The block governor will answer."))
                return redirect("liaison:household_report", token=token)
    return render(
        request,
        "liaison/household_report.html",
        {"leader": leader, "form": form, "matters": selectors.leader_matters(leader=leader)[:10]},
    )


# --- dual registration and wishes -------------------------------------------------------------
@login_required
def registrations(request: HttpRequest) -> HttpResponse:
    communities = selectors.served_communities(user=request.user)
    organisations = selectors.organisations(user=request.user)
    if request.method == "POST":
        kind = _action(request, ("organisation", "member"), name="kind", default="member")
        if kind == "organisation":
            form = OrganisationForm(request.POST, communities=communities)
            register = services.organisation_register
        else:
            form = MemberForm(request.POST, communities=communities, organisations=organisations,
                              accounts=selectors.accounts())  # fmt: skip
            register = services.member_register
        if _valid(request, form):
            data = dict(form.cleaned_data)
            if kind == "member":
                data["user"] = data.pop("username")
            page_act(request, lambda: register(actor=request.user, **data), _("Registered."))
        return redirect("liaison:registrations")
    members = selectors.members(user=request.user).order_by("-wishes_done", "name")[:500]
    return render(
        request,
        "liaison/registrations.html",
        {
            "communities": communities,
            "organisations": organisations.order_by("-wishes_done", "name")[:500],
            "members": [{"member": m, "phone": mask_phone(m.phone)} for m in members],
        },
    )


@login_required
def wishes(request: HttpRequest) -> HttpResponse:
    communities = selectors.served_communities(user=request.user)
    if request.method == "POST":
        form = WishForm(request.POST, communities=communities)
        if not _valid(request, form):
            return redirect("liaison:wishes")
        wish = page_act(
            request,
            lambda: services.wish_post(actor=request.user, **form.cleaned_data),
            _("Wish posted."),
        )
        if wish.ok:
            return redirect("liaison:wish_detail", wish_id=wish.value.pk)
        return redirect("liaison:wishes")
    rows = selectors.wishes(user=request.user)
    state = request.GET.get("state")
    if state in Wish.State.values:
        rows = rows.filter(state=state)
    return render(
        request,
        "liaison/wishes.html",
        {
            "communities": communities,
            "wishes": rows.order_by("-posted_at")[:300],
            "mine": selectors.my_wishes(user=request.user).order_by("-posted_at")[:100],
            "states": Wish.State.choices,
            "state": state,
        },
    )


@login_required
def wish_detail(request: HttpRequest, wish_id: int) -> HttpResponse:
    wish = _get(selectors.wishes(user=request.user), pk=wish_id)
    serves = selectors.serves_community(scope_for(request.user), wish.area_code)
    if request.method == "POST":
        what = _action(request, ("assign", "take", "done", "cancel"))
        if what == "assign":
            form = WishAssignForm(request.POST, members=selectors.assignable_members(wish=wish))
        else:
            form = NoteForm(request.POST)
        if _valid(request, form):
            data, actor = form.cleaned_data, request.user
            calls = {
                "assign": lambda: services.wish_assign(
                    actor=actor, wish_id=wish.pk, member_id=data["member"].pk
                ),
                "take": lambda: services.wish_take(actor=actor, wish_id=wish.pk),
                "done": lambda: services.wish_done(actor=actor, wish_id=wish.pk, note=data["note"]),
                "cancel": lambda: services.wish_cancel(
                    actor=actor, wish_id=wish.pk, reason=data["note"]
                ),
            }
            page_act(request, calls[what], _("Done."))
        return redirect("liaison:wish_detail", wish_id=wish.pk)
    return render(
        request,
        "liaison/wish_detail.html",
        {
            "wish": wish,
            "serves": serves,
            "mine": wish.member is not None and wish.member.user_id == request.user.pk,
            "phone": mask_phone(wish.resident_phone),
            "may_reveal": wish.resident_phone and (serves or _takes_wish(request, wish)),
            "members": selectors.assignable_members(wish=wish) if serves else [],
            "history": selectors.activity_of(wish),
        },
    )


# --- joint responsibility -----------------------------------------------------------------------
@login_required
def joint_groups(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    groups = list(selectors.joint_groups(user=request.user)[:300])
    have = {g.community_id for g in groups}
    missing = []
    if scope.street_staff_codes():
        communities = selectors.areas(user=request.user, level=Area.Level.COMMUNITY)
        missing = [c for c in communities if c.pk not in have]
    return render(
        request,
        "liaison/joint_groups.html",
        {"groups": groups, "positions": JointGroupMember.Position.choices, "missing": missing},
    )


@login_required
def joint_group(request: HttpRequest, code: str) -> HttpResponse:
    community = _get(selectors.areas(user=request.user, level=Area.Level.COMMUNITY), code=code)
    scope = scope_for(request.user)
    group = selectors.joint_groups(user=request.user).filter(community=community).first()
    year = _int(request.GET.get("year"), timezone.localdate().year)
    if request.method == "POST":
        if _action(request, ("evaluate", "set"), default="set") == "evaluate":
            form = JointGroupEvaluationForm(
                request.POST, members=selectors.group_members(group=group)
            )
            if _valid(request, form):
                data = dict(form.cleaned_data)
                data["member_id"] = data.pop("member").pk
                year = data["year"]
                page_act(request, lambda: services.joint_group_evaluate(actor=request.user, **data),
                         _("Evaluation recorded."))  # fmt: skip
        else:
            form = JointGroupForm(
                request.POST, departments=selectors.district_departments(user=request.user)
            )
            if _valid(request, form):
                page_act(request, lambda: services.joint_group_set(
                    actor=request.user, community=community, members=form.members(),
                ), _("Saved."))  # fmt: skip
        return redirect(f"{reverse('liaison:joint_group', args=[code])}?year={year}")
    rated = selectors.evaluations(group=group, year=year) if group else {}
    current = {m.position: m for m in group.members.all()} if group else {}
    positions = [
        {
            "value": value, "label": label, "member": current.get(value),
            "up": rated.get((current[value].pk, "upward")) if value in current else None,
            "down": rated.get((current[value].pk, "downward")) if value in current else None,
        }
        for value, label in JointGroupMember.Position.choices
    ]  # fmt: skip
    may_set = scope.can_act_in_street(community.code)
    may_rate_up = selectors.rates_officials(scope, community.code)
    # Downward: the street for the officials, or an official with an account of their own.
    rates_down = may_set or any(m.user_id == request.user.pk for m in current.values())
    Direction = JointGroupEvaluation.Direction
    return render(
        request,
        "liaison/joint_group.html",
        {
            "community": community, "group": group, "year": year, "positions": positions,
            # The community's results beside the scores (seed 004): what they answer for.
            "results": joint.community_results(community.code, year),
            "may_set": may_set, "may_rate_up": may_rate_up, "may_rate_down": may_set,
            "own_member_ids": [m.pk for m in current.values() if m.user_id == request.user.pk],
            "departments": selectors.district_departments(user=request.user) if may_set else [],
            "directions": [
                (value, label) for value, label in Direction.choices
                if (value == Direction.UPWARD and may_rate_up)
                or (value == Direction.DOWNWARD and rates_down)
            ],
            "years": [year - 1, year + 1],
        },
    )  # fmt: skip


# --- the quarterly loop -------------------------------------------------------------------------
def _open_quarter(request: HttpRequest, form, open_list, detail: str, back: str) -> HttpResponse:
    """Open (or find) a quarter's list and go to it."""
    if not _valid(request, form):
        return redirect(back)
    when = form.when(current_quarter(timezone.localdate()))
    made = page_act(request, lambda: open_list(form.cleaned_data, **when), _("Opened."))
    return redirect(detail, list_id=made.value.pk) if made.ok else redirect(back)


@login_required
def demand_lists(request: HttpRequest) -> HttpResponse:
    communities = selectors.served_communities(user=request.user)
    year, quarter = current_quarter(timezone.localdate())
    if request.method == "POST":
        return _open_quarter(
            request,
            DemandListOpenForm(request.POST, communities=communities),
            lambda data, **when: services.demand_list_open(
                actor=request.user, community=data["community"], **when
            ),
            "liaison:demand_list",
            "liaison:demand_lists",
        )
    return render(
        request,
        "liaison/demand_lists.html",
        {
            "lists": selectors.demand_lists(user=request.user)[:300],
            "communities": communities, "year": year, "quarter": quarter,
        },
    )  # fmt: skip


def _demand_add(request: HttpRequest, demand, form, field: str, success) -> None:
    """Add each case (or finding) picked to the demand list; each refusal is a message."""
    if not _valid(request, form):
        return
    for picked in form.cleaned_data[field]:
        page_act(request, lambda p=picked: services.demand_item_add(
            actor=request.user, demand_list_id=demand.pk, **{field: p},
        ), success(picked))  # fmt: skip


@login_required
def demand_list(request: HttpRequest, list_id: int) -> HttpResponse:
    demand = _get(selectors.demand_lists(user=request.user), pk=list_id)
    serves = selectors.serves_community(scope_for(request.user), demand.area_code)
    if request.method == "POST":
        what = _action(request, ("add_cases", "add_findings", "add_text", "remove", "submit"))
        if what == "add_cases":
            cases = selectors.community_cases(user=request.user, demand_list=demand)
            _demand_add(request, demand, DemandCasesForm(request.POST, cases=cases), "event",
                        lambda case: _("Added %(number)s.") % {"number": case.number})  # fmt: skip
        elif what == "add_findings":
            found = selectors.community_findings(user=request.user, demand_list=demand)
            _demand_add(request, demand, DemandFindingsForm(request.POST, findings=found),
                        "finding", lambda finding: _("Added."))  # fmt: skip
        elif what == "add_text":
            form = DemandTextForm(request.POST)
            if _valid(request, form):
                page_act(request, lambda: services.demand_item_add(
                    actor=request.user, demand_list_id=demand.pk, text=form.cleaned_data["text"],
                ), _("Added."))  # fmt: skip
        elif what == "remove":
            form = DemandItemForm(request.POST, items=demand.items.all())
            if _valid(request, form):
                page_act(request, lambda: services.demand_item_remove(
                    actor=request.user, item_id=form.cleaned_data["item"].pk,
                ), _("Removed."))  # fmt: skip
        else:
            page_act(request, lambda: services.demand_list_submit(actor=request.user, demand_list_id=demand.pk),
                     _("Submitted to the street."))  # fmt: skip
        return redirect("liaison:demand_list", list_id=demand.pk)
    items = list(selectors.demand_list_items(demand_list=demand))
    on_list = {i.event_id for i in items if i.event_id}
    on_list_findings = {i.finding_id for i in items if i.finding_id}
    first_month = (demand.quarter - 1) * 3 + 1
    # Cases and findings of the quarter and the one before it, newest first.
    since = date(demand.year, max(1, first_month - 3), 1)
    candidates, findings = [], []
    if serves and demand.state == QuarterState.DRAFT:
        candidates = list(
            selectors.community_cases(user=request.user, demand_list=demand, since=since)
            .exclude(pk__in=on_list).order_by("-created_at")[:100]
        )  # fmt: skip
        findings = list(
            selectors.community_findings(user=request.user, demand_list=demand, since=since)
            .exclude(pk__in=on_list_findings).order_by("-id")[:100]
        )  # fmt: skip
    return render(
        request,
        "liaison/demand_list.html",
        {
            "demand": demand,
            "items": items,
            "serves": serves,
            "candidates": candidates,
            "findings": findings,
            "history": selectors.activity_of(demand),
        },  # fmt: skip
    )


@login_required
def problem_lists(request: HttpRequest) -> HttpResponse:
    streets = selectors.desk_streets(user=request.user)
    year, quarter = current_quarter(timezone.localdate())
    if request.method == "POST":
        return _open_quarter(
            request,
            ProblemListOpenForm(request.POST, streets=streets),
            lambda data, **when: services.problem_list_open(
                actor=request.user, street=data["street"], **when
            ),
            "liaison:problem_list",
            "liaison:problem_lists",
        )
    return render(
        request,
        "liaison/problem_lists.html",
        {
            "lists": selectors.problem_lists(user=request.user)[:300],
            "streets": streets,
            "year": year,
            "quarter": quarter,
        },  # fmt: skip
    )


@login_required
def problem_list(request: HttpRequest, list_id: int) -> HttpResponse:
    plist = _get(selectors.problem_lists(user=request.user), pk=list_id)
    is_street = scope_for(request.user).can_act_in_street(plist.area_code)
    departments = selectors.claim_departments(user=request.user, problem_list=plist)
    people = selectors.department_people(departments=departments)
    claimable = selectors.claimable_problems(problem_list=plist)
    if request.method == "POST":
        what = _action(request, ("add_problem", "publish", "close", "claim"))
        if what == "add_problem":
            if not is_street:
                raise Http404
            form = ProblemForm(
                request.POST, items=selectors.submitted_demand_items(problem_list=plist)
            )
            if _valid(request, form):
                data = form.cleaned_data
                page_act(request, lambda: services.problem_add(
                    actor=request.user, problem_list_id=plist.pk, title=data["title"],
                    description=data["description"], demand_item_ids=[i.pk for i in data["item"]],
                ), _("Problem added."))  # fmt: skip
        elif what == "publish":
            page_act(request, lambda: services.problem_list_publish(actor=request.user, problem_list_id=plist.pk),
                     _("Published: the departments can claim now."))  # fmt: skip
        elif what == "close":
            page_act(request, lambda: services.problem_list_close(actor=request.user, problem_list_id=plist.pk),
                     _("Closed."))  # fmt: skip
        else:
            form = ClaimForm(
                request.POST, problems=claimable, departments=departments, people=people
            )
            if _valid(request, form):
                page_act(request, lambda: services.service_claim(actor=request.user, **form.claim()),
                         _("Claimed: it is on your service list."))  # fmt: skip
        return redirect("liaison:problem_list", list_id=plist.pk)
    return render(
        request,
        "liaison/problem_list.html",
        {
            "plist": plist, "problems": selectors.problems_of(user=request.user, problem_list=plist),
            "is_street": is_street,
            "waiting_items": selectors.submitted_demand_items(problem_list=plist) if is_street else [],
            "claim_form": ClaimForm(problems=claimable, departments=departments, people=people,
                                    initial={"department": departments.first(), "responsible": request.user})
            if departments else None,
            "claims": selectors.claims_per_department(problem_list=plist) if is_street else [],
            "max_claims": ServiceItem.MAX_CLAIMS_PER_QUARTER,
            # The street's own record; a department sees only its claims and open problems.
            "history": selectors.activity_of(plist) if is_street else [],
        },
    )  # fmt: skip


@login_required
def service_items(request: HttpRequest) -> HttpResponse:
    rows = selectors.service_items(user=request.user).order_by("state", "due_on")
    return render(
        request,
        "liaison/service_items.html",
        {
            "items": rows[:500],
            "today": timezone.localdate(),
            "is_department": bool(scope_for(request.user).department_ids),
        },  # fmt: skip
    )


@login_required
@require_POST
def service_item_action(request: HttpRequest, item_id: int, what: str) -> HttpResponse:
    item = _get(selectors.service_items(user=request.user), pk=item_id)
    if what not in ("progress", "done"):
        raise Http404
    form = NoteForm(request.POST)
    if _valid(request, form):
        note = form.cleaned_data["note"]
        if what == "progress":
            page_act(request, lambda: services.service_progress(actor=request.user, item_id=item.pk, note=note),
                     _("Progress recorded."))  # fmt: skip
        else:
            page_act(request, lambda: services.service_done(actor=request.user, item_id=item.pk, result=note),
                     _("Done."))  # fmt: skip
    return redirect("liaison:service_items")


@login_required
def meetings(request: HttpRequest) -> HttpResponse:
    streets = selectors.desk_streets(user=request.user)
    form = None
    if streets.exists():
        form = MeetingForm(
            request.POST or None, streets=streets,
            service_items=selectors.street_service_items(user=request.user, streets=streets),
            ledger_items=selectors.street_ledger_items(
                user=request.user, streets=streets, since_year=timezone.localdate().year - 1
            ),
            initial={"held_on": timezone.localdate(), "street": streets.first()},
        )  # fmt: skip
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if _valid(request, form):
            data = form.cleaned_data
            page_act(request, lambda: services.meeting_record(
                actor=request.user, street=data["street"], held_on=data["held_on"],
                title=data["title"], record=data["record"], attendees=data["attendees"],
                service_item_ids=[i.pk for i in data["service_items"]],
                ledger_item_ids=[i.pk for i in data["ledger_items"]],
            ), _("Meeting recorded."))  # fmt: skip
        return redirect("liaison:meetings")
    return render(
        request,
        "liaison/meetings.html",
        {"meetings": selectors.meetings(user=request.user)[:100], "form": form},
    )


# --- the livelihood ledger ----------------------------------------------------------------------
@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    streets = selectors.desk_streets(user=request.user)
    year = _int(request.GET.get("year"), timezone.localdate().year)
    form = None
    if streets.exists():
        form = LedgerEnterForm(
            request.POST or None, streets=streets,
            departments=selectors.district_departments(user=request.user),
            initial={"year": year, "street": streets.first()},
        )  # fmt: skip
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if _valid(request, form):
            page_act(request, lambda: services.ledger_enter(actor=request.user, **form.cleaned_data),
                     _("Entered in the ledger."))  # fmt: skip
        return redirect(f"{reverse('liaison:ledger')}?year={year}")
    items = (
        selectors.ledger_items(user=request.user).filter(year=year).order_by("area_code", "number")
    )
    return render(
        request,
        "liaison/ledger.html",
        {
            "items": items[:500],
            "year": year,
            "form": form,
            "streets": selectors.areas(user=request.user, level=Area.Level.STREET),
        },  # fmt: skip
    )


@login_required
def ledger_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _get(selectors.ledger_items(user=request.user), pk=item_id)
    scope = scope_for(request.user)
    if request.method == "POST":
        if _action(request, ("track", "close")) == "track":
            form = LedgerTrackForm(request.POST)
            if _valid(request, form):
                page_act(request, lambda: services.ledger_track(
                    actor=request.user, item_id=item.pk, **form.cleaned_data,
                ), _("Progress recorded."))  # fmt: skip
        else:
            form = LedgerCloseForm(request.POST, request.FILES)
            if _valid(request, form):
                page_act(request, lambda: services.ledger_close(
                    actor=request.user, item_id=item.pk, **form.cleaned_data,
                ), _("Closed (销账)."))  # fmt: skip
        return redirect("liaison:ledger_item", item_id=item.pk)
    street = scope.can_act_in_street(item.area_code)
    department = item.department_id is not None and scope.can_act_for_department(item.department_id)
    return render(
        request,
        "liaison/ledger_item.html",
        {
            "item": item, "entries": selectors.ledger_entries(item=item),
            "may_track": (street or department) and item.state != LedgerItem.State.CLOSED,
            "may_close": street and item.state != LedgerItem.State.CLOSED,
            "track_form": LedgerTrackForm(initial={"progress": item.progress}),
            "close_form": LedgerCloseForm(), "meetings": item.meetings.all(),
        },
    )  # fmt: skip


def public_ledger(request: HttpRequest, street_code: str) -> HttpResponse:
    """The street's ledger for residents, without login: matters, lead department, target,
    progress and the public summaries only — no names, no phone numbers (DESIGN §6)."""
    street = selectors.public_street(code=street_code)
    if street is None:
        raise Http404
    years = selectors.public_ledger_years(street=street)
    year = _int(request.GET.get("year"), years[0] if years else timezone.localdate().year)
    items = list(selectors.public_ledger(street=street, year=year))
    summaries = {}
    for entry in selectors.public_ledger_entries(items=items):
        # Staff write these for the public; a number typed in by mistake is still masked.
        summaries.setdefault(entry.item_id, mask_phones_in_text(entry.public_note))
    return render(
        request,
        "liaison/public_ledger.html",
        {
            "street": street, "year": year, "years": years,
            "items": [{"item": i, "summary": summaries.get(i.pk, "")} for i in items],
            "closed": sum(1 for i in items if i.state == LedgerItem.State.CLOSED),
        },
    )  # fmt: skip


# --- exports ------------------------------------------------------------------------------------
def _export(request: HttpRequest, object_type: str, object_id, build) -> HttpResponse:
    if not exports.export_allowed(user=request.user):
        return HttpResponse(_("Too many exports; try again in an hour."), status=429)
    audit(action=AuditEntry.Action.EXPORT, actor=request.user, request=request,
          object_type=object_type, object_id=str(object_id))  # fmt: skip
    workbook, name = build()
    return exports.xlsx_response(workbook, name)


@login_required
@require_GET
def demand_list_export(request: HttpRequest, list_id: int) -> HttpResponse:
    demand = _get(selectors.demand_lists(user=request.user), pk=list_id)
    return _export(request, "demand_list", demand.pk, lambda: exports.demand_list_workbook(demand))


@login_required
@require_GET
def problem_list_export(request: HttpRequest, list_id: int) -> HttpResponse:
    plist = _get(selectors.problem_lists(user=request.user), pk=list_id)
    problems = selectors.problems_of(user=request.user, problem_list=plist)
    return _export(request, "problem_list", plist.pk,
                   lambda: exports.problem_list_workbook(plist, problems))  # fmt: skip


@login_required
@require_GET
def service_items_export(request: HttpRequest) -> HttpResponse:
    rows = selectors.service_items(user=request.user).order_by("area_code", "due_on")
    return _export(request, "service_list", "", lambda: exports.service_list_workbook(rows))


@login_required
@require_GET
def ledger_export(request: HttpRequest) -> HttpResponse:
    year = _int(request.GET.get("year"), timezone.localdate().year)
    rows = (
        selectors.ledger_items(user=request.user).filter(year=year).order_by("area_code", "number")
    )
    return _export(request, "livelihood_ledger", year, lambda: exports.ledger_workbook(rows, year))


# --- task admission (准入) ---------------------------------------------------------------------
def _admission_choices(user) -> dict:
    departments = admissions.pushing_departments(user).select_related("district")
    districts = {d.district_id for d in departments}
    return {
        "departments": departments,
        "areas": Area.objects.filter(
            under_q(tuple(sorted({d.district.code for d in departments}))),
            level__in=(Area.Level.STREET, Area.Level.COMMUNITY),
            closed_on__isnull=True,
        ).order_by("code"),
        "items": StreetDutyItem.objects.filter(district_id__in=districts).order_by(
            "kind", "number"
        ),
    }


@login_required
def admissions_page(request: HttpRequest) -> HttpResponse:
    choices = _admission_choices(request.user)
    if request.method == "POST":
        form = TaskAdmissionForm(request.POST, **choices)
        if not _valid(request, form):
            return redirect("liaison:admissions")
        data = form.cleaned_data
        done = page_act(
            request,
            lambda: admissions.task_admission_submit(
                actor=request.user,
                department_id=data["department"].pk,
                area_id=data["area"].pk,
                matter=data["matter"],
                detail=data["detail"],
                due=data["due"],
                list_item_id=data["list_item"].pk if data["list_item"] else None,
                basis=data["basis"],
            ),  # fmt: skip
            _("Task recorded."),
        )
        if done.ok:
            return redirect("liaison:admission_detail", admission_id=done.value.pk)
        return redirect("liaison:admissions")
    rows = admissions.admissions(user=request.user)
    state = request.GET.get("state")
    if state in TaskAdmission.State.values:
        rows = rows.filter(state=state)
    return render(
        request,
        "liaison/admissions.html",
        {
            **choices,
            "rows": rows[:300],
            "states": TaskAdmission.State.choices,
            "state": state,
            "awaiting": [
                a
                for a in admissions.admissions(user=request.user).filter(
                    state=TaskAdmission.State.AWAITING_APPROVAL
                )[:100]
                if admissions.may_approve(request.user, a)
            ],
        },
    )


@login_required
def admission_detail(request: HttpRequest, admission_id: int) -> HttpResponse:
    admission = _get(admissions.admissions(user=request.user), pk=admission_id)
    pushes = admission.department in admissions.pushing_departments(request.user)
    approves = admissions.may_approve(request.user, admission)
    if request.method == "POST":
        what = _action(request, ("ask_approval", "approve", "reject"))
        form = NoteForm(request.POST)
        if _valid(request, form):
            note = form.cleaned_data["note"]
            if what == "ask_approval":
                act = lambda: admissions.task_admission_ask_approval(  # noqa: E731
                    actor=request.user, admission_id=admission.pk, basis=note
                )
                message = _("Sent to the district for approval.")
            else:
                act = lambda: admissions.task_admission_decide(  # noqa: E731
                    actor=request.user, admission_id=admission.pk,
                    approve=what == "approve", note=note,
                )  # fmt: skip
                message = _("Decision recorded.")
            page_act(request, act, message)
        return redirect("liaison:admission_detail", admission_id=admission.pk)
    State = TaskAdmission.State
    return render(
        request,
        "liaison/admission_detail.html",
        {
            "admission": admission,
            "may_ask": pushes
            and admission.state == State.REFUSED
            and admissions.check(admission.area, admission.list_item)[1],
            "may_decide": approves and admission.state == State.AWAITING_APPROVAL,
        },
    )
