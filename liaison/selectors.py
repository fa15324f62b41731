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

from django.contrib.auth import get_user_model
from django.db.models import Case, Count, Exists, OuterRef, Prefetch, Q, QuerySet, Value, When

from blocks.access import DISTRICT_CODE_LENGTH, Scope, scope_for, under_q
from blocks.models import Area, Department
from events.models import Category, Event
from events.selectors import event_queryset
from liaison.models import (
    ActivityEntry,
    CadreLink,
    DemandItem,
    DemandList,
    DeployedCadre,
    HouseholdLeader,
    HouseholdMatter,
    JointGroup,
    JointGroupEvaluation,
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
    Visit,
    VisitFinding,
    Wish,
)

COMMUNITY_LEN = Area.CODE_LENGTH[Area.Level.COMMUNITY]
STREET_LEN = Area.CODE_LENGTH[Area.Level.STREET]


# --- capabilities (asked by the services before every write) --------------------------------
def _communities_of(codes: tuple[str, ...]) -> frozenset[str]:
    return frozenset(c[:COMMUNITY_LEN] for c in codes if len(c) >= COMMUNITY_LEN)


def home_communities(scope: Scope) -> frozenset[str]:
    """Communities the user works in through a block posting (its supervisor too)."""
    return _communities_of(scope.block_team_codes())


def staffed_communities(scope: Scope) -> frozenset[str]:
    """Communities the user acts for as the staff of one of their blocks."""
    return _communities_of(scope.block_staff_codes())


def serves_community(scope: Scope, community_code: str) -> bool:
    """Act for a community: post and assign wishes, register members, compile its demand
    list. Its block staff and its street's staff (never leaders: they watch)."""
    if scope.can_act_in_street(community_code):
        return True
    return community_code[:COMMUNITY_LEN] in staffed_communities(scope)


def rates_officials(scope: Scope, community_code: str) -> bool:
    """双向评价 upward (seed 004): the community's own staff rate its five officials."""
    return community_code[:COMMUNITY_LEN] in staffed_communities(scope)


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


def _in_districts(codes: tuple[str, ...], field_name: str) -> Q:
    """Rows of the districts ``codes`` lie in (a superuser's "": every district)."""
    if "" in codes:
        return Q()
    return Q(**{f"{field_name}__in": {c[:DISTRICT_CODE_LENGTH] for c in codes}})


# --- the areas and departments the link pages offer in their forms -------------------------
def _open_areas(where: Q, *levels: str) -> QuerySet[Area]:
    return Area.objects.filter(where, level__in=levels, closed_on__isnull=True).order_by("code")


def areas(*, user, level: str) -> QuerySet[Area]:
    """Open areas of one level in the communities the user sees."""
    return _open_areas(community_q(scope_for(user), "code"), level)


def area_get(*, user, code: str, levels: tuple[str, ...] = ()) -> Area:
    """One area the user sees (of one of ``levels``, if given); else Area.DoesNotExist."""
    rows = Area.objects.filter(community_q(scope_for(user), "code"), code=code)
    return (rows.filter(level__in=levels) if levels else rows).get()


def coverage_areas(*, user) -> QuerySet[Area]:
    """Streets and communities to look at the visits of. One query, not a UNION: SQLite
    (the one-command demo) refuses ordered parts."""
    return _open_areas(
        community_q(scope_for(user), "code"), Area.Level.STREET, Area.Level.COMMUNITY
    )


def home_area_code(*, user) -> str:
    """Where a page about areas opens: the user's first area (a superuser: the first
    district)."""
    scope = scope_for(user)
    if scope.home_area_code:
        return scope.home_area_code
    if scope.is_superuser:
        first = Area.objects.filter(level=Area.Level.DISTRICT).order_by("code").first()
        return first.code if first else ""
    return ""


def served_communities(*, user) -> QuerySet[Area]:
    """Open communities the user acts for (``serves_community``), as one query."""
    scope = scope_for(user)
    served = either(
        under_q(scope.street_desk_codes(), "code"), Q(code__in=staffed_communities(scope))
    )
    return areas(user=user, level=Area.Level.COMMUNITY).filter(served)


def desk_streets(*, user) -> QuerySet[Area]:
    """Open streets the user works for (``Scope.street_staff_codes``)."""
    return _open_areas(under_q(scope_for(user).street_staff_codes(), "code"), Area.Level.STREET)


def staffed_blocks(*, user) -> QuerySet[Area]:
    """Open blocks the user records visits and registers household leaders for."""
    return _open_areas(under_q(scope_for(user).links_staff_codes(), "code"), Area.Level.BLOCK)


def district_departments(*, user) -> QuerySet[Department]:
    """Active departments of the user's districts (a department's own people: theirs)."""
    scope = scope_for(user)
    districts = {c[:DISTRICT_CODE_LENGTH] for c in scope.codes if c} or {
        d.code for d in Area.objects.filter(departments__in=scope.department_ids)
    }
    q = Q() if scope.is_superuser else Q(pk__in=scope.department_ids)
    for code in districts:
        q |= Q(district__code=code)
    return Department.objects.filter(q, is_active=True).order_by("code")


def department_get(*, user, code: str, district_code: str) -> Department | None:
    """A department of ``district_code`` by its code, among the user's districts'."""
    return district_departments(user=user).filter(code=code, district__code=district_code).first()


def accounts() -> QuerySet:
    """Accounts a registered party member may be given, to take wishes themselves: anyone's
    (a member's account is theirs, wherever they work)."""
    return get_user_model().objects.order_by("username")


def matter_by_code(code: str) -> Category | None:
    """An active matter of the catalogue, by its code (the API names matters by code)."""
    return Category.objects.filter(code=code, is_active=True).first()


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


def linkable_areas(*, user) -> QuerySet[Area]:
    """Open blocks and communities of the streets the user works for: where the street
    links cadres."""
    return _open_areas(
        under_q(scope_for(user).street_staff_codes(), "code"),
        Area.Level.BLOCK,
        Area.Level.COMMUNITY,
    )


def _cadres_of_districts(codes: tuple[str, ...]) -> QuerySet[DeployedCadre]:
    """Active cadres of the districts ``codes`` lie in."""
    if not codes:
        return DeployedCadre.objects.none()
    return DeployedCadre.objects.filter(
        _in_districts(codes, "district__code"), is_active=True
    ).select_related("user")


def linkable_cadres(*, user) -> QuerySet[DeployedCadre]:
    """Active cadres of the districts of the streets the user works for."""
    return _cadres_of_districts(scope_for(user).street_staff_codes())


def cadres_in_scope(*, user) -> QuerySet[DeployedCadre]:
    """Active cadres of the districts the user's areas lie in."""
    return _cadres_of_districts(scope_for(user).codes)


def recordable_cadres(*, user) -> QuerySet[DeployedCadre]:
    """Active cadres linked where the user sees the links: block and street staff record
    a visit for them (a cadre who rang in)."""
    return (
        DeployedCadre.objects.filter(
            is_active=True,
            links__ended_on__isnull=True,
            links__area_code__in=cadre_links(user=user).values("area_code"),
        )
        .distinct()
        .select_related("user")
    )


def block_cadres(*, user, block: Area) -> QuerySet[DeployedCadre]:
    """Active cadres linked to ``block`` or to its community, among those the user sees."""
    return recordable_cadres(user=user).filter(
        pk__in=CadreLink.objects.filter(
            ended_on__isnull=True, area_code__in=[block.code, block.code[:COMMUNITY_LEN]]
        ).values("cadre_id")
    )


def visit_blocks(*, user) -> QuerySet[Area]:
    """Blocks the user may record a visit to: a cadre's linked ones, and the blocks of
    the staff who record for cadres."""
    blocks = staffed_blocks(user=user)
    cadre = cadre_of(user)
    if cadre is None:
        return blocks
    return (blocks | cadre_blocks(cadre=cadre)).distinct()


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
    codes = scope_for(user).links_staff_codes()
    if not codes:
        return VisitFinding.objects.none()
    return (
        VisitFinding.objects.filter(under_q(codes, "area_code"), state=VisitFinding.State.OPEN)
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


def waiting_matters(*, user) -> QuerySet[HouseholdMatter]:
    """Household leaders' matters waiting for the block to accept or decline, oldest first."""
    return household_matters(user=user).filter(state=HouseholdMatter.State.REPORTED)


def decided_matters(*, user) -> QuerySet[HouseholdMatter]:
    """Matters the block has accepted or declined, the latest first."""
    return (
        household_matters(user=user)
        .exclude(state=HouseholdMatter.State.REPORTED)
        .order_by("-decided_at")
    )


def leader_matters(*, leader: HouseholdLeader) -> QuerySet[HouseholdMatter]:
    """A household leader's own matters, newest first (their page: the link's token found
    the leader, and shows nothing of anyone else)."""
    return leader.matters.order_by("-reported_at")


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


def assignable_members(*, wish: Wish) -> QuerySet[PartyMember]:
    """Active members registered with the wish's community (the caller has the wish from
    ``wishes``, so it is in the user's scope)."""
    return (
        PartyMember.objects.filter(community_id=wish.community_id, is_active=True)
        .select_related("organisation")
        .order_by("name")
    )


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
        .select_related("community")
        .prefetch_related(Prefetch("members", queryset=_members_in_order()))
        .first()
    )


def group_members(*, group: JointGroup | None) -> QuerySet[JointGroupMember]:
    """The five officials of a group the user sees, in their order (none: no group yet)."""
    if group is None:
        return JointGroupMember.objects.none()
    return _members_in_order().filter(group=group)


def evaluations(*, group: JointGroup, year: int) -> dict[tuple[int, str], JointGroupEvaluation]:
    rows = JointGroupEvaluation.objects.filter(member__group=group, year=year)
    return {(e.member_id, e.direction): e for e in rows}


# --- the quarterly loop ---------------------------------------------------------------------
def demand_lists(*, user) -> QuerySet[DemandList]:
    """A community's lists for its own staff; the street sees its communities' lists."""
    return (
        DemandList.objects.filter(community_q(scope_for(user)))
        .select_related("community", "community__parent")
        .annotate(item_count=Count("items"))
        # The count's GROUP BY drops the model's ordering: the newest quarter first.
        .order_by("-year", "-quarter", "area_code")
    )


def demand_list_items(*, demand_list: DemandList) -> QuerySet[DemandItem]:
    return demand_list.items.select_related("event", "finding", "problem", "created_by")


def community_cases(*, user, demand_list: DemandList, since: date | None = None) -> QuerySet[Event]:
    """Cases of the list's community the user sees (created on ``since`` or later), to
    pick needs from."""
    rows = event_queryset(user=user).filter(area_code__startswith=demand_list.area_code)
    return rows.filter(created_at__date__gte=since) if since else rows


def community_findings(
    *, user, demand_list: DemandList, since: date | None = None
) -> QuerySet[VisitFinding]:
    """Visit findings in the list's community (visited on ``since`` or later), to pick
    needs from."""
    rows = VisitFinding.objects.filter(
        community_q(scope_for(user)), area_code__startswith=demand_list.area_code
    ).select_related("visit__block")
    return rows.filter(visit__visited_on__gte=since) if since else rows


def needs_waiting(*, user) -> int:
    """Needs the communities of the user's streets submitted that no problem groups yet
    (the street's to do)."""
    codes = scope_for(user).street_staff_codes()
    if not codes:
        return 0
    return DemandItem.objects.filter(
        under_q(codes, "demand_list__area_code"),
        demand_list__state=QuarterState.SUBMITTED,
        problem__isnull=True,
    ).count()


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
        .order_by("-year", "-quarter", "area_code")
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


def claimable_problems(*, problem_list: ProblemList) -> QuerySet[Problem]:
    """Every problem of a list the user sees, to claim: one another department claimed
    first is the service's conflict to tell (the claim races are decided there)."""
    return problem_list.problems.all()


def claim_departments(*, user, problem_list: ProblemList) -> QuerySet[Department]:
    """The user's own departments in the list's district: those they claim problems for."""
    return Department.objects.filter(
        pk__in=scope_for(user).department_ids,
        district__code=problem_list.area_code[:DISTRICT_CODE_LENGTH],
    ).order_by("code")


def department_people(*, departments: QuerySet[Department] | list[Department]) -> QuerySet:
    """People working for ``departments`` now: whom a claim may name responsible."""
    return (
        get_user_model()
        .objects.filter(
            department_memberships__department__in=departments,
            department_memberships__ended_on__isnull=True,
        )
        .distinct()
    )


def claims_per_department(*, problem_list: ProblemList) -> list[tuple[Department, int]]:
    """Every active department of the list's district with the problems it claimed."""
    claimed = dict(
        ServiceItem.objects.filter(problem__problem_list=problem_list)
        .values_list("department_id")
        .annotate(n=Count("id"))
    )
    departments = Department.objects.filter(
        district__code=problem_list.area_code[:DISTRICT_CODE_LENGTH], is_active=True
    ).order_by("code")
    return [(d, claimed.get(d.pk, 0)) for d in departments]


def service_items(*, user) -> QuerySet[ServiceItem]:
    """A department sees only what it claimed; street staff and leaders their streets'."""
    scope = scope_for(user)
    visible = either(scope.area_q("area_code"), Q(department_id__in=scope.department_ids))
    return ServiceItem.objects.filter(visible).select_related(
        "problem", "problem__problem_list", "problem__problem_list__street", "department",
        "responsible",
    )  # fmt: skip


def street_service_items(*, user, streets: QuerySet[Area]) -> QuerySet[ServiceItem]:
    """Service items of ``streets``, for their joint meeting to decide."""
    return service_items(user=user).filter(area_code__in=[s.code for s in streets])


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


def street_ledger_items(*, user, streets: QuerySet[Area], since_year: int) -> QuerySet[LedgerItem]:
    """Ledger items of ``streets`` from ``since_year`` on, for their joint meeting."""
    return ledger_items(user=user).filter(
        area_code__in=[s.code for s in streets], year__gte=since_year
    )


def ledger_entries(*, item: LedgerItem) -> QuerySet[LedgerEntry]:
    return item.entries.select_related("by")


def public_street(*, code: str) -> Area | None:
    """A street by its code, for its public ledger (no login: anyone may read it)."""
    return Area.objects.filter(code=code, level=Area.Level.STREET).first()


def public_ledger_years(*, street: Area) -> list[int]:
    """The years the street's ledger has items in, newest first."""
    return sorted(
        set(LedgerItem.objects.filter(street=street).values_list("year", flat=True)), reverse=True
    )


def public_ledger(*, street: Area, year: int) -> QuerySet[LedgerItem]:
    return LedgerItem.objects.filter(street=street, year=year).select_related("department")


def public_ledger_entries(*, items: list[LedgerItem]) -> QuerySet[LedgerEntry]:
    """The public summaries of the items' progress, newest first."""
    return LedgerEntry.objects.filter(item__in=items).exclude(public_note="").order_by("-at", "-id")


def activity_of(obj) -> QuerySet[ActivityEntry]:
    return ActivityEntry.objects.filter(
        object_type=obj._meta.model_name, object_id=obj.pk
    ).select_related("actor")
