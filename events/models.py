"""Residents' requests (events), their workflow, timeline, photos and clocks (DESIGN §2–§4)."""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from blocks.models import Area
from governance.fields import EncryptedTextField


class Priority(models.TextChoices):
    """分色治理: colour by importance and urgency (seed 002)."""

    RED = "red", _("red")
    ORANGE = "orange", _("orange")
    YELLOW = "yellow", _("yellow")
    GREEN = "green", _("green")


class CategoryKind(models.TextChoices):
    """What a case of the category is: a complaint or request to be solved (the default),
    or an assisted service (帮代办, seed 000: the block does it on a resident's behalf),
    counted apart from complaints (``events.stats``)."""

    COMPLAINT = "complaint", _("complaint or request")
    ASSISTED_SERVICE = "assisted_service", _("assisted service")


class Category(models.Model):
    """A two-level tree of matters (e.g. 市容环境 › 占道经营) with a default colour."""

    code = models.SlugField(_("code"), max_length=40, unique=True)
    name = models.CharField(_("name"), max_length=40)
    parent = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="children",
        verbose_name=_("parent category"),
    )
    default_priority = models.CharField(
        _("default colour"), max_length=8, choices=Priority.choices, default=Priority.YELLOW
    )
    keywords = models.CharField(
        _("keywords"), max_length=200, blank=True, help_text=_("Extra words that find it in search")
    )
    is_active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveSmallIntegerField(_("order"), default=0)
    kind = models.CharField(
        _("kind"), max_length=16, choices=CategoryKind.choices, default=CategoryKind.COMPLAINT
    )
    description = models.CharField(
        _("description"),
        max_length=300,
        blank=True,
        help_text=_("What an assisted service covers and what the resident should have ready"),
    )

    class Meta:
        verbose_name = _("category")
        verbose_name_plural = _("categories")
        ordering = ["sort_order", "code"]

    def __str__(self) -> str:
        return f"{self.parent.name} › {self.name}" if self.parent_id else self.name

    @property
    def full_name(self) -> str:
        return str(self)

    @property
    def is_assisted_service(self) -> bool:
        return self.kind == CategoryKind.ASSISTED_SERVICE


class Status(models.TextChoices):
    PENDING = "pending", _("pending")
    IN_BLOCK = "in_block", _("handled in the block")
    ESCALATED = "escalated", _("whistled to the street")
    # 街呼区应 (seed 001): the street whistled it on to the district's command centre.
    DISTRICT_ESCALATED = "escalated_district", _("whistled to the district")
    DISPATCHED = "dispatched", _("dispatched to departments")
    IN_PROGRESS = "in_progress", _("in progress at departments")
    AWAITING_VERIFICATION = "awaiting_verification", _("awaiting verification")
    CLOSED = "closed", _("closed")
    INVALID = "invalid", _("invalid")
    MERGED = "merged", _("merged into another case")


OPEN_STATUSES = frozenset(
    {
        Status.PENDING,
        Status.IN_BLOCK,
        Status.ESCALATED,
        Status.DISTRICT_ESCALATED,
        Status.DISPATCHED,
        Status.IN_PROGRESS,
        Status.AWAITING_VERIFICATION,
    }
)


class Action(models.TextChoices):
    """What happens to a case; every timeline entry names one."""

    LOG = "log", _("logged")
    ACCEPT = "accept", _("accepted")
    RESOLVE = "resolve", _("resolved")
    VERIFY = "verify", _("verified")
    REWORK = "rework", _("sent back for rework")
    RATE = "rate", _("rated")
    INVALIDATE = "invalidate", _("marked invalid")
    MERGE = "merge", _("merged")
    WHISTLE = "whistle", _("whistled")
    WHISTLE_DISTRICT = "whistle_district", _("whistled to the district")
    SEND_BACK = "send_back", _("sent back to the street")
    DISPATCH = "dispatch", _("dispatched")
    REPORT_IN = "report_in", _("reported in")
    FEEDBACK = "feedback", _("feedback given")
    RETURN = "return", _("returned")
    COMMENT = "comment", _("comment")
    EDIT = "edit", _("edited")
    DEADLINE = "deadline", _("time limit changed")
    SUPERVISE = "supervise", _("put under supervision (督办)")
    CALL_LEGAL = "call_legal", _("legal team called (三官一律)")


class Actor(models.TextChoices):
    """Who may take a transition, checked by the services against the user's scope."""

    BLOCK = "block", _("block staff")
    STREET = "street", _("street dispatcher")
    # Whichever dispatch desk holds the case: the street's, or the district's command
    # centre once the street whistled it up (街呼区应).
    DESK = "desk", _("dispatch desk holding the case")
    DEPARTMENT = "department", _("department")
    HANDLER = "handler", _("current handler")
    # The block's supervisor or the street's desk: never whoever resolved it (SEPARATION).
    VERIFIER = "verifier", _("verifier")
    # The resident on the tracking page, or a callback (回访) from outside the case's team.
    RESIDENT = "resident", _("resident")


class Transition(NamedTuple):
    action: Action
    sources: frozenset[Status]
    # A set: decided by who handles the case — rework goes back to the block or to the
    # departments, a return back to the desk that dispatched (the street's or the district's).
    targets: frozenset[Status]
    actor: Actor
    why: str

    @property
    def target(self) -> Status | None:
        """The one status this action leads to, or None where the case decides which."""
        return next(iter(self.targets)) if len(self.targets) == 1 else None


def _t(action, sources, target, actor, why) -> tuple[Action, Transition]:
    targets = frozenset(target) if isinstance(target, set) else frozenset({target})
    return action, Transition(action, frozenset(sources), targets, actor, why)


# The one declaration of the workflow (DESIGN §3). Services, the buttons a page shows and
# the tests all read it. Keep it small and name actions, not only state pairs.
TRANSITIONS: dict[Action, Transition] = dict(
    [
        _t(Action.ACCEPT, {Status.PENDING}, Status.IN_BLOCK, Actor.BLOCK,
           "一呼即应: the block answers a resident's call and owns it (首接负责制, seed 002)"),
        _t(Action.RESOLVE, {Status.IN_BLOCK}, Status.AWAITING_VERIFICATION, Actor.HANDLER,
           "the block says it is done; somebody else checks"),
        _t(Action.WHISTLE, {Status.PENDING, Status.IN_BLOCK}, Status.ESCALATED, Actor.BLOCK,
           "吹哨: beyond the block's means, to the street (seeds 001, 002)"),
        _t(Action.WHISTLE_DISTRICT, {Status.ESCALATED}, Status.DISTRICT_ESCALATED, Actor.STREET,
           "街呼区应: what the street cannot dispatch by itself goes to the district's command "
           "centre, with a reason, where the district is set up so (seed 001)"),
        _t(Action.SEND_BACK, {Status.DISTRICT_ESCALATED}, Status.ESCALATED, Actor.DESK,
           "区退街: the district's command centre gives back, with its reason, what the street "
           "can dispatch itself; the street's dispatch clock starts again"),
        _t(Action.DISPATCH, {Status.ESCALATED, Status.DISTRICT_ESCALATED, Status.PENDING, Status.IN_BLOCK},
           Status.DISPATCHED, Actor.DESK,
           "派单: the desk holding the case (street, or district) assigns a lead department "
           "and cooperating ones; where the district allows it, a block calls departments "
           "straight from its own case (村居吹哨、部门报到, seed 004): the street is told and "
           "its dispatch clock never starts"),
        _t(Action.REPORT_IN, {Status.DISPATCHED, Status.IN_PROGRESS}, Status.IN_PROGRESS, Actor.DEPARTMENT,
           "报到: each department signs for its part within 24 hours (seed 002)"),
        _t(Action.FEEDBACK, {Status.IN_PROGRESS}, Status.AWAITING_VERIFICATION, Actor.DEPARTMENT,
           "each department reports what it did; the case moves on once the lead's is in "
           "and every cooperating department has answered"),
        _t(Action.RETURN, {Status.DISPATCHED, Status.IN_PROGRESS},
           {Status.ESCALATED, Status.DISTRICT_ESCALATED}, Actor.DEPARTMENT,
           "退单: not this department's duty; back to the desk that dispatched it (street or "
           "district), never to the resident "
           "(a cooperating department's return leaves the case with the lead)"),
        _t(Action.VERIFY, {Status.AWAITING_VERIFICATION}, Status.CLOSED, Actor.VERIFIER,
           "核查: the block's supervisor or the street desk confirms it is really done"),
        _t(Action.REWORK, {Status.AWAITING_VERIFICATION, Status.CLOSED},
           {Status.IN_BLOCK, Status.IN_PROGRESS}, Actor.VERIFIER,
           "返工: verification found it not done, or a supervisor flags a bad closure"),
        _t(Action.RATE, {Status.CLOSED}, Status.CLOSED, Actor.RESIDENT,
           "回访: the resident rates, once per closing; dissatisfied and unresolved goes back as "
           "rework and stays the case's rating until a later one replaces it"),
        _t(Action.INVALIDATE, OPEN_STATUSES - {Status.AWAITING_VERIFICATION}, Status.INVALID, Actor.BLOCK,
           "not our matter, or a prank: closed with a reason, never counted"),
        _t(Action.MERGE, OPEN_STATUSES - {Status.AWAITING_VERIFICATION}, Status.MERGED, Actor.BLOCK,
           "重复诉求: the same matter raised again is merged, never counted twice"),
    ]
)  # fmt: skip


class Involvement(models.TextChoices):
    """How a person took part in a case. Where the separation of duties below bars it, the
    label is the first thing they are told, in declaration order."""

    RESOLVED = "resolved", _("You resolved this case.")
    LOGGED = "logged", _("You logged this case.")
    BLOCK_TEAM = "block_team", _("You are on the 1+N+1 team of this case's block.")
    DEPARTMENT = "department", _("Your department has a part in this case.")


class Separation(NamedTuple):
    barred: frozenset[Involvement]
    # Who does it instead: the second sentence of the refusal, and the case page's help.
    rule: str


# Separation of duties (DESIGN §3, issue 17): who may not take an action although their role
# may, because they took part in the case. Beside the transitions, read by events.workflow
# (the buttons a page offers and the services' check), explained on the case page.
SEPARATION: dict[Action, Separation] = {
    Action.VERIFY: Separation(
        frozenset({Involvement.RESOLVED}),
        _("Whoever resolved a case does not verify it: the block's supervisor or the street "
          "desk does."),
    ),
    # 回访 is how the street learns whether the block and the departments really did it: the
    # answer is taken by someone who did not (the resident themself on the tracking page).
    Action.RATE: Separation(
        frozenset(Involvement),
        _("The callback rating (回访) comes from outside the team that handled the case: the "
          "street desk, the district desk or the hotline records it, or the resident rates "
          "on the tracking page."),
    ),
}  # fmt: skip


class WhistleReason(models.TextChoices):
    """The cases in which 吹哨 is meant to be used (DESIGN §3), so leaders see what goes up."""

    BEYOND_MEANS = "beyond_means", _("beyond the block's means")
    LAW_ENFORCEMENT = "law_enforcement", _("needs law enforcement")
    EMERGENCY = "emergency", _("emergency")
    OTHER = "other", _("other")


class Channel(models.TextChoices):
    BLOCK_STAFF = "block_staff", _("block staff")
    SELF_REPORT = "self_report", _("resident self-report")
    HOTLINE = "hotline", _("12345 hotline transfer")
    PATROL = "patrol", _("patrol")
    SUPERVISOR = "supervisor", _("supervisor")
    # A household leader's matter (联户长, seed 003): a resident's request, logged as reported.
    HOUSEHOLD_LEADER = "household_leader", _("household leader")


class HandlerLevel(models.TextChoices):
    BLOCK = "block", _("block")
    STREET = "street", _("street")
    DISTRICT = "district", _("district")
    DEPARTMENT = "department", _("department")


class Satisfaction(models.TextChoices):
    SATISFIED = "satisfied", _("satisfied")
    BASICALLY_SATISFIED = "basically_satisfied", _("basically satisfied")
    DISSATISFIED = "dissatisfied", _("dissatisfied")


class Event(models.Model):
    """One matter a resident raised or staff found (群众诉求 / 事件)."""

    number = models.CharField(_("case number"), max_length=32, unique=True)
    tracking_code = models.CharField(_("tracking code"), max_length=16, unique=True)
    channel = models.CharField(_("channel"), max_length=16, choices=Channel.choices)
    status = models.CharField(
        _("status"), max_length=24, choices=Status.choices, default=Status.PENDING
    )
    handler_level = models.CharField(
        _("handler level"), max_length=12, choices=HandlerLevel.choices, default=HandlerLevel.BLOCK
    )
    handler = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="handled_events",
        verbose_name=_("handler"),
        help_text=_("首接负责: whoever took the case owns it until it is accepted elsewhere"),
    )
    # Where: the block, and its code copied so that scoping and roll-ups never join or walk.
    block = models.ForeignKey(
        Area, on_delete=models.PROTECT, related_name="events", verbose_name=_("block")
    )
    area_code = models.CharField(_("block code"), max_length=21, editable=False)
    address = models.CharField(_("address"), max_length=200, blank=True)
    building = models.CharField(_("building / unit"), max_length=60, blank=True)
    # 三基三元 (seed 003): the compound or building of the block the case is in, where the
    # district has mapped them (18- and 21-digit codes); named by staff or found from the point.
    place = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="placed_events",
        limit_choices_to={"level__in": ("compound", "building")},
        verbose_name=_("compound or building"),
    )
    lat = models.FloatField(_("latitude"), null=True, blank=True)
    lon = models.FloatField(_("longitude"), null=True, blank=True)
    # What
    category = models.ForeignKey(
        Category, on_delete=models.PROTECT, related_name="events", verbose_name=_("category")
    )
    priority = models.CharField(_("colour"), max_length=8, choices=Priority.choices)
    description = models.TextField(_("description"), max_length=2000)
    # Who raised it: personal data, masked unless the viewer handles the case (DESIGN §6).
    reporter_name = models.CharField(_("reporter name"), max_length=40, blank=True)
    reporter_phone = EncryptedTextField(_("reporter phone"), blank=True)
    # A keyed hash of the phone: finds "the resident seen before" without decrypting.
    reporter_phone_index = models.CharField(
        max_length=32, blank=True, db_index=True, editable=False
    )
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="logged_events",
        verbose_name=_("logged by"),
    )
    merged_into = models.ForeignKey(
        "self",
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="duplicates",
        verbose_name=_("merged into"),
    )
    # The hotline's own case number of a 12345 transfer (kept, and never imported twice).
    external_number = models.CharField(_("hotline case number"), max_length=40, blank=True)
    closing_reason = models.CharField(_("reason"), max_length=300, blank=True)
    whistle_reason = models.CharField(
        _("whistle reason"), max_length=16, choices=WhistleReason.choices, blank=True
    )
    whistle_note = models.CharField(_("whistle note"), max_length=300, blank=True)
    # 街呼区应: when and why the street passed it on to the district's desk; a case the
    # district took keeps it, so that a department's return goes back to the district.
    whistled_to_district_at = models.DateTimeField(
        _("whistled to the district at"), null=True, blank=True
    )
    district_whistle_note = models.CharField(
        _("why the street whistled to the district"), max_length=300, blank=True
    )
    rework_count = models.PositiveSmallIntegerField(_("rework count"), default=0)
    # The resident's rating (回访)
    satisfaction = models.CharField(
        _("satisfaction"), max_length=24, choices=Satisfaction.choices, blank=True
    )
    resolved_by_resident = models.BooleanField(_("resolved, says the resident"), null=True)
    rating_comment = models.CharField(_("rating comment"), max_length=500, blank=True)
    # The first rating the case got (一次解决率 / 一次满意率 count it); the fields above hold
    # the current one. Both are copies of ``Rating`` rows, kept on the case for counting.
    first_satisfaction = models.CharField(
        _("first satisfaction"), max_length=24, choices=Satisfaction.choices, blank=True
    )
    first_resolved = models.BooleanField(_("resolved at the first rating"), null=True)
    # Milestones (信息采集 → 立案 → 派遣 → 处置 → 反馈 → 核查 → 结案 → 评价)
    created_at = models.DateTimeField(_("logged at"), db_index=True)
    # 预约服务 (seed 002): an assisted service booked for a time; the block's resolve clock
    # counts the service's limit from then (events.deadlines.clock_start_time).
    booked_at = models.DateTimeField(_("booked for"), null=True, blank=True)
    accepted_at = models.DateTimeField(_("accepted at"), null=True, blank=True)
    whistled_at = models.DateTimeField(_("whistled at"), null=True, blank=True)
    dispatched_at = models.DateTimeField(_("dispatched at"), null=True, blank=True)
    resolved_at = models.DateTimeField(_("resolved at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    rated_at = models.DateTimeField(_("rated at"), null=True, blank=True)
    updated_at = models.DateTimeField(_("updated at"), auto_now=True)

    class Meta:
        verbose_name = _("case")
        verbose_name_plural = _("cases")
        ordering = ["-created_at"]
        permissions = [("export_unmasked", _("Can export residents' numbers unmasked"))]
        indexes = [
            models.Index(fields=["area_code", "status"], name="event_area_status_idx"),
            models.Index(fields=["area_code", "-created_at"], name="event_area_created_idx"),
            models.Index(
                fields=["block", "category", "-created_at"],
                condition=Q(status__in=sorted(s.value for s in OPEN_STATUSES)),
                name="event_open_block_cat_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(status="merged") | Q(merged_into__isnull=False),
                name="event_merged_has_target",
            ),
            models.UniqueConstraint(
                fields=["channel", "external_number"],
                condition=~Q(external_number=""),
                name="event_external_number_once",
            ),
        ]

    def __str__(self) -> str:
        return self.number

    @property
    def is_open(self) -> bool:
        return self.status in OPEN_STATUSES

    def age(self, now: datetime):
        return now - self.created_at


class IdempotencyKey(models.Model):
    """The first answer to a creating POST, replayed when the same key comes again (24 h)."""

    user = models.ForeignKey(settings.AUTH_USER_MODEL, on_delete=models.CASCADE)
    key = models.CharField(max_length=100)
    event = models.ForeignKey(Event, on_delete=models.CASCADE, null=True)
    created_at = models.DateTimeField(auto_now_add=True, db_index=True)
    # What the first request was (method, path and body hashed): the same key with another
    # request is refused, never answered with the first one's result.
    request_hash = models.CharField(max_length=64, default="")
    status_code = models.PositiveSmallIntegerField(null=True)
    response_body = models.JSONField(null=True)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["user", "key"], name="idempotency_user_key_unique")
        ]

    def __str__(self) -> str:
        return self.key


def photo_path(instance: Photo, filename: str) -> str:
    return f"events/{instance.event.created_at:%Y/%m}/{instance.event.number}/{filename}"


class Photo(models.Model):
    class Stage(models.TextChoices):
        REPORT = "report", _("when reported")
        FEEDBACK = "feedback", _("with the feedback")

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="photos")
    assignment = models.ForeignKey(
        "Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="photos"
    )
    stage = models.CharField(max_length=12, choices=Stage.choices, default=Stage.REPORT)
    image = models.ImageField(upload_to=photo_path)
    thumbnail = models.ImageField(upload_to=photo_path)
    uploaded_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    created_at = models.DateTimeField(auto_now_add=True)

    class Meta:
        verbose_name = _("photo")
        verbose_name_plural = _("photos")
        ordering = ["created_at"]

    def __str__(self) -> str:
        return self.image.name


class AppendOnlyQuerySet(models.QuerySet):
    def update(self, **kwargs):
        raise TypeError("the timeline is append-only")

    def delete(self):
        raise TypeError("the timeline is append-only")


class TimelineEntry(models.Model):
    """Every transition, comment and change of a case: who, when, from → to, why.

    Append-only: the legal record of the case (DESIGN §2). Rows are never updated or
    deleted through the application.
    """

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="timeline")
    at = models.DateTimeField(_("at"))
    actor = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True
    )
    action = models.CharField(_("action"), max_length=16, choices=Action.choices)
    from_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    to_status = models.CharField(max_length=24, choices=Status.choices, blank=True)
    note = models.TextField(_("note"), blank=True)
    data = models.JSONField(default=dict, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("timeline entry")
        verbose_name_plural = _("timeline entries")
        ordering = ["at", "id"]
        indexes = [models.Index(fields=["event", "at"], name="timeline_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.action} @ {self.at:%Y-%m-%d %H:%M}"

    def save(self, *args, **kwargs):
        if self.pk is not None:
            raise TypeError("the timeline is append-only")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise TypeError("the timeline is append-only")


class ClockKind(models.TextChoices):
    RESPOND = "respond", _("respond in block")
    DISPATCH = "dispatch", _("dispatch")
    REPORT_IN = "report_in", _("department report-in")
    RESOLVE = "resolve", _("resolve")
    VERIFY = "verify", _("verify")
    RATE = "rate", _("rate")


class Deadline(models.Model):
    """One clock of a case (SLA): started, warns at 80 %, due at 100 % (DESIGN §4).

    Started and stopped by the workflow services in the same transaction as the
    transition; the deadline scanner (Celery beat) reads the open ones through a partial
    index and claims each warning and breach exactly once.
    """

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="deadlines")
    # A department's clocks (report-in, resolve) belong to its part of the case.
    assignment = models.ForeignKey(
        "Assignment", on_delete=models.CASCADE, null=True, blank=True, related_name="deadlines"
    )
    kind = models.CharField(_("clock"), max_length=12, choices=ClockKind.choices)
    started_at = models.DateTimeField(_("started at"))
    warn_at = models.DateTimeField(_("warns at"))
    due_at = models.DateTimeField(_("due at"))
    paused_at = models.DateTimeField(_("paused at"), null=True, blank=True)
    paused_seconds = models.PositiveIntegerField(_("paused seconds"), default=0)
    met_at = models.DateTimeField(_("met at"), null=True, blank=True)
    cancelled_at = models.DateTimeField(_("cancelled at"), null=True, blank=True)
    warned_at = models.DateTimeField(_("warned at"), null=True, blank=True)
    breached_at = models.DateTimeField(_("breached at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline")
        verbose_name_plural = _("deadlines")
        ordering = ["started_at"]
        indexes = [
            models.Index(
                fields=["due_at"],
                condition=Q(
                    met_at__isnull=True, cancelled_at__isnull=True, breached_at__isnull=True
                ),
                name="deadline_open_due_idx",
            ),
            models.Index(
                fields=["warn_at"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True, warned_at__isnull=True),
                name="deadline_open_warn_idx",
            ),
            # A case's next open clock, which every list shows per row: without it PostgreSQL
            # scanned all open clocks of the district for each row (bench/load.py: 230 ms for
            # a workbench of 200 cases).
            models.Index(
                fields=["event", "due_at"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_open_event_due_idx",
            ),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "kind"],
                condition=Q(
                    met_at__isnull=True, cancelled_at__isnull=True, assignment__isnull=True
                ),
                name="deadline_one_open_clock_per_kind",
            ),
            models.UniqueConstraint(
                fields=["assignment", "kind"],
                condition=Q(met_at__isnull=True, cancelled_at__isnull=True),
                name="deadline_one_open_clock_per_part",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.due_at:%Y-%m-%d %H:%M}"

    @property
    def is_open(self) -> bool:
        return self.met_at is None and self.cancelled_at is None

    def is_overdue(self, now: datetime) -> bool:
        return self.is_open and self.paused_at is None and now >= self.due_at

    def is_warning(self, now: datetime) -> bool:
        return self.is_open and self.paused_at is None and self.warn_at <= now < self.due_at


class CaseNumberCounter(models.Model):
    """The last case number given out per district and day (YH-20261122-0042)."""

    prefix = models.CharField(max_length=12)
    day = models.DateField()
    last = models.PositiveIntegerField(default=0)

    class Meta:
        constraints = [
            models.UniqueConstraint(fields=["prefix", "day"], name="case_counter_prefix_day_unique")
        ]

    def __str__(self) -> str:
        return f"{self.prefix}-{self.day:%Y%m%d}: {self.last}"


class Assignment(models.Model):
    """One department's part of a dispatched case (lead 主办 or cooperating 协办), with its
    own report-in, feedback, return and clocks."""

    class Role(models.TextChoices):
        LEAD = "lead", _("lead")
        COOPERATING = "cooperating", _("cooperating")

    class State(models.TextChoices):
        DISPATCHED = "dispatched", _("waiting for report-in")
        REPORTED_IN = "reported_in", _("reported in, handling")
        DONE = "done", _("feedback given")
        RETURNED = "returned", _("returned")
        CANCELLED = "cancelled", _("cancelled")

    class ReturnReason(models.TextChoices):
        NOT_OUR_DUTY = "not_our_duty", _("not our duty")
        WRONG_AREA = "wrong_area", _("outside our area")
        NEEDS_OTHER_DEPARTMENT = "needs_other", _("needs another department as lead")
        INSUFFICIENT_INFORMATION = "insufficient_info", _("not enough information")
        OTHER = "other", _("other")

    OPEN_STATES = (State.DISPATCHED, State.REPORTED_IN)

    event = models.ForeignKey(Event, on_delete=models.CASCADE, related_name="assignments")
    department = models.ForeignKey(
        "blocks.Department",
        on_delete=models.PROTECT,
        related_name="assignments",
        verbose_name=_("department"),
    )
    role = models.CharField(_("role"), max_length=12, choices=Role.choices)
    state = models.CharField(
        _("state"), max_length=12, choices=State.choices, default=State.DISPATCHED
    )
    dispatched_at = models.DateTimeField(_("dispatched at"))
    dispatched_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    dispatch_note = models.CharField(_("dispatch note"), max_length=300, blank=True)
    reported_in_at = models.DateTimeField(_("reported in at"), null=True, blank=True)
    reported_in_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    feedback_at = models.DateTimeField(_("feedback at"), null=True, blank=True)
    feedback_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    feedback_note = models.TextField(_("feedback"), blank=True)
    returned_at = models.DateTimeField(_("returned at"), null=True, blank=True)
    return_reason = models.CharField(
        _("return reason"), max_length=20, choices=ReturnReason.choices, blank=True
    )
    return_note = models.CharField(_("return note"), max_length=300, blank=True)
    # The duty list names this department as lead for the matter, yet it returned the case:
    # flagged to the street (issue 5).
    return_contradicts_duty_list = models.BooleanField(default=False)

    class Meta:
        verbose_name = _("assignment")
        verbose_name_plural = _("assignments")
        ordering = ["dispatched_at", "role"]
        indexes = [
            models.Index(fields=["department", "state"], name="assignment_dept_state_idx"),
        ]
        constraints = [
            models.UniqueConstraint(
                fields=["event", "department"],
                condition=Q(state__in=["dispatched", "reported_in", "done"]),
                name="assignment_one_live_part_per_department",
            ),
            models.UniqueConstraint(
                fields=["event"],
                condition=Q(role="lead", state__in=["dispatched", "reported_in", "done"]),
                name="assignment_one_live_lead",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} · {self.department} · {self.get_role_display()}"

    @property
    def is_open(self) -> bool:
        return self.state in self.OPEN_STATES


class PartMove(models.TextChoices):
    """What happens to one department's part; the case's own action says it on the timeline."""

    REPORT_IN = "report_in", _("report in")
    FEEDBACK = "feedback", _("give feedback")
    RETURN = "return", _("return")
    REOPEN = "reopen", _("reopen for rework")
    CANCEL = "cancel", _("cancel")


class PartTransition(NamedTuple):
    move: PartMove
    sources: frozenset[str]
    target: str
    # Whether the department's own people take it (the inbox shows its button); otherwise
    # it follows from a move of the case.
    by_department: bool
    why: str


def _p(move, sources, target, by_department, why) -> tuple[PartMove, PartTransition]:
    return move, PartTransition(move, frozenset(sources), target, by_department, why)


_Part = Assignment.State
# The department's part of a case, declared beside the case's TRANSITIONS (issue 16): the
# services move a part only through a row of it (events.workflow.move_part), the inbox shows
# the buttons its department may press, and tests/events/test_workflow.py walks every row.
PART_TRANSITIONS: dict[PartMove, PartTransition] = dict(
    [
        _p(PartMove.REPORT_IN, {_Part.DISPATCHED}, _Part.REPORTED_IN, True,
           "报到: the department signs for its part within 24 hours (seed 002)"),
        _p(PartMove.FEEDBACK, {_Part.REPORTED_IN}, _Part.DONE, True,
           "反馈: it says what it did, with photos; feedback comes after report-in"),
        _p(PartMove.RETURN, {_Part.DISPATCHED, _Part.REPORTED_IN}, _Part.RETURNED, True,
           "退单: not its duty; the part goes back to the desk with a reason"),
        _p(PartMove.REOPEN, {_Part.DONE}, _Part.REPORTED_IN, False,
           "返工: verification or the resident found it not done; the lead handles it again"),
        _p(PartMove.CANCEL, {_Part.DISPATCHED, _Part.REPORTED_IN}, _Part.CANCELLED, False,
           "the lead returned the case: without it the dispatch is void, the desk dispatches "
           "again"),
    ]
)  # fmt: skip


class RatingSource(models.TextChoices):
    """Who asked the resident (回访): the resident on the tracking page, or a callback from
    outside the team that handled the case (DESIGN §3: separation of duties)."""

    RESIDENT = "resident", _("the resident, on the tracking page")
    DESK = "desk", _("the street desk's callback")
    HOTLINE = "hotline", _("the hotline's callback")


# Who staff may name as having asked when they record a rating: a callback, never the resident.
CALLBACK_SOURCES = (RatingSource.DESK, RatingSource.HOTLINE)


class Rating(models.Model):
    """回访: every rating of a case is a record. A negative one sends the case to rework and
    still counts (the case is rated and not resolved until a later rating replaces it);
    the first one is what 一次解决率 / 一次满意率 count (DESIGN §5)."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="ratings")
    source = models.CharField(_("asked by"), max_length=12, choices=RatingSource.choices)
    satisfaction = models.CharField(_("satisfaction"), max_length=24, choices=Satisfaction.choices)
    resolved = models.BooleanField(_("resolved, says the resident"))
    comment = models.CharField(_("comment"), max_length=500, blank=True)
    rated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        null=True,
        blank=True,
        related_name="+",
        verbose_name=_("recorded by"),
    )
    rated_at = models.DateTimeField(_("rated at"))

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("rating")
        verbose_name_plural = _("ratings")
        ordering = ["rated_at", "id"]
        indexes = [models.Index(fields=["event", "rated_at"], name="rating_event_at_idx")]

    def __str__(self) -> str:
        return f"{self.event_id} {self.satisfaction} @ {self.rated_at:%Y-%m-%d %H:%M}"


class SupervisionCard(models.TextChoices):
    YELLOW = "yellow", _("yellow card (催办)")
    RED = "red", _("red card (挂牌督办)")


class Supervision(models.Model):
    """督办: a district or street leader, or the block's supervisor, pushes a case formally —
    a yellow card with a note, or a red card with a note and a date (DESIGN §3). It ends
    when the case closes; the handler and their head are told at once and again when the
    date passes."""

    event = models.ForeignKey(Event, on_delete=models.PROTECT, related_name="supervisions")
    card = models.CharField(_("card"), max_length=8, choices=SupervisionCard.choices)
    note = models.CharField(_("note"), max_length=500)
    due = models.DateTimeField(_("to be done by"), null=True, blank=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("put by"),
    )
    created_at = models.DateTimeField(_("put at"))
    # Set once by the scanner when the date passes with the case still open.
    due_notified_at = models.DateTimeField(null=True, blank=True)
    ended_at = models.DateTimeField(_("ended at"), null=True, blank=True)

    class Meta:
        verbose_name = _("supervision (督办)")
        verbose_name_plural = _("supervisions (督办)")
        ordering = ["-created_at", "-id"]
        indexes = [
            models.Index(
                fields=["event"], condition=Q(ended_at__isnull=True), name="supervision_open_idx"
            ),
            models.Index(
                fields=["due"],
                condition=Q(ended_at__isnull=True, due_notified_at__isnull=True, due__isnull=False),
                name="supervision_due_idx",
            ),
        ]
        constraints = [
            models.CheckConstraint(
                condition=~Q(card="red") | Q(due__isnull=False), name="supervision_red_has_date"
            ),
        ]

    def __str__(self) -> str:
        return f"{self.event_id} {self.card}"


class CaseEvaluation(models.Model):
    """一事一考: when a case closes the street scores each department on it (seed 001)."""

    assignment = models.OneToOneField(
        Assignment, on_delete=models.CASCADE, related_name="evaluation"
    )
    response = models.PositiveSmallIntegerField(_("response"))
    handling = models.PositiveSmallIntegerField(_("handling"))
    attitude = models.PositiveSmallIntegerField(_("attitude"))
    comment = models.CharField(_("comment"), max_length=300, blank=True)
    evaluated_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    evaluated_at = models.DateTimeField(_("evaluated at"))

    class Meta:
        verbose_name = _("case evaluation")
        verbose_name_plural = _("case evaluations")
        constraints = [
            models.CheckConstraint(
                condition=Q(response__range=(1, 5), handling__range=(1, 5), attitude__range=(1, 5)),
                name="case_evaluation_scores_1_to_5",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.assignment}: {self.score}"

    @property
    def score(self) -> float:
        return round((self.response + self.handling + self.attitude) / 3, 2)


class PolicySet(models.TextChoices):
    """The built-in sets of time limits a district chooses from (DESIGN §4)."""

    SEEDS = "seeds", _("block governance defaults (15 min / 24 h, by colour)")
    HOTLINE = "hotline", _("12345 hotline standard (DB11/T 2021-2022)")


class DistrictSettings(models.Model):
    """How one district runs the workflow: its time limits and its escalation rules."""

    district = models.OneToOneField(
        Area,
        on_delete=models.PROTECT,
        related_name="workflow_settings",
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("district"),
    )
    policy_set = models.CharField(
        _("time limits"), max_length=12, choices=PolicySet.choices, default=PolicySet.SEEDS
    )
    auto_whistle_on_breach = models.BooleanField(
        _("whistle automatically when the block misses its 15 minutes"), default=False
    )
    # 村居吹哨、部门报到 (seed 004): a community's blocks dispatch to departments themselves.
    community_dispatch = models.BooleanField(
        _("blocks may dispatch straight to departments (村居吹哨)"), default=False
    )
    # 街呼区应 (seed 001, 历下): a street whistles what it cannot dispatch by itself to the
    # district's command centre (a dispatcher posted at the district), which dispatches it.
    street_whistle_to_district = models.BooleanField(
        _("streets may whistle to the district's command centre (街呼区应)"), default=False
    )

    class Meta:
        verbose_name = _("district settings")
        verbose_name_plural = _("district settings")

    def __str__(self) -> str:
        return str(self.district)


class DeadlinePolicy(models.Model):
    """One time limit: for a policy set (or one district), a clock kind, and optionally a
    category and a colour. The most specific row wins; editable in admin."""

    policy_set = models.CharField(_("policy set"), max_length=12, choices=PolicySet.choices)
    district = models.ForeignKey(
        Area,
        on_delete=models.CASCADE,
        null=True,
        blank=True,
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("only in district"),
    )
    kind = models.CharField(_("clock"), max_length=12, choices=ClockKind.choices)
    category = models.ForeignKey(
        Category, on_delete=models.CASCADE, null=True, blank=True, verbose_name=_("category")
    )
    priority = models.CharField(_("colour"), max_length=8, choices=Priority.choices, blank=True)
    minutes = models.PositiveIntegerField(_("minutes"), default=0)
    working_days = models.PositiveSmallIntegerField(_("working days"), default=0)
    # 12345 (DB11/T 2021-2022): an emergency's feedback is due 2 h after dispatch, not after
    # the department reports in; a department's resolve clock may count from its dispatch.
    from_dispatch = models.BooleanField(
        _("counted from dispatch"),
        default=False,
        help_text=_(
            "A department's resolve clock counts from when the case was dispatched to it, "
            "not from its report-in (a rework's clock counts from the rework)."
        ),
    )

    class Meta:
        verbose_name = _("time limit")
        verbose_name_plural = _("time limits")
        ordering = ["policy_set", "kind", "priority"]
        constraints = [
            models.CheckConstraint(
                condition=(Q(minutes__gt=0) & Q(working_days=0))
                | (Q(minutes=0) & Q(working_days__gt=0)),
                name="deadline_policy_minutes_or_working_days",
            ),
            models.CheckConstraint(
                condition=Q(from_dispatch=False) | Q(kind="resolve"),
                name="deadline_policy_from_dispatch_resolve_only",
                violation_error_message=_("Only a resolve clock can count from dispatch."),
            ),
        ]

    def __str__(self) -> str:
        amount = (
            _("%(n)s working days") % {"n": self.working_days}
            if self.working_days
            else _("%(n)s minutes") % {"n": self.minutes}
        )
        return f"{self.get_kind_display()}: {amount}"


class WorkingDayOverride(models.Model):
    """The source of truth for working days: the official calendar seeds it, an
    administrator corrects it (and fills years the calendar package does not know yet)."""

    day = models.DateField(_("day"), unique=True)
    is_working_day = models.BooleanField(_("working day"))
    note = models.CharField(_("note"), max_length=60, blank=True)

    class Meta:
        verbose_name = _("working-day override")
        verbose_name_plural = _("working-day overrides")
        ordering = ["day"]

    def __str__(self) -> str:
        return f"{self.day}: {self.note}"


class DeadlineChange(models.Model):
    """An extension (延期) or suspension (挂起) of a clock: asked for, then approved."""

    class Kind(models.TextChoices):
        EXTEND = "extend", _("extension")
        SUSPEND = "suspend", _("suspension")
        RESUME = "resume", _("resumption")

    class State(models.TextChoices):
        REQUESTED = "requested", _("requested")
        APPROVED = "approved", _("approved")
        REJECTED = "rejected", _("rejected")

    deadline = models.ForeignKey(Deadline, on_delete=models.CASCADE, related_name="changes")
    kind = models.CharField(_("kind"), max_length=8, choices=Kind.choices)
    state = models.CharField(
        _("state"), max_length=10, choices=State.choices, default=State.REQUESTED
    )
    reason = models.CharField(_("reason"), max_length=300)
    extra_working_days = models.PositiveSmallIntegerField(_("extra working days"), default=0)
    requested_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, related_name="+"
    )
    requested_at = models.DateTimeField(_("requested at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, on_delete=models.PROTECT, null=True, blank=True, related_name="+"
    )
    decided_at = models.DateTimeField(_("decided at"), null=True, blank=True)

    class Meta:
        verbose_name = _("deadline change")
        verbose_name_plural = _("deadline changes")
        ordering = ["-requested_at"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_state_display()}"


class Open311Client(models.Model):
    """An outside application allowed to POST requests through Open311 (its api_key)."""

    name = models.CharField(_("name"), max_length=80)
    api_key = models.CharField(_("API key"), max_length=64, unique=True)
    is_active = models.BooleanField(_("active"), default=True)
    created_at = models.DateTimeField(_("created at"), auto_now_add=True)

    class Meta:
        verbose_name = _("Open311 client")
        verbose_name_plural = _("Open311 clients")

    def __str__(self) -> str:
        return self.name


# The district's duty lists (moved from liaison, issue 16): matter → departments.
class DutyItem(models.Model):
    """One row of the district's 属地管理事项清单: matter → lead and cooperating departments."""

    district = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="duty_items",
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("district"),
    )
    number = models.PositiveSmallIntegerField(_("item number"))
    matter = models.CharField(_("matter"), max_length=200)
    category_code = models.SlugField(
        _("category code"),
        max_length=40,
        blank=True,
        help_text=_("The case category this matter covers, if any"),
    )
    lead = models.ForeignKey(
        "blocks.Department",
        on_delete=models.PROTECT,
        related_name="lead_duties",
        verbose_name=_("lead department"),
    )
    cooperating = models.ManyToManyField(
        "blocks.Department",
        blank=True,
        related_name="cooperating_duties",
        verbose_name=_("cooperating"),
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        db_table = "liaison_dutyitem"
        verbose_name = _("duty list item")
        verbose_name_plural = _("duty list")
        ordering = ["district", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "category_code"],
                condition=~Q(category_code=""),
                name="duty_item_category_once",
            ),
            models.UniqueConstraint(fields=["district", "number"], name="duty_item_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.matter}"


class StreetDutyItem(models.Model):
    """The lists that say what may be asked of a street or a community (准入, seeds 000
    and 001): the street's own duty list (街道职责清单) and its cooperation list (配合事项清单)
    — 雨湖 named 35 items a street must do itself and 21 it only helps with — and the
    communities' three lists — 20 matters they govern themselves (依法自治事项), 30 they
    help the government with (依法协助政府事项) and 8 that may never be put on them (负面事项).
    Matters not on them may not be pushed down (``liaison.admissions``)."""

    class Kind(models.TextChoices):
        OWN = "own", _("the street's own duty")
        COOPERATION = "cooperation", _("the street cooperates")
        COMMUNITY_SELF = "community_self", _("the community governs itself")
        COMMUNITY_ASSIST = "community_assist", _("the community assists the government")
        COMMUNITY_NEGATIVE = "community_negative", _("never to be put on a community")

    district = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="street_duty_items",
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("district"),
    )
    kind = models.CharField(_("list"), max_length=20, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("item number"))
    matter = models.CharField(_("matter"), max_length=200)
    category_code = models.SlugField(_("category code"), max_length=40, blank=True)

    class Meta:
        db_table = "liaison_streetdutyitem"
        verbose_name = _("street duty item")
        verbose_name_plural = _("street duty lists")
        ordering = ["district", "kind", "number"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}. {self.matter}"
