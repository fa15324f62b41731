"""Pages of the links between levels (issue 8). Reads come from liaison.selectors (out of
scope: 404), writes go through liaison.services; a refused write is a message on the page."""

from __future__ import annotations

from datetime import date

import segno
from django.contrib import messages
from django.contrib.auth import get_user_model
from django.contrib.auth.decorators import login_required
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Count, Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_POST

from blocks.access import scope_for
from blocks.models import Area, Department
from events.public import NOTE_PHONE_RE
from governance import ratelimit
from governance.audit import audit
from governance.errors import DomainError
from governance.models import AuditEntry
from governance.privacy import mask_phone
from liaison import exports, selectors, services
from liaison.forms import (
    CadreLinkForm,
    CategoryForm,
    ClaimForm,
    HouseholdLeaderForm,
    LedgerCloseForm,
    LedgerEnterForm,
    LedgerTrackForm,
    MatterReportForm,
    MeetingForm,
    VisitForm,
)
from liaison.models import (
    DemandItem,
    DeployedCadre,
    HouseholdMatter,
    JointGroupMember,
    LedgerItem,
    PartyMember,
    QuarterState,
    ServiceItem,
    TwoWayEvaluation,
    VisitFinding,
    Wish,
    current_quarter,
)


# --- helpers ------------------------------------------------------------------------------
def _act(request: HttpRequest, call, success: str):
    """Run a service; its refusal becomes a message. Out of scope stays a 404."""
    try:
        result = call()
    except DomainError as error:
        messages.error(request, str(error.message))
    except ValidationError as error:
        messages.error(request, " ".join(str(m) for m in error.messages))
    except PermissionDenied as error:
        messages.error(request, str(error) or _("You may not do this."))
    except ObjectDoesNotExist:
        raise Http404 from None
    else:
        messages.success(request, success)
        return result
    return None


def _case_or_back(request: HttpRequest, form: CategoryForm, make, success: str, back):
    """Something found or reported becomes a case: on success, open the case page."""
    if not form.is_valid():
        _form_errors(request, form)
        return back
    data = form.cleaned_data
    event = _act(request, lambda: make(data["category"], data["priority"] or None), success)
    return redirect("events:detail", number=event.number) if event is not None else back


def _form_errors(request: HttpRequest, form) -> None:
    messages.error(request, " ".join(e for errors in form.errors.values() for e in errors))


def _int(value, default: int = 0) -> int:
    try:
        return int(value)
    except (TypeError, ValueError):
        return default


def _get(queryset, **lookup):
    try:
        return queryset.get(**lookup)
    except ObjectDoesNotExist:
        raise Http404 from None


def _areas(user, level: str):
    scope = scope_for(user)
    return Area.objects.filter(
        selectors.community_q(scope, "code"), level=level, closed_on__isnull=True
    ).order_by("code")


def _served_communities(user):
    scope = scope_for(user)
    return [
        c for c in _areas(user, Area.Level.COMMUNITY) if selectors.serves_community(scope, c.code)
    ]


def _chosen_community(request: HttpRequest, communities):
    """The community the form names, if it is one of ``communities`` (those the user serves),
    else None: a forged or stale choice writes nothing."""
    chosen = _int(request.POST.get("community"))
    return next((c for c in communities if c.pk == chosen), None)


def _acting_streets(user):
    scope = scope_for(user)
    return Area.objects.filter(
        scope.area_q("code", roles=frozenset({"dispatcher", "street_admin"})),
        level=Area.Level.STREET,
        closed_on__isnull=True,
    ).order_by("code")


def _acting_blocks(user):
    scope = scope_for(user)
    return Area.objects.filter(
        scope.area_q("code", roles=selectors.BLOCK_STAFF | {"dispatcher", "street_admin"}),
        level=Area.Level.BLOCK,
        closed_on__isnull=True,
    ).order_by("code")


def _district_departments(user):
    scope = scope_for(user)
    districts = {c[:6] for c in scope.codes if c} or {
        d.code for d in Area.objects.filter(departments__in=scope.department_ids)
    }
    q = Q(pk__in=scope.department_ids)
    if scope.is_superuser:
        q = Q()
    for code in districts:
        q |= Q(district__code=code)
    return Department.objects.filter(q, is_active=True).order_by("code")


# --- hub --------------------------------------------------------------------------------------
@login_required
def hub(request: HttpRequest) -> HttpResponse:
    """One page per role: what waits for the user among the links between levels."""
    user = request.user
    scope = scope_for(user)
    today = timezone.localdate()
    year, quarter = current_quarter(today)
    cadre = selectors.cadre_of(user)
    context = {
        "cadre": cadre,
        "is_block_staff": bool(scope.codes_for(selectors.BLOCK_STAFF)),
        "is_street": bool(scope.codes_for({"dispatcher", "street_admin"})) or scope.is_superuser,
        "is_department": bool(scope.department_ids),
        "is_watcher": bool(scope.codes),
        "is_member": selectors.is_registered_member(user),
        "year": year,
        "quarter": quarter,
        "open_findings": selectors.open_findings(user=user).count(),
        "open_matters": selectors.household_matters(user=user)
        .filter(state=HouseholdMatter.State.REPORTED)
        .count(),
        "open_wishes": selectors.wishes(user=user).filter(state=Wish.State.POSTED).count(),
        "my_wishes": selectors.my_wishes(user=user)
        .filter(state__in=[Wish.State.ASSIGNED, Wish.State.TAKEN])
        .count(),
        "my_service_items": selectors.service_items(user=user)
        .filter(department_id__in=scope.department_ids)
        .exclude(state=ServiceItem.State.DONE)
        .count(),
        "streets": _acting_streets(user) if scope.codes else [],
        # Needs the communities submitted that no problem groups yet (the street's to do).
        "needs_waiting": DemandItem.objects.filter(
            scope.area_q("demand_list__area_code", roles=frozenset({"dispatcher", "street_admin"})),
            demand_list__state=QuarterState.SUBMITTED,
            problem__isnull=True,
        ).count()
        if scope.codes_for({"dispatcher", "street_admin"}) or scope.is_superuser
        else 0,
    }
    return render(request, "liaison/hub.html", context)


# --- cadres, visits, coverage -----------------------------------------------------------------
@login_required
def cadres(request: HttpRequest) -> HttpResponse:
    """The street links cadres to its blocks; everyone in scope sees who is linked where."""
    streets = _acting_streets(request.user)
    form = None
    if streets.exists():
        street_q = Q()
        for street in streets:
            street_q |= Q(code__startswith=street.code)
        areas = Area.objects.filter(
            street_q, level__in=[Area.Level.BLOCK, Area.Level.COMMUNITY], closed_on__isnull=True
        ).order_by("code")
        districts = {s.code[:6] for s in streets}
        cadre_qs = DeployedCadre.objects.filter(
            is_active=True, district__code__in=districts
        ).select_related("user")
        form = CadreLinkForm(request.POST or None, cadres=cadre_qs, areas=areas)
        if request.method == "POST":
            if form.is_valid():
                data = form.cleaned_data
                _act(
                    request,
                    lambda: services.cadre_link(
                        actor=request.user,
                        cadre=data["cadre"],
                        area=data["area"],
                        role=data["role"],
                    ),
                    _("Linked."),
                )
            else:
                _form_errors(request, form)
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
    _act(request, lambda: services.cadre_unlink(actor=request.user, link_id=link.pk), _("Done."))
    return redirect("liaison:cadres")


@login_required
def coverage(request: HttpRequest) -> HttpResponse:
    """Which blocks had no cadre visit this month (三级干部进区块: every block)."""
    scope = scope_for(request.user)
    default = scope.home_area_code or (
        Area.objects.filter(level=Area.Level.DISTRICT).values_list("code", flat=True).first()
        if scope.is_superuser
        else ""
    )
    code = request.GET.get("area") or default or ""
    area = Area.objects.filter(selectors.community_q(scope, "code"), code=code).first()
    if area is None:
        raise Http404
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
            # One query, not a UNION: SQLite (the one-command demo) refuses ordered parts.
            "areas": Area.objects.filter(
                selectors.community_q(scope, "code"),
                level__in=[Area.Level.STREET, Area.Level.COMMUNITY],
                closed_on__isnull=True,
            ).order_by("code"),
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
    blocks = _acting_blocks(request.user)
    if not blocks.exists():
        return None
    cadres = DeployedCadre.objects.filter(
        is_active=True, links__ended_on__isnull=True,
        links__area_code__in=selectors.cadre_links(user=request.user).values("area_code"),
    ).distinct().select_related("user")  # fmt: skip
    return VisitForm(data, blocks=blocks, cadres=cadres,
                     initial={"visited_on": timezone.localdate(), "block": blocks.first()})  # fmt: skip


@login_required
def visits(request: HttpRequest) -> HttpResponse:
    form = _visit_form(request, request.POST or None)
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if not form.is_valid():
            _form_errors(request, form)
            return redirect("liaison:visits")
        data = form.cleaned_data
        cadre = data.get("cadre") or selectors.cadre_of(request.user)
        visit = _act(
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
            ),  # fmt: skip
            _("Visit recorded."),
        )
        if visit is not None:
            return redirect("liaison:visit_detail", visit_id=visit.pk)
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


def _get_finding(request: HttpRequest, finding_id: int) -> VisitFinding:
    try:
        return selectors.finding_get(user=request.user, finding_id=finding_id)
    except VisitFinding.DoesNotExist:
        raise Http404 from None


@login_required
@require_POST
def finding_close(request: HttpRequest, finding_id: int) -> HttpResponse:
    finding = _get_finding(request, finding_id)
    _act(
        request,
        lambda: services.finding_close(
            actor=request.user,
            finding_id=finding.pk,
            solved=request.POST.get("solved") == "1",
            note=request.POST.get("note", ""),
        ),  # fmt: skip
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
    blocks = _acting_blocks(request.user)
    form = HouseholdLeaderForm(
        request.POST or None, blocks=blocks, initial={"block": blocks.first()}
    )
    if request.method == "POST":
        if not form.is_valid():
            _form_errors(request, form)
            return redirect("liaison:household_leaders")
        data = form.cleaned_data
        made = _act(
            request,
            lambda: services.household_leader_create(actor=request.user, **data),
            _("Household leader registered. Give them this link; it is shown only now."),
        )
        if made is not None:
            return _link_page(request, *made)
        return redirect("liaison:household_leaders")
    matters = selectors.household_matters(user=request.user)
    waiting = list(
        matters.filter(state=HouseholdMatter.State.REPORTED).order_by("reported_at")[:200]
    )
    return render(
        request,
        "liaison/household_leaders.html",
        {
            "form": form if blocks.exists() else None,
            "leaders": selectors.household_leaders(user=request.user).filter(is_active=True)[:500],
            "waiting": [
                {
                    "matter": m,
                    "form": CategoryForm(prefix=f"m{m.pk}"),
                    "phone": mask_phone(m.leader.phone),
                }
                for m in waiting
            ],  # fmt: skip
            "recent": matters.exclude(state=HouseholdMatter.State.REPORTED).order_by("-decided_at")[
                :30
            ],
            "may_act": scope_for(request.user).codes_for(
                selectors.BLOCK_STAFF | {"dispatcher", "street_admin"}
            ),
            "report_form": MatterReportForm(),
        },
    )


def _leader(request: HttpRequest, leader_id: int):
    return _get(selectors.household_leaders(user=request.user), pk=leader_id)


@login_required
@require_POST
def household_leader_link(request: HttpRequest, leader_id: int) -> HttpResponse:
    leader = _leader(request, leader_id)
    token = _act(
        request,
        lambda: services.household_leader_new_link(actor=request.user, leader_id=leader.pk),
        _("A new link; the old one no longer works."),
    )
    if token is None:
        return redirect("liaison:household_leaders")
    return _link_page(request, leader, token)


@login_required
@require_POST
def household_leader_end(request: HttpRequest, leader_id: int) -> HttpResponse:
    leader = _leader(request, leader_id)
    _act(request, lambda: services.household_leader_end(actor=request.user, leader_id=leader.pk),
         _("Done."))  # fmt: skip
    return redirect("liaison:household_leaders")


@login_required
@require_POST
def household_matter_take_down(request: HttpRequest, leader_id: int) -> HttpResponse:
    """Staff take down what a household leader says on the phone (attributed to them)."""
    leader = _leader(request, leader_id)
    form = MatterReportForm(request.POST)
    if form.is_valid():
        _act(
            request,
            lambda: services.household_matter_report(
                leader=leader, actor=request.user, **form.cleaned_data
            ),  # fmt: skip
            _("Taken down."),
        )
    else:
        _form_errors(request, form)
    return redirect("liaison:household_leaders")


@login_required
@require_POST
def household_matter_decide(request: HttpRequest, matter_id: int, what: str) -> HttpResponse:
    matter = _get(selectors.household_matters(user=request.user), pk=matter_id)
    if what == "accept":
        return _case_or_back(
            request,
            CategoryForm(request.POST, prefix=f"m{matter.pk}"),
            lambda category, priority: services.household_matter_accept(
                actor=request.user, matter_id=matter.pk, category=category, priority=priority
            ),
            _("Accepted as a case."),
            redirect("liaison:household_leaders"),
        )
    elif what == "decline":
        _act(
            request,
            lambda: services.household_matter_decline(
                actor=request.user, matter_id=matter.pk, reason=request.POST.get("reason", "")
            ),
            _("Declined."),
        )
    else:
        raise Http404
    return redirect("liaison:household_leaders")


def _reveal(request: HttpRequest, object_type: str, object_id, phone: str) -> HttpResponse:
    """Show a resident's number to whoever handles it, with a reason, on the audit log
    (DESIGN §6) — the same rule as a case's reporter."""
    reason = request.POST.get("reason", "").strip()
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


@login_required
@require_POST
def wish_reveal(request: HttpRequest, wish_id: int) -> HttpResponse:
    """The member who took the wish (or the community) calls the resident."""
    wish = _get(selectors.wishes(user=request.user), pk=wish_id)
    mine = wish.member is not None and wish.member.user_id == request.user.pk
    serves = selectors.serves_community(scope_for(request.user), wish.area_code)
    if not (serves or (mine and wish.state == Wish.State.TAKEN)):
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
            services.household_matter_report(leader=leader, **form.cleaned_data)
            messages.success(request, _("Sent. The block governor will answer."))
            return redirect("liaison:household_report", token=token)
    return render(
        request,
        "liaison/household_report.html",
        {"leader": leader, "form": form, "matters": leader.matters.order_by("-reported_at")[:10]},
    )


# --- dual registration and wishes -------------------------------------------------------------
@login_required
def registrations(request: HttpRequest) -> HttpResponse:
    communities = _served_communities(request.user)
    if request.method == "POST":
        community = _chosen_community(request, communities)
        if community is None:
            messages.error(request, _("Choose a community you work for."))
            return redirect("liaison:registrations")
        if request.POST.get("kind") == "organisation":
            _act(request, lambda: services.organisation_register(
                actor=request.user, community=community, name=request.POST.get("name", ""),
                contact_name=request.POST.get("contact_name", ""),
            ), _("Registered."))  # fmt: skip
        else:
            org = (
                selectors.organisations(user=request.user)
                .filter(pk=_int(request.POST.get("organisation")))
                .first()
            )
            user = None
            if request.POST.get("username"):
                user = get_user_model().objects.filter(username=request.POST["username"]).first()
                if user is None:
                    messages.error(request, _("No account with that username."))
                    return redirect("liaison:registrations")
            _act(request, lambda: services.member_register(
                actor=request.user, community=community, name=request.POST.get("name", ""),
                phone=request.POST.get("phone", ""), organisation=org, user=user,
            ), _("Registered."))  # fmt: skip
        return redirect("liaison:registrations")
    members = selectors.members(user=request.user).order_by("-wishes_done", "name")[:500]
    return render(
        request,
        "liaison/registrations.html",
        {
            "communities": communities,
            "organisations": selectors.organisations(user=request.user).order_by(
                "-wishes_done", "name"
            )[:500],
            "members": [{"member": m, "phone": mask_phone(m.phone)} for m in members],
        },
    )


@login_required
def wishes(request: HttpRequest) -> HttpResponse:
    communities = _served_communities(request.user)
    if request.method == "POST":
        community = _chosen_community(request, communities)
        if community is None:
            messages.error(request, _("Choose a community you work for."))
            return redirect("liaison:wishes")
        wish = _act(request, lambda: services.wish_post(
            actor=request.user, community=community, title=request.POST.get("title", ""),
            description=request.POST.get("description", ""),
            resident_name=request.POST.get("resident_name", ""),
            resident_phone=request.POST.get("resident_phone", ""),
        ), _("Wish posted."))  # fmt: skip
        if wish is not None:
            return redirect("liaison:wish_detail", wish_id=wish.pk)
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
    scope = scope_for(request.user)
    serves = selectors.serves_community(scope, wish.area_code)
    if request.method == "POST":
        what = request.POST.get("action")
        calls = {
            "assign": lambda: services.wish_assign(
                actor=request.user, wish_id=wish.pk, member_id=_int(request.POST.get("member"))
            ),
            "take": lambda: services.wish_take(actor=request.user, wish_id=wish.pk),
            "done": lambda: services.wish_done(
                actor=request.user, wish_id=wish.pk, note=request.POST.get("note", "")
            ),
            "cancel": lambda: services.wish_cancel(
                actor=request.user, wish_id=wish.pk, reason=request.POST.get("note", "")
            ),
        }
        if what not in calls:
            raise Http404
        _act(request, calls[what], _("Done."))
        return redirect("liaison:wish_detail", wish_id=wish.pk)
    return render(
        request,
        "liaison/wish_detail.html",
        {
            "wish": wish,
            "serves": serves,
            "mine": wish.member is not None and wish.member.user_id == request.user.pk,
            "phone": mask_phone(wish.resident_phone),
            "may_reveal": wish.resident_phone
            and (
                serves
                or (
                    wish.state == Wish.State.TAKEN
                    and wish.member is not None
                    and wish.member.user_id == request.user.pk
                )
            ),
            "members": PartyMember.objects.filter(community=wish.community, is_active=True)
            .select_related("organisation")
            .order_by("name")
            if serves
            else [],
            "history": selectors.activity_of(wish),
        },
    )


# --- joint responsibility -----------------------------------------------------------------------
@login_required
def joint_groups(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request.user)
    groups = list(selectors.joint_groups(user=request.user)[:300])
    have = {g.community_id for g in groups}
    missing = [c for c in _areas(request.user, Area.Level.COMMUNITY) if c.pk not in have]
    return render(
        request,
        "liaison/joint_groups.html",
        {
            "groups": groups,
            "positions": JointGroupMember.Position.choices,
            "missing": missing
            if scope.codes_for({"dispatcher", "street_admin"}) or scope.is_superuser
            else [],
        },
    )


@login_required
def joint_group(request: HttpRequest, code: str) -> HttpResponse:
    community = _get(_areas(request.user, Area.Level.COMMUNITY), code=code)
    scope = scope_for(request.user)
    group = selectors.joint_groups(user=request.user).filter(community=community).first()
    year = _int(request.GET.get("year") or request.POST.get("year"), timezone.localdate().year)
    if request.method == "POST":
        if request.POST.get("action") == "evaluate":
            _act(request, lambda: services.two_way_evaluate(
                actor=request.user, member_id=_int(request.POST.get("member")), year=year,
                direction=request.POST.get("direction", ""), score=_int(request.POST.get("score"), -1),
                comment=request.POST.get("comment", ""),
            ), _("Evaluation recorded."))  # fmt: skip
        else:
            departments = {d.pk: d for d in _district_departments(request.user)}
            members = {
                p: {
                    "name": request.POST.get(f"{p}-name", ""),
                    "title": request.POST.get(f"{p}-title", ""),
                    "department": departments.get(_int(request.POST.get(f"{p}-department"))),
                }
                for p in JointGroupMember.Position.values
            }
            _act(request, lambda: services.joint_group_set(
                actor=request.user, community=community, members=members,
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
    return render(
        request,
        "liaison/joint_group.html",
        {
            "community": community, "group": group, "year": year, "positions": positions,
            "may_set": scope.can_act_in_street(community.code),
            "may_rate_up": community.code in selectors.home_communities(scope, selectors.BLOCK_STAFF),
            "may_rate_down": scope.can_act_in_street(community.code),
            "own_member_ids": [m.pk for m in current.values() if m.user_id == request.user.pk],
            "departments": _district_departments(request.user) if scope.can_act_in_street(community.code) else [],
            "directions": [
                (value, label)
                for value, label in TwoWayEvaluation.Direction.choices
                if (value == "upward" and community.code in selectors.home_communities(scope, selectors.BLOCK_STAFF))
                or (value == "downward" and (scope.can_act_in_street(community.code)
                                             or any(m.user_id == request.user.pk for m in current.values())))
            ],
            "years": [year - 1, year + 1],
        },
    )  # fmt: skip


# --- the quarterly loop -------------------------------------------------------------------------
def _open_quarter(request: HttpRequest, open_list, detail: str, back: str) -> HttpResponse:
    """Open (or find) a quarter's list and go to it."""
    year, quarter = current_quarter(timezone.localdate())
    made = _act(
        request,
        lambda: open_list(
            year=_int(request.POST.get("year"), year),
            quarter=_int(request.POST.get("quarter"), quarter),
        ),
        _("Opened."),
    )
    return redirect(detail, list_id=made.pk) if made is not None else redirect(back)


@login_required
def demand_lists(request: HttpRequest) -> HttpResponse:
    communities = _served_communities(request.user)
    year, quarter = current_quarter(timezone.localdate())
    if request.method == "POST":
        community = _chosen_community(request, communities)
        if community is None:
            raise Http404
        return _open_quarter(
            request,
            lambda **when: services.demand_list_open(
                actor=request.user, community=community, **when
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


@login_required
def demand_list(request: HttpRequest, list_id: int) -> HttpResponse:
    from events.selectors import event_queryset

    demand = _get(selectors.demand_lists(user=request.user), pk=list_id)
    scope = scope_for(request.user)
    serves = selectors.serves_community(scope, demand.area_code)
    if request.method == "POST":
        what = request.POST.get("action")
        if what == "add_cases":
            cases = event_queryset(user=request.user).filter(
                pk__in=[_int(v) for v in request.POST.getlist("event")],
                area_code__startswith=demand.area_code,
            )
            for case in cases:
                _act(request, lambda c=case: services.demand_item_add(
                    actor=request.user, demand_list_id=demand.pk, event=c,
                ), _("Added %(number)s.") % {"number": case.number})  # fmt: skip
        elif what == "add_findings":
            found = VisitFinding.objects.filter(
                pk__in=[_int(v) for v in request.POST.getlist("finding")],
                area_code__startswith=demand.area_code,
            )
            for finding in found:
                _act(request, lambda f=finding: services.demand_item_add(
                    actor=request.user, demand_list_id=demand.pk, finding=f,
                ), _("Added."))  # fmt: skip
        elif what == "add_text":
            _act(request, lambda: services.demand_item_add(
                actor=request.user, demand_list_id=demand.pk, text=request.POST.get("text", ""),
            ), _("Added."))  # fmt: skip
        elif what == "remove":
            item = _get(demand.items.all(), pk=_int(request.POST.get("item")))
            _act(request, lambda: services.demand_item_remove(actor=request.user, item_id=item.pk),
                 _("Removed."))  # fmt: skip
        elif what == "submit":
            _act(request, lambda: services.demand_list_submit(actor=request.user, demand_list_id=demand.pk),
                 _("Submitted to the street."))  # fmt: skip
        else:
            raise Http404
        return redirect("liaison:demand_list", list_id=demand.pk)
    items = list(selectors.demand_list_items(demand_list=demand))
    on_list = {i.event_id for i in items if i.event_id}
    on_list_findings = {i.finding_id for i in items if i.finding_id}
    first_month = (demand.quarter - 1) * 3 + 1
    since = date(demand.year, first_month, 1)
    candidates, findings = [], []
    if serves and demand.state == QuarterState.DRAFT:
        # Cases of the community in the quarter (and the one before it), newest first.
        candidates = list(
            event_queryset(user=request.user)
            .filter(area_code__startswith=demand.area_code, created_at__date__gte=since.replace(
                month=max(1, first_month - 3)))
            .exclude(pk__in=on_list)
            .order_by("-created_at")[:100]
        )  # fmt: skip
        findings = list(
            VisitFinding.objects.filter(
                area_code__startswith=demand.area_code, visit__visited_on__gte=since.replace(
                    month=max(1, first_month - 3)),
            ).exclude(pk__in=on_list_findings).select_related("visit__block").order_by("-id")[:100]
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
    streets = _acting_streets(request.user)
    year, quarter = current_quarter(timezone.localdate())
    if request.method == "POST":
        street = _get(streets, pk=_int(request.POST.get("street")))
        return _open_quarter(
            request,
            lambda **when: services.problem_list_open(actor=request.user, street=street, **when),
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
    scope = scope_for(request.user)
    is_street = scope.can_act_in_street(plist.area_code)
    departments = Department.objects.filter(
        pk__in=scope.department_ids, district__code=plist.area_code[:6]
    )
    people = (
        get_user_model()
        .objects.filter(
            department_memberships__department__in=departments,
            department_memberships__ended_on__isnull=True,
        )
        .distinct()
    )
    if request.method == "POST":
        what = request.POST.get("action")
        if what == "add_problem" and is_street:
            _act(request, lambda: services.problem_add(
                actor=request.user, problem_list_id=plist.pk, title=request.POST.get("title", ""),
                description=request.POST.get("description", ""),
                demand_item_ids=[_int(v) for v in request.POST.getlist("item")],
            ), _("Problem added."))  # fmt: skip
        elif what == "publish":
            _act(request, lambda: services.problem_list_publish(actor=request.user, problem_list_id=plist.pk),
                 _("Published: the departments can claim now."))  # fmt: skip
        elif what == "close":
            _act(request, lambda: services.problem_list_close(actor=request.user, problem_list_id=plist.pk),
                 _("Closed."))  # fmt: skip
        elif what == "claim":
            form = ClaimForm(request.POST, departments=departments, people=people)
            if form.is_valid():
                _act(request, lambda: services.service_claim(
                    actor=request.user, problem_id=_int(request.POST.get("problem")),
                    **form.cleaned_data,
                ), _("Claimed: it is on your service list."))  # fmt: skip
            else:
                _form_errors(request, form)
        else:
            raise Http404
        return redirect("liaison:problem_list", list_id=plist.pk)
    problems = selectors.problems_of(user=request.user, problem_list=plist)
    claims = dict(
        ServiceItem.objects.filter(problem__problem_list=plist)
        .values_list("department_id")
        .annotate(n=Count("id"))
    )
    district_departments = Department.objects.filter(
        district__code=plist.area_code[:6], is_active=True
    ).order_by("code")
    return render(
        request,
        "liaison/problem_list.html",
        {
            "plist": plist, "problems": problems, "is_street": is_street,
            "waiting_items": selectors.submitted_demand_items(problem_list=plist) if is_street else [],
            "claim_form": ClaimForm(departments=departments, people=people,
                                    initial={"department": departments.first(), "responsible": request.user})
            if departments else None,
            "claims": [(d, claims.get(d.pk, 0)) for d in district_departments] if is_street else [],
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
    note = request.POST.get("note", "")
    if what == "progress":
        _act(request, lambda: services.service_progress(actor=request.user, item_id=item.pk, note=note),
             _("Progress recorded."))  # fmt: skip
    elif what == "done":
        _act(request, lambda: services.service_done(actor=request.user, item_id=item.pk, result=note),
             _("Done."))  # fmt: skip
    else:
        raise Http404
    return redirect("liaison:service_items")


@login_required
def meetings(request: HttpRequest) -> HttpResponse:
    streets = _acting_streets(request.user)
    form = None
    if streets.exists():
        codes = Q()
        for street in streets:
            codes |= Q(area_code=street.code)
        form = MeetingForm(
            request.POST or None, streets=streets,
            service_items=ServiceItem.objects.filter(codes).select_related("problem", "department"),
            ledger_items=LedgerItem.objects.filter(codes, year__gte=timezone.localdate().year - 1),
            initial={"held_on": timezone.localdate(), "street": streets.first()},
        )  # fmt: skip
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            data = form.cleaned_data
            _act(request, lambda: services.meeting_record(
                actor=request.user, street=data["street"], held_on=data["held_on"],
                title=data["title"], record=data["record"], attendees=data["attendees"],
                service_item_ids=[i.pk for i in data["service_items"]],
                ledger_item_ids=[i.pk for i in data["ledger_items"]],
            ), _("Meeting recorded."))  # fmt: skip
        else:
            _form_errors(request, form)
        return redirect("liaison:meetings")
    return render(
        request,
        "liaison/meetings.html",
        {"meetings": selectors.meetings(user=request.user)[:100], "form": form},
    )


# --- the livelihood ledger ----------------------------------------------------------------------
@login_required
def ledger(request: HttpRequest) -> HttpResponse:
    streets = _acting_streets(request.user)
    year = _int(request.GET.get("year"), timezone.localdate().year)
    form = None
    if streets.exists():
        form = LedgerEnterForm(
            request.POST or None, streets=streets,
            departments=_district_departments(request.user),
            initial={"year": year, "street": streets.first()},
        )  # fmt: skip
    if request.method == "POST":
        if form is None:
            raise PermissionDenied
        if form.is_valid():
            _act(request, lambda: services.ledger_enter(actor=request.user, **form.cleaned_data),
                 _("Entered in the ledger."))  # fmt: skip
        else:
            _form_errors(request, form)
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
            "streets": _areas(request.user, Area.Level.STREET),
        },  # fmt: skip
    )


@login_required
def ledger_item(request: HttpRequest, item_id: int) -> HttpResponse:
    item = _get(selectors.ledger_items(user=request.user), pk=item_id)
    scope = scope_for(request.user)
    if request.method == "POST":
        what = request.POST.get("action")
        if what == "track":
            form = LedgerTrackForm(request.POST)
            if form.is_valid():
                _act(request, lambda: services.ledger_track(
                    actor=request.user, item_id=item.pk, **form.cleaned_data,
                ), _("Progress recorded."))  # fmt: skip
            else:
                _form_errors(request, form)
        elif what == "close":
            form = LedgerCloseForm(request.POST, request.FILES)
            if form.is_valid():
                _act(request, lambda: services.ledger_close(
                    actor=request.user, item_id=item.pk, **form.cleaned_data,
                ), _("Closed (销账)."))  # fmt: skip
            else:
                _form_errors(request, form)
        else:
            raise Http404
        return redirect("liaison:ledger_item", item_id=item.pk)
    street = scope.can_act_in_street(item.area_code)
    department = item.department_id is not None and scope.can_act_for_department(item.department_id)
    return render(
        request,
        "liaison/ledger_item.html",
        {
            "item": item, "entries": item.entries.select_related("by"),
            "may_track": (street or department) and item.state != LedgerItem.State.CLOSED,
            "may_close": street and item.state != LedgerItem.State.CLOSED,
            "track_form": LedgerTrackForm(initial={"progress": item.progress}),
            "close_form": LedgerCloseForm(), "meetings": item.meetings.all(),
        },
    )  # fmt: skip


def public_ledger(request: HttpRequest, street_code: str) -> HttpResponse:
    """The street's ledger for residents, without login: matters, lead department, target,
    progress and the public summaries only — no names, no phone numbers (DESIGN §6)."""
    street = Area.objects.filter(code=street_code, level=Area.Level.STREET).first()
    if street is None:
        raise Http404
    years = sorted(
        set(LedgerItem.objects.filter(street=street).values_list("year", flat=True)), reverse=True
    )
    year = _int(request.GET.get("year"), years[0] if years else timezone.localdate().year)
    items = list(selectors.public_ledger(street=street, year=year))
    summaries = {}
    for entry in selectors.public_ledger_entries(items=items):
        # Staff write these for the public; a number typed in by mistake is still masked.
        summaries.setdefault(
            entry.item_id, NOTE_PHONE_RE.sub(lambda m: mask_phone(m.group()), entry.public_note)
        )
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
