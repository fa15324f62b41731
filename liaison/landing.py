"""Where ``/`` leads: each role lands on its work (DESIGN §1, issue 18).

It lives here, not with the area pages, because this is the lowest layer that knows every
kind of user: the roster's roles and the departments (blocks), and the deployed cadres and
registered party members of the links between levels. The pages it names are found by URL
name, so no layer above is imported.
"""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect

from blocks.access import BLOCK_TEAM_ROLES, Role, scope_for
from liaison import selectors


def landing(user) -> tuple[str, dict]:
    """(URL name, its kwargs) of the page of ``user``'s main work. A user with several
    roles lands on the most hands-on one: the block's work first, then a desk, the roster,
    a department's parts, and the pages that watch (the dashboard)."""
    scope = scope_for(user)
    roles = scope.roles
    if roles & BLOCK_TEAM_ROLES:
        return "events:workbench", {}  # governor, assistants, the supervisor watching
    if Role.DISPATCHER in roles:
        return "events:console", {}  # a street's desk, or the district's command centre
    if Role.STREET_ADMIN in roles:
        # The street's blocks with their teams, each a click from its roster.
        return "blocks:block_list", {"code": scope.codes_for({Role.STREET_ADMIN})[0]}
    if scope.department_ids:
        return "events:inbox", {}
    if roles & {Role.LEADER, Role.ADMINISTRATOR} or user.is_superuser:
        # Administrators too: the Django admin is one click away in the menu, and its own
        # "view site" link leads back to "/", which must not be the admin again.
        return "dashboard:home", {}
    if selectors.cadre_of(user) is not None:
        return "liaison:visits", {}
    if selectors.is_registered_member(user):
        return "liaison:wishes", {}
    return "blocks:area_browser", {}  # says they are not posted anywhere yet, which is true


@login_required
def home(request: HttpRequest) -> HttpResponse:
    """Send each user to the page of their main work."""
    name, kwargs = landing(request.user)
    return redirect(name, **kwargs)
