"""Who must act (issue 18): the party that owns each clock of a case, on whom a case waits,
and the words every page uses for them — 区块, 区块监督员, 街道派单台, 区指挥中心, or the
department by name.

A clock's owner follows from its kind and where the case is (DESIGN §3, §4): the block
answers and handles what it keeps; the desk holding a whistled case (the street's, or the
district's command centre once the street whistled it on, 街呼区应) dispatches it; each
department reports in and handles its part; the block's supervisor verifies the block's work
and the street desk what departments did (separation of duties); the callback (回访) is
the street desk's. The case page, the workbench queue, the console and the deadline board
all ask here, so a dispatch clock overdue at the district is never blamed on a governor.
"""

from __future__ import annotations

from datetime import datetime
from typing import NamedTuple

from django.utils.translation import gettext_lazy as _

from events.models import Assignment, ClockKind, Deadline, Event, HandlerLevel, Status

BLOCK, SUPERVISOR, STREET_DESK, DISTRICT_DESK, DEPARTMENT = (
    "block",
    "supervisor",
    "street_desk",
    "district_desk",
    "department",
)

PARTY_LABELS = {
    BLOCK: _("the block"),
    SUPERVISOR: _("the block supervisor"),
    STREET_DESK: _("the street desk"),
    DISTRICT_DESK: _("the district desk"),
    DEPARTMENT: _("the departments"),
}


class Party(NamedTuple):
    kind: str
    label: str

    def __str__(self) -> str:
        return str(self.label)


def _party(kind: str, label=None) -> Party:
    return Party(kind, label or PARTY_LABELS[kind])


# The clock that runs while a case is in a status: whose turn it is when no clock says so
# (a suspended one, a list row without its next clock).
STATUS_CLOCK = {
    Status.PENDING: ClockKind.RESPOND,
    Status.IN_BLOCK: ClockKind.RESOLVE,
    Status.ESCALATED: ClockKind.DISPATCH,
    Status.DISTRICT_ESCALATED: ClockKind.DISPATCH,
    Status.DISPATCHED: ClockKind.REPORT_IN,
    Status.IN_PROGRESS: ClockKind.RESOLVE,
    Status.AWAITING_VERIFICATION: ClockKind.VERIFY,
}


def party_for(kind: str, event: Event, department=None) -> Party:
    """Who must act on a clock of ``kind`` of ``event`` (``department``: the clock's part)."""
    if department is not None:
        return _party(DEPARTMENT, str(department))
    at_departments = event.handler_level == HandlerLevel.DEPARTMENT
    if kind == ClockKind.DISPATCH:
        return _party(DISTRICT_DESK if event.status == Status.DISTRICT_ESCALATED else STREET_DESK)
    if kind == ClockKind.REPORT_IN or (kind == ClockKind.RESOLVE and at_departments):
        return _party(DEPARTMENT)
    if kind == ClockKind.VERIFY:
        return _party(STREET_DESK if at_departments else SUPERVISOR)
    if kind == ClockKind.RATE:
        return _party(STREET_DESK)
    return _party(BLOCK)


def clock_party(clock: Deadline) -> Party:
    department = clock.assignment.department if clock.assignment_id else None
    return party_for(clock.kind, clock.event, department)


def row_party(event: Event) -> Party | None:
    """Whose turn a list row's case is: the owner of its next clock (annotated by
    ``events.selectors.event_queryset``), else the status's."""
    kind = getattr(event, "clock_kind", None) or STATUS_CLOCK.get(event.status)
    if kind is None:
        return None
    department = getattr(event, "clock_department", None)
    return party_for(kind, event, department)


class Waiting(NamedTuple):
    party: Party
    clock: Deadline
    since: datetime


def waiting_on(event: Event) -> list[Waiting]:
    """On whom the case waits now, and since when: the owners of its open clocks (read from
    the prefetched clocks of ``events.selectors.event_with_details``), earliest first."""
    seen: dict[str, Waiting] = {}
    for clock in sorted(event.deadlines.all(), key=lambda c: c.started_at):
        if clock.is_open:
            party = clock_party(clock)
            seen.setdefault(party.label, Waiting(party, clock, clock.started_at))
    return list(seen.values())


def handler_party(event: Event) -> Party:
    """承办: who holds the case — the block's handler by name, the desk, or the lead
    department (a whistled case is no longer the governor's)."""
    if event.handler_level == HandlerLevel.BLOCK:
        name = event.handler.get_full_name() if event.handler_id else ""
        return _party(BLOCK, f"{PARTY_LABELS[BLOCK]} · {name}" if name else None)
    if event.handler_level == HandlerLevel.STREET:
        return _party(STREET_DESK)
    if event.handler_level == HandlerLevel.DISTRICT:
        return _party(DISTRICT_DESK)
    lead = next(
        (
            p
            for p in event.assignments.all()
            if p.role == _Role.LEAD and p.state in LIVE_PART_STATES
        ),
        None,
    )
    return _party(DEPARTMENT, str(lead.department) if lead else None)


# A department's part as the street and the departments say it: 待报到 / 办理中 / 已反馈 /
# 已退回 (the part's own choice labels are the timeline's words, "feedback given").
_State, _Role = Assignment.State, Assignment.Role
PART_STATE_LABELS = {
    _State.DISPATCHED: _("to report in"),
    _State.REPORTED_IN: _("being handled"),
    _State.DONE: _("feedback in"),
    _State.RETURNED: _("sent back"),
    _State.CANCELLED: _("dispatch cancelled"),
}
LIVE_PART_STATES = (_State.DISPATCHED, _State.REPORTED_IN, _State.DONE)


class PartRow(NamedTuple):
    part: Assignment
    state_label: str
    since: datetime | None
    laggard: bool


def part_rows(event: Event, now: datetime) -> list[PartRow]:
    """The departments of a case with their state, since when, and the laggard: the one
    whose open clock is the most overdue (the parts carry ``due_at``/``warn_at`` of their
    open clock, annotated by ``events.selectors.parts_with_clocks``)."""
    parts = list(event.assignments.all())
    late = [
        p
        for p in parts
        if p.state in Assignment.OPEN_STATES and getattr(p, "due_at", None) and p.due_at <= now
    ]
    laggard = min(late, key=lambda p: p.due_at) if late else None
    return [
        PartRow(
            part=p,
            state_label=PART_STATE_LABELS[p.state],
            since=p.returned_at or p.feedback_at or p.reported_in_at or p.dispatched_at,
            laggard=p is laggard,
        )
        for p in sorted(parts, key=lambda p: (p.role != _Role.LEAD, p.state == _State.CANCELLED))
    ]
