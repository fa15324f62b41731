import json

from django.contrib.auth.decorators import login_required
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render

from blocks import selectors
from blocks.models import Area
from governance.access import scope_for
from governance.privacy import mask_phone


@login_required
def area_browser(request: HttpRequest) -> HttpResponse:
    roots = list(selectors.area_roots(user=request.user))
    if len(roots) == 1:
        return redirect("blocks:area_detail", code=roots[0].code)
    return render(request, "blocks/area_browser.html", {"roots": roots})


@login_required
def area_detail(request: HttpRequest, code: str) -> HttpResponse:
    try:
        area = selectors.area_get(user=request.user, code=code)
    except Area.DoesNotExist:
        raise Http404 from None
    scope = scope_for(request.user)
    context = {
        "area": area,
        "ancestors": selectors.area_ancestors(area=area),
        "children": selectors.area_children_with_counts(area=area),
        "can_edit_roster": scope.can_edit_roster(area.code),
    }
    if area.level == Area.Level.BLOCK:
        team = selectors.block_team(block=area)
        context["team"] = [{"posting": p, "phone": mask_phone(p.user.phone)} for p in team]
        context["boundary_json"] = json.dumps(area.boundary) if area.boundary else ""
    return render(request, "blocks/area_detail.html", context)
