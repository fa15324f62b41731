"""A department's part of a case, table-driven from its declaration (PART_TRANSITIONS)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from blocks.access import scope_for
from events import services
from events.models import PART_TRANSITIONS, Assignment, PartMove, Status
from events.workflow import move_part, part_moves
from governance.errors import DomainError, StateConflict
from tests.events.test_dispatch import dispatched, part

State = Assignment.State


@pytest.mark.parametrize("move", list(PartMove))
@pytest.mark.parametrize("state", list(State))
def test_a_part_moves_only_by_a_declared_row(move, state):
    row = PART_TRANSITIONS[move]
    assignment = Assignment(state=state)
    if state in row.sources:
        move_part(assignment, move)
        assert assignment.state == row.target
    else:
        with pytest.raises(StateConflict):
            move_part(assignment, move)
        assert assignment.state == state


def bring_cooperating_to(world, depts, state: str):
    """The case with 市场监管's cooperating part in ``state``, reached through the services."""
    event = dispatched(world, depts)
    scjg = part(event, "scjg")
    officer = depts.scjg.officer
    if state in (State.REPORTED_IN, State.DONE):
        services.assignment_report_in(actor=officer, assignment_id=scjg.pk)
    if state == State.DONE:
        services.assignment_feedback(actor=officer, assignment_id=scjg.pk, note="已核查证照")
    if state == State.RETURNED:
        services.assignment_return(
            actor=officer, assignment_id=scjg.pk, reason="not_our_duty", note="不属本部门职责"
        )
    if state == State.CANCELLED:
        services.assignment_return(
            actor=depts.cgzf.officer, assignment_id=part(event, "cgzf").pk,
            reason="needs_other", note="应由住建牵头",
        )  # fmt: skip
    scjg.refresh_from_db()
    assert scjg.state == state
    return event, scjg


def take(move: PartMove, officer, assignment: Assignment):
    match move:
        case PartMove.REPORT_IN:
            return services.assignment_report_in(actor=officer, assignment_id=assignment.pk)
        case PartMove.FEEDBACK:
            return services.assignment_feedback(
                actor=officer, assignment_id=assignment.pk, note="已处理"
            )
        case PartMove.RETURN:
            return services.assignment_return(
                actor=officer, assignment_id=assignment.pk, reason="other", note="请核实"
            )
    raise AssertionError(move)


DEPARTMENT_MOVES = [m for m, row in PART_TRANSITIONS.items() if row.by_department]


@pytest.mark.parametrize("move", DEPARTMENT_MOVES)
@pytest.mark.parametrize("state", list(State))
def test_every_department_move_is_taken_exactly_where_declared(world, depts, move, state):
    event, scjg = bring_cooperating_to(world, depts, state)
    before = event.timeline.count()
    row = PART_TRANSITIONS[move]
    if state in row.sources:
        take(move, depts.scjg.officer, scjg)
        scjg.refresh_from_db()
        assert scjg.state == row.target
        assert event.timeline.count() > before
    else:
        with pytest.raises(DomainError):  # a conflict, or "report in first"
            take(move, depts.scjg.officer, scjg)
        scjg.refresh_from_db()
        assert scjg.state == state
        assert event.timeline.count() == before


@pytest.mark.parametrize("state", [State.DISPATCHED, State.REPORTED_IN, State.DONE])
def test_a_lead_return_cancels_exactly_the_open_parts(world, depts, state):
    event, scjg = bring_cooperating_to(world, depts, state)
    services.assignment_return(
        actor=depts.cgzf.officer, assignment_id=part(event, "cgzf").pk,
        reason="needs_other", note="应由住建牵头",
    )  # fmt: skip
    scjg.refresh_from_db()
    cancels = state in PART_TRANSITIONS[PartMove.CANCEL].sources
    assert scjg.state == (State.CANCELLED if cancels else state)
    event.refresh_from_db()
    assert event.status == Status.ESCALATED  # back to the street's desk


def test_rework_reopens_the_lead_part(world, depts):
    event = dispatched(world, depts)
    for code in ("cgzf", "scjg", "gaj"):
        officer = getattr(depts, code).officer
        services.assignment_report_in(actor=officer, assignment_id=part(event, code).pk)
        services.assignment_feedback(actor=officer, assignment_id=part(event, code).pk, note="好")
    event.refresh_from_db()
    assert event.status == Status.AWAITING_VERIFICATION
    services.event_rework(actor=world.dispatcher, event_id=event.pk, note="现场仍有摊点")
    lead = event.assignments.get(department__code="cgzf")
    assert lead.state == PART_TRANSITIONS[PartMove.REOPEN].target == State.REPORTED_IN
    assert event.assignments.get(department__code="scjg").state == State.DONE
    event.refresh_from_db()
    assert event.status == Status.IN_PROGRESS


@pytest.mark.parametrize("state", list(State))
def test_the_inbox_offers_the_moves_the_table_allows(world, depts, state):
    event, scjg = bring_cooperating_to(world, depts, state)
    offered = part_moves(scope_for(depts.scjg.officer), scjg)
    assert offered == [m for m in DEPARTMENT_MOVES if state in PART_TRANSITIONS[m].sources]
    # Another department, or a leader, is offered nothing on this part.
    assert part_moves(scope_for(depts.gaj.officer), scjg) == []
    assert part_moves(scope_for(world.leader), scjg) == []


def test_only_the_workflow_writes_a_status_or_a_part_state():
    """Every write of a case's status or a part's state goes through events.workflow."""
    root = Path(__file__).resolve().parents[2] / "events"
    write = re.compile(r"\b(event|assignment|part|lead|other|e)\.(status|state)\s*=[^=]")
    offenders = [
        f"{path.relative_to(root)}:{number}"
        for path in root.rglob("*.py")
        if path.name != "workflow.py" and "migrations" not in path.parts
        for number, line in enumerate(path.read_text().splitlines(), 1)
        if write.search(line)
    ]
    assert offenders == []
