"""What the events API reads and writes (DESIGN §7). Field names are the GLOSSARY's.

The model serializers only ever answer (writes go through the services with the plain
serializers below), so they keep their fields' blank and null choices for the schema.

Residents' phones are always masked here (DESIGN §6), the reporter's and any typed into a
description, note or comment (``free_text_fields``); the current handler reveals them with a
reason through ``reveal_phone``, which is audited, as on the case page.
"""

from __future__ import annotations

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers

from blocks.models import Posting
from events.hotline import MAX_ROWS
from events.models import (
    CALLBACK_SOURCES,
    Assignment,
    CaseEvaluation,
    Deadline,
    DeadlineChange,
    Event,
    Priority,
    Satisfaction,
    Supervision,
    SupervisionCard,
    TimelineEntry,
    WhistleReason,
)
from events.selectors import district_departments
from events.supervision import card_day
from governance.privacy import MasksPhonesInText, mask_phone, phones_in_text

CLOCK_STATES = ["running", "warning", "overdue", "paused", "met", "cancelled"]
PHONE_REGEX = r"^\+?[0-9\- ]{5,20}$"  # the intake form's (events/forms.py EventLogForm)


def person_name(user) -> str:
    if user is None:
        return ""
    return user.get_full_name() or user.username


# --- errors (governance/api.py exception_handler) -----------------------------------------
class ErrorSerializer(serializers.Serializer):
    """The one error format: a machine code and a message in the user's language."""

    code = serializers.CharField()
    message = serializers.CharField()
    errors = serializers.DictField(required=False, help_text="field → list of messages")


# --- reads ---------------------------------------------------------------------------------
class ClockSerializer(serializers.ModelSerializer):
    """One time limit of the case (DESIGN §4)."""

    stopped_at = serializers.SerializerMethodField()
    state = serializers.SerializerMethodField()
    assignment = serializers.PrimaryKeyRelatedField(read_only=True, allow_null=True)

    class Meta:
        model = Deadline
        fields = [
            "id", "kind", "assignment", "started_at", "warn_at", "due_at", "paused_at",
            "stopped_at", "breached_at", "state",
        ]  # fmt: skip

    @extend_schema_field(serializers.DateTimeField(allow_null=True))
    def get_stopped_at(self, clock: Deadline):
        """When the clock stopped: met, or cancelled (whichever happened)."""
        return clock.met_at or clock.cancelled_at

    @extend_schema_field(serializers.ChoiceField(choices=CLOCK_STATES))
    def get_state(self, clock: Deadline) -> str:
        now = self.context.get("now") or timezone.now()
        if clock.met_at:
            return "met"
        if clock.cancelled_at:
            return "cancelled"
        if clock.paused_at:
            return "paused"
        if clock.is_overdue(now):
            return "overdue"
        if clock.is_warning(now):
            return "warning"
        return "running"


class TimelineEntrySerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("note",)
    actor = serializers.SerializerMethodField()

    class Meta:
        model = TimelineEntry
        fields = ["id", "at", "action", "actor", "from_status", "to_status", "note", "data"]

    def get_actor(self, entry: TimelineEntry) -> str:
        return person_name(entry.actor)


class CaseEvaluationSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("comment",)
    score = serializers.FloatField(read_only=True)

    class Meta:
        model = CaseEvaluation
        fields = [
            "id", "assignment", "response", "handling", "attitude", "score", "comment",
            "evaluated_at",
        ]  # fmt: skip


class AssignmentSerializer(MasksPhonesInText, serializers.ModelSerializer):
    """A department's part of a case (主办 lead / 协办 cooperating)."""

    free_text_fields = ("dispatch_note", "feedback_note", "return_note")

    event = serializers.SlugRelatedField(slug_field="number", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department_name = serializers.CharField(source="department.name", read_only=True)

    class Meta:
        model = Assignment
        fields = [
            "id", "event", "department", "department_name", "role", "state", "dispatched_at",
            "dispatch_note", "reported_in_at", "feedback_at", "feedback_note", "returned_at",
            "return_reason", "return_note", "return_contradicts_duty_list",
        ]  # fmt: skip


class PartSerializer(AssignmentSerializer):
    """A part as a department officer's inbox lists it: with the case's summary."""

    free_text_fields = (*AssignmentSerializer.free_text_fields, "description")
    event_status = serializers.CharField(source="event.status", read_only=True)
    description = serializers.CharField(source="event.description", read_only=True)
    address = serializers.CharField(source="event.address", read_only=True)
    block_name = serializers.CharField(source="event.block.name", read_only=True)
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)

    class Meta(AssignmentSerializer.Meta):
        fields = [
            *AssignmentSerializer.Meta.fields, "event_status", "description", "address",
            "block_name", "due_at",
        ]  # fmt: skip


class SupervisionSerializer(MasksPhonesInText, serializers.ModelSerializer):
    """A 督办 card on a case: yellow (催办) or red (挂牌督办, to be done by ``due``)."""

    free_text_fields = ("note",)
    due = serializers.SerializerMethodField()
    by = serializers.SerializerMethodField()
    at = serializers.DateTimeField(source="created_at", read_only=True)

    class Meta:
        model = Supervision
        fields = ["id", "card", "note", "due", "by", "at", "ended_at"]

    @extend_schema_field(serializers.DateField(allow_null=True))
    def get_due(self, supervision: Supervision):
        """The day (China time) by whose end a red card's case must be done."""
        return card_day(supervision.due).isoformat() if supervision.due else None

    def get_by(self, supervision: Supervision) -> str:
        return person_name(supervision.created_by)


class EventSerializer(MasksPhonesInText, serializers.ModelSerializer):
    """A case as lists show it."""

    free_text_fields = ("description", "whistle_note", "closing_reason", "rating_comment")

    block = serializers.SlugRelatedField(slug_field="code", read_only=True)
    block_name = serializers.CharField(source="block.name", read_only=True)
    place = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="the compound or building (三基三元), if named",
    )  # fmt: skip
    category = serializers.SlugRelatedField(slug_field="code", read_only=True)
    category_name = serializers.CharField(source="category.name", read_only=True)
    handler = serializers.SerializerMethodField()
    reporter_phone = serializers.SerializerMethodField()
    due_at = serializers.DateTimeField(read_only=True, allow_null=True)
    clock_kind = serializers.CharField(read_only=True, allow_null=True)
    supervision = SupervisionSerializer(
        many=True, read_only=True, source="open_supervisions",
        help_text="督办: the case's open cards, red ones first (they end when it closes).",
    )  # fmt: skip

    class Meta:
        model = Event
        fields = [
            "id", "number", "status", "channel", "priority", "handler_level", "handler",
            "block", "block_name", "area_code", "category", "category_name", "description",
            "address", "building", "place", "lat", "lon", "reporter_name", "reporter_phone",
            "external_number", "created_at", "booked_at", "updated_at", "due_at", "clock_kind",
            "supervision",
        ]  # fmt: skip

    def get_handler(self, event: Event) -> str:
        return person_name(event.handler)

    def get_reporter_phone(self, event: Event) -> str:
        return mask_phone(event.reporter_phone)


# What a list row carries beyond the case itself: not in the answer to logging one.
LIST_ONLY = ("due_at", "clock_kind", "supervision")


class EventCreatedSerializer(EventSerializer):
    """The answer to logging a case: the case as logged, with its tracking code for the
    resident; GET its Location for the timeline and clocks."""

    class Meta(EventSerializer.Meta):
        fields = [
            *(f for f in EventSerializer.Meta.fields if f not in LIST_ONLY),
            "tracking_code",
        ]


class PhotoSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    stage = serializers.CharField()
    url = serializers.SerializerMethodField()
    thumbnail_url = serializers.SerializerMethodField()

    def get_url(self, photo) -> str:
        return photo.image.url

    def get_thumbnail_url(self, photo) -> str:
        return photo.thumbnail.url


class EventDetailSerializer(EventSerializer):
    """A case with its story (timeline), its clocks and the departments' parts."""

    timeline = TimelineEntrySerializer(many=True, read_only=True)
    clocks = ClockSerializer(many=True, read_only=True, source="deadlines")
    assignments = AssignmentSerializer(many=True, read_only=True)
    photos = PhotoSerializer(many=True, read_only=True)
    merged_into = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)
    actions = serializers.ListField(
        child=serializers.CharField(), read_only=True,
        help_text="The actions this user may take now: POST /api/events/{id}/<action>/ "
        "(report_in, feedback and return: on /api/assignments/{id}/).",
    )  # fmt: skip
    handles = serializers.BooleanField(
        read_only=True, help_text="Whether this user handles the case now (may reveal the phone)."
    )

    class Meta(EventSerializer.Meta):
        fields = [
            *EventSerializer.Meta.fields, "tracking_code", "rework_count", "whistle_reason",
            "whistle_note", "closing_reason", "merged_into", "satisfaction",
            "resolved_by_resident", "rating_comment", "accepted_at", "whistled_at",
            "dispatched_at", "resolved_at", "closed_at", "rated_at", "actions", "handles",
            "clocks", "assignments", "timeline", "photos",
        ]  # fmt: skip


# --- writes --------------------------------------------------------------------------------
class PhotosField(serializers.ListField):
    """Photos in a multipart body; each is checked by content in the service."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("child", serializers.FileField())
        kwargs.setdefault("help_text", _("JPEG, PNG or WebP photos (multipart/form-data)."))
        super().__init__(**kwargs)


class EventCreateSerializer(serializers.Serializer):
    """Block staff log a case (the workbench form's fields)."""

    block = serializers.CharField(max_length=21, help_text="the block's area code")
    category = serializers.CharField(max_length=40, help_text="the matter's code")
    priority = serializers.ChoiceField(choices=Priority.choices, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000)
    reporter_name = serializers.CharField(max_length=40, required=False, allow_blank=True)
    reporter_phone = serializers.RegexField(
        PHONE_REGEX, required=False, allow_blank=True,
        error_messages={"invalid": _("Enter a phone number of digits only.")},
    )  # fmt: skip
    building = serializers.CharField(max_length=60, required=False, allow_blank=True)
    place = serializers.CharField(
        max_length=21, required=False, allow_blank=True,
        help_text="三基三元: the code of the compound (18 digits) or building (21) of the block; "
        "left out, a point inside a mapped compound or building names it",
    )  # fmt: skip
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    lat = serializers.FloatField(required=False, allow_null=True, min_value=-90, max_value=90)
    lon = serializers.FloatField(required=False, allow_null=True, min_value=-180, max_value=180)
    booked_at = serializers.DateTimeField(
        required=False, allow_null=True,
        help_text="预约服务: the time an assisted service is booked for (now to 60 days ahead); "
        "the block's resolve clock counts the service's limit from then. Only for an assisted "
        "service.",
    )  # fmt: skip
    photos = PhotosField()


class StaleGuardSerializer(serializers.Serializer):
    expected_status = serializers.CharField(
        required=False, allow_blank=True, max_length=24,
        help_text="The status the app last saw; if the case moved on since, the answer is 409.",
    )  # fmt: skip


class NoteSerializer(StaleGuardSerializer):
    note = serializers.CharField(max_length=2000, required=False, allow_blank=True)


class RequiredNoteSerializer(StaleGuardSerializer):
    note = serializers.CharField(max_length=2000)


class LegalCallSerializer(RequiredNoteSerializer):
    kind = serializers.ChoiceField(
        choices=Posting.LegalKind.choices, required=False, allow_blank=True,
        help_text="police, prosecutor, judge or lawyer; empty or left out: the whole team.",
    )  # fmt: skip


class ResolveSerializer(RequiredNoteSerializer):
    photos = PhotosField()


class InvalidateSerializer(StaleGuardSerializer):
    reason = serializers.CharField(max_length=300)


class MergeSerializer(StaleGuardSerializer):
    into = serializers.CharField(max_length=32, help_text="the case number it repeats")


class RateSerializer(serializers.Serializer):
    satisfaction = serializers.ChoiceField(choices=Satisfaction.choices)
    resolved = serializers.BooleanField()
    comment = serializers.CharField(max_length=500, required=False, allow_blank=True)
    source = serializers.ChoiceField(
        choices=[(s.value, s.label) for s in CALLBACK_SOURCES],
        default=CALLBACK_SOURCES[0].value,
        help_text="who called the resident back (回访): the desk (default) or the hotline. "
        "Only someone outside the team that handled the case records a rating: not the "
        "block's 1+N+1 team, a department with a part in it, or whoever logged or resolved "
        "it (403 separation_of_duties).",
    )


class WhistleSerializer(NoteSerializer):
    reason = serializers.ChoiceField(choices=WhistleReason.choices)


class DispatchSerializer(StaleGuardSerializer):
    lead = serializers.CharField(max_length=40, help_text="the lead department's code")
    cooperating = serializers.ListField(
        child=serializers.CharField(max_length=40), required=False,
        help_text="codes of the cooperating departments",
    )  # fmt: skip
    note = serializers.CharField(max_length=300, required=False, allow_blank=True)

    def validate(self, data):
        """Codes → the departments of the case's district (``context["event"]``)."""
        departments = {d.code: d for d in district_departments(event=self.context["event"])}
        codes = [data["lead"], *data.get("cooperating", [])]
        unknown = [c for c in codes if c not in departments]
        if unknown:
            field = "lead" if data["lead"] in unknown else "cooperating"
            raise serializers.ValidationError(
                {field: [_("No such department in this district: %(codes)s")
                         % {"codes": ", ".join(unknown)}]}
            )  # fmt: skip
        return {
            **data,
            "lead": departments[data["lead"]],
            "cooperating": [departments[c] for c in data.get("cooperating", [])],
        }


class SuperviseSerializer(serializers.Serializer):
    card = serializers.ChoiceField(
        choices=SupervisionCard.choices,
        help_text="yellow: 催办, a note; red: 挂牌督办, with a date",
    )
    note = serializers.CharField(max_length=500, help_text="what the handler is asked to do")
    due = serializers.DateField(
        required=False, allow_null=True,
        help_text="red card only: the day (after today, within a year) by whose end it is done",
    )  # fmt: skip


class CommentSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class EvaluateSerializer(serializers.Serializer):
    assignment = serializers.IntegerField(help_text="the department's part (assignment id)")
    response = serializers.IntegerField(min_value=1, max_value=5)
    handling = serializers.IntegerField(min_value=1, max_value=5)
    attitude = serializers.IntegerField(min_value=1, max_value=5)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True)


class RevealSerializer(serializers.Serializer):
    reason = serializers.CharField(max_length=300)


class RevealedSerializer(serializers.Serializer):
    """What the audited reveal shows the current handler whole: the reporter's number and
    the numbers typed into the case's texts (``revealed``)."""

    reporter_phone = serializers.CharField()
    phones_in_text = serializers.ListField(
        child=serializers.CharField(),
        help_text="numbers typed into the description, notes and comments, each once",
    )  # fmt: skip


def revealed(event: Event) -> dict:
    """The reveal's answer for ``event`` (the caller has checked ``viewer_handles`` and
    writes the audit entry): every number its texts hold, whole."""
    parts = Assignment.objects.filter(event=event).select_related("evaluation")
    texts = [
        event.description, event.whistle_note, event.district_whistle_note,
        event.closing_reason, event.rating_comment,
        *event.timeline.exclude(note="").values_list("note", flat=True),
        *DeadlineChange.objects.filter(deadline__event=event).values_list("reason", flat=True),
    ]  # fmt: skip
    for part in parts:
        texts += [part.dispatch_note, part.feedback_note, part.return_note]
        evaluation = getattr(part, "evaluation", None)
        texts.append(evaluation.comment if evaluation else "")
    return {"reporter_phone": event.reporter_phone, "phones_in_text": phones_in_text(*texts)}


class ClockRefSerializer(serializers.Serializer):
    clock = serializers.IntegerField(help_text="the clock's id (from the case's clocks)")


class DeadlineChangeRequestSerializer(serializers.Serializer):
    clock = serializers.IntegerField(help_text="the clock's id (from the case's clocks)")
    kind = serializers.ChoiceField(
        choices=DeadlineChange.Kind.choices,
        help_text="extend or suspend asks the street's desk; resume ends a suspension at once",
    )  # fmt: skip
    reason = serializers.CharField(max_length=300, required=False, allow_blank=True)
    extra_working_days = serializers.IntegerField(required=False, min_value=0, max_value=30)


class DeadlineChangeSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("reason",)
    clock = serializers.PrimaryKeyRelatedField(source="deadline", read_only=True)

    class Meta:
        model = DeadlineChange
        fields = [
            "id", "clock", "kind", "state", "reason", "extra_working_days", "requested_at",
            "decided_at",
        ]  # fmt: skip


class DeadlineDecideSerializer(serializers.Serializer):
    change = serializers.IntegerField()
    approve = serializers.BooleanField()


class FeedbackSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)
    photos = PhotosField()


class ReturnSerializer(serializers.Serializer):
    reason = serializers.ChoiceField(choices=Assignment.ReturnReason.choices)
    note = serializers.CharField(max_length=300)


# --- hotline transfers -----------------------------------------------------------------------
class HotlineRowSerializer(serializers.Serializer):
    """One 12345 transfer, in the hotline's columns (events/hotline.py COLUMNS)."""

    number = serializers.CharField(max_length=40, allow_blank=True, help_text="工单编号")
    called_at = serializers.CharField(
        required=False, allow_blank=True, help_text="来电时间, ISO 8601 (default: now)"
    )
    name = serializers.CharField(max_length=40, required=False, allow_blank=True)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True)
    address = serializers.CharField(max_length=200, required=False, allow_blank=True)
    description = serializers.CharField(max_length=2000, allow_blank=True)
    matter = serializers.CharField(max_length=60, allow_blank=True, help_text="事项: code or name")
    block_code = serializers.CharField(max_length=21, required=False, allow_blank=True)


class HotlineImportSerializer(serializers.Serializer):
    rows = HotlineRowSerializer(many=True, allow_empty=False, max_length=MAX_ROWS)


class HotlineRowResultSerializer(serializers.Serializer):
    row = serializers.IntegerField(help_text="position in the rows sent, from 1")
    number = serializers.CharField()
    outcome = serializers.ChoiceField(choices=["imported", "skipped", "error", "checked"])
    message = serializers.CharField()
    case_number = serializers.CharField()


class HotlineReportSerializer(serializers.Serializer):
    imported = serializers.IntegerField()
    skipped = serializers.IntegerField()
    errors = serializers.IntegerField()
    rows = HotlineRowResultSerializer(many=True)


class HotlineRejectedSerializer(ErrorSerializer):
    report = HotlineReportSerializer(
        required=False, help_text="when rows were checked: what happened to each"
    )
