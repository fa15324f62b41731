"""The links' entries in the navigation, and the five officials on a case page."""

from __future__ import annotations

from functools import partial

from django import template
from django.template.loader import render_to_string
from django.utils.translation import get_language
from django.utils.translation import gettext_lazy as _

from blocks.access import scope_for
from governance import identity
from liaison import selectors

register = template.Library()


@register.inclusion_tag("liaison/_nav.html", takes_context=True)
def liaison_nav(context) -> dict:
    """One entry for every role that works with the links: block staff, street staff,
    leaders, departments, deployed cadres and registered party members."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"show": False}
    # The same on every page until the user's roster changes (governance/identity.py).
    return dict(identity.remembered(user, "liaison_nav", partial(_nav_entries, user)))


def _nav_entries(user) -> dict:
    scope = scope_for(user)
    cadre = selectors.cadre_of(user) is not None
    member = selectors.is_registered_member(user)
    return {
        "show": bool(scope.codes or scope.department_ids or cadre or member),
        "cadre": cadre,
        "member": member and not scope.codes,
        "street": bool(scope.street_staff_codes()),
        "department": bool(scope.department_ids),
    }


@register.inclusion_tag("liaison/_tabs.html", takes_context=True)
def liaison_tabs(context) -> dict:
    """The link pages a user's roles work with (a department does not compile a
    community's demand list; a block governor does not claim problems)."""
    user = context["request"].user
    scope = scope_for(user)
    block = bool(scope.block_team_codes())
    street = bool(scope.street_staff_codes())
    watcher = scope.watches_links
    return {
        "visits": block or street or selectors.cadre_of(user) is not None,
        "households": block or street,
        "wishes": block or street or selectors.is_registered_member(user),
        "demand": block or street,
        "problems": street or watcher or bool(scope.department_ids),
        "ledger": watcher or block or bool(scope.department_ids),
        "groups": watcher or block,
        "admissions": watcher or block or street or bool(scope.department_ids),
    }


@register.simple_tag(takes_context=True)
def joint_group_card(context, event) -> str:
    """五者同责 (seed 004): every case of a community shows its five officials. The case
    page has already checked that the viewer may see the case. The card is the same on
    every case of the community: rendered once per language until the roster changes
    (governance/identity.py, issue 21)."""
    community = event.area_code[: selectors.COMMUNITY_LEN]
    return identity.remembered_for_everyone(
        context["request"].user,
        ("joint_group_card", community, get_language()),
        lambda: render_to_string(
            "liaison/_joint_group_card.html",
            {"group": selectors.joint_group_for_area(community)},
        ),
    )


VERBS = {
    "link": _("linked"), "unlink": _("link ended"), "record": _("recorded"),
    "to_case": _("made a case"), "solved": _("solved on the spot"), "dismissed": _("not a case"),
    "create": _("registered"), "new_link": _("new report link"), "end": _("stepped down"),
    "report": _("reported"), "accept": _("accepted"), "decline": _("declined"),
    "register": _("registered"), "post": _("posted"), "assign": _("assigned"),
    "take": _("taken"), "done": _("done"), "cancel": _("cancelled"), "set": _("officials named"),
    "evaluate_upward": _("rated by the community"), "evaluate_downward": _("rated the community"),
    "open": _("opened"), "add_item": _("need added"), "remove_item": _("need removed"),
    "submit": _("submitted"), "add_problem": _("problem added"), "publish": _("published"),
    "close": _("closed"), "claim": _("claimed"), "progress": _("progress"), "enter": _("entered"),
    "track": _("progress recorded"),
}  # fmt: skip


@register.filter
def activity_label(verb: str) -> str:
    return VERBS.get(verb, verb)
