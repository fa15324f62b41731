"""一事一考: the leaders' numbers, each written once (DESIGN §5, seed 001).

Every number of the dashboard, of ``/api/stats/summary/`` and of the monthly report comes
from here. The unit of counting is the **case logged in the period** (按受理时间统计): a
period's numbers describe the cases logged in it, whatever happened to them since, so
that "click a number" opens exactly the counted cases (``EventFilter.measure``).

Two layers:

* **counts** — how many cases (or departments' parts) are in a set. Each count is a
  ``Count`` whose filter is the set's definition (``EVENT_SETS`` / ``PART_SETS``); sums of
  durations are kept in seconds. Counts add up over days, blocks and categories, which is
  what lets ``dashboards`` keep them in summary tables.
* **measures** — one function per rate or average, computed from counts, with its
  numerator and denominator. The docstring is the formula; ``Measure.formula`` is the
  Chinese tooltip shown on the page.

Invalid and merged cases are never counted (DESIGN §3: 重复诉求 merged, never counted
twice); they are reported on their own.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from django.db.models import (
    Count,
    DurationField,
    Exists,
    ExpressionWrapper,
    F,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Coalesce
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from events.models import (
    OPEN_STATUSES,
    Assignment,
    CategoryKind,
    Channel,
    ClockKind,
    Deadline,
    DeadlineChange,
    Event,
    Satisfaction,
    Status,
    Supervision,
    SupervisionCard,
)

NOT_COUNTED = (Status.INVALID, Status.MERGED)
OPEN = sorted(s.value for s in OPEN_STATUSES)
# Residents' requests (群众诉求), the cases 15分钟响应率 measures (seed 002: 一呼即应 within
# 15 minutes in the block): a resident's own report, a 12345 transfer, and a household
# leader's matter (liaison logs it as the resident's report it is, from the moment it was
# reported). A case staff log on the spot is answered as it is logged: no measure of it.
RESIDENT_CHANNELS = (Channel.SELF_REPORT, Channel.HOTLINE, Channel.HOUSEHOLD_LEADER)


# --- per-case facts that need another table (annotated once, used by the sets below) ----
def _late(kind: str) -> Q:
    """A clock of ``kind`` that went past its due time: breached by the scanner, or met
    after its due time (met within seconds of it, before the scanner ran)."""
    return Q(kind=kind) & (Q(breached_at__isnull=False) | Q(met_at__gt=F("due_at")))


def running_overdue_q(now: datetime, prefix: str = "") -> Q:
    """A running clock past its due time. A suspended clock (挂起) is not running: its due
    time moves when it resumes, so it is not overdue meanwhile."""
    return Q(
        **{
            f"{prefix}met_at__isnull": True,
            f"{prefix}cancelled_at__isnull": True,
            f"{prefix}paused_at__isnull": True,
            f"{prefix}due_at__lte": now,
        }
    )


def live_part() -> Q:
    """A part that really was dispatched to the department: not one cancelled before it
    reported in (its lead returned the case, so the dispatch was void)."""
    return ~Q(state=Assignment.State.CANCELLED, reported_in_at__isnull=True)


def _part_count(parts: QuerySet) -> Coalesce:
    counted = parts.filter(event=OuterRef("pk")).order_by().values("event")
    return Coalesce(
        Subquery(counted.annotate(n=Count("pk")).values("n")[:1], output_field=IntegerField()),
        Value(0),
    )


def _reported_in_on_time() -> Exists:
    return Exists(
        Deadline.objects.filter(
            assignment=OuterRef("pk"),
            kind=ClockKind.REPORT_IN,
            met_at__isnull=False,
            met_at__lte=F("due_at"),
        )
    )


def _supervision_facts(event_ref: str, closed_ref: str) -> dict[str, Callable[[], Exists]]:
    """督办 facts of a case (``event_ref``: the outer reference to it): ever under a card;
    under a red card when it closed; a red card whose date passed before it closed. A card
    its author replaced before the case closed (a new date, a yellow for a red) is no
    longer in force then."""
    cards = Supervision.objects.filter(event=OuterRef(event_ref))
    red_at_close = cards.filter(card=SupervisionCard.RED).exclude(ended_at__lt=OuterRef(closed_ref))
    return {
        "f_supervised": lambda: Exists(cards),
        "f_red_card": lambda: Exists(red_at_close),
        "f_red_card_missed": lambda: Exists(red_at_close.filter(due__lt=OuterRef(closed_ref))),
    }


def supervised_on_time_q(prefix: str = "") -> Q:
    """A case under 督办 closed in time: by the date of every red card it had; with yellow
    cards only (催办, no date), closed with no resolve clock late. ``prefix`` reaches the
    case from a department's part (``event__``)."""
    return (
        Q(f_supervised=True)
        & Q(**{f"{prefix}status": Status.CLOSED})
        & (Q(f_red_card=True, f_red_card_missed=False) | Q(f_red_card=False, f_late_resolve=False))
    )


def with_facts(
    events: QuerySet[Event], *, now: datetime, only: set[str] | None = None
) -> QuerySet[Event]:
    """``events`` with what the sets need from clocks, parts and extensions (``only``:
    just these facts, e.g. the ones one set uses)."""
    clocks = Deadline.objects.filter(event=OuterRef("pk"))
    live_parts = Assignment.objects.filter(live_part())
    facts = {
        "f_late_resolve": lambda: Exists(clocks.filter(_late(ClockKind.RESOLVE))),
        "f_late_dispatch": lambda: Exists(clocks.filter(_late(ClockKind.DISPATCH))),
        "f_late_respond": lambda: Exists(clocks.filter(_late(ClockKind.RESPOND))),
        "f_overdue": lambda: Exists(clocks.filter(running_overdue_q(now))),
        "f_extended": lambda: Exists(
            DeadlineChange.objects.filter(
                deadline__event=OuterRef("pk"),
                kind=DeadlineChange.Kind.EXTEND,
                state=DeadlineChange.State.APPROVED,
            )
        ),
        "f_returned": lambda: Exists(
            Assignment.objects.filter(event=OuterRef("pk"), returned_at__isnull=False)
        ),
        "f_parts": lambda: _part_count(live_parts),
        "f_parts_on_time": lambda: _part_count(live_parts.filter(_reported_in_on_time())),
        "f_parts_returned": lambda: _part_count(live_parts.filter(returned_at__isnull=False)),
        **_supervision_facts("pk", "closed_at"),
    }
    return events.annotate(
        **{name: make() for name, make in facts.items() if only is None or name in only}
    )


def facts_used(q: Q) -> set[str]:
    """The ``f_`` facts a set's definition refers to."""
    names: set[str] = set()
    for child in q.children:
        if isinstance(child, Q):
            names |= facts_used(child)
        elif child[0].startswith("f_"):
            names.add(child[0].split("__")[0])
    return names


# --- sets of cases: each count is "how many counted cases are in this set" ---------------
def event_sets(now: datetime) -> dict[str, Q]:
    """The definition of every set of cases, on an events queryset passed through
    ``with_facts`` (the ``f_`` names). Used by the counts and by the case list's filter."""
    # Every measure but the assisted ones counts complaints and requests only: an assisted
    # service (帮代办) is counted apart (issue 20).
    complaint = ~Q(category__kind=CategoryKind.ASSISTED_SERVICE)
    counted = ~Q(status__in=NOT_COUNTED) & complaint
    resolved = counted & Q(resolved_at__isnull=False)
    rated = counted & Q(rated_at__isnull=False)
    first_rated = counted & ~Q(first_satisfaction="")
    dispatched = counted & Q(dispatched_at__isnull=False)
    residents = counted & Q(channel__in=RESIDENT_CHANNELS)
    resident_accepted = residents & Q(accepted_at__isnull=False)
    supervised = counted & Q(f_supervised=True)
    assisted = ~Q(status__in=NOT_COUNTED) & Q(category__kind=CategoryKind.ASSISTED_SERVICE)
    assisted_closed = assisted & Q(status=Status.CLOSED)
    assisted_rated = assisted & Q(rated_at__isnull=False)
    return {
        "new": counted,
        "invalid": complaint & Q(status=Status.INVALID),
        "merged": complaint & Q(status=Status.MERGED),
        "open": complaint & Q(status__in=OPEN),
        "overdue": complaint & Q(status__in=OPEN, f_overdue=True),
        "closed": complaint & Q(status=Status.CLOSED),
        "accepted": counted & Q(accepted_at__isnull=False),
        "resolved": resolved,
        "resolved_on_time": resolved & Q(f_late_resolve=False),
        "rated": rated,
        "rated_resolved": rated & Q(resolved_by_resident=True),
        "satisfied": rated & Q(satisfaction=Satisfaction.SATISFIED),
        "basically_satisfied": rated & Q(satisfaction=Satisfaction.BASICALLY_SATISFIED),
        "dissatisfied": rated & Q(satisfaction=Satisfaction.DISSATISFIED),
        # 一次解决率 / 一次满意率: each case's first rating, whatever came after it.
        "first_rated": first_rated,
        "first_rated_resolved": first_rated & Q(first_resolved=True),
        "first_satisfied": first_rated & Q(first_satisfaction=Satisfaction.SATISFIED),
        "first_basically_satisfied": first_rated
        & Q(first_satisfaction=Satisfaction.BASICALLY_SATISFIED),
        "ever_resolved": counted & (Q(resolved_at__isnull=False) | Q(rework_count__gt=0)),
        "reworked": counted & Q(rework_count__gt=0),
        "whistled": counted & Q(whistled_at__isnull=False),
        "dispatched": dispatched,
        "dispatched_on_time": dispatched & Q(f_late_dispatch=False),
        "dispatched_never_returned": dispatched & Q(f_returned=False),
        "extended": counted & Q(f_extended=True),
        # Cases with parts in these sets (the counts below count the parts themselves).
        "parts_dispatched": counted & Q(f_parts__gt=0),
        "parts_reported_on_time": counted & Q(f_parts_on_time__gt=0),
        "parts_returned": counted & Q(f_parts_returned__gt=0),
        # 15分钟响应率: residents' requests, those accepted, and those accepted in time (the
        # block's respond clock met by its due time; whistling a pending case answers it).
        "resident_requests": residents,
        "resident_accepted": resident_accepted,
        "resident_accepted_in_time": resident_accepted & Q(f_late_respond=False),
        # 督办: cases under a yellow or red card, and those closed in time.
        "supervised": supervised,
        "supervised_on_time": counted & supervised_on_time_q(),
        # 帮代办 (assisted services, seed 000), counted apart: requests, done (closed), done
        # on time (no resolve clock late: the service's limit, from the booked time if
        # booked), rated and satisfied.
        "assisted_requests": assisted,
        "assisted_closed": assisted_closed,
        "assisted_closed_on_time": assisted_closed & Q(f_late_resolve=False),
        "assisted_rated": assisted_rated,
        "assisted_satisfied": assisted_rated & Q(satisfaction=Satisfaction.SATISFIED),
        "assisted_basically_satisfied": assisted_rated
        & Q(satisfaction=Satisfaction.BASICALLY_SATISFIED),
    }


EVENT_SET_NAMES = tuple(event_sets(datetime(2000, 1, 1, tzinfo=UTC)))
# Counts of parts (one case may have several departments' parts) and sums of durations.
PART_COUNTS = ("parts_dispatched", "parts_reported_on_time", "parts_returned")
DURATIONS = ("resident_response_seconds", "resolve_seconds")
# Counts only the department rows have (one row per department: its parts, and the cases
# it led; see ``department_counts``).
DEPARTMENT_ONLY = ("parts_reported_in", "report_in_seconds", "evaluations", "evaluation_points")
COUNT_NAMES = EVENT_SET_NAMES + DURATIONS + DEPARTMENT_ONLY


def _seconds(later: str, earlier: str) -> ExpressionWrapper:
    return ExpressionWrapper(F(later) - F(earlier), output_field=DurationField())


def _as_seconds(value) -> int:
    if value is None:
        return 0
    if isinstance(value, timedelta):
        return int(value.total_seconds())
    return int(value) // 1_000_000  # SQLite sums durations as microseconds


def count_expressions(now: datetime) -> dict[str, object]:
    """Aggregates over a ``with_facts`` queryset: one ``Count`` per set, one sum of
    parts per part count, and the sums of the durations the averages need."""
    sets = event_sets(now)
    counted = sets["new"]
    expressions: dict[str, object] = {
        name: Count("pk", filter=q) for name, q in sets.items() if name not in PART_COUNTS
    }
    expressions["parts_dispatched"] = Sum("f_parts", filter=counted)
    expressions["parts_reported_on_time"] = Sum("f_parts_on_time", filter=counted)
    expressions["parts_returned"] = Sum("f_parts_returned", filter=counted)
    expressions["resident_response_seconds"] = Sum(
        _seconds("accepted_at", "created_at"), filter=sets["resident_accepted"]
    )
    expressions["resolve_seconds"] = Sum(
        _seconds("resolved_at", "created_at"), filter=sets["resolved"]
    )
    return expressions


def clean_counts(row: Mapping) -> dict[str, int]:
    """A database row of aggregates as plain integers (None → 0, durations → seconds)."""
    counts = {}
    for name in COUNT_NAMES:
        value = row.get(name)
        counts[name] = _as_seconds(value) if name.endswith("_seconds") else int(value or 0)
    return counts


def event_counts(events: QuerySet[Event], *, now: datetime) -> dict[str, int]:
    """Every count over ``events`` (the cases of an area and period), in one query."""
    row = with_facts(events.order_by(), now=now).aggregate(**count_expressions(now))
    return clean_counts(row)


def _group_by(by: Iterable) -> tuple[list[str], dict[str, object]]:
    fields, named = [], {}
    for item in by:
        if isinstance(item, tuple):
            named[item[0]] = item[1]
            fields.append(item[0])
        else:
            fields.append(item)
    return fields, named


def grouped_event_queryset(events: QuerySet[Event], *, by: Iterable, now: datetime) -> QuerySet:
    """The counts per group, as a values queryset (``by`` are field names or ``(name,
    expression)`` pairs); durations are still intervals."""
    fields, named = _group_by(by)
    return (
        with_facts(events.order_by(), now=now)
        .annotate(**named)
        .values(*fields)
        .annotate(**count_expressions(now))
    )


def grouped_event_counts(events: QuerySet[Event], *, by: Iterable, now: datetime) -> list[dict]:
    fields, _named = _group_by(by)
    rows = grouped_event_queryset(events, by=by, now=now)
    return [{**{f: row[f] for f in fields}, **clean_counts(row)} for row in rows]


# --- departments (一事一考 of each department) -----------------------------------------
def department_expressions() -> dict[str, object]:
    """Aggregates over a department's parts (``Assignment`` rows of the counted cases).

    The case-level rates of a department (resolution, satisfaction, 督办) are over the cases
    it led: its live lead part, not returned.
    """
    led = Q(role=Assignment.Role.LEAD, returned_at__isnull=True) & live_part()
    rated = led & Q(event__rated_at__isnull=False)
    live = live_part()
    return {
        "new": Count("event", filter=live, distinct=True),
        "parts_dispatched": Count("pk", filter=live),
        "parts_reported_in": Count("pk", filter=live & Q(reported_in_at__isnull=False)),
        "parts_reported_on_time": Count("pk", filter=live & Q(f_on_time=True)),
        "parts_returned": Count("pk", filter=live & Q(returned_at__isnull=False)),
        "report_in_seconds": Sum(
            _seconds("reported_in_at", "dispatched_at"),
            filter=live & Q(reported_in_at__isnull=False),
        ),
        "resolved": Count("pk", filter=led & Q(event__resolved_at__isnull=False)),
        "resolved_on_time": Count(
            "pk", filter=led & Q(event__resolved_at__isnull=False, f_late_resolve=False)
        ),
        "rated": Count("pk", filter=rated),
        "rated_resolved": Count("pk", filter=rated & Q(event__resolved_by_resident=True)),
        "satisfied": Count("pk", filter=rated & Q(event__satisfaction=Satisfaction.SATISFIED)),
        "basically_satisfied": Count(
            "pk", filter=rated & Q(event__satisfaction=Satisfaction.BASICALLY_SATISFIED)
        ),
        "dissatisfied": Count(
            "pk", filter=rated & Q(event__satisfaction=Satisfaction.DISSATISFIED)
        ),
        "supervised": Count("pk", filter=led & Q(f_supervised=True)),
        "supervised_on_time": Count("pk", filter=led & supervised_on_time_q("event__")),
        "evaluations": Count("evaluation"),
        "evaluation_points": Coalesce(
            Sum(F("evaluation__response") + F("evaluation__handling") + F("evaluation__attitude")),
            Value(0),
        ),
    }


def parts_of(events: QuerySet[Event]) -> QuerySet[Assignment]:
    """The departments' parts of the counted cases among ``events``, with their facts."""
    counted = (
        events.exclude(status__in=NOT_COUNTED)
        .exclude(category__kind=CategoryKind.ASSISTED_SERVICE)
        .order_by()
        .values("pk")
    )
    return (
        Assignment.objects.filter(event__in=counted)
        .order_by()
        .annotate(
            f_on_time=_reported_in_on_time(),
            f_late_resolve=Exists(
                Deadline.objects.filter(event=OuterRef("event")).filter(_late(ClockKind.RESOLVE))
            ),
            **{
                name: make()
                for name, make in _supervision_facts("event", "event__closed_at").items()
            },
        )
    )


def grouped_department_queryset(parts: QuerySet[Assignment], *, by: Iterable) -> QuerySet:
    fields, named = _group_by(by)
    return parts.annotate(**named).values(*fields).annotate(**department_expressions())


def grouped_department_counts(parts: QuerySet[Assignment], *, by: Iterable) -> list[dict]:
    fields, _named = _group_by(by)
    rows = grouped_department_queryset(parts, by=by)
    return [{**{f: row[f] for f in fields}, **clean_counts(row)} for row in rows]


# --- measures: one function each, from counts --------------------------------------------
@dataclass(frozen=True)
class Rate:
    numerator: float
    denominator: int

    @property
    def value(self) -> float | None:
        """The rate as a fraction (0–1), or None when nothing was counted."""
        return self.numerator / self.denominator if self.denominator else None

    @property
    def percent(self) -> float | None:
        return None if self.value is None else round(self.value * 100, 2)

    def as_dict(self) -> dict:
        return {
            "value": None if self.value is None else round(self.value, 6),
            "percent": self.percent,
            "numerator": self.numerator,
            "denominator": self.denominator,
        }


@dataclass(frozen=True)
class Average:
    total_seconds: int
    count: int
    unit_seconds: int

    @property
    def value(self) -> float | None:
        if not self.count:
            return None
        return round(self.total_seconds / self.count / self.unit_seconds, 2)

    def as_dict(self) -> dict:
        return {"value": self.value, "total_seconds": self.total_seconds, "count": self.count}


@dataclass(frozen=True)
class Weights:
    """A district's settings of the formulas (DESIGN §5); the defaults are the plain ones."""

    basically_satisfied: float = 1.0


def report_in_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """报到及时率 = 按时报到的部门任务数 / 派给部门的任务数 (the departments' answer).

    A department's part reported in on time: its report-in clock was met at or before its
    due time. Parts cancelled before they reported in (their lead returned the case, so
    the dispatch was void) are not counted."""
    return Rate(c["parts_reported_on_time"], c["parts_dispatched"])


def block_response_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """15分钟响应率 = 在区块响应时限内受理的群众诉求数 / 群众诉求数 (the block's answer).

    Residents' requests: self-reports, hotline transfers and household leaders' matters
    (``RESIDENT_CHANNELS``). In time: the block's respond clock was met by its due time
    (accepted, or whistled up, within 15 minutes). One not accepted yet counts as not in
    time."""
    return Rate(c["resident_accepted_in_time"], c["resident_requests"])


def supervised_on_time_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """督办按期办结率 = 按期办结的督办事件数 / 督办事件数.

    On time: closed by the date of each red card (挂牌督办); a case with yellow cards only
    (催办) closed with none of its resolve clocks late."""
    return Rate(c["supervised_on_time"], c["supervised"])


def on_time_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """按期办结率 = 在办理时限内办结的事件数 / 已办结的事件数.

    Resolved: the handler reported it done (it waits for verification or is closed). On
    time: none of its resolve clocks (the block's, or any department's part) went past its
    due time."""
    return Rate(c["resolved_on_time"], c["resolved"])


def resolution_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """解决率 = 回访中群众认为“已解决”的事件数 / 已回访的事件数."""
    return Rate(c["rated_resolved"], c["rated"])


def satisfaction_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """满意率 = (满意数 + 基本满意数 × 系数) / 已回访的事件数; the factor is a district
    setting (default 1: the plain formula)."""
    return Rate(c["satisfied"] + c["basically_satisfied"] * w.basically_satisfied, c["rated"])


def first_resolution_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """一次解决率 = 首次回访即认为“已解决”的事件数 / 已回访的事件数 (each case's first rating)."""
    return Rate(c["first_rated_resolved"], c["first_rated"])


def first_satisfaction_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """一次满意率 = (首次回访满意数 + 基本满意数 × 系数) / 已回访的事件数 (first ratings)."""
    return Rate(
        c["first_satisfied"] + c["first_basically_satisfied"] * w.basically_satisfied,
        c["first_rated"],
    )


def return_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """退单率 = 被部门退回的任务数 / 派给部门的任务数."""
    return Rate(c["parts_returned"], c["parts_dispatched"])


def rework_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """返工率 = 被退回返工过的事件数 / 报过办结的事件数 (办结待核查、已结案，或返工后重办中)."""
    return Rate(c["reworked"], c["ever_resolved"])


def closure_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """结案率 = 已结案的事件数 / 受理事件数."""
    return Rate(c["closed"], c["new"])


def dispatch_on_time_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """按期派遣率 = 在派单时限内派出的事件数 / 已派单的事件数."""
    return Rate(c["dispatched_on_time"], c["dispatched"])


def accurate_dispatch_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """准确派遣率 = 派出后从未被退单的事件数 / 已派单的事件数."""
    return Rate(c["dispatched_never_returned"], c["dispatched"])


def extension_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """延期率 = 有获批延期的事件数 / 受理事件数."""
    return Rate(c["extended"], c["new"])


def avg_response_minutes(c: Mapping[str, int], w: Weights = Weights()) -> Average:
    """平均响应时长（分钟） = Σ(受理时间 − 登记时间) / 已受理的群众诉求数 (residents'
    requests only: a case staff log on the spot is accepted as it is logged)."""
    return Average(c["resident_response_seconds"], c["resident_accepted"], 60)


def avg_resolve_hours(c: Mapping[str, int], w: Weights = Weights()) -> Average:
    """平均办结时长（小时） = Σ(办结时间 − 登记时间) / 已办结事件数."""
    return Average(c["resolve_seconds"], c["resolved"], 3600)


def avg_report_in_hours(c: Mapping[str, int], w: Weights = Weights()) -> Average:
    """部门平均报到时长（小时） = Σ(报到时间 − 派单时间) / 已报到的任务数."""
    return Average(c["report_in_seconds"], c["parts_reported_in"], 3600)


def assisted_on_time_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """帮代办按时办结率 = 在服务时限内办结的帮代办数 / 已办结的帮代办数 (the service's limit,
    counted from the booked time when the resident booked one)."""
    return Rate(c["assisted_closed_on_time"], c["assisted_closed"])


def assisted_satisfaction_rate(c: Mapping[str, int], w: Weights = Weights()) -> Rate:
    """帮代办满意率 = (满意数 + 基本满意数 × 系数) / 已回访的帮代办数."""
    return Rate(
        c["assisted_satisfied"] + c["assisted_basically_satisfied"] * w.basically_satisfied,
        c["assisted_rated"],
    )


@dataclass(frozen=True)
class Measure:
    name: str
    label: object
    formula: str  # the Chinese tooltip
    compute: Callable[..., Rate | Average]
    higher_is_better: bool = True
    # Which sets of cases make its numerator and denominator (for "click a number").
    numerator_set: str = ""
    denominator_set: str = ""


RATES: tuple[Measure, ...] = (
    Measure("report_in_rate", _("Report-in rate"), "报到及时率 = 按时报到的部门任务数 ÷ 派给部门的任务数（不含未报到即因主办退单而撤销的任务）",
            report_in_rate, numerator_set="parts_reported_on_time", denominator_set="parts_dispatched"),
    Measure("block_response_rate", _("15-minute response rate"), "15分钟响应率 = 在区块响应时限（15分钟）内受理的群众诉求数 ÷ 群众诉求数（群众诉求：居民自报、12345转办、联户长反映；工作人员现场登记的不计）",
            block_response_rate, numerator_set="resident_accepted_in_time", denominator_set="resident_requests"),
    Measure("on_time_rate", _("On-time rate"), "按期办结率 = 在办理时限内办结的事件数 ÷ 已办结的事件数（任一办理时限超时即不算按期）",
            on_time_rate, numerator_set="resolved_on_time", denominator_set="resolved"),
    Measure("resolution_rate", _("Resolution rate"), "解决率 = 回访认为“已解决”的事件数 ÷ 已回访的事件数",
            resolution_rate, numerator_set="rated_resolved", denominator_set="rated"),
    Measure("satisfaction_rate", _("Satisfaction rate"), "满意率 = （满意数 + 基本满意数 × {basically}）÷ 已回访的事件数",
            satisfaction_rate, numerator_set="", denominator_set="rated"),
    Measure("first_resolution_rate", _("First-time resolution rate"), "一次解决率 = 首次回访即认为“已解决”的事件数 ÷ 已回访的事件数（每件只计第一次回访）",
            first_resolution_rate, numerator_set="first_rated_resolved", denominator_set="first_rated"),
    Measure("first_satisfaction_rate", _("First-time satisfaction rate"), "一次满意率 = （首次回访满意数 + 基本满意数 × {basically}）÷ 已回访的事件数（每件只计第一次回访）",
            first_satisfaction_rate, numerator_set="", denominator_set="first_rated"),
    Measure("return_rate", _("Return rate"), "退单率 = 被部门退回的任务数 ÷ 派给部门的任务数",
            return_rate, higher_is_better=False, numerator_set="parts_returned", denominator_set="parts_dispatched"),
    Measure("rework_rate", _("Rework rate"), "返工率 = 返工过的事件数 ÷ 报过办结的事件数",
            rework_rate, higher_is_better=False, numerator_set="reworked", denominator_set="ever_resolved"),
    Measure("closure_rate", _("Closure rate"), "结案率 = 已结案的事件数 ÷ 受理事件数（不含无效、合并）",
            closure_rate, numerator_set="closed", denominator_set="new"),
    Measure("dispatch_on_time_rate", _("Dispatch on-time rate"), "按期派遣率 = 在派单时限内派出的事件数 ÷ 已派单的事件数",
            dispatch_on_time_rate, numerator_set="dispatched_on_time", denominator_set="dispatched"),
    Measure("accurate_dispatch_rate", _("Accurate dispatch rate"), "准确派遣率 = 派出后从未被退单的事件数 ÷ 已派单的事件数",
            accurate_dispatch_rate, numerator_set="dispatched_never_returned", denominator_set="dispatched"),
    Measure("extension_rate", _("Extension rate"), "延期率 = 有获批延期的事件数 ÷ 受理事件数",
            extension_rate, higher_is_better=False, numerator_set="extended", denominator_set="new"),
    Measure("supervised_on_time_rate", _("Supervised on-time rate"), "督办按期办结率 = 按期办结的督办事件数 ÷ 督办事件数（挂牌督办：在督办日期前结案；仅催办：结案且办理未超时）",
            supervised_on_time_rate, numerator_set="supervised_on_time", denominator_set="supervised"),
)  # fmt: skip
AVERAGES: tuple[Measure, ...] = (
    Measure("avg_response_minutes", _("Average time to respond (minutes)"), "平均响应时长 = Σ（受理时间 − 登记时间）÷ 已受理的群众诉求数（居民自报、12345转办、联户长反映；工作人员现场登记即受理的不计），单位：分钟",
            avg_response_minutes, higher_is_better=False, denominator_set="resident_accepted"),
    Measure("avg_resolve_hours", _("Average time to resolve (hours)"), "平均办结时长 = Σ（办结时间 − 登记时间）÷ 已办结事件数，单位：小时",
            avg_resolve_hours, higher_is_better=False, denominator_set="resolved"),
)  # fmt: skip
COUNTS: tuple[tuple[str, object, str], ...] = (
    ("new", pgettext_lazy("count of cases", "New"), "受理数 = 本期登记的事件数（不含无效、合并的重复诉求）"),
    ("open", pgettext_lazy("count of cases", "Open"), "在办数 = 本期登记、尚未办结核查的事件数"),
    ("overdue", pgettext_lazy("count of cases", "Overdue"), "超期数 = 在办事件中有计时已超过时限（挂起的不算）"),
    ("closed", pgettext_lazy("count of cases", "Closed"), "结案数 = 本期登记、已核查结案的事件数"),
    ("rated", pgettext_lazy("count of cases", "Rated"), "回访数 = 已回访评价的事件数"),
    ("supervised", _("Supervised"), "督办数 = 本期登记、被催办或挂牌督办过的事件数"),
    ("invalid", _("Invalid"), "无效数 = 判为无效（非本辖区事项、恶意）的事件数，不计入各项指标"),
    ("merged", _("Merged duplicates"), "合并数 = 作为重复诉求合并的事件数，不重复计算"),
)  # fmt: skip
# 帮代办 (assisted services), counted apart from complaints: their own block on the
# dashboard, not in the rates above.
ASSISTED_RATES: tuple[Measure, ...] = (
    Measure("assisted_on_time_rate", _("Assisted services done on time"), "帮代办按时办结率 = 在服务时限内办结的帮代办数 ÷ 已办结的帮代办数（预约的从预约时间起算）",
            assisted_on_time_rate, numerator_set="assisted_closed_on_time", denominator_set="assisted_closed"),
    Measure("assisted_satisfaction_rate", _("Assisted services satisfaction"), "帮代办满意率 = （满意数 + 基本满意数 × {basically}）÷ 已回访的帮代办数",
            assisted_satisfaction_rate, numerator_set="", denominator_set="assisted_rated"),
)  # fmt: skip
ASSISTED_COUNTS: tuple[tuple[str, object, str], ...] = (
    ("assisted_requests", _("Assisted service requests"), "帮代办数 = 本期登记的帮代办、预约服务请求数（不含无效、合并）"),
    ("assisted_closed", _("Assisted services done"), "帮代办办结数 = 本期登记、已核查结案的帮代办数"),
)  # fmt: skip
MEASURES = {m.name: m for m in RATES + AVERAGES + ASSISTED_RATES}


def formula(measure: Measure, weights: Weights = Weights()) -> str:
    """The tooltip, with the district's factors in force."""
    return measure.formula.replace("{basically}", f"{weights.basically_satisfied:g}")


def measures(counts: Mapping[str, int], weights: Weights = Weights()) -> dict[str, dict]:
    """Every rate and average from counts, with numerator and denominator."""
    return {name: m.compute(counts, weights).as_dict() for name, m in MEASURES.items()}


# --- the department ranking (一事一考 composite) --------------------------------------
@dataclass(frozen=True)
class Scoring:
    """How a district combines a department's numbers (DESIGN §5, seed 001).

    ``weights`` of the three rates (report-in, resolution, satisfaction), the street's
    share of the composite (历下: not below 30 %), the factor of "basically satisfied", and
    the fewest cases in a period for a full ranking (fewer: a small sample)."""

    report_in: float = 1.0
    resolution: float = 1.0
    satisfaction: float = 1.0
    street_share: float = 0.30
    basically_satisfied: float = 1.0
    min_cases: int = 5

    @property
    def rate_weights(self) -> Weights:
        return Weights(basically_satisfied=self.basically_satisfied)

    def describe(self) -> str:
        return (
            f"一事一考综合分 = 案件得分 × {1 - self.street_share:.0%} + 街道评分 × "
            f"{self.street_share:.0%}；案件得分 = (报到及时率 × {self.report_in:g} + 解决率 × "
            f"{self.resolution:g} + 满意率 × {self.satisfaction:g}) ÷ "
            f"{self.report_in + self.resolution + self.satisfaction:g} × 100（无数据的率不计入）；"
            "街道评分 = 街道对部门的逐案评分（1–5 分，折合百分制 ×20）的平均，"
            "有双向评价时与街道的双向评价平均分各占一半；"
            "没有街道评分的部门不计综合分（待评价），排在已评价的部门之后；"
            f"本期事件少于 {self.min_cases} 件的部门标为样本少"
        )


def case_score(c: Mapping[str, int], scoring: Scoring) -> float | None:
    """案件得分 (0–100): the weighted mean of the department's report-in, resolution and
    satisfaction rates; a rate with nothing to count is left out."""
    weights = scoring.rate_weights
    parts = [
        (scoring.report_in, report_in_rate(c, weights).value),
        (scoring.resolution, resolution_rate(c, weights).value),
        (scoring.satisfaction, satisfaction_rate(c, weights).value),
    ]
    parts = [(w, v) for w, v in parts if v is not None and w > 0]
    if not parts:
        return None
    return round(sum(w * v for w, v in parts) / sum(w for w, _v in parts) * 100, 2)


def street_score(c: Mapping[str, int], two_way: float | None = None) -> float | None:
    """街道评分 (0–100): the street's per-case scores of the department (each case: the
    mean of response, handling and attitude, 1–5, ×20); with a two-way evaluation score
    (双向评价, seed 004) of the period, the mean of the two."""
    per_case = (
        round(c["evaluation_points"] / (3 * c["evaluations"]) * 20, 2) if c["evaluations"] else None
    )
    scores = [s for s in (per_case, two_way) if s is not None]
    return round(sum(scores) / len(scores), 2) if scores else None


def composite_score(
    c: Mapping[str, int], scoring: Scoring, two_way: float | None = None
) -> float | None:
    """一事一考综合分 = 案件得分 × (1 − 街道权重) + 街道评分 × 街道权重.

    Both are needed: without the street's score there is no composite (待评价: falling
    back to the case score would make the street's share, not below 30 % by seed 001,
    0 %), and without any case to count neither."""
    cases = case_score(c, scoring)
    street = street_score(c, two_way)
    if cases is None or street is None:
        return None
    return round(cases * (1 - scoring.street_share) + street * scoring.street_share, 2)
