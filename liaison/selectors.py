"""Reads of the links between levels, always scoped to the user asking (issue 8).

Who sees what follows the roster (blocks.access.Scope) plus two facts of this app:
- a community has no posting of its own: its work is done by the governors and assistants
  of its blocks (雨湖: the community's staff became its block governors, seed 000) and by
  the street above it. So "a community sees only its own lists" means: block staff see the
  lists of the community their block is in, street staff those of their street's
  communities.
- a department sees the problems open for claiming in its district, and of the service
  list only what it claimed; a cadre sees their own links and visits; a registered party
  member with an account sees the wishes given to them.
"""

from __future__ import annotations

import hashlib
from datetime import date

from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When

from blocks.access import Scope, scope_for
from blocks.models import Area, Posting
from liaison.models import (
    ActivityEntry,
    CadreLink,
    DemandItem,
    DemandList,
    DeployedCadre,
    HouseholdLeader,
    HouseholdMatter,
    JointGroup,
    JointGroupMember,
    JointMeeting,
    LedgerEntry,
    LedgerItem,
    PartyMember,
    PartyOrganisation,
    Problem,
    ProblemList,
    QuarterState,
    ServiceItem,
    TwoWayEvaluation,
    Visit,
    VisitFinding,
    Wish,
)

Role = Posting.Role
BLOCK_STAFF = frozenset({Role.GOVERNOR, Role.ASSISTANT})
BLOCK_TEAM = frozenset({Role.GOVERNOR, Role.ASSISTANT, Role.SUPERVISOR})
COMMUNITY_LEN = Area.CODE_LENGTH[Area.Level.COMMUNITY]
STREET_LEN = Area.CODE_LENGTH[Area.Level.STREET]


# --- capabilities (asked by the services before every write) --------------------------------
def home_communities(scope: Scope, roles: frozenset[str] = BLOCK_TEAM) -> frozenset[str]:
    """Communities the user works in through a block posting."""
    return frozenset(c[:COMMUNITY_LEN] for c in scope.codes_for(roles) if len(c) >= COMMUNITY_LEN)


def serves_community(scope: Scope, community_code: str) -> bool:
    """Act for a community: post and assign wishes, register members, compile its demand
    list. Its block staff and its street's staff (never leaders: they watch)."""
    if scope.can_act_in_street(community_code):
        return True
    return community_code[:COMMUNITY_LEN] in home_communities(scope, BLOCK_STAFF)


def sees_community(scope: Scope, community_code: str) -> bool:
    return scope.covers(community_code) or community_code[:COMMUNITY_LEN] in home_communities(scope)


def either(base: Q, extra: Q) -> Q:
    """``base | extra``, where an empty ``base`` (everything: a superuser) stays everything —
    ``Q() | x`` would be only ``x``."""
    return base | extra if base else base


def community_q(scope: Scope, field_name: str = "area_code") -> Q:
    """Rows of the communities the user sees (their block's community, or under their area)."""
    q = scope.area_q(field_name)
    homes = home_communities(scope)
    for code in homes:
        q = either(q, Q(**{f"{field_name}__startswith": code}))
    return q


# --- cadres and visits --------------------------------------------------------------------
def cadre_of(user) -> DeployedCadre | None:
    if not getattr(user, "is_authenticated", False):
        return None
    cached = getattr(user, "_cadre_cache", False)
    if cached is False:
        cached = DeployedCadre.objects.filter(user=user, is_active=True).first()
        user._cadre_cache = cached
    return cached


def cadre_links(*, user) -> QuerySet[CadreLink]:
    """Active links the user may see: in their area, and a cadre's own."""
    scope = scope_for(user)
    visible = community_q(scope)
    cadre = cadre_of(user)
    if cadre is not None:
        visible = either(visible, Q(cadre=cadre))
    return (
        CadreLink.objects.filter(visible, ended_on__isnull=True)
        .select_related("cadre__user", "area", "area__parent")
        .order_by("area_code", "cadre__user__full_name")
    )


def cadre_blocks(*, cadre: DeployedCadre) -> QuerySet[Area]:
    """Blocks a cadre may visit: linked blocks, and every block of a linked community."""
    codes = list(cadre.links.filter(ended_on__isnull=True).values_list("area_code", flat=True))
    if not codes:
        return Area.objects.none()
    q = Q()
    for code in codes:
        q |= Q(code__startswith=code)
    return Area.objects.filter(q, level=Area.Level.BLOCK, closed_on__isnull=True).order_by("code")


def visits(*, user) -> QuerySet[Visit]:
    """Visits of the blocks in the user's areas (a block's, not its neighbours'), and a
    cadre's own."""
    scope = scope_for(user)
    visible = scope.area_q("area_code")
    cadre = cadre_of(user)
    if cadre is not None:
        visible = either(visible, Q(cadre=cadre))
    return (
        Visit.objects.filter(visible)
        .select_related("cadre__user", "block", "block__parent")
        .prefetch_related(
            Prefetch("findings", queryset=VisitFinding.objects.select_related("event"))
        )
    )


def visit_get(*, user, visit_id: int) -> Visit:
    return visits(user=user).get(pk=visit_id)


def open_findings(*, user) -> QuerySet[VisitFinding]:
    """Findings waiting for the block: what the user's blocks must take on or answer."""
    scope = scope_for(user)
    codes = scope.codes_for(BLOCK_STAFF | {Role.DISPATCHER, Role.STREET_ADMIN})
    if not codes and not scope.is_superuser:
        return VisitFinding.objects.none()
    return (
        VisitFinding.objects.filter(
            scope.area_q("area_code", roles=BLOCK_STAFF | {Role.DISPATCHER, Role.STREET_ADMIN}),
            state=VisitFinding.State.OPEN,
        )
        .select_related("visit__cadre__user", "visit__block")
        .order_by("visit__visited_on", "id")
    )


def finding_get(*, user, finding_id: int) -> VisitFinding:
    visible = visits(user=user).values("pk")
    return VisitFinding.objects.select_related("visit__block", "visit__cadre__user").get(
        pk=finding_id, visit__in=visible
    )


def visit_coverage(*, user, area: Area, month: date) -> list[dict]:
    """Every open block under ``area`` with its linked cadres and its visits in ``month``;
    blocks with none come first (三级干部进区块: every block is visited)."""
    first = month.replace(day=1)
    following = date(first.year + (first.month == 12), first.month % 12 + 1, 1)
    scope = scope_for(user)
    blocks = Area.objects.filter(
        community_q(scope, "code"),
        code__startswith=area.code,
        level=Area.Level.BLOCK,
        closed_on__isnull=True,
    )
    month_visits = Visit.objects.filter(
        block=OuterRef("pk"), visited_on__gte=first, visited_on__lt=following
    )
    rows = (
        blocks.annotate(
            visit_count=Count(
                "cadre_visits",
                filter=Q(
                    cadre_visits__visited_on__gte=first, cadre_visits__visited_on__lt=following
                ),
                distinct=True,
            ),
            visited=Exists(month_visits),
        )
        .select_related("parent")
        .order_by("visited", "code")
    )
    links: dict[str, list[CadreLink]] = {}
    codes = [b.code for b in rows]
    prefixes = {c[:COMMUNITY_LEN] for c in codes} | set(codes)
    for link in CadreLink.objects.filter(
        area_code__in=prefixes, ended_on__isnull=True
    ).select_related("cadre__user"):
        links.setdefault(link.area_code, []).append(link)
    return [
        {
            "block": block,
            "visits": block.visit_count,
            "cadres": links.get(block.code, []) + links.get(block.code[:COMMUNITY_LEN], []),
        }
        for block in rows
    ]


# --- household leaders --------------------------------------------------------------------
def household_leaders(*, user) -> QuerySet[HouseholdLeader]:
    scope = scope_for(user)
    return (
        HouseholdLeader.objects.filter(scope.area_q("area_code"))
        .select_related("block")
        .annotate(
            open_matters=Count("matters", filter=Q(matters__state=HouseholdMatter.State.REPORTED))
        )
    )


def household_matters(*, user) -> QuerySet[HouseholdMatter]:
    scope = scope_for(user)
    return HouseholdMatter.objects.filter(scope.area_q("area_code")).select_related(
        "leader", "leader__block", "event", "recorded_by"
    )


def token_hash(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def leader_for_token(token: str) -> HouseholdLeader | None:
    if not token or len(token) > 100:
        return None
    return (
        HouseholdLeader.objects.filter(token_hash=token_hash(token), is_active=True)
        .select_related("block")
        .first()
    )


# --- dual registration and wishes -----------------------------------------------------------
def organisations(*, user) -> QuerySet[PartyOrganisation]:
    return (
        PartyOrganisation.objects.filter(community_q(scope_for(user)))
        .select_related("community")
        .annotate(
            member_count=Count("members", filter=Q(members__is_active=True), distinct=True),
            wishes_done=Count(
                "members__wishes", filter=Q(members__wishes__state=Wish.State.DONE), distinct=True
            ),
        )
    )


def members(*, user) -> QuerySet[PartyMember]:
    return (
        PartyMember.objects.filter(community_q(scope_for(user)))
        .select_related("community", "organisation", "user")
        .annotate(
            wishes_done=Count("wishes", filter=Q(wishes__state=Wish.State.DONE)),
            wishes_open=Count(
                "wishes", filter=Q(wishes__state__in=[Wish.State.ASSIGNED, Wish.State.TAKEN])
            ),
        )
    )


def wishes(*, user) -> QuerySet[Wish]:
    """Wishes of the user's communities, and those given to the user as a member."""
    scope = scope_for(user)
    visible = community_q(scope)
    if getattr(user, "is_authenticated", False):
        visible = either(visible, Q(member__user=user))
    return Wish.objects.filter(visible).select_related("community", "member", "member__user")


def my_wishes(*, user) -> QuerySet[Wish]:
    return wishes(user=user).filter(member__user=user)


def is_registered_member(user) -> bool:
    if not getattr(user, "is_authenticated", False):
        return False
    cached = getattr(user, "_member_cache", None)
    if cached is None:
        cached = PartyMember.objects.filter(user=user, is_active=True).exists()
        user._member_cache = cached
    return cached


# --- joint responsibility -------------------------------------------------------------------
def _members_in_order() -> QuerySet[JointGroupMember]:
    """District leader first, community cadre last: the order of the five (seed 004)."""
    rank = Case(
        *[When(position=p, then=Value(i)) for i, p in enumerate(JointGroupMember.Position.values)]
    )
    return JointGroupMember.objects.select_related("department").order_by(rank)


def joint_groups(*, user) -> QuerySet[JointGroup]:
    return (
        JointGroup.objects.filter(community_q(scope_for(user)))
        .select_related("community", "community__parent")
        .prefetch_related(Prefetch("members", queryset=_members_in_order()))
    )


def joint_group_for_area(area_code: str) -> JointGroup | None:
    """The five officials of the community a case is in (shown on every case there).
    The caller has already shown it may see the case."""
    return (
        JointGroup.objects.filter(area_code=area_code[:COMMUNITY_LEN])
        .prefetch_related(Prefetch("members", queryset=_members_in_order()))
        .first()
    )


def evaluations(*, group: JointGroup, year: int) -> dict[tuple[int, str], TwoWayEvaluation]:
    rows = TwoWayEvaluation.objects.filter(member__group=group, year=year)
    return {(e.member_id, e.direction): e for e in rows}


# --- the quarterly loop ---------------------------------------------------------------------
def demand_lists(*, user) -> QuerySet[DemandList]:
    """A community's lists for its own staff; the street sees its communities' lists."""
    return (
        DemandList.objects.filter(community_q(scope_for(user)))
        .select_related("community", "community__parent")
        .annotate(item_count=Count("items"))
    )


def demand_list_items(*, demand_list: DemandList) -> QuerySet[DemandItem]:
    return demand_list.items.select_related("event", "finding", "problem", "created_by")


def submitted_demand_items(*, problem_list: ProblemList) -> QuerySet[DemandItem]:
    """Needs of the street's communities waiting to be grouped into problems."""
    return DemandItem.objects.filter(
        demand_list__area_code__startswith=problem_list.area_code,
        demand_list__state=QuarterState.SUBMITTED,
        problem__isnull=True,
    ).select_related("demand_list__community", "event")


def problem_lists(*, user) -> QuerySet[ProblemList]:
    """Street staff and leaders see their streets' lists; a department sees the published
    lists of its districts (to claim from them)."""
    scope = scope_for(user)
    visible = scope.area_q("area_code")
    if scope.department_ids:
        visible = either(
            visible,
            Q(
                state__in=[ProblemList.State.PUBLISHED, ProblemList.State.CLOSED],
                street__parent__departments__in=scope.department_ids,
            ),
        )
    return (
        ProblemList.objects.filter(visible)
        .distinct()
        .select_related("street")
        .annotate(
            problem_count=Count("problems", distinct=True),
            claimed_count=Count("problems__service_item", distinct=True),
        )
    )


def problems_of(*, user, problem_list: ProblemList) -> list[Problem]:
    """The problems of a list; to a department, only those still open or claimed by it."""
    scope = scope_for(user)
    rows = problem_list.problems.select_related(
        "service_item", "service_item__department", "service_item__responsible"
    ).prefetch_related("demand_items__demand_list__community")
    if scope.covers(problem_list.area_code):
        return list(rows)
    return list(
        rows.filter(
            Q(service_item__isnull=True) | Q(service_item__department_id__in=scope.department_ids)
        )
    )


def service_items(*, user) -> QuerySet[ServiceItem]:
    """A department sees only what it claimed; street staff and leaders their streets'."""
    scope = scope_for(user)
    visible = either(scope.area_q("area_code"), Q(department_id__in=scope.department_ids))
    return ServiceItem.objects.filter(visible).select_related(
        "problem", "problem__problem_list", "problem__problem_list__street", "department",
        "responsible",
    )  # fmt: skip


def meetings(*, user) -> QuerySet[JointMeeting]:
    return (
        JointMeeting.objects.filter(scope_for(user).area_q("area_code"))
        .select_related("street")
        .prefetch_related(
            "decided_items__problem", "decided_items__department", "decided_ledger_items"
        )  # fmt: skip
    )


# --- the livelihood ledger ------------------------------------------------------------------
def ledger_items(*, user) -> QuerySet[LedgerItem]:
    scope = scope_for(user)
    # The ledger is public per street: block staff see their street's too.
    streets = {c[:STREET_LEN] for c in scope.codes if len(c) >= STREET_LEN}
    visible = either(
        scope.area_q("area_code"),
        Q(department_id__in=scope.department_ids) | Q(area_code__in=streets),
    )
    return LedgerItem.objects.filter(visible).select_related("street", "department")


def public_ledger(*, street: Area, year: int) -> QuerySet[LedgerItem]:
    return LedgerItem.objects.filter(street=street, year=year).select_related("department")


def public_ledger_entries(*, items: list[LedgerItem]) -> QuerySet[LedgerEntry]:
    """The public summaries of the items' progress, newest first."""
    return LedgerEntry.objects.filter(item__in=items).exclude(public_note="").order_by("-at", "-id")


def activity_of(obj) -> QuerySet[ActivityEntry]:
    return ActivityEntry.objects.filter(
        object_type=obj._meta.model_name, object_id=obj.pk
    ).select_related("actor")
