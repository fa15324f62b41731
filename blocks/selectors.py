"""Reads of the territory, always scoped to the user asking (STYLE §1, §6)."""

from __future__ import annotations

from django.db.models import Case, Count, IntegerField, Prefetch, Q, QuerySet, Sum, Value, When
from django.db.models.functions import Substr

from blocks.access import scope_for, visible_areas
from blocks.models import Area, Posting


def area_get(*, user, code: str) -> Area:
    """The area with ``code`` if the user may see it; ``Area.DoesNotExist`` otherwise."""
    return visible_areas(user).select_related("parent").get(code=code)


def area_roots(*, user) -> QuerySet[Area]:
    """The user's own top areas (where the area browser starts)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Area.objects.filter(level=Area.Level.DISTRICT)
    return Area.objects.filter(code__in=scope.codes)


def area_ancestors(*, area: Area) -> list[Area]:
    """The areas above ``area`` (for the breadcrumb): names only, one query."""
    codes = [c for c in area.ancestor_codes() if c != area.code]
    return list(Area.objects.filter(code__in=codes).order_by("code").only("code", "name", "level"))


def area_children_with_counts(*, area: Area) -> list[dict]:
    """Each child of ``area`` with its number of blocks and households, in two queries."""
    children = list(area.children.order_by("code"))
    if not children or area.level in (Area.Level.BLOCK, Area.Level.COMPOUND):
        return [{"area": c, "blocks": None, "households": c.households} for c in children]
    prefix_len = len(children[0].code)
    totals = {
        row["prefix"]: row
        for row in Area.objects.filter(
            level=Area.Level.BLOCK, code__startswith=area.code, closed_on__isnull=True
        )
        .annotate(prefix=Substr("code", 1, prefix_len))
        .values("prefix")
        .annotate(blocks=Count("id"), households=Sum("households"))
    }
    return [
        {
            "area": child,
            "blocks": totals.get(child.code, {}).get("blocks", 0),
            "households": totals.get(child.code, {}).get("households") or 0,
        }
        for child in children
    ]


# The 1+N+1 order: the governor, the assistants, the supervisor.
TEAM_ORDER = Case(
    When(role=Posting.Role.GOVERNOR, then=Value(0)),
    When(role=Posting.Role.ASSISTANT, then=Value(1)),
    When(role=Posting.Role.SUPERVISOR, then=Value(2)),
    default=Value(3),
    output_field=IntegerField(),
)


def active_postings() -> QuerySet[Posting]:
    return Posting.objects.filter(ended_on__isnull=True).select_related("user")


def block_list_with_teams(*, user, under: str = "") -> QuerySet[Area]:
    """Blocks the user may see (under a code prefix), each with its active team prefetched.

    A constant number of queries whatever the number of blocks (issue 3: listing 326
    blocks with their teams).
    """
    return (
        visible_areas(user)
        .filter(level=Area.Level.BLOCK, code__startswith=under)
        .select_related("parent")
        .prefetch_related(
            Prefetch(
                "postings",
                queryset=active_postings().order_by(TEAM_ORDER, "started_on", "pk"),
                to_attr="team",
            )
        )
        .order_by("code")
    )


def block_team(*, block: Area) -> list[Posting]:
    return list(active_postings().filter(area=block).order_by(TEAM_ORDER, "started_on", "pk"))


def posting_history(*, block: Area) -> QuerySet[Posting]:
    return Posting.objects.filter(area=block).select_related("user").order_by("-started_on")


def roster_people(*, user, block: Area) -> QuerySet:
    """People a street administrator may post to ``block``: the block's own team first (an
    assistant is the natural successor of a governor), then people posted anywhere in the
    administrator's areas, then accounts posted nowhere yet (new staff). Never anyone else's
    staff: the list is scoped like every read."""
    from django.contrib.auth import get_user_model
    from django.db.models import Exists, OuterRef

    User = get_user_model()
    scope = scope_for(user)
    in_scope = Posting.objects.filter(
        scope.area_q("area__code"), user=OuterRef("pk")
    )  # active or past: a former governor may come back
    anywhere_active = Posting.objects.filter(user=OuterRef("pk"), ended_on__isnull=True)
    in_team = Posting.objects.filter(user=OuterRef("pk"), area=block, ended_on__isnull=True)
    people = (
        User.objects.filter(is_active=True, is_superuser=False)
        .filter(Exists(in_scope) | ~Exists(anywhere_active))
        .annotate(
            rank=Case(
                When(Exists(in_team), then=Value(0)), default=Value(1), output_field=IntegerField()
            )
        )
    )
    return people


def roster_candidates(*, user, block: Area, query: str = "", limit: int = 30) -> list:
    """The first ``limit`` of ``roster_people`` matching a name, username or phone ending."""
    from django.db.models import Q

    people = roster_people(user=user, block=block)
    query = query.strip()
    if query:
        people = people.filter(
            Q(full_name__icontains=query) | Q(username__icontains=query) | Q(phone__endswith=query)
        )
    return list(people.order_by("rank", "full_name", "username")[:limit])


def postings_visible(*, user) -> QuerySet[Posting]:
    """Postings (active and ended) in areas the user may see."""
    return Posting.objects.filter(scope_for(user).area_q("area__code"))


# How an area's card groups the people who serve it (issue 20): the 1+N+1 team, the grid's
# levels (seed 002), the legal team (三官一律, seeds 002, 004), and those posted to the
# community for it (社区专员, seed 001; first secretaries, seed 004).
COMMUNITY_ROLES = (
    Posting.Role.GRID_HEAD,
    Posting.Role.COMMUNITY_COMMISSIONER,
    Posting.Role.FIRST_SECRETARY,
)
# Top down: the community's grid head, a compound's head, a building's worker.
GRID_ORDER = Case(
    *(When(role=role, then=Value(n)) for n, role in enumerate(Posting.GRID_ROLES)),
    default=Value(len(Posting.GRID_ROLES)),
    output_field=IntegerField(),
)
ROLE_GROUPS = (
    ("team", Posting.BLOCK_TEAM_ROLES),
    ("grid", Posting.GRID_ROLES),
    ("legal", (Posting.Role.LEGAL,)),
    ("community", (Posting.Role.COMMUNITY_COMMISSIONER, Posting.Role.FIRST_SECRETARY)),
)


def area_roles(*, area: Area) -> dict[str, list[Posting]]:
    """The people serving ``area`` by group (``ROLE_GROUPS``): for a block, those posted at
    it and at its compounds and buildings, and its community's grid head, commissioner and
    first secretaries; for a community, those posted at it. One query."""
    if area.level == Area.Level.BLOCK:
        community = area.code[: Area.CODE_LENGTH[Area.Level.COMMUNITY]]
        where = Q(area__code__startswith=area.code) | Q(
            area__code=community, role__in=COMMUNITY_ROLES
        )
    else:
        where = Q(area=area)
    postings = (
        active_postings()
        .filter(where)
        .select_related("area", "pairing")
        .order_by(TEAM_ORDER, GRID_ORDER, "role", "area__code", "started_on", "pk")
    )
    groups: dict[str, list[Posting]] = {name: [] for name, _roles in ROLE_GROUPS}
    group_of = {role: name for name, roles in ROLE_GROUPS for role in roles}
    for posting in postings:
        if posting.role in group_of:
            groups[group_of[posting.role]].append(posting)
    return groups
