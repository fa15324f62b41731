"""The links between levels (GLOSSARY: Departments and the links between levels): cadres in
blocks, household leaders, dual registration and wishes, joint responsibility, the
quarterly lists, joint meetings, the livelihood ledger, and the tasks departments push down
to streets and communities (准入)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _

from blocks.models import Area, Department
from events.models import StreetDutyItem
from governance.fields import EncryptedTextField


# ======================================================================================
# The links between levels (issue 8): cadres in blocks, dual registration and wishes,
# household leaders, joint responsibility, the quarterly lists and the livelihood ledger.
# ======================================================================================
def current_quarter(day) -> tuple[int, int]:
    return day.year, (day.month - 1) // 3 + 1


class ActivityEntry(models.Model):
    """Who did what to which link record, and when: the history shown on each page.

    Append-only, like a case's timeline: the record of a wish, a claim or a ledger item is
    what a street answers for in its year-end review (seed 002: 问题入账、动态记账、解决销账).
    """

    at = models.DateTimeField(_("at"), db_index=True)
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("who"),
    )  # fmt: skip
    verb = models.CharField(_("what"), max_length=40)
    object_type = models.CharField(max_length=40)
    object_id = models.PositiveBigIntegerField()
    area_code = models.CharField(max_length=21, blank=True)
    note = models.TextField(_("note"), blank=True)

    class Meta:
        verbose_name = _("link activity")
        verbose_name_plural = _("link activity")
        ordering = ["at", "id"]
        indexes = [
            models.Index(fields=["object_type", "object_id"], name="activity_object_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.object_type}#{self.object_id} {self.verb}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("activity entries are append-only")
        super().save(*args, **kwargs)


class DeployedCadre(models.Model):
    """A cadre sent into blocks (下沉干部, 三级干部进区块, seed 000: 2,800 of three levels),
    or a street leader posted to a community (社区专员, seed 001). They have an account (seed
    000: 6,112 cadres and governors work in the district's WeCom system)."""

    class Level(models.TextChoices):
        DISTRICT = "district", _("district-level cadre")
        STREET = "street", _("street-level cadre")
        COMMUNITY = "community", _("community-level cadre")

    class Kind(models.TextChoices):
        DEPLOYED_CADRE = "deployed_cadre", _("deployed cadre")
        COMMUNITY_COMMISSIONER = "community_commissioner", _("community commissioner")

    user = models.OneToOneField(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="cadre",
        verbose_name=_("person"),
    )  # fmt: skip
    district = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("district"),
        limit_choices_to={"level": Area.Level.DISTRICT},
    )  # fmt: skip
    level = models.CharField(_("level"), max_length=12, choices=Level.choices)
    kind = models.CharField(
        _("kind"), max_length=24, choices=Kind.choices, default=Kind.DEPLOYED_CADRE
    )
    unit = models.CharField(_("work unit"), max_length=80)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="cadres",
        verbose_name=_("department"),
    )  # fmt: skip
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("deployed cadre")
        verbose_name_plural = _("deployed cadres")
        ordering = ["level", "unit"]

    def __str__(self) -> str:
        return f"{self.user.get_full_name() or self.user.username} · {self.unit}"


class CadreLink(models.Model):
    """One cadre linked to one block (or, for a 社区专员, a community) in one of the four
    roles of seed 000: 联络员 / 宣传员 / 服务员 / 冲锋员."""

    class Role(models.TextChoices):
        LIAISON = "liaison", _("liaison")
        PUBLICITY = "publicity", _("publicity")
        SERVICE = "service", _("service")
        VANGUARD = "vanguard", _("vanguard")

    cadre = models.ForeignKey(
        DeployedCadre, on_delete=models.PROTECT, related_name="links", verbose_name=_("cadre")
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="cadre_links", verbose_name=_("area")
    )
    area_code = models.CharField(max_length=21, editable=False)
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    started_on = models.DateField(_("started on"))
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, related_name="+"
    )

    class Meta:
        verbose_name = _("cadre link")
        verbose_name_plural = _("cadre links")
        ordering = ["area_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["cadre", "area"], condition=Q(ended_on__isnull=True),
                name="cadre_link_once", violation_error_message=_("This cadre is already linked here."),
            ),
        ]  # fmt: skip
        indexes = [models.Index(fields=["area_code"], name="cadre_link_area_idx")]

    def __str__(self) -> str:
        return f"{self.cadre} → {self.area.name} ({self.get_role_display()})"


class Visit(models.Model):
    """A cadre's visit to a block (走访 / 认亲串门) or a consultation meeting held there
    (民情恳谈会, 民间夜话, 周末议事会: seed 000)."""

    class Kind(models.TextChoices):
        HOUSEHOLDS = "households", _("door-to-door visit")
        CONSULTATION = "consultation", _("consultation meeting (民情恳谈会)")
        EVENING_TALK = "evening_talk", _("evening talk (民间夜话)")
        WEEKEND_COUNCIL = "weekend_council", _("weekend council (周末议事会)")

    cadre = models.ForeignKey(
        DeployedCadre, on_delete=models.PROTECT, related_name="visits", verbose_name=_("cadre")
    )
    block = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="cadre_visits", verbose_name=_("block")
    )
    area_code = models.CharField(max_length=21, editable=False)
    kind = models.CharField(_("kind"), max_length=16, choices=Kind.choices, default=Kind.HOUSEHOLDS)
    visited_on = models.DateField(_("date"))
    households_visited = models.PositiveSmallIntegerField(_("households visited"), default=0)
    participants = models.PositiveSmallIntegerField(_("participants"), default=0)
    summary = models.TextField(_("summary"), max_length=2000, blank=True)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("recorded by"),
    )  # fmt: skip
    recorded_at = models.DateTimeField(_("recorded at"))

    class Meta:
        verbose_name = _("visit")
        verbose_name_plural = _("visits")
        ordering = ["-visited_on", "-id"]
        indexes = [models.Index(fields=["area_code", "visited_on"], name="visit_area_day_idx")]

    def __str__(self) -> str:
        return f"{self.visited_on} {self.block.name}"


class VisitFinding(models.Model):
    """A matter a visit found: it becomes a case in one click, or is solved on the spot."""

    class State(models.TextChoices):
        OPEN = "open", _("waiting for the block")
        CASE = "case", _("logged as a case")
        SOLVED = "solved", _("solved on the spot")
        DISMISSED = "dismissed", _("not a case")

    visit = models.ForeignKey(Visit, on_delete=models.CASCADE, related_name="findings")
    area_code = models.CharField(max_length=21, editable=False)
    description = models.TextField(_("matter found"), max_length=2000)
    category_code = models.SlugField(_("category code"), max_length=40, blank=True)
    building = models.CharField(_("building / unit"), max_length=60, blank=True)
    state = models.CharField(_("state"), max_length=12, choices=State.choices, default=State.OPEN)
    event = models.OneToOneField(
        "events.Event", on_delete=models.PROTECT, null=True, blank=True,
        related_name="visit_finding", verbose_name=_("case"),
    )  # fmt: skip
    handled_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    handled_at = models.DateTimeField(null=True, blank=True)
    handling_note = models.CharField(_("note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("visit finding")
        verbose_name_plural = _("visit findings")
        ordering = ["id"]
        indexes = [
            models.Index(
                fields=["area_code"], condition=Q(state="open"), name="finding_open_area_idx"
            )
        ]

    def __str__(self) -> str:
        return self.description[:40]


class HouseholdLeader(models.Model):
    """联户长 (seed 003: 枝江's 5,059): a resident who links ~10–30 households of a block and
    carries the six duties (政策宣传员, 社情民意收集员, 矛盾纠纷排解员, 社会治安防范员,
    文明新风倡导员, 共同缔造带动员). Residents have no account: they report through a
    personal link (its token stored only as a hash) or by phone to the block staff."""

    MIN_HOUSEHOLDS, MAX_HOUSEHOLDS = 5, 50

    block = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="household_leaders", verbose_name=_("block")
    )
    area_code = models.CharField(max_length=21, editable=False)
    name = models.CharField(_("name"), max_length=40)
    phone = EncryptedTextField(_("phone"), blank=True)
    households = models.PositiveSmallIntegerField(_("households linked"))
    covers = models.CharField(_("which households"), max_length=120, blank=True,
                              help_text=_("e.g. 3栋1–2单元"))  # fmt: skip
    token_hash = models.CharField(max_length=64, blank=True, db_index=True, editable=False)
    token_issued_at = models.DateTimeField(null=True, blank=True, editable=False)
    is_active = models.BooleanField(_("active"), default=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("created at"))

    class Meta:
        verbose_name = _("household leader")
        verbose_name_plural = _("household leaders")
        ordering = ["area_code", "name"]
        constraints = [
            models.CheckConstraint(
                condition=Q(households__gte=5, households__lte=50),
                name="household_leader_households_range",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.block.name})"


class LinkSettings(models.Model):
    """A district's settings of the links between levels (issue 20). How many households a
    联户长 links: 10–30 in practice (seed 003, 枝江), set per district within the model's
    outer bound of 5–50."""

    district = models.OneToOneField(
        Area, on_delete=models.PROTECT, related_name="link_settings",
        limit_choices_to={"level": "district"}, verbose_name=_("district"),
    )  # fmt: skip
    household_leader_min = models.PositiveSmallIntegerField(
        _("fewest households a household leader links"), default=10
    )
    household_leader_max = models.PositiveSmallIntegerField(
        _("most households a household leader links"), default=30
    )

    DEFAULT_RANGE = (10, 30)

    class Meta:
        verbose_name = _("links settings")
        verbose_name_plural = _("links settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(household_leader_min__gte=HouseholdLeader.MIN_HOUSEHOLDS)
                & Q(household_leader_max__lte=HouseholdLeader.MAX_HOUSEHOLDS)
                & Q(household_leader_min__lte=F("household_leader_max")),
                name="link_settings_household_range",
                violation_error_message=_(
                    "A household leader links between 5 and 50 households; the fewest may not "
                    "exceed the most."
                ),
            ),
        ]

    def __str__(self) -> str:
        return str(self.district)

    @classmethod
    def household_range(cls, district_code: str) -> tuple[int, int]:
        """How many households a household leader of this district may link."""
        row = cls.objects.filter(district__code=district_code).values_list(
            "household_leader_min", "household_leader_max"
        )
        return row[0] if row else cls.DEFAULT_RANGE


class HouseholdMatter(models.Model):
    """A matter a household leader raised, waiting for the block governor to accept it."""

    class Channel(models.TextChoices):
        LINK = "link", _("the leader's own link")
        STAFF = "staff", _("taken down by block staff")

    class State(models.TextChoices):
        REPORTED = "reported", _("waiting for the block")
        ACCEPTED = "accepted", _("accepted as a case")
        DECLINED = "declined", _("declined")

    leader = models.ForeignKey(
        HouseholdLeader, on_delete=models.PROTECT, related_name="matters",
        verbose_name=_("household leader"),
    )  # fmt: skip
    area_code = models.CharField(max_length=21, editable=False)
    description = models.TextField(_("matter"), max_length=2000)
    building = models.CharField(_("building / unit"), max_length=60, blank=True)
    channel = models.CharField(_("channel"), max_length=8, choices=Channel.choices)
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("taken down by"),
    )  # fmt: skip
    reported_at = models.DateTimeField(_("reported at"))
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REPORTED
    )
    event = models.OneToOneField(
        "events.Event", on_delete=models.PROTECT, null=True, blank=True,
        related_name="household_matter", verbose_name=_("case"),
    )  # fmt: skip
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decline_reason = models.CharField(_("reason"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("household leader's matter")
        verbose_name_plural = _("household leaders' matters")
        ordering = ["-reported_at"]
        indexes = [
            models.Index(
                fields=["area_code"], condition=Q(state="reported"), name="hmatter_open_area_idx"
            )
        ]

    def __str__(self) -> str:
        return self.description[:40]


# --- dual registration (双报到) and wishes (微心愿: 群众点单、社区派单、党员接单) ------------
class PartyOrganisation(models.Model):
    """A party organisation registered with a community (seed 001: 660 of them in 历下)."""

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="registered_organisations",
        verbose_name=_("community"),
    )  # fmt: skip
    area_code = models.CharField(max_length=21, editable=False)
    name = models.CharField(_("name"), max_length=100)
    contact_name = models.CharField(_("contact"), max_length=40, blank=True)
    registered_on = models.DateField(_("registered on"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("registered party organisation")
        verbose_name_plural = _("registered party organisations")
        ordering = ["area_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "name"], name="party_org_once_per_community",
                violation_error_message=_("This organisation is already registered here."),
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class PartyMember(models.Model):
    """An in-service party member registered with the community they live in (双报到)."""

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="registered_members",
        verbose_name=_("community"),
    )  # fmt: skip
    area_code = models.CharField(max_length=21, editable=False)
    name = models.CharField(_("name"), max_length=40)
    phone = EncryptedTextField(_("phone"), blank=True)
    organisation = models.ForeignKey(
        PartyOrganisation, on_delete=models.PROTECT, null=True, blank=True,
        related_name="members", verbose_name=_("organisation"),
    )  # fmt: skip
    # With an account the member takes and closes wishes themselves; without one the
    # community records it for them.
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="party_registrations", verbose_name=_("account"),
    )  # fmt: skip
    registered_on = models.DateField(_("registered on"))
    registered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("registered party member")
        verbose_name_plural = _("registered party members")
        ordering = ["area_code", "name"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "user"], condition=Q(user__isnull=False),
                name="party_member_account_once_per_community",
            )
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.name


class Wish(models.Model):
    """A resident's small wish (微心愿 / 群众点单), assigned by the community (派单) to a
    registered member who takes it (接单) and closes it with a note (seed 003)."""

    class State(models.TextChoices):
        POSTED = "posted", _("posted, waiting for the community")
        ASSIGNED = "assigned", _("assigned to a member")
        TAKEN = "taken", _("taken by the member")
        DONE = "done", _("fulfilled")
        CANCELLED = "cancelled", _("cancelled")

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="wishes", verbose_name=_("community")
    )
    area_code = models.CharField(max_length=21, editable=False)
    title = models.CharField(_("wish"), max_length=100)
    description = models.TextField(_("details"), max_length=1000, blank=True)
    resident_name = models.CharField(_("resident"), max_length=40)
    resident_phone = EncryptedTextField(_("resident phone"), blank=True)
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.POSTED)
    posted_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    posted_at = models.DateTimeField(_("posted at"))
    member = models.ForeignKey(
        PartyMember, on_delete=models.PROTECT, null=True, blank=True, related_name="wishes",
        verbose_name=_("member"),
    )  # fmt: skip
    assigned_at = models.DateTimeField(_("assigned at"), null=True, blank=True)
    taken_at = models.DateTimeField(_("taken at"), null=True, blank=True)
    done_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    done_note = models.CharField(_("how it was fulfilled"), max_length=500, blank=True)

    class Meta:
        verbose_name = _("wish")
        verbose_name_plural = _("wishes")
        ordering = ["-posted_at"]
        indexes = [models.Index(fields=["area_code", "state"], name="wish_area_state_idx")]
        constraints = [
            models.CheckConstraint(
                condition=Q(state="posted") | Q(state="cancelled") | Q(member__isnull=False),
                name="wish_assigned_has_member",
            )
        ]

    def __str__(self) -> str:
        return self.title


# --- joint responsibility (五者同责, seed 004) --------------------------------------------
class JointGroup(models.Model):
    """The five officials who share responsibility for one community or village."""

    community = models.OneToOneField(
        Area, on_delete=models.PROTECT, related_name="joint_group", verbose_name=_("community")
    )
    area_code = models.CharField(max_length=21, editable=False)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("joint responsibility group")
        verbose_name_plural = _("joint responsibility groups")
        ordering = ["area_code"]

    def __str__(self) -> str:
        return self.community.name


class JointGroupMember(models.Model):
    class Position(models.TextChoices):
        DISTRICT_LEADER = "district_leader", _("district leader")
        STREET_LEADER = "street_leader", _("street leader")
        DEPARTMENT_LEADER = "department_leader", _("department leader")
        STATIONED_CADRE = "stationed_cadre", _("stationed cadre")
        COMMUNITY_CADRE = "community_cadre", _("community cadre")

    group = models.ForeignKey(JointGroup, on_delete=models.CASCADE, related_name="members")
    position = models.CharField(_("position"), max_length=20, choices=Position.choices)
    name = models.CharField(_("name"), max_length=40)
    title = models.CharField(_("post"), max_length=80, blank=True)
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )

    class Meta:
        verbose_name = _("joint responsibility member")
        verbose_name_plural = _("joint responsibility members")
        ordering = ["group", "position"]
        constraints = [
            models.UniqueConstraint(
                fields=["group", "position"], name="joint_member_one_per_position"
            )
        ]

    def __str__(self) -> str:
        return f"{self.get_position_display()} {self.name}"


class JointGroupEvaluation(models.Model):
    """双向评价 of the five officials (seed 004): once a year the community rates each of its
    five officials, and each official's side rates the community's work; bonuses follow the
    result. (Not the street's rating of departments: dashboards.StreetDepartmentEvaluation.)
    The constraints keep the names they were created with (two_way_…): renaming the model
    renamed only its table."""

    class Direction(models.TextChoices):
        UPWARD = "upward", _("the community rates the official")
        DOWNWARD = "downward", _("the official rates the community")

    member = models.ForeignKey(
        JointGroupMember, on_delete=models.PROTECT, related_name="evaluations"
    )
    year = models.PositiveSmallIntegerField(_("year"))
    direction = models.CharField(_("direction"), max_length=10, choices=Direction.choices)
    score = models.PositiveSmallIntegerField(_("score"))
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("evaluated at"))

    class Meta:
        verbose_name = _("two-way evaluation")
        verbose_name_plural = _("two-way evaluations")
        constraints = [
            models.UniqueConstraint(
                fields=["member", "year", "direction"], name="two_way_evaluation_once",
                violation_error_message=_("This evaluation has already been given."),
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="two_way_evaluation_score"),
        ]  # fmt: skip

    def __str__(self) -> str:
        return f"{self.member} {self.year} {self.direction}: {self.score}"


# --- the quarterly loop: demand list → problem list → service list (seed 002) ----------------
class QuarterState(models.TextChoices):
    DRAFT = "draft", _("being compiled")
    SUBMITTED = "submitted", _("submitted")


class DemandList(models.Model):
    """A community's quarterly list of needs (需求清单), compiled from cases and visits."""

    community = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="demand_lists", verbose_name=_("community")
    )
    area_code = models.CharField(max_length=21, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    state = models.CharField(
        _("state"), max_length=10, choices=QuarterState.choices, default=QuarterState.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)

    class Meta:
        verbose_name = _("demand list")
        verbose_name_plural = _("demand lists")
        ordering = ["-year", "-quarter", "area_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["community", "year", "quarter"], name="demand_list_once_per_quarter"
            ),
            models.CheckConstraint(condition=Q(quarter__range=(1, 4)), name="demand_list_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.community.name} {self.year}Q{self.quarter}"


class DemandItem(models.Model):
    class Source(models.TextChoices):
        CASE = "case", _("from a case")
        VISIT = "visit", _("from a visit")
        HOUSEHOLD = "household", _("from a household leader")
        OTHER = "other", _("collected otherwise")

    demand_list = models.ForeignKey(DemandList, on_delete=models.CASCADE, related_name="items")
    text = models.TextField(_("need"), max_length=1000)
    source = models.CharField(_("source"), max_length=10, choices=Source.choices)
    event = models.ForeignKey(
        "events.Event", on_delete=models.PROTECT, null=True, blank=True, related_name="+",
        verbose_name=_("case"),
    )  # fmt: skip
    finding = models.ForeignKey(
        VisitFinding, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    problem = models.ForeignKey(
        "Problem", on_delete=models.SET_NULL, null=True, blank=True, related_name="demand_items",
        verbose_name=_("grouped into"),
    )  # fmt: skip
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField()

    class Meta:
        verbose_name = _("demand")
        verbose_name_plural = _("demands")
        ordering = ["id"]
        constraints = [
            models.UniqueConstraint(
                fields=["demand_list", "event"], condition=Q(event__isnull=False),
                name="demand_item_case_once",
                violation_error_message=_("This case is already on the list."),
            ),
        ]  # fmt: skip

    def __str__(self) -> str:
        return self.text[:40]


class ProblemList(models.Model):
    """The street's quarterly list of problems (问题清单): its communities' needs grouped."""

    class State(models.TextChoices):
        DRAFT = "draft", _("being compiled")
        PUBLISHED = "published", _("open for departments to claim")
        CLOSED = "closed", _("closed")

    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="problem_lists", verbose_name=_("street")
    )
    area_code = models.CharField(max_length=21, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    state = models.CharField(_("state"), max_length=10, choices=State.choices, default=State.DRAFT)
    published_at = models.DateTimeField(_("published at"), null=True, blank=True)

    class Meta:
        verbose_name = _("problem list")
        verbose_name_plural = _("problem lists")
        ordering = ["-year", "-quarter", "area_code"]
        constraints = [
            models.UniqueConstraint(
                fields=["street", "year", "quarter"], name="problem_list_once_per_quarter"
            ),
            models.CheckConstraint(condition=Q(quarter__range=(1, 4)), name="problem_list_quarter"),
        ]

    def __str__(self) -> str:
        return f"{self.street.name} {self.year}Q{self.quarter}"


class Problem(models.Model):
    problem_list = models.ForeignKey(ProblemList, on_delete=models.CASCADE, related_name="problems")
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("problem"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("problem")
        verbose_name_plural = _("problems")
        ordering = ["problem_list", "number"]
        constraints = [
            models.UniqueConstraint(fields=["problem_list", "number"], name="problem_number_once")
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.title}"


class ServiceItem(models.Model):
    """A problem a department claimed (服务清单): a responsible person and a deadline."""

    MAX_CLAIMS_PER_QUARTER = 3  # seed 002: each member unit claims 1 to 3 problems a quarter

    class State(models.TextChoices):
        CLAIMED = "claimed", _("claimed")
        IN_PROGRESS = "in_progress", _("in progress")
        DONE = "done", _("done")

    problem = models.OneToOneField(Problem, on_delete=models.PROTECT, related_name="service_item")
    area_code = models.CharField(max_length=21, editable=False)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="service_items",
        verbose_name=_("department"),
    )  # fmt: skip
    responsible = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+",
        verbose_name=_("responsible person"),
    )  # fmt: skip
    due_on = models.DateField(_("deadline"))
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.CLAIMED
    )
    claimed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    claimed_at = models.DateTimeField(_("claimed at"))
    progress_note = models.CharField(_("latest progress"), max_length=500, blank=True)
    done_at = models.DateTimeField(_("done at"), null=True, blank=True)
    result = models.TextField(_("result"), max_length=2000, blank=True)

    class Meta:
        verbose_name = _("service item")
        verbose_name_plural = _("service list")
        ordering = ["due_on"]
        indexes = [models.Index(fields=["department", "state"], name="service_item_dept_idx")]

    def __str__(self) -> str:
        return f"{self.problem.title} · {self.department}"

    def is_overdue(self, today) -> bool:
        return self.state != self.State.DONE and today > self.due_on


# --- the livelihood ledger (民生实事账本, seed 002) -----------------------------------------
class LedgerItem(models.Model):
    """One yearly livelihood matter: entered (入账), tracked (记账), closed with evidence
    (销账). Shown to the public per street, without personal data."""

    class State(models.TextChoices):
        ENTERED = "entered", _("entered")
        IN_PROGRESS = "in_progress", _("in progress")
        CLOSED = "closed", _("closed")

    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="ledger_items", verbose_name=_("street")
    )
    area_code = models.CharField(max_length=21, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    number = models.PositiveSmallIntegerField(_("number"))
    title = models.CharField(_("matter"), max_length=120)
    description = models.TextField(_("description"), max_length=2000, blank=True)
    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, null=True, blank=True, related_name="ledger_items",
        verbose_name=_("lead department"),
    )  # fmt: skip
    target_on = models.DateField(_("target date"), null=True, blank=True)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.ENTERED
    )
    progress = models.PositiveSmallIntegerField(_("progress (%)"), default=0)
    entered_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    entered_at = models.DateTimeField(_("entered at"))
    updated_at = models.DateTimeField(_("last update"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    evidence = models.TextField(_("evidence"), max_length=2000, blank=True)
    evidence_file = models.FileField(_("evidence file"), upload_to="ledger/%Y/", blank=True)

    class Meta:
        verbose_name = _("livelihood ledger item")
        verbose_name_plural = _("livelihood ledger")
        ordering = ["-year", "area_code", "number"]
        constraints = [
            models.UniqueConstraint(fields=["street", "year", "number"], name="ledger_number_once"),
            models.CheckConstraint(condition=Q(progress__lte=100), name="ledger_progress_range"),
            models.CheckConstraint(
                condition=~Q(state="closed") | ~Q(evidence=""), name="ledger_closed_has_evidence"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.year}-{self.number}. {self.title}"


class LedgerEntry(models.Model):
    """One progress update of a ledger item (动态记账)."""

    item = models.ForeignKey(LedgerItem, on_delete=models.CASCADE, related_name="entries")
    at = models.DateTimeField(_("at"))
    progress = models.PositiveSmallIntegerField(_("progress (%)"))
    note = models.TextField(_("progress"), max_length=1000)
    public_note = models.CharField(
        _("public summary"), max_length=200, blank=True,
        help_text=_("Shown on the public ledger page; no names or numbers of people."),
    )  # fmt: skip
    by = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("ledger entry")
        verbose_name_plural = _("ledger entries")
        ordering = ["at", "id"]

    def __str__(self) -> str:
        return f"{self.item_id} {self.progress}%"


class JointMeeting(models.Model):
    """The street's quarterly joint meeting (联席会议) and what it decided."""

    street = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="joint_meetings", verbose_name=_("street")
    )
    area_code = models.CharField(max_length=21, editable=False)
    year = models.PositiveSmallIntegerField(_("year"))
    quarter = models.PositiveSmallIntegerField(_("quarter"))
    held_on = models.DateField(_("held on"))
    title = models.CharField(_("title"), max_length=120)
    attendees = models.TextField(_("attendees"), max_length=2000, blank=True)
    record = models.TextField(_("record"), max_length=10000)
    decided_items = models.ManyToManyField(
        ServiceItem, blank=True, related_name="meetings", verbose_name=_("service items decided")
    )
    decided_ledger_items = models.ManyToManyField(
        LedgerItem, blank=True, related_name="meetings", verbose_name=_("ledger items decided")
    )
    recorded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    recorded_at = models.DateTimeField()

    class Meta:
        verbose_name = _("joint meeting")
        verbose_name_plural = _("joint meetings")
        ordering = ["-held_on"]

    def __str__(self) -> str:
        return f"{self.held_on} {self.title}"


# --- task admission (准入, seeds 000 and 001) ------------------------------------------------
class TaskAdmission(models.Model):
    """A task a department pushes down to a street or a community (交办事项), checked against
    the lists of what may be asked of it (``events.StreetDutyItem``). On the lists: admitted.
    Not on them: refused, citing the rule — unless the department gives the basis (a central
    deployment, a provincial rule) and the district approves it (准入审批). 雨湖 (seed 000):
    matters not on the street's lists may not be pushed onto the street; 历下 (seed 001): a
    department may not hand down the duties the duty list gives to itself."""

    class State(models.TextChoices):
        ADMITTED = "admitted", _("admitted: on the lists")
        REFUSED = "refused", _("refused")
        AWAITING_APPROVAL = "awaiting_approval", _("waiting for the district's approval")
        APPROVED = "approved", _("admitted by the district's approval")
        REJECTED = "rejected", _("approval refused")

    ACCEPTED_STATES = (State.ADMITTED, State.APPROVED)

    department = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="task_admissions",
        verbose_name=_("from department"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="task_admissions", verbose_name=_("to")
    )
    area_code = models.CharField(max_length=21, editable=False)
    matter = models.CharField(_("task"), max_length=200)
    detail = models.TextField(_("details"), max_length=2000, blank=True)
    due = models.DateField(_("to be done by"), null=True, blank=True)
    list_item = models.ForeignKey(
        StreetDutyItem,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("under list item"),
    )
    state = models.CharField(_("state"), max_length=20, choices=State.choices)
    # Why it was admitted or refused: the rule the check applied, in the user's language.
    rule = models.CharField(_("rule applied"), max_length=300)
    basis = models.CharField(_("basis for an exception"), max_length=300, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    created_at = models.DateTimeField(_("pushed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)
    decision_note = models.CharField(_("decision note"), max_length=300, blank=True)

    class Meta:
        verbose_name = _("task admission (准入)")
        verbose_name_plural = _("task admissions (准入)")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(fields=["area_code", "state"], name="admission_area_state_idx"),
            models.Index(fields=["department", "created_at"], name="admission_dept_created_idx"),
        ]

    def __str__(self) -> str:
        return f"{self.department} → {self.area}: {self.matter}"
