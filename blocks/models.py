"""Territory and the people posted to it (DESIGN §2, GLOSSARY: Territory, People)."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class Area(models.Model):
    """One node of the area tree: district → street → community → block (→ compound → building).

    ``code`` is the materialized path: official statistical codes are hierarchical (6 / 9 /
    12 digits) and a block adds 3 of its own (the 15-digit grid code of the national grid
    standard), so "everything under X" is ``code__startswith=X.code`` on an indexed column
    and nothing ever walks the tree. Codes never change and are never reused: an area that
    is dissolved is closed, so the history of its cases stays readable.
    """

    class Level(models.TextChoices):
        DISTRICT = "district", _("district")
        STREET = "street", _("street")
        COMMUNITY = "community", _("community")
        BLOCK = "block", _("block")
        COMPOUND = "compound", _("compound")
        BUILDING = "building", _("building")

    CODE_LENGTH = {
        Level.DISTRICT: 6,
        Level.STREET: 9,
        Level.COMMUNITY: 12,
        Level.BLOCK: 15,
        Level.COMPOUND: 18,
        Level.BUILDING: 21,
    }
    CHILD_LEVEL = {
        Level.DISTRICT: Level.STREET,
        Level.STREET: Level.COMMUNITY,
        Level.COMMUNITY: Level.BLOCK,
        Level.BLOCK: Level.COMPOUND,
        Level.COMPOUND: Level.BUILDING,
    }

    code = models.CharField(_("code"), max_length=21, unique=True)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent area"),
    )
    level = models.CharField(_("level"), max_length=16, choices=Level.choices)
    name = models.CharField(_("name"), max_length=64)
    households = models.PositiveIntegerField(_("households"), null=True, blank=True)
    boundary = models.JSONField(
        _("boundary"), null=True, blank=True, help_text=_("GeoJSON Polygon or MultiPolygon")
    )
    centre_lat = models.FloatField(_("centre latitude"), null=True, blank=True)
    centre_lon = models.FloatField(_("centre longitude"), null=True, blank=True)
    closed_on = models.DateField(_("closed on"), null=True, blank=True)
    created_at = models.DateTimeField(auto_now_add=True)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        verbose_name = _("area")
        verbose_name_plural = _("areas")
        ordering = ["code"]
        indexes = [
            models.Index(fields=["level", "code"], name="area_level_code_idx"),
            # The version stamp of the point-in-block index (blocks.geo) reads this only.
            models.Index(fields=["level", "updated_at"], name="area_level_updated_idx"),
        ]
        constraints = [
            models.CheckConstraint(
                condition=Q(level="district", parent__isnull=True)
                | (~Q(level="district") & Q(parent__isnull=False)),
                name="area_only_districts_are_roots",
            ),
            models.CheckConstraint(
                condition=Q(code__regex=r"^[0-9]{6}([0-9]{3}){0,5}$"),
                name="area_code_is_digits_in_steps_of_three",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"

    @property
    def is_open(self) -> bool:
        return self.closed_on is None

    def ancestor_codes(self) -> list[str]:
        """Codes of this area and every area above it, without a query."""
        lengths = [n for n in self.CODE_LENGTH.values() if n <= len(self.code)]
        return [self.code[:n] for n in lengths]


class Posting(models.Model):
    """One person in one role in one area, from a date to a date (the roster).

    A block has one governor, N assistants and one supervisor (the 1+N+1 team, seed 000);
    one person may serve several blocks (多格一员, seed 001). Street staff, leaders and
    administrators are posted to their street or district the same way, so the roster is
    the single answer to "which areas may this user see and act in". Postings are ended,
    never deleted: the history of who held a block stays.
    """

    class Role(models.TextChoices):
        GOVERNOR = "governor", _("block governor")
        ASSISTANT = "assistant", _("assistant")
        SUPERVISOR = "supervisor", _("supervisor")
        DISPATCHER = "dispatcher", _("street dispatcher")
        STREET_ADMIN = "street_admin", _("street administrator")
        LEADER = "leader", _("leader")
        ADMINISTRATOR = "administrator", _("administrator")
        # The grid's own levels inside a community (seed 002, 霞浦): 社区总网格 at the
        # community, 小区网格长 and 楼栋网格员 at the block (or its compound / building).
        GRID_HEAD = "grid_head", _("community grid head")
        COMPOUND_HEAD = "compound_head", _("compound grid head")
        BUILDING_WORKER = "building_worker", _("building grid worker")
        # 三官一律进网格 (seeds 002, 004): a police officer, prosecutor, judge or lawyer
        # attached to blocks (``legal_kind`` says which).
        LEGAL = "legal", _("legal team member")
        # 社区专员 (seed 001, 历下): a street leader posted to a community.
        COMMUNITY_COMMISSIONER = "community_commissioner", _("community commissioner")
        # 第一书记 (seed 004, 坡头): a cadre of the department paired (结对) with a community.
        FIRST_SECRETARY = "first_secretary", _("first secretary")

    class LegalKind(models.TextChoices):
        POLICE = "police", _("police officer")
        PROSECUTOR = "prosecutor", _("prosecutor")
        JUDGE = "judge", _("judge")
        LAWYER = "lawyer", _("lawyer")

    class AssistantKind(models.TextChoices):
        LIAISON_CADRE = "liaison_cadre", _("liaison cadre")
        PARTY_GROUP_LEADER = "party_group_leader", _("party group leader")
        OWNERS_COMMITTEE = "owners_committee", _("owners' committee member")
        RESIDENT_REP = "resident_rep", _("resident representative")
        OTHER = "other", _("other")

    # Which level of area each role is posted to.
    ROLE_LEVELS = {
        Role.GOVERNOR: {Area.Level.BLOCK},
        Role.ASSISTANT: {Area.Level.BLOCK},
        Role.SUPERVISOR: {Area.Level.BLOCK},
        # A dispatcher at the district is its command centre (街呼区应, seed 001).
        Role.DISPATCHER: {Area.Level.STREET, Area.Level.DISTRICT},
        Role.STREET_ADMIN: {Area.Level.STREET},
        Role.LEADER: {Area.Level.DISTRICT, Area.Level.STREET},
        Role.ADMINISTRATOR: {Area.Level.DISTRICT},
        Role.GRID_HEAD: {Area.Level.COMMUNITY},
        Role.COMPOUND_HEAD: {Area.Level.BLOCK, Area.Level.COMPOUND},
        Role.BUILDING_WORKER: {Area.Level.BLOCK, Area.Level.COMPOUND, Area.Level.BUILDING},
        Role.LEGAL: {Area.Level.BLOCK},
        Role.COMMUNITY_COMMISSIONER: {Area.Level.COMMUNITY},
        Role.FIRST_SECRETARY: {Area.Level.COMMUNITY},
    }
    BLOCK_TEAM_ROLES = (Role.GOVERNOR, Role.ASSISTANT, Role.SUPERVISOR)
    GRID_ROLES = (Role.GRID_HEAD, Role.COMPOUND_HEAD, Role.BUILDING_WORKER)
    # Those who read their areas' cases and act on none (issue 20); a governor may call the
    # legal team onto a case (events/legal.py).
    READING_ROLES = (*GRID_ROLES, Role.LEGAL, Role.COMMUNITY_COMMISSIONER, Role.FIRST_SECRETARY)

    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="postings",
        verbose_name=_("person"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="postings", verbose_name=_("area")
    )
    role = models.CharField(_("role"), max_length=24, choices=Role.choices)
    assistant_kind = models.CharField(
        _("assistant kind"), max_length=24, choices=AssistantKind.choices, blank=True
    )
    legal_kind = models.CharField(
        _("legal team kind"), max_length=12, choices=LegalKind.choices, blank=True
    )
    pairing = models.ForeignKey(
        "blocks.Department",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="first_secretaries",
        verbose_name=_("paired department"),
    )
    started_on = models.DateField(_("started on"), default=timezone.localdate)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("posting")
        verbose_name_plural = _("postings")
        ordering = ["area__code", "role", "started_on"]
        indexes = [
            models.Index(
                fields=["user"], condition=Q(ended_on__isnull=True), name="posting_active_user_idx"
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(role="governor", ended_on__isnull=True),
                name="posting_one_active_governor_per_block",
                violation_error_message=_("This block already has an active governor."),
            ),
            models.UniqueConstraint(
                fields=["area"],
                condition=Q(role="supervisor", ended_on__isnull=True),
                name="posting_one_active_supervisor_per_block",
                violation_error_message=_("This block already has an active supervisor."),
            ),
            models.UniqueConstraint(
                fields=["user", "area", "role"],
                condition=Q(ended_on__isnull=True),
                name="posting_no_duplicate_active",
                violation_error_message=_("This person already holds this role here."),
            ),
            models.CheckConstraint(
                condition=Q(ended_on__isnull=True) | Q(ended_on__gte=F("started_on")),
                name="posting_ends_after_start",
            ),
            models.CheckConstraint(
                condition=(Q(role="assistant") & ~Q(assistant_kind=""))
                | (~Q(role="assistant") & Q(assistant_kind="")),
                name="posting_assistant_has_kind",
            ),
            models.CheckConstraint(
                condition=(Q(role="legal") & ~Q(legal_kind=""))
                | (~Q(role="legal") & Q(legal_kind="")),
                name="posting_legal_has_kind",
            ),
            models.CheckConstraint(
                condition=(Q(role="first_secretary") & Q(pairing__isnull=False))
                | (~Q(role="first_secretary") & Q(pairing__isnull=True)),
                name="posting_first_secretary_has_pairing",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.get_role_display()} · {self.area.name}"

    @property
    def is_active(self) -> bool:
        # A posting is active until it is ended; ``ended_on`` is the day it was ended.
        return self.ended_on is None


class TerritoryImport(models.Model):
    """One upload of communities and blocks (CSV/XLSX), checked row by row, then written in
    one transaction or not at all. Large files run in a Celery worker; the page polls
    ``checked``/``total`` for its progress bar, and the row-by-row report stays here to be
    downloaded (the rows themselves are kept so any worker can run it, whatever machine)."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        CHECKING = "checking", _("checking rows")
        WRITING = "writing", _("saving")
        DONE = "done", _("imported")
        REJECTED = "rejected", _("rejected: nothing imported")
        FAILED = "failed", _("failed: nothing imported")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("uploaded by"),
    )
    area = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="+", verbose_name=_("imported under")
    )
    file_name = models.CharField(_("file"), max_length=200)
    rows = models.JSONField(_("rows"), default=list)
    status = models.CharField(
        _("status"), max_length=16, choices=Status.choices, default=Status.QUEUED
    )
    total = models.PositiveIntegerField(_("rows in the file"), default=0)
    checked = models.PositiveIntegerField(_("rows checked"), default=0)
    created_count = models.PositiveIntegerField(_("areas created"), default=0)
    updated_count = models.PositiveIntegerField(_("areas updated"), default=0)
    report = models.JSONField(_("report"), default=list)
    created_at = models.DateTimeField(_("uploaded at"), default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        verbose_name = _("territory import")
        verbose_name_plural = _("territory imports")
        ordering = ["-created_at"]

    def __str__(self) -> str:
        return f"{self.file_name} · {self.get_status_display()}"

    @property
    def is_finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.REJECTED, self.Status.FAILED)

    @property
    def percent(self) -> int:
        if self.is_finished:
            return 100
        return int(100 * self.checked / self.total) if self.total else 0

    @property
    def error_count(self) -> int:
        return sum(1 for r in self.report if r.get("outcome") == "error")


# Departments of the district (moved from liaison, issue 16: access reads who works where).
class Department(models.Model):
    """A district-level agency (城管执法, 市场监管, 公安 …) that answers whistles."""

    district = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="departments",
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("district"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        db_table = "liaison_department"
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["district", "code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="department_code_unique"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class DepartmentMember(models.Model):
    """A person working for a department; the liaison officer (报到联络员) reports in."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("officer")
        LIAISON_OFFICER = "liaison_officer", _("liaison officer")
        HEAD = "head", _("head")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="members", verbose_name=_("department")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="department_memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)
    started_on = models.DateField(_("started on"), auto_now_add=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        db_table = "liaison_departmentmember"
        verbose_name = _("department member")
        verbose_name_plural = _("department members")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "user"],
                condition=Q(ended_on__isnull=True),
                name="department_member_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department}"
