import json

from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from blocks import geo, imports, selectors, services, tasks
from blocks.access import scope_for
from blocks.forms import ROSTER_ROLES, ImportUploadForm, PostingForm
from blocks.models import Area, Posting, TerritoryImport
from blocks.panels import AREA_PANELS
from governance.errors import page_act
from governance.privacy import mask_phone
from governance.spreadsheets import download


def _visible_area(request: HttpRequest, code: str) -> Area:
    try:
        return selectors.area_get(user=request.user, code=code)
    except Area.DoesNotExist:
        raise Http404 from None


def _roster_block(request: HttpRequest, code: str, levels=(Area.Level.BLOCK,)) -> Area:
    """A block (or, where ``levels`` says, a community) whose roster the user may edit;
    anything else is 404 (out of scope) or 403 (in sight but read-only, e.g. a governor
    looking at their own block)."""
    block = _visible_area(request, code)
    if block.level not in levels:
        raise Http404
    if not scope_for(request.user).can_edit_roster(block.code):
        raise PermissionDenied(_("You may not change the roster of this area."))
    return block


@login_required
def area_browser(request: HttpRequest) -> HttpResponse:
    roots = list(selectors.area_roots(user=request.user))
    if len(roots) == 1:
        return redirect("blocks:area_detail", code=roots[0].code)
    return render(request, "blocks/area_browser.html", {"roots": roots})


@login_required
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    area = _visible_area(request, code)
    scope = scope_for(request.user)
    context = {
        "area": area,
        "ancestors": selectors.area_ancestors(area=area),
        "children": selectors.area_children_with_counts(area=area),
        "can_edit_roster": scope.can_edit_roster(area.code),
        "area_panels": AREA_PANELS,
    }
    if area.level in (Area.Level.BLOCK, Area.Level.COMMUNITY):
        # Grouped: 1+N+1 team, grid levels, legal team, the community's own (issue 20).
        context["role_groups"] = {
            name: [{"posting": p, "phone": mask_phone(p.user.phone)} for p in postings]
            for name, postings in selectors.area_roles(area=area).items()
        }
    if area.level == Area.Level.BLOCK:
        context["team"] = context["role_groups"]["team"]
        context["boundary_json"] = json.dumps(area.boundary) if area.boundary else ""
    return render(request, "blocks/area_detail.html", context)


@login_required
def block_list(request: HttpRequest, code: str) -> HttpResponse:
    """Every block under an area with its 1+N+1 team, in a constant number of queries."""
    area = _visible_area(request, code)
    blocks = list(selectors.block_list_with_teams(user=request.user, under=area.code))
    rows = []
    for block in blocks:
        team = {"governor": [], "supervisor": [], "assistant": []}
        for posting in block.team:
            team.setdefault(posting.role, []).append(posting)
        rows.append({"block": block, **team})
    return render(
        request,
        "blocks/block_list.html",
        {
            "area": area,
            "ancestors": selectors.area_ancestors(area=area),
            "rows": rows,
            "can_edit_roster": scope_for(request.user).can_edit_roster(area.code),
        },
    )


@login_required
def roster_edit(request: HttpRequest, code: str) -> HttpResponse:
    block = _roster_block(request, code, levels=tuple(ROSTER_ROLES))
    query = request.GET.get("q", "")
    people = selectors.roster_people(user=request.user, block=block)
    form = PostingForm(request.POST or None, people=people, area=block)
    if request.method == "POST" and form.is_valid():
        try:
            services.posting_create(
                actor=request.user,
                request=request,
                area=block,
                **form.cleaned_data,
            )
        except ValidationError as error:
            form.add_error(None, error.messages)
        else:
            messages.success(request, _("The roster has been updated."))
            return redirect("blocks:roster_edit", code=block.code)
    team = selectors.block_team(block=block)
    return render(
        request,
        "blocks/roster_edit.html",
        {
            "area": block,
            "ancestors": selectors.area_ancestors(area=block),
            "team": [{"posting": p, "phone": mask_phone(p.user.phone)} for p in team],
            "single_roles": [Posting.Role(r) for r in services.SINGLE_HOLDER_ROLES]
            if block.level == Area.Level.BLOCK
            else [],
            "history": [p for p in selectors.posting_history(block=block) if not p.is_active],
            "candidates": selectors.roster_candidates(user=request.user, block=block, query=query),
            "query": query,
            "form": form,
            "roles": ROSTER_ROLES[block.level],
            "kinds": Posting.AssistantKind.choices,
            "legal_kinds": Posting.LegalKind.choices,
            "departments": form.fields["pairing"].queryset,
        },
    )


@login_required
@require_POST
def roster_replace(request: HttpRequest, code: str) -> HttpResponse:
    """The second click of "replace the governor": the chosen person takes the role today."""
    block = _roster_block(request, code)
    role = request.POST.get("role", Posting.Role.GOVERNOR)
    person = (
        selectors.roster_people(user=request.user, block=block)
        .filter(pk=request.POST.get("user") or 0)
        .first()
    )
    if person is None:
        messages.error(request, _("Choose a person from the list."))
    else:
        page_act(
            request,
            lambda: services.posting_replace(
                actor=request.user, request=request, block=block, role=role, user=person
            ),
            success=_("%(name)s is now the %(role)s of this block.")
            % {"name": person.get_full_name() or person.username, "role": Posting.Role(role).label},
        )
    return redirect("blocks:roster_edit", code=block.code)


@login_required
@require_POST
def roster_end(request: HttpRequest, code: str, posting_id: int) -> HttpResponse:
    block = _roster_block(request, code, levels=tuple(ROSTER_ROLES))
    posting = get_object_or_404(
        Posting.objects.select_related("area", "user"), pk=posting_id, area=block
    )
    page_act(
        request,
        lambda: services.posting_end(actor=request.user, request=request, posting=posting),
        success=_("The posting has ended; it stays in the history."),
    )
    return redirect("blocks:roster_edit", code=block.code)


def _import_area(request: HttpRequest, code: str) -> Area:
    area = _visible_area(request, code)
    if area.level not in (Area.Level.DISTRICT, Area.Level.STREET, Area.Level.COMMUNITY):
        raise Http404
    if not scope_for(request.user).can_edit_roster(area.code):
        raise PermissionDenied(_("You may not import areas here."))
    return area


def _visible_import(request: HttpRequest, pk: int) -> TerritoryImport:
    """An import the user may follow: one under an area whose roster they administer."""
    job = get_object_or_404(TerritoryImport.objects.select_related("area"), pk=pk)
    if not scope_for(request.user).can_edit_roster(job.area.code):
        raise Http404
    return job


@login_required
def import_start(request: HttpRequest, code: str) -> HttpResponse:
    area = _import_area(request, code)
    form = ImportUploadForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            job = imports.import_create(
                actor=request.user, area=area, upload=form.cleaned_data["file"], request=request
            )
        except ValidationError as error:
            form.add_error("file", error.messages)
        else:
            if job.total <= imports.INLINE_ROWS:
                imports.import_run(import_id=job.pk)
            else:
                transaction.on_commit(lambda: tasks.import_territory.delay(job.pk))
            return redirect("blocks:import_detail", pk=job.pk)
    recent = TerritoryImport.objects.filter(area=area).only(
        "pk", "file_name", "status", "total", "created_at", "area"
    )[:10]
    return render(
        request,
        "blocks/import_start.html",
        {
            "area": area,
            "ancestors": selectors.area_ancestors(area=area),
            "form": form,
            "recent": recent,
            "columns": imports.COLUMNS,
        },
    )


@login_required
def import_detail(request: HttpRequest, pk: int) -> HttpResponse:
    job = _visible_import(request, pk)
    template = (
        "blocks/_import_progress.html"
        if request.headers.get("HX-Request")
        else "blocks/import_detail.html"
    )
    errors = [line for line in job.report if line.get("outcome") == "error"]
    return render(
        request,
        template,
        {"job": job, "area": job.area, "errors": errors[:200], "more_errors": len(errors) > 200},
    )


@login_required
def import_report(request: HttpRequest, pk: int, fmt: str) -> HttpResponse:
    job = _visible_import(request, pk)
    if not job.is_finished or fmt not in ("csv", "xlsx"):
        raise Http404
    filename = f"import-{job.pk}-report.{fmt}"
    if fmt == "csv":
        return download(imports.report_csv(job), filename, content_type="text/csv; charset=utf-8")
    return download(imports.report_xlsx(job), filename)


@login_required
def orphan_check(request: HttpRequest, code: str) -> HttpResponse:
    """The 插花地带 check of an area, for those who administer its territory."""
    area = _import_area(request, code)
    findings = geo.orphan_areas(under=area.code)
    return render(
        request,
        "blocks/orphan_check.html",
        {
            "area": area,
            "ancestors": selectors.area_ancestors(area=area),
            "findings": findings,
            "min_m2": int(geo.MIN_ORPHAN_M2),
        },
    )
