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
from rest_framework.response import Response
from rest_framework.views import APIView

from blocks.access import scope_for, visible_areas
from blocks.models import Area
from events import hotline, selectors, services, supervision
from events import serializers as s
from events.actions import CASE_ACTIONS, PART_ACTIONS, CaseAction, PartAction
from events.filters import EventFilter
from events.idempotency import IDEMPOTENCY_PARAMETER, idempotent
from events.models import Action, Assignment, Category, Deadline, Event, PartMove, TimelineEntry
from events.workflow import allowed_actions
from governance.api import ApiPagination
from governance.audit import audit
from governance.models import AuditEntry
from governance.parsers import JSONParser, MultiPartParser

HOTLINE_ROLES = {"dispatcher", "street_admin", "governor", "assistant"}  # as the hotline page


def _errors(*codes: int) -> dict:
    return dict.fromkeys(codes, s.ErrorSerializer)


READ_ERRORS = _errors(401, 404)
LIST_ERRORS = _errors(400, 401, 404)  # 400: a filter's value or page_size; 404: a page past the end
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


def _takes_photos(serializer_class) -> bool:
    return serializer_class is not None and "photos" in serializer_class().fields


def case_endpoint(action: Action, summary: str, **kw):
    """The POST endpoint of one case action of the registry (events.actions)."""
    spec = CASE_ACTIONS[action]

    def endpoint(self, request, id=None):
        return self._act(request, spec)

    endpoint.__name__ = endpoint.__qualname__ = kw.pop("name", action.value)
    endpoint.__doc__ = summary
    return post_action(request=spec.serializer, photos=_takes_photos(spec.serializer), **kw)(
        endpoint
    )


def part_endpoint(move: PartMove, summary: str, **kw):
    """The POST endpoint of one move of a department's part (events.actions)."""
    spec = PART_ACTIONS[move]

    def endpoint(self, request, pk=None):
        return self._act(request, spec)

    endpoint.__name__ = endpoint.__qualname__ = kw.pop("name", move.value)
    endpoint.__doc__ = summary
    return post_action(
        request=spec.serializer, response=s.PartSerializer,
        photos=_takes_photos(spec.serializer), **kw,
    )(endpoint)  # fmt: skip


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


def log_case(request, data: dict, *, category: Category) -> Response:
    """The one way the API logs a case (``/api/events/`` and ``/api/assisted-requests/``):
    the block among the caller's areas, then ``services.event_log``."""
    block = (
        visible_areas(request.user)
        .filter(code=data["block"], level=Area.Level.BLOCK, closed_on__isnull=True)
        .first()
    )
    if block is None:
        raise serializers.ValidationError({"block": [_("Choose an open block.")]})
    place = None
    if data.get("place"):
        place = Area.objects.filter(code=data["place"], code__startswith=block.code).first()
        if place is None:
            raise serializers.ValidationError(
                {"place": [_("Choose a compound or building of the case's block.")]}
            )
    with service_errors():
        event = services.event_log(
            actor=request.user, block=block, category=category,
            priority=data.get("priority") or None, description=data["description"],
            reporter_name=data.get("reporter_name", ""),
            reporter_phone=data.get("reporter_phone", ""),
            building=data.get("building", ""), address=data.get("address", ""),
            lat=data.get("lat"), lon=data.get("lon"), photos=data.get("photos", []),
            booked_at=data.get("booked_at"), place=place,
        )  # fmt: skip
    # The new case as the service made it (no reading back inside the intake's
    # transaction: bench/intake.py); its detail is at Location.
    response = Response(s.EventCreatedSerializer(event).data, status=status.HTTP_201_CREATED)
    response["Location"] = f"/api/events/{event.number}/"
    return response


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
        return selectors.event_queryset(user=self.request.user).prefetch_related(
            Prefetch(
                "supervisions",
                queryset=supervision.open_supervisions_queryset(),
                to_attr="open_supervisions",
            )
        )

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
        if event.is_open and scope.can_supervise(event.area_code):
            event.actions.append("supervise")  # 督办: no transition, a leader's one write
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
        category = Category.objects.filter(
            code=data["category"], is_active=True, parent__isnull=False
        ).first()
        if category is None:
            raise serializers.ValidationError({"category": [_("Choose a matter from the list.")]})
        return log_case(request, data, category=category)

    # --- one endpoint per action (GLOSSARY), each read from events.actions ---------------
    def _act(self, request, spec: CaseAction) -> Response:
        """Validate, then call the service with the status the app saw (``expected_status``,
        or the one just read): whoever acts second on a moved case gets 409."""
        event = self.get_object()
        serializer = spec.serializer(data=request.data, context={"event": event})
        serializer.is_valid(raise_exception=True)
        data = serializer.validated_data
        with service_errors():
            spec.perform(
                actor=request.user, event=event, data=data,
                expected_status=data.get("expected_status") or event.status,
            )  # fmt: skip
        return self._detail(event.pk)

    accept = case_endpoint(
        Action.ACCEPT, "Accept (受理): the block takes the case on; its 15-minute clock stops."
    )
    resolve = case_endpoint(
        Action.RESOLVE, "Resolve (办结): the block says what was done, with photos."
    )
    verify = case_endpoint(Action.VERIFY, "Verify (核查): it is really done; the case closes.")
    rework = case_endpoint(
        Action.REWORK, "Rework (返工): not done; back to the handler with the reason."
    )
    rate = case_endpoint(
        Action.RATE, "Rate (回访): staff record the resident's answer to the callback."
    )
    invalidate = case_endpoint(
        Action.INVALIDATE, "Invalidate: not our matter, or a prank; closed with a reason."
    )
    merge = case_endpoint(
        Action.MERGE, "Merge (重复诉求): a duplicate goes into the case it repeats."
    )
    whistle = case_endpoint(
        Action.WHISTLE,
        "Whistle (吹哨): beyond the block's means; up to the street's desk, with a reason.",
    )
    whistle_district = case_endpoint(
        Action.WHISTLE_DISTRICT,
        "Whistle to the district (街呼区应): the street's desk passes a case it cannot "
        "dispatch itself to the district's command centre, with its reason (where the "
        "district is set up so).",
    )
    send_back = case_endpoint(
        Action.SEND_BACK,
        "Send back (区退街): the district's command centre gives the case back to the "
        "street's desk, with its reason; the street's dispatch clock starts again.",
    )
    call_legal = case_endpoint(
        Action.CALL_LEGAL,
        "Call the legal team (三官一律): the block's staff call the block's police officer, "
        "prosecutor, judge and lawyer (or one kind) onto an open case with a note; they are "
        "told, the timeline records it.",
    )
    # Named dispatch_: a view's own dispatch() must stay DRF's.
    dispatch_ = case_endpoint(
        Action.DISPATCH,
        "Dispatch (派单): the street gives the case to a lead department and cooperating ones.",
        url_path="dispatch",
        url_name="dispatch",
        name="dispatch_",
    )

    @post_action(request=s.CommentSerializer, response=s.TimelineEntrySerializer, code=201)
    def comment(self, request, id=None):
        """Comment on the case's timeline."""
        event = self.get_object()
        data = _valid(s.CommentSerializer, request)
        with service_errors():
            entry = services.event_comment(actor=request.user, event_id=event.pk, note=data["note"])
        return Response(s.TimelineEntrySerializer(entry).data, status=status.HTTP_201_CREATED)

    @post_action(request=s.SuperviseSerializer, response=s.SupervisionSerializer, code=201)
    def supervise(self, request, id=None):
        """Supervise (督办): a leader of the area or the block's supervisor puts an open case
        under a yellow card (催办, a note) or a red card (挂牌督办, a note and a date); the
        handler and their head are told at once, and again when a red card's date passes.
        A new card of the same person replaces theirs."""
        event = self.get_object()
        data = _valid(s.SuperviseSerializer, request)
        with service_errors():
            card = supervision.event_supervise(
                actor=request.user, event_id=event.pk, card=data["card"], note=data["note"],
                due=data.get("due"),
            )  # fmt: skip
        return Response(s.SupervisionSerializer(card).data, status=status.HTTP_201_CREATED)

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
        return Response(s.revealed(event))

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

    def _act(self, request, spec: PartAction) -> Response:
        part = self.get_object()
        data = _valid(spec.serializer, request) if spec.serializer else {}
        with service_errors():
            spec.perform(actor=request.user, part=part, data=data)
        return Response(s.PartSerializer(self.get_queryset().get(pk=part.pk)).data)

    report_in = part_endpoint(
        PartMove.REPORT_IN,
        "Report in (报到): the department signs for its part; its 24-hour clock stops.",
    )
    feedback = part_endpoint(
        PartMove.FEEDBACK, "Feedback (反馈): what the department did, with photos."
    )
    return_ = part_endpoint(
        PartMove.RETURN,
        "Return (退单): not this department's duty; back to the street's desk, with a reason.",
        url_path="return",
        url_name="return",
        name="return_",
    )


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
