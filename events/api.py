"""REST API of cases, their workflow and the departments' parts (DESIGN §3, §7; issues 4, 5, 9).

Conventions, the same as every resource under /api/:
- Reads come from ``events.selectors``, scoped to the caller: a case outside their scope is
  a 404, exactly as if it did not exist. Department officers see what is dispatched to them.
- Every write is one call of a service of ``events.services`` (the rules live there, never
  here); one POST endpoint per action, named as the GLOSSARY names it.
- Errors have one format ``{"code", "message", "errors"}`` (governance/api.py); a case that
  somebody else moved first is a 409 「该事件已被他人处理」.
- Every POST takes an ``Idempotency-Key`` header (events/idempotency.py).
"""

from __future__ import annotations

import functools
import re
from contextlib import contextmanager
from datetime import UTC

import django_filters
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.db.models import Prefetch, QuerySet
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django_filters.fields import IsoDateTimeField
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    extend_schema,
    extend_schema_field,
    extend_schema_view,
)
from rest_framework import exceptions, mixins, serializers, status, viewsets
from rest_framework.decorators import action
from rest_framework.pagination import PageNumberPagination
from rest_framework.parsers import JSONParser, MultiPartParser
from rest_framework.response import Response
from rest_framework.views import APIView

from blocks.access import scope_for, visible_areas
from blocks.models import Area
from events import hotline, selectors, services
from events import serializers as s
from events.filters import EventFilter
from events.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from events.models import Assignment, Category, Deadline, Event, TimelineEntry
from events.workflow import allowed_actions
from governance.audit import audit
from governance.models import AuditEntry

HOTLINE_ROLES = {"dispatcher", "street_admin", "governor", "assistant"}  # as the hotline page


class ApiPagination(PageNumberPagination):
    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200


def _errors(*codes: int) -> dict:
    return dict.fromkeys(codes, s.ErrorSerializer)


READ_ERRORS = _errors(401, 404)
LIST_ERRORS = _errors(400, 401, 404)  # 400: a filter's value; 404: a page past the end
WRITE_ERRORS = _errors(400, 401, 403, 404, 409, 422)


@contextmanager
def service_errors():
    """A service's "not there for you" (DoesNotExist) is a 404; its DomainError,
    ValidationError and PermissionDenied reach the one exception handler as they are."""
    try:
        yield
    except ObjectDoesNotExist:
        raise exceptions.NotFound() from None


def post_action(*, request, response=s.EventDetailSerializer, code=200, photos=False, **kw):
    """One POST endpoint: DRF action, OpenAPI description and Idempotency-Key in one place."""

    def decorate(method):
        parsers = [JSONParser, MultiPartParser] if photos else [JSONParser]

        # The router also mounts every action with a format suffix (``accept.json``) and
        # passes ``format``: taken here, or each such URL was a 500 (the URL walk found it).
        @functools.wraps(method)
        def without_format(self, request, *args, format=None, **kwargs):
            return method(self, request, *args, **kwargs)

        # extend_schema goes outside: @action replaces the kwargs where it keeps the schema.
        return extend_schema(
            request=request,
            responses={code: response, **WRITE_ERRORS},
            parameters=[IDEMPOTENCY_PARAMETER],
            summary=(method.__doc__ or "").strip().split("\n")[0] or None,
        )(
            action(detail=True, methods=["post"], parser_classes=parsers, **kw)(
                idempotent(without_format)
            )
        )

    return decorate


def is_id(value: str) -> bool:
    """A database id as a path gives it (ASCII digits, within a bigint)."""
    return re.fullmatch(r"[0-9]{1,18}", value) is not None


def _valid(serializer_class, request) -> dict:
    serializer = serializer_class(data=request.data)
    serializer.is_valid(raise_exception=True)
    return serializer.validated_data


# --- cases ---------------------------------------------------------------------------------
class UtcDateTimeField(IsoDateTimeField):
    """An ISO 8601 time, in UTC: PostgreSQL refuses offsets that Python accepts (+19:26)."""

    def to_python(self, value):
        parsed = super().to_python(value)
        try:
            return parsed.astimezone(UTC) if parsed is not None else None
        except OverflowError:
            raise ValidationError(self.error_messages["invalid"], code="invalid") from None


class UtcDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = UtcDateTimeField


def _since(field: str, lookup: str, label: str) -> UtcDateTimeFilter:
    return UtcDateTimeFilter(field_name=field, lookup_expr=lookup, label=gettext_lazy(label))


@extend_schema_field(OpenApiTypes.INT)
class DepartmentIdFilter(django_filters.ModelChoiceFilter):
    """A department by id: said so in the schema (its filter method has no type to read)."""


class ApiEventFilter(EventFilter):
    """The case lists' filters (events/filters.py), with matters by code for apps."""

    department = DepartmentIdFilter(
        queryset=EventFilter.base_filters["department"].queryset,
        method="filter_department", label=gettext_lazy("Department"),
    )  # fmt: skip

    created_from = _since("created_at", "gte", "Logged from")
    created_to = _since("created_at", "lt", "Logged before")
    updated_from = _since("updated_at", "gte", "Updated from")
    updated_to = _since("updated_at", "lt", "Updated before")

    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.all(), to_field_name="code", method="filter_category",
        label=gettext_lazy("Category"),
    )  # fmt: skip


@extend_schema_view(
    list=extend_schema(
        summary="Cases the caller may see, filtered and ordered",
        responses={200: s.EventSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(
        summary="One case with its timeline, clocks and departments' parts",
        parameters=[
            OpenApiParameter(
                "id",
                OpenApiTypes.STR,
                OpenApiParameter.PATH,
                description="case number (YH-20261122-0042) or id",
            )  # fmt: skip
        ],
        responses={200: s.EventDetailSerializer, **READ_ERRORS},
    ),
)
class EventViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    serializer_class = s.EventSerializer
    filterset_class = ApiEventFilter
    pagination_class = ApiPagination
    ordering_fields = ["created_at", "updated_at", "due_at", "priority", "number", "status"]
    ordering = ["-created_at", "-id"]
    lookup_url_kwarg = "id"
    lookup_value_regex = r"[^/]+"
    # For logging a case (photos come as multipart); each action names its own parsers.
    parser_classes = [JSONParser, MultiPartParser]

    def get_queryset(self) -> QuerySet[Event]:
        return selectors.event_queryset(user=self.request.user)

    def _detail_queryset(self) -> QuerySet[Event]:
        return (
            self.get_queryset()
            .select_related("merged_into")
            .prefetch_related(
                "photos",
                Prefetch("deadlines", queryset=Deadline.objects.order_by("started_at", "id")),
                Prefetch(
                    "timeline",
                    queryset=TimelineEntry.objects.select_related("actor").order_by("at", "id"),
                ),
                Prefetch(
                    "assignments",
                    queryset=Assignment.objects.select_related("department").order_by(
                        "dispatched_at", "id"
                    ),
                ),
            )
        )

    def _lookup(self, queryset: QuerySet[Event]) -> Event:
        value = str(self.kwargs[self.lookup_url_kwarg])
        found = queryset.filter(pk=int(value)) if is_id(value) else queryset.filter(number=value)
        event = found.first()
        if event is None:
            raise exceptions.NotFound()
        return event

    def get_object(self) -> Event:
        return self._lookup(self.get_queryset())

    def _detail(self, event_id: int, code: int = status.HTTP_200_OK) -> Response:
        event = self._detail_queryset().filter(pk=event_id).first()
        if event is None:  # e.g. dispatched away from a department that returned it
            return Response(status=status.HTTP_204_NO_CONTENT)
        scope = scope_for(self.request.user)
        event.actions = [str(a) for a in allowed_actions(scope, event)]
        event.handles = selectors.viewer_handles(scope, event)
        now = timezone.now()
        return Response(s.EventDetailSerializer(event, context={"now": now}).data, status=code)

    def retrieve(self, request, *args, **kwargs):
        return self._detail(self._lookup(self._detail_queryset()).pk)

    @extend_schema(
        summary="Log a case (block staff; photos through multipart/form-data)",
        request={
            "application/json": s.EventCreateSerializer,
            "multipart/form-data": s.EventCreateSerializer,
        },
        responses={201: s.EventCreatedSerializer, **WRITE_ERRORS},
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def create(self, request, *args, **kwargs):
        data = _valid(s.EventCreateSerializer, request)
        block = (
            visible_areas(request.user)
            .filter(code=data["block"], level=Area.Level.BLOCK, closed_on__isnull=True)
            .first()
        )
        if block is None:
            raise serializers.ValidationError({"block": [_("Choose an open block.")]})
        category = Category.objects.filter(
            code=data["category"], is_active=True, parent__isnull=False
        ).first()
        if category is None:
            raise serializers.ValidationError({"category": [_("Choose a matter from the list.")]})
        with service_errors():
            event = services.event_log(
                actor=request.user, block=block, category=category,
                priority=data.get("priority") or None, description=data["description"],
                reporter_name=data.get("reporter_name", ""),
                reporter_phone=data.get("reporter_phone", ""),
                building=data.get("building", ""), address=data.get("address", ""),
                lat=data.get("lat"), lon=data.get("lon"), photos=data.get("photos", []),
            )  # fmt: skip
        # The new case as the service made it (no reading back inside the intake's
        # transaction: bench/intake.py); its detail is at Location.
        response = Response(s.EventCreatedSerializer(event).data, status=status.HTTP_201_CREATED)
        response["Location"] = f"/api/events/{event.number}/"
        return response

    # --- one endpoint per action (GLOSSARY) ---------------------------------------------
    def _act(self, request, serializer_class, call) -> Response:
        """Validate, then call the service with the status the app saw (``expected_status``,
        or the one just read): whoever acts second on a moved case gets 409."""
        event = self.get_object()
        data = _valid(serializer_class, request)
        expected = data.get("expected_status") or event.status
        with service_errors():
            call(event, data, expected)
        return self._detail(event.pk)

    @post_action(request=s.NoteSerializer)
    def accept(self, request, id=None):
        """Accept (受理): the block takes the case on; its 15-minute clock stops."""
        return self._act(
            request, s.NoteSerializer,
            lambda e, d, x: services.event_accept(actor=request.user, event_id=e.pk,
                                                  expected_status=x),
        )  # fmt: skip

    @post_action(request=s.ResolveSerializer, photos=True)
    def resolve(self, request, id=None):
        """Resolve (办结): the block says what was done, with photos."""
        return self._act(
            request, s.ResolveSerializer,
            lambda e, d, x: services.event_resolve(
                actor=request.user, event_id=e.pk, note=d["note"], photos=d.get("photos", []),
                expected_status=x),
        )  # fmt: skip

    @post_action(request=s.NoteSerializer)
    def verify(self, request, id=None):
        """Verify (核查): it is really done; the case closes."""
        return self._act(
            request, s.NoteSerializer,
            lambda e, d, x: services.event_verify(
                actor=request.user, event_id=e.pk, note=d.get("note", ""), expected_status=x),
        )  # fmt: skip

    @post_action(request=s.RequiredNoteSerializer)
    def rework(self, request, id=None):
        """Rework (返工): not done; back to the handler with the reason."""
        return self._act(
            request, s.RequiredNoteSerializer,
            lambda e, d, x: services.event_rework(
                actor=request.user, event_id=e.pk, note=d["note"], expected_status=x),
        )  # fmt: skip

    @post_action(request=s.RateSerializer)
    def rate(self, request, id=None):
        """Rate (回访): staff record the resident's answer to the callback."""
        return self._act(
            request, s.RateSerializer,
            lambda e, d, x: services.event_rate(
                actor=request.user, event_id=e.pk, satisfaction=d["satisfaction"],
                resolved=d["resolved"], comment=d.get("comment", "")),
        )  # fmt: skip

    @post_action(request=s.InvalidateSerializer)
    def invalidate(self, request, id=None):
        """Invalidate: not our matter, or a prank; closed with a reason."""
        return self._act(
            request, s.InvalidateSerializer,
            lambda e, d, x: services.event_invalidate(
                actor=request.user, event_id=e.pk, reason=d["reason"], expected_status=x),
        )  # fmt: skip

    @post_action(request=s.MergeSerializer)
    def merge(self, request, id=None):
        """Merge (重复诉求): a duplicate goes into the case it repeats."""

        def call(event, data, expected):
            into = self.get_queryset().filter(number=data["into"].strip()).first()
            if into is None:
                raise serializers.ValidationError({"into": [_("No such case.")]})
            services.event_merge(
                actor=request.user, event_id=event.pk, into=into, expected_status=expected
            )

        return self._act(request, s.MergeSerializer, call)

    @post_action(request=s.WhistleSerializer)
    def whistle(self, request, id=None):
        """Whistle (吹哨): beyond the block's means; up to the street's desk, with a reason."""
        return self._act(
            request, s.WhistleSerializer,
            lambda e, d, x: services.event_whistle(
                actor=request.user, event_id=e.pk, reason=d["reason"], note=d.get("note", ""),
                expected_status=x),
        )  # fmt: skip

    @post_action(request=s.RequiredNoteSerializer)
    def whistle_district(self, request, id=None):
        """Whistle to the district (街呼区应): the street's desk passes a case it cannot
        dispatch itself to the district's command centre, with its reason (where the
        district is set up so)."""
        return self._act(
            request, s.RequiredNoteSerializer,
            lambda e, d, x: services.event_whistle_to_district(
                actor=request.user, event_id=e.pk, note=d["note"], expected_status=x),
        )  # fmt: skip

    @post_action(request=s.RequiredNoteSerializer)
    def send_back(self, request, id=None):
        """Send back (区退街): the district's command centre gives the case back to the
        street's desk, with its reason; the street's dispatch clock starts again."""
        return self._act(
            request, s.RequiredNoteSerializer,
            lambda e, d, x: services.event_send_back(
                actor=request.user, event_id=e.pk, note=d["note"], expected_status=x),
        )  # fmt: skip

    # Named dispatch_: a view's own dispatch() must stay DRF's.
    @post_action(request=s.DispatchSerializer, url_path="dispatch", url_name="dispatch")
    def dispatch_(self, request, id=None):
        """Dispatch (派单): the street gives the case to a lead department and cooperating ones."""

        def call(event, data, expected):
            departments = {d.code: d for d in selectors.district_departments(event=event)}
            codes = [data["lead"], *data.get("cooperating", [])]
            unknown = [c for c in codes if c not in departments]
            if unknown:
                raise serializers.ValidationError(
                    {"lead" if data["lead"] in unknown else "cooperating": [
                        _("No such department in this district: %(codes)s")
                        % {"codes": ", ".join(unknown)}]}
                )  # fmt: skip
            services.event_dispatch(
                actor=request.user, event_id=event.pk, lead=departments[data["lead"]],
                cooperating=[departments[c] for c in data.get("cooperating", [])],
                note=data.get("note", ""), expected_status=expected,
            )  # fmt: skip

        return self._act(request, s.DispatchSerializer, call)

    @post_action(request=s.CommentSerializer, response=s.TimelineEntrySerializer, code=201)
    def comment(self, request, id=None):
        """Comment on the case's timeline."""
        event = self.get_object()
        data = _valid(s.CommentSerializer, request)
        with service_errors():
            entry = services.event_comment(actor=request.user, event_id=event.pk, note=data["note"])
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @post_action(request=s.EvaluateSerializer, response=s.CaseEvaluationSerializer, code=201)
    def evaluate(self, request, id=None):
        """Evaluate (一事一考): the street scores one department on a closed case."""
        event = self.get_object()
        data = _valid(s.EvaluateSerializer, request)
        if not event.assignments.filter(pk=data["assignment"]).exists():
            raise serializers.ValidationError({"assignment": [_("No such part of this case.")]})
        with service_errors():
            evaluation = services.case_evaluate(
                actor=request.user, assignment_id=data["assignment"], response=data["response"],
                handling=data["handling"], attitude=data["attitude"],
                comment=data.get("comment", ""),
            )  # fmt: skip
        return Response(s.CaseEvaluationSerializer(evaluation).data, status=201)

    @post_action(request=s.RevealSerializer, response=s.RevealedSerializer)
    def reveal_phone(self, request, id=None):
        """Reveal the resident's phone: the current handler only, with a reason (audited)."""
        event = self.get_object()
        data = _valid(s.RevealSerializer, request)
        if not selectors.viewer_handles(scope_for(request.user), event):
            raise PermissionDenied(_("Only the current handler may see the resident's number."))
        audit(
            action=AuditEntry.Action.REVEAL, actor=request.user, request=request._request,
            object_type="event", object_id=event.number, reason=data["reason"].strip(),
            detail={"field": "reporter_phone", "via": "api"},
        )  # fmt: skip
        return Response({"reporter_phone": event.reporter_phone})

    def _clock(self, event: Event, clock_id: int) -> Deadline:
        clock = event.deadlines.filter(pk=clock_id).first()
        if clock is None:
            raise serializers.ValidationError({"clock": [_("No such clock on this case.")]})
        return clock

    @post_action(
        request=s.DeadlineChangeRequestSerializer, response=s.DeadlineChangeSerializer, code=201
    )
    def deadline_change(self, request, id=None):
        """Ask for an extension (延期) or a suspension (挂起) of one clock."""
        event = self.get_object()
        data = _valid(s.DeadlineChangeRequestSerializer, request)
        clock = self._clock(event, data["clock"])
        with service_errors():
            change = services.deadline_change_request(
                actor=request.user, deadline_id=clock.pk, kind=data["kind"],
                reason=data.get("reason", ""),
                extra_working_days=data.get("extra_working_days") or 0,
            )  # fmt: skip
        return Response(s.DeadlineChangeSerializer(change).data, status=201)

    @post_action(request=s.DeadlineDecideSerializer, response=s.DeadlineChangeSerializer)
    def deadline_decide(self, request, id=None):
        """The street's desk approves or rejects a requested change of a clock."""
        event = self.get_object()
        data = _valid(s.DeadlineDecideSerializer, request)
        pending = {c.pk for c in selectors.pending_deadline_changes(event=event)}
        if data["change"] not in pending:
            raise serializers.ValidationError({"change": [_("No such request waiting.")]})
        with service_errors():
            change = services.deadline_change_decide(
                actor=request.user, change_id=data["change"], approve=data["approve"]
            )
        return Response(s.DeadlineChangeSerializer(change).data)

    @post_action(request=s.ClockRefSerializer)
    def deadline_resume(self, request, id=None):
        """End a suspension: the clock runs on, its due time moved by the pause."""
        event = self.get_object()
        data = _valid(s.ClockRefSerializer, request)
        clock = self._clock(event, data["clock"])
        with service_errors():
            services.deadline_resume(actor=request.user, deadline_id=clock.pk)
        return self._detail(event.pk)


# --- the departments' parts (报到 → 反馈 / 退单) ----------------------------------------------
class AssignmentFilter(django_filters.FilterSet):
    state = django_filters.MultipleChoiceFilter(choices=Assignment.State.choices)
    role = django_filters.ChoiceFilter(choices=Assignment.Role.choices)
    event = django_filters.CharFilter(field_name="event__number", label=gettext_lazy("Case"))

    class Meta:
        model = Assignment
        fields = ["state", "role", "event"]


@extend_schema_view(
    list=extend_schema(
        summary="The parts of cases dispatched to the caller's departments",
        responses={200: s.PartSerializer(many=True), **LIST_ERRORS},
    ),
    retrieve=extend_schema(responses={200: s.PartSerializer, **READ_ERRORS}),
)
class AssignmentViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, viewsets.GenericViewSet):
    """A department officer sees only their departments' parts; anybody else sees none."""

    serializer_class = s.PartSerializer
    filterset_class = AssignmentFilter
    pagination_class = ApiPagination
    ordering_fields = ["due_at", "dispatched_at", "state"]
    ordering = ["due_at", "dispatched_at", "id"]
    parser_classes = [JSONParser]
    # Any path segment reaches the view, so that a malformed id is the API's JSON 404.
    lookup_value_regex = r"[^/]+"

    def get_queryset(self) -> QuerySet[Assignment]:
        return selectors.department_parts(user=self.request.user)

    def get_object(self) -> Assignment:
        value = str(self.kwargs["pk"])
        part = self.get_queryset().filter(pk=int(value)).first() if is_id(value) else None
        if part is None:
            raise exceptions.NotFound()
        return part

    def _act(self, request, call) -> Response:
        part = self.get_object()
        with service_errors():
            call(part)
        return Response(s.PartSerializer(self.get_queryset().get(pk=part.pk)).data)

    @post_action(request=None, response=s.PartSerializer)
    def report_in(self, request, pk=None):
        """Report in (报到): the department signs for its part; its 24-hour clock stops."""
        return self._act(
            request,
            lambda p: services.assignment_report_in(actor=request.user, assignment_id=p.pk),
        )

    @post_action(request=s.FeedbackSerializer, response=s.PartSerializer, photos=True)
    def feedback(self, request, pk=None):
        """Feedback (反馈): what the department did, with photos."""
        data = _valid(s.FeedbackSerializer, request)
        return self._act(
            request,
            lambda p: services.assignment_feedback(
                actor=request.user, assignment_id=p.pk, note=data["note"],
                photos=data.get("photos", [])),
        )  # fmt: skip

    @post_action(
        request=s.ReturnSerializer, response=s.PartSerializer, url_path="return", url_name="return"
    )
    def return_(self, request, pk=None):
        """Return (退单): not this department's duty; back to the street's desk, with a reason."""
        data = _valid(s.ReturnSerializer, request)
        return self._act(
            request,
            lambda p: services.assignment_return(
                actor=request.user, assignment_id=p.pk, reason=data["reason"], note=data["note"]),
        )  # fmt: skip


# --- 12345 hotline transfers ------------------------------------------------------------
def _report_data(report: hotline.ImportReport) -> dict:
    return {
        "imported": report.imported,
        "skipped": report.skipped,
        "errors": len(report.errors),
        "rows": [
            {"row": r.row - 1, "number": r.number, "outcome": r.outcome, "message": str(r.message),
             "case_number": r.case_number}
            for r in report.rows
        ],
    }  # fmt: skip


class HotlineImportView(APIView):
    """A batch of 12345 transfers as JSON rows in the hotline's columns: every row checked,
    all imported or none, rows already imported skipped; a row-by-row report either way."""

    parser_classes = [JSONParser]
    serializer_class = s.HotlineImportSerializer

    @extend_schema(
        summary="Import 12345 hotline transfers (all or nothing, row by row report)",
        request=s.HotlineImportSerializer,
        responses={
            201: s.HotlineReportSerializer,
            200: s.HotlineReportSerializer,
            400: s.HotlineRejectedSerializer,
            **_errors(401, 403, 422),
        },
        parameters=[IDEMPOTENCY_PARAMETER],
    )
    @idempotent
    def post(self, request):
        if not scope_for(request.user).codes_for(HOTLINE_ROLES):
            raise PermissionDenied(_("You may not import hotline transfers."))
        data = _valid(s.HotlineImportSerializer, request)
        report = hotline.hotline_import(actor=request.user, rows=data["rows"])
        body = _report_data(report)
        if report.errors:
            return Response(
                {
                    "code": "invalid",
                    "message": _("Nothing was imported: correct the rows marked as errors."),
                    "errors": {
                        str(r["row"]): [r["message"]]
                        for r in body["rows"]
                        if r["outcome"] == "error"
                    },
                    "report": body,
                },
                status=status.HTTP_400_BAD_REQUEST,
            )
        return Response(body, status=status.HTTP_201_CREATED if report.imported else 200)
