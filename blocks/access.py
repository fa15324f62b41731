"""Who may see and do what, decided in one place (DESIGN §6, STYLE §6).

A user's scope is read from the roster: the area codes they are posted to, and in which
roles. Selectors filter every queryset through ``Scope.area_q`` (so an out-of-scope object
is simply not found: 404), and services ask the named capabilities below before writing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass, field
from functools import partial, reduce
from operator import or_

from django.db.models import Q

from blocks.models import Area, DepartmentMember, Posting
from governance import identity

Role = Posting.Role

# Read granted by an app above blocks without a posting (liaison: the five officials of
# 五者同责 read their community's cases, seed 004). Registered in that app's AppConfig.ready
# (``register_reader``), so this module never names it.
READER = "reader"
# Roles that only read: leaders watch; they never act on a case (DESIGN §6). So do the grid's
# levels, the legal team, 社区专员 and first secretaries (issue 20; seeds 001, 002, 004): a
# governor calls the legal team onto a case (events/legal.py), they do not act on it.
READ_ONLY_ROLES = frozenset({Role.LEADER, READER, *Posting.READING_ROLES})
BLOCK_ACTING_ROLES = frozenset({Role.GOVERNOR, Role.ASSISTANT})
STREET_ACTING_ROLES = frozenset({Role.DISPATCHER, Role.STREET_ADMIN})
ROSTER_EDITING_ROLES = frozenset({Role.STREET_ADMIN, Role.ADMINISTRATOR})
# A block's team: its staff and the supervisor, who sees the block's work without acting.
BLOCK_TEAM_ROLES = frozenset(Posting.BLOCK_TEAM_ROLES)
# Watch the street's and the district's lists without a desk: leaders, administrators.
WATCHING_ROLES = frozenset({Role.LEADER, Role.ADMINISTRATOR})
# 督办 (DESIGN §3, §6): district and street leaders over their area, a block's supervisor over
# the block. For a leader it is the one write they have; it moves no case.
SUPERVISING_ROLES = frozenset({Role.LEADER, Role.SUPERVISOR})
DISTRICT_CODE_LENGTH = Area.CODE_LENGTH[Area.Level.DISTRICT]


def under_q(codes: tuple[str, ...], field_name: str = "code") -> Q:
    """Rows whose area code lies under one of ``codes`` ("" is everywhere: a superuser's)."""
    if "" in codes:
        return Q()
    if not codes:
        return Q(pk__in=[])
    return reduce(or_, (Q(**{f"{field_name}__startswith": c}) for c in codes))


@dataclass(frozen=True)
class Scope:
    """The areas of one user, by role: ``{role: (area code, …)}``."""

    user_id: int | None
    is_superuser: bool = False
    codes_by_role: dict[str, tuple[str, ...]] = field(default_factory=dict)
    area_names: tuple[tuple[str, str], ...] = ()
    # Departments the user works for: they see and act on what is dispatched to them.
    department_ids: frozenset[int] = frozenset()

    @property
    def is_authenticated(self) -> bool:
        return self.user_id is not None

    @property
    def roles(self) -> frozenset[str]:
        return frozenset(self.codes_by_role)

    @property
    def codes(self) -> tuple[str, ...]:
        """Every code prefix the user may see, with prefixes inside others removed."""
        if self.is_superuser:
            return ("",)
        all_codes = sorted({c for codes in self.codes_by_role.values() for c in codes})
        kept: list[str] = []
        for code in all_codes:
            if not any(code.startswith(k) for k in kept):
                kept.append(code)
        return tuple(kept)

    def codes_for(self, roles: frozenset[str] | set[str]) -> tuple[str, ...]:
        if self.is_superuser:
            return ("",)
        return tuple(c for role in roles for c in self.codes_by_role.get(role, ()))

    def area_q(self, field_name: str = "code", roles: frozenset[str] | None = None) -> Q:
        """A filter matching rows whose area code lies under one of the user's areas."""
        return under_q(self.codes if roles is None else self.codes_for(roles), field_name)

    def covers(self, code: str, roles: frozenset[str] | set[str] | None = None) -> bool:
        codes = self.codes if roles is None else self.codes_for(roles)
        return any(code.startswith(c) for c in codes)

    # --- Named capabilities (checked by services before every write) ---------------------
    def street_desk_codes(self) -> tuple[str, ...]:
        """Where the user is on a street's desk. A dispatcher posted at the district is the
        district's command centre: it takes what streets whistle up, not the streets' work."""
        return tuple(
            c for c in self.codes_for(STREET_ACTING_ROLES) if len(c) != DISTRICT_CODE_LENGTH
        )

    def can_act_in_block(self, code: str) -> bool:
        """Log, accept and handle cases of a block: its governor and assistants."""
        return self.covers(code, BLOCK_ACTING_ROLES) or self.can_act_in_street(code)

    def can_act_in_street(self, code: str) -> bool:
        return any(code.startswith(c) for c in self.street_desk_codes())

    def district_desk_codes(self) -> tuple[str, ...]:
        return tuple(
            c for c in self.codes_for({Role.DISPATCHER}) if len(c) in (0, DISTRICT_CODE_LENGTH)
        )

    def can_act_in_district(self, code: str) -> bool:
        """The district's command centre (街呼区应, seed 001): a dispatcher posted at the
        district dispatches what the district's streets whistled up to it."""
        return any(code.startswith(c) for c in self.district_desk_codes())

    def can_act_for_department(self, department_id: int) -> bool:
        return department_id in self.department_ids

    def can_supervise(self, code: str) -> bool:
        """Put a case of area ``code`` under 督办 (a yellow or red card)."""
        return self.covers(code, SUPERVISING_ROLES)

    def can_edit_roster(self, code: str) -> bool:
        return self.covers(code, ROSTER_EDITING_ROLES)

    # --- The links between levels (liaison/): whose pages offer which forms -------------
    def block_staff_codes(self) -> tuple[str, ...]:
        """Blocks the user staffs (governor, assistant): they act for the block and, with
        the other blocks' staff, for its community (a community has no posting, seed 000)."""
        return self.codes_for(BLOCK_ACTING_ROLES)

    def block_team_codes(self) -> tuple[str, ...]:
        """Blocks whose team the user is on, the supervisor too: they see the community's
        links (its wishes, lists, five officials), the supervisor without acting."""
        return self.codes_for(BLOCK_TEAM_ROLES)

    def street_staff_codes(self) -> tuple[str, ...]:
        """Where the user works for a street: its desk or its administrator, and a
        dispatcher posted at the district for all its streets (unlike
        ``street_desk_codes``, which the services' checks use). The links' street pages —
        cadres, problem lists, meetings, the ledger — offer their forms there."""
        return self.codes_for(STREET_ACTING_ROLES)

    def links_staff_codes(self) -> tuple[str, ...]:
        """Where the user records visits, registers household leaders and answers what
        cadres and household leaders find: block staff and street staff."""
        return self.codes_for(BLOCK_ACTING_ROLES | STREET_ACTING_ROLES)

    @property
    def watches_links(self) -> bool:
        """Street staff, leaders and administrators watch the links' lists, the ledger and
        the five officials of their areas."""
        return bool(self.codes_for(STREET_ACTING_ROLES | WATCHING_ROLES)) or self.is_superuser

    def reads_only(self, code: str) -> bool:
        """Whether the user only reads area ``code``: they see it through read-only roles
        alone (a governor elsewhere who is on this block's legal team only reads here)."""
        if self.is_superuser:
            return False
        return self.covers(code) and not self.covers(code, self.roles - READ_ONLY_ROLES)

    @property
    def is_read_only(self) -> bool:
        return not self.is_superuser and not self.department_ids and self.roles <= READ_ONLY_ROLES

    @property
    def home_area_code(self) -> str | None:
        codes = self.codes
        return codes[0] if codes and codes[0] else None


ANONYMOUS = Scope(user_id=None)

# Each returns the (area code, area name) pairs a user reads without a posting.
_READERS: list[Callable[[object], Iterable[tuple[str, str]]]] = []


def register_reader(reader: Callable[[object], Iterable[tuple[str, str]]]) -> None:
    if reader not in _READERS:
        _READERS.append(reader)


def scope_for(user) -> Scope:
    """The scope of ``user``, computed once per request (cached on the user object)."""
    if user is None or not user.is_authenticated:
        return ANONYMOUS
    cached = getattr(user, "_scope_cache", None)
    if cached is None:
        # Remembered between requests until the roster changes (governance/identity.py).
        cached = user._scope_cache = identity.remembered(user, "scope", partial(_read_scope, user))
    return cached


def _read_scope(user) -> Scope:
    codes_by_role: dict[str, list[str]] = {}
    names: list[tuple[str, str]] = []
    postings = (
        Posting.objects.filter(user=user, ended_on__isnull=True, area__closed_on__isnull=True)
        .values_list("role", "area__code", "area__name")
        .order_by("area__code")
    )
    read = [(READER, code, name) for reader in _READERS for code, name in reader(user)]
    for role, code, name in [*postings, *read]:
        codes_by_role.setdefault(role, []).append(code)
        if (code, name) not in names:
            names.append((code, name))
    department_ids = frozenset(
        DepartmentMember.objects.filter(user=user, ended_on__isnull=True).values_list(
            "department_id", flat=True
        )
    )
    return Scope(
        user_id=user.pk,
        is_superuser=user.is_superuser,
        codes_by_role={r: tuple(c) for r, c in codes_by_role.items()},
        area_names=tuple(names),
        department_ids=department_ids,
    )


def visible_areas(user):
    """Areas a user may see: their own areas and everything under them."""
    return Area.objects.filter(scope_for(user).area_q("code"))
