"""Summary tables of the leaders' dashboard, and the settings and ratings that feed the
department ranking (DESIGN §5, §9)."""

from __future__ import annotations

from django.conf import settings
from django.core.validators import MaxValueValidator, MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _


class StatCounts(models.Model):
    """The counts of ``events.stats.COUNT_NAMES`` as columns, one each, all additive (a
    parent's row is the sum of its children's). A new count in events.stats is a new column
    here and a migration; tests/dashboard/test_measures.py checks the two agree."""

    new = models.BigIntegerField(default=0)
    invalid = models.BigIntegerField(default=0)
    merged = models.BigIntegerField(default=0)
    open = models.BigIntegerField(default=0)
    overdue = models.BigIntegerField(default=0)
    closed = models.BigIntegerField(default=0)
    accepted = models.BigIntegerField(default=0)
    resolved = models.BigIntegerField(default=0)
    resolved_on_time = models.BigIntegerField(default=0)
    rated = models.BigIntegerField(default=0)
    rated_resolved = models.BigIntegerField(default=0)
    satisfied = models.BigIntegerField(default=0)
    basically_satisfied = models.BigIntegerField(default=0)
    dissatisfied = models.BigIntegerField(default=0)
    first_rated = models.BigIntegerField(default=0)
    first_rated_resolved = models.BigIntegerField(default=0)
    first_satisfied = models.BigIntegerField(default=0)
    first_basically_satisfied = models.BigIntegerField(default=0)
    ever_resolved = models.BigIntegerField(default=0)
    reworked = models.BigIntegerField(default=0)
    whistled = models.BigIntegerField(default=0)
    dispatched = models.BigIntegerField(default=0)
    dispatched_on_time = models.BigIntegerField(default=0)
    dispatched_never_returned = models.BigIntegerField(default=0)
    extended = models.BigIntegerField(default=0)
    parts_dispatched = models.BigIntegerField(default=0)
    parts_reported_on_time = models.BigIntegerField(default=0)
    parts_returned = models.BigIntegerField(default=0)
    resident_requests = models.BigIntegerField(default=0)
    resident_accepted = models.BigIntegerField(default=0)
    resident_accepted_in_time = models.BigIntegerField(default=0)
    supervised = models.BigIntegerField(default=0)
    supervised_on_time = models.BigIntegerField(default=0)
    assisted_requests = models.BigIntegerField(default=0)
    assisted_closed = models.BigIntegerField(default=0)
    assisted_closed_on_time = models.BigIntegerField(default=0)
    assisted_rated = models.BigIntegerField(default=0)
    assisted_satisfied = models.BigIntegerField(default=0)
    assisted_basically_satisfied = models.BigIntegerField(default=0)
    resident_response_seconds = models.BigIntegerField(default=0)
    resolve_seconds = models.BigIntegerField(default=0)
    parts_reported_in = models.BigIntegerField(default=0)
    report_in_seconds = models.BigIntegerField(default=0)
    evaluations = models.BigIntegerField(default=0)
    evaluation_points = models.BigIntegerField(default=0)

    class Meta:
        abstract = True


class StatCell(StatCounts):
    """The counts of the cases of one area, logged on one day (or in one month), in total
    or for one category / channel / colour / department.

    Kept for every level (district, street, community, block), so that any dashboard reads
    a few dozen rows whatever the number of cases. Block-day rows are computed from the
    cases; every other row is a sum of them (``dashboards.rollup``).
    """

    class Grain(models.TextChoices):
        DAY = "d", _("day")
        MONTH = "m", _("month")

    class Dim(models.TextChoices):
        TOTAL = "", _("total")
        CATEGORY = "category", _("category")
        CHANNEL = "channel", _("channel")
        PRIORITY = "priority", _("colour")
        DEPARTMENT = "department", _("department")
        WHISTLE_REASON = "reason", _("whistle reason")

    area_code = models.CharField(max_length=21)
    level = models.CharField(max_length=12)
    parent_code = models.CharField(max_length=21, blank=True)
    grain = models.CharField(max_length=1, choices=Grain.choices)
    bucket = models.DateField()
    dim = models.CharField(max_length=12, choices=Dim.choices, blank=True)
    key = models.CharField(max_length=40, blank=True)
    # Block-day totals only: the next moment a running clock of an open case falls due, when
    # the "overdue" count of the row changes with no transition at all.
    next_due_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "governance_statcell"
        verbose_name = _("dashboard summary row")
        verbose_name_plural = _("dashboard summary rows")
        constraints = [
            models.UniqueConstraint(
                fields=["area_code", "grain", "bucket", "dim", "key"], name="statcell_unique"
            )
        ]
        indexes = [
            models.Index(
                fields=["parent_code", "grain", "bucket", "dim"], name="statcell_parent_idx"
            ),
            # Blocks under an area: a prefix match (LIKE 'x%' needs pattern ops under C.UTF-8).
            models.Index(
                fields=["level", "dim", "grain", "area_code", "bucket"],
                name="statcell_level_prefix_idx",
                opclasses=["varchar_pattern_ops"] * 3 + ["varchar_pattern_ops", "date_ops"],
            ),
            # The roll-up sums a day's blocks under an area.
            models.Index(
                fields=["level", "grain", "bucket", "area_code"],
                name="statcell_day_prefix_idx",
                opclasses=[
                    "varchar_pattern_ops",
                    "varchar_pattern_ops",
                    "date_ops",
                    "varchar_pattern_ops",
                ],
            ),  # fmt: skip
            models.Index(
                fields=["next_due_at"],
                condition=Q(next_due_at__isnull=False),
                name="statcell_next_due_idx",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.area_code} {self.grain}{self.bucket} {self.dim}={self.key}"


class DirtyCell(models.Model):
    """A block-day whose cases changed: written in the same transaction as the change (a
    timeline entry), claimed and removed by the roll-up, so nothing is lost or counted
    twice when workers die or two roll-ups run at once."""

    area_code = models.CharField(max_length=21)
    day = models.DateField()

    class Meta:
        db_table = "governance_dirtycell"
        verbose_name = _("changed summary cell")
        verbose_name_plural = _("changed summary cells")

    def __str__(self) -> str:
        return f"{self.area_code} {self.day}"


class RollupState(models.Model):
    """When the summary tables were last brought up to date (the dashboard's "as of")."""

    name = models.CharField(max_length=20, unique=True, default="stats")
    finished_at = models.DateTimeField(null=True, blank=True)
    cells = models.PositiveIntegerField(default=0)

    class Meta:
        db_table = "governance_rollupstate"

    def __str__(self) -> str:
        return f"{self.name} @ {self.finished_at}"


def _share_validators():
    # seed 001 (历下): the streets weigh not less than 30 % of a department's score.
    return [MinValueValidator(0.3), MaxValueValidator(1.0)]


class ScoringSettings(models.Model):
    """How a district scores its departments (一事一考) and counts satisfaction (DESIGN §5)."""

    district = models.OneToOneField(
        "blocks.Area",
        on_delete=models.PROTECT,
        related_name="scoring_settings",
        limit_choices_to={"level": "district"},
        verbose_name=_("district"),
    )
    response_weight = models.FloatField(_("weight of the report-in rate"), default=1.0)
    resolution_weight = models.FloatField(_("weight of the resolution rate"), default=1.0)
    satisfaction_weight = models.FloatField(_("weight of the satisfaction rate"), default=1.0)
    street_share = models.FloatField(
        _("street's share of a department's score"),
        default=0.30,
        validators=_share_validators(),
        help_text=_("At least 0.3 (seed 001: streets weigh at least 30 %)"),
    )
    # A department with fewer cases in the period is ranked but marked as a small sample.
    min_cases = models.PositiveSmallIntegerField(
        _("fewest cases for a full ranking"),
        default=5,
        help_text=_("A department with fewer cases in the period is marked as a small sample"),
    )
    basically_satisfied_factor = models.FloatField(
        _("factor of “basically satisfied”"),
        default=1.0,
        validators=[MinValueValidator(0.0), MaxValueValidator(1.0)],
    )

    class Meta:
        db_table = "governance_scoringsettings"
        verbose_name = _("scoring settings")
        verbose_name_plural = _("scoring settings")
        constraints = [
            models.CheckConstraint(
                condition=Q(street_share__gte=0.3, street_share__lte=1.0),
                name="scoring_street_share_at_least_30",
            ),
        ]

    def __str__(self) -> str:
        return str(self.district)


class StreetDepartmentEvaluation(models.Model):
    """双向评价 (seed 004): at the end of a period a street rates each department that
    worked in it, and a department rates the street (0–100)."""

    class Direction(models.TextChoices):
        STREET_RATES_DEPARTMENT = "street_to_department", _("street rates department")
        DEPARTMENT_RATES_STREET = "department_to_street", _("department rates street")

    direction = models.CharField(_("direction"), max_length=24, choices=Direction.choices)
    street = models.ForeignKey(
        "blocks.Area",
        on_delete=models.PROTECT,
        related_name="+",
        limit_choices_to={"level": "street"},
        verbose_name=_("street"),
    )
    department = models.ForeignKey(
        "blocks.Department",
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("department"),
    )
    period_start = models.DateField(_("period from"))
    period_end = models.DateField(_("period to"))
    score = models.PositiveSmallIntegerField(
        _("score"), validators=[MinValueValidator(0), MaxValueValidator(100)]
    )
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("evaluated at"), default=timezone.now)

    class Meta:
        db_table = "governance_twowayevaluation"
        verbose_name = _("street–department evaluation")
        verbose_name_plural = _("street–department evaluations")
        ordering = ["-period_end"]
        constraints = [
            models.UniqueConstraint(
                fields=["direction", "street", "department", "period_start", "period_end"],
                name="two_way_once_per_period",
            ),
            models.CheckConstraint(condition=Q(score__lte=100), name="two_way_score_0_100"),
        ]

    def __str__(self) -> str:
        return f"{self.street} ↔ {self.department}: {self.score}"


class ReportJob(models.Model):
    """A monthly report being built by a worker: the page polls its progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("building")
        DONE = "done", _("ready")
        FAILED = "failed", _("failed")

    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    area_code = models.CharField(max_length=21)
    month = models.DateField()
    status = models.CharField(max_length=8, choices=Status.choices, default=Status.QUEUED)
    steps = models.PositiveSmallIntegerField(default=5)
    done_steps = models.PositiveSmallIntegerField(default=0)
    content = models.BinaryField(null=True, blank=True)
    error = models.CharField(max_length=300, blank=True)
    created_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(null=True, blank=True)

    class Meta:
        db_table = "governance_reportjob"
        verbose_name = _("report job")
        verbose_name_plural = _("report jobs")

    def __str__(self) -> str:
        return f"{self.area_code} {self.month:%Y-%m}"

    @property
    def percent(self) -> int:
        return int(self.done_steps * 100 / self.steps) if self.steps else 0


class RollupRebuild(models.Model):
    """A full rebuild of an area's summary rows (``rollup.rebuild``), run by the worker one
    chunk (a community) per task; the administrators' page polls its progress bar."""

    class Status(models.TextChoices):
        QUEUED = "queued", _("queued")
        RUNNING = "running", _("rebuilding")
        DONE = "done", _("completed")
        FAILED = "failed", _("failed")

    ACTIVE = (Status.QUEUED, Status.RUNNING)

    area_code = models.CharField(_("area"), max_length=21, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True,
        related_name="+", verbose_name=_("started by"),
    )  # fmt: skip
    status = models.CharField(
        _("status"), max_length=8, choices=Status.choices, default=Status.QUEUED
    )
    # The chunks (community codes) fixed when the job is queued, done in this order.
    chunks = models.JSONField(default=list)
    done_chunks = models.PositiveIntegerField(default=0)
    rows = models.PositiveBigIntegerField(_("rows written"), default=0)
    error = models.CharField(_("what went wrong"), max_length=300, blank=True)
    created_at = models.DateTimeField(_("queued at"), default=timezone.now)
    started_at = models.DateTimeField(_("started at"), null=True, blank=True)
    # Touched by every chunk: an active job nobody touched for long was abandoned.
    touched_at = models.DateTimeField(default=timezone.now)
    finished_at = models.DateTimeField(_("finished at"), null=True, blank=True)

    class Meta:
        db_table = "governance_rolluprebuild"
        verbose_name = _("summary rebuild")
        verbose_name_plural = _("summary rebuilds")
        ordering = ["-created_at", "-pk"]

    def __str__(self) -> str:
        return f"{self.area_code or '*'} {self.status} {self.done_chunks}/{self.total_chunks}"

    @property
    def total_chunks(self) -> int:
        return len(self.chunks) + 1  # the last step re-sums the areas above the chunks

    @property
    def is_active(self) -> bool:
        return self.status in self.ACTIVE

    @property
    def percent(self) -> int:
        if self.status == self.Status.DONE:
            return 100
        return int(self.done_chunks * 100 / self.total_chunks)

    @property
    def seconds(self) -> int | None:
        if self.started_at is None:
            return None
        return int(((self.finished_at or timezone.now()) - self.started_at).total_seconds())
