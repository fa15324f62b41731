"""Whistle and report: street dispatches to departments, they report in, handle, return,
give feedback; the street verifies and scores them (一事一考)."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied

from events import selectors, services
from events.models import Assignment, CaseEvaluation, ClockKind, Event, Status, StreetDutyItem
from governance.errors import DomainError, StateConflict
from tests.events.test_concurrency import run_at_once
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def whistled(world) -> Event:
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="商户长期占道经营，多次劝导无效", reporter_phone="13812345678",
    )  # fmt: skip
    return services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="law_enforcement", note="需要执法"
    )


def dispatched(world, depts) -> Event:
    event = whistled(world)
    return services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department,
        cooperating=[depts.scjg.department, depts.gaj.department],
    )  # fmt: skip


def part(event, code) -> Assignment:
    return event.assignments.get(department__code=code, state__in=Assignment.OPEN_STATES)


def test_the_whole_path_with_a_lead_and_two_cooperating(world, depts):
    event = whistled(world)
    assert event.status == Status.ESCALATED and event.handler_level == "street"
    assert event.deadlines.get(kind=ClockKind.DISPATCH, met_at=None)
    suggestion = selectors.duty_suggestion(event=event)
    assert suggestion["lead"] == depts.cgzf.department
    assert set(suggestion["cooperating"]) == {depts.scjg.department, depts.gaj.department}

    event = services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=suggestion["lead"],
        cooperating=suggestion["cooperating"],
    )  # fmt: skip
    assert event.status == Status.DISPATCHED
    assert event.assignments.count() == 3
    # Each department's 24-hour report-in clock runs on its own part.
    clocks = event.deadlines.filter(kind=ClockKind.REPORT_IN)
    assert clocks.count() == 3
    assert all((c.due_at - c.started_at).total_seconds() == 24 * 3600 for c in clocks)

    for code in ("cgzf", "scjg", "gaj"):
        services.assignment_report_in(
            actor=getattr(depts, code).officer, assignment_id=part(event, code).pk
        )
    event.refresh_from_db()
    assert event.status == Status.IN_PROGRESS and event.handler == depts.cgzf.officer

    services.assignment_feedback(
        actor=depts.cgzf.officer, assignment_id=part(event, "cgzf").pk, note="已依法取缔"
    )
    services.assignment_feedback(
        actor=depts.scjg.officer, assignment_id=part(event, "scjg").pk, note="已核查证照"
    )
    event.refresh_from_db()
    assert event.status == Status.IN_PROGRESS  # 公安 has not answered yet
    services.assignment_feedback(
        actor=depts.gaj.officer, assignment_id=part(event, "gaj").pk, note="已配合维持秩序"
    )
    event.refresh_from_db()
    assert event.status == Status.AWAITING_VERIFICATION

    event = services.event_verify(actor=world.dispatcher, event_id=event.pk)
    assert event.status == Status.CLOSED
    services.event_rate(actor=None, event_id=event.pk, satisfaction="satisfied", resolved=True)
    for code, scores in (("cgzf", (5, 5, 4)), ("scjg", (4, 4, 5)), ("gaj", (3, 4, 5))):
        assignment = event.assignments.get(department__code=code)
        evaluation = services.case_evaluate(
            actor=world.dispatcher, assignment_id=assignment.pk,
            response=scores[0], handling=scores[1], attitude=scores[2],
        )  # fmt: skip
        assert evaluation.score == round(sum(scores) / 3, 2)
    assert CaseEvaluation.objects.filter(assignment__event=event).count() == 3
    with pytest.raises(StateConflict):
        services.case_evaluate(
            actor=world.dispatcher, assignment_id=event.assignments.get(department__code="cgzf").pk,
            response=1, handling=1, attitude=1,
        )  # fmt: skip
    actions = list(event.timeline.values_list("action", flat=True))
    assert actions[:3] == ["log", "whistle", "dispatch"]
    assert actions.count("report_in") == 3 and actions.count("feedback") == 4  # 3 + "all answered"


def test_lead_return_goes_back_to_the_desk_flagged_and_is_redispatched(world, depts):
    event = dispatched(world, depts)
    services.assignment_return(
        actor=depts.cgzf.officer, assignment_id=part(event, "cgzf").pk,
        reason="not_our_duty", note="应由市场监管处理",
    )  # fmt: skip
    event.refresh_from_db()
    assert event.status == Status.ESCALATED and event.handler_level == "street"
    returned = event.assignments.get(department__code="cgzf")
    # The duty list names 城管 as lead for this matter: the desk is told.
    assert returned.state == Assignment.State.RETURNED and returned.return_contradicts_duty_list
    assert set(event.assignments.values_list("state", flat=True)) == {"returned", "cancelled"}
    assert world.dispatcher.notifications.filter(kind="event_returned").exists()
    assert event.status != "pending"  # never back to the resident
    event = services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.scjg.department
    )
    assert part(event, "scjg").role == "lead"


def test_cooperating_return_leaves_the_case_with_the_lead(world, depts):
    event = dispatched(world, depts)
    services.assignment_return(
        actor=depts.gaj.officer,
        assignment_id=part(event, "gaj").pk,
        reason="other",
        note="无需警力",
    )
    event.refresh_from_db()
    assert event.status == Status.DISPATCHED
    assert part(event, "cgzf").state == "dispatched"


def test_a_case_cannot_close_while_the_lead_feedback_is_missing(world, depts):
    event = dispatched(world, depts)
    for code in ("scjg", "gaj"):
        officer = getattr(depts, code).officer
        services.assignment_report_in(actor=officer, assignment_id=part(event, code).pk)
        services.assignment_feedback(
            actor=officer, assignment_id=part(event, code).pk, note="已配合"
        )
    event.refresh_from_db()
    assert event.status == Status.DISPATCHED
    with pytest.raises(StateConflict):
        services.event_verify(actor=world.dispatcher, event_id=event.pk)
    with pytest.raises(DomainError):
        services.assignment_feedback(
            actor=depts.cgzf.officer, assignment_id=part(event, "cgzf").pk, note="跳过报到"
        )


def test_rework_goes_back_to_the_lead_department(world, depts):
    event = dispatched(world, depts)
    for code in ("cgzf", "scjg", "gaj"):
        officer = getattr(depts, code).officer
        services.assignment_report_in(actor=officer, assignment_id=part(event, code).pk)
        services.assignment_feedback(actor=officer, assignment_id=part(event, code).pk, note="完成")
    event = services.event_rework(actor=world.dispatcher, event_id=event.pk, note="现场仍有摊点")
    assert event.status == Status.IN_PROGRESS and event.rework_count == 1
    lead = event.assignments.get(department__code="cgzf", role="lead")
    assert lead.state == "reported_in"
    assert lead.deadlines.filter(kind=ClockKind.RESOLVE, met_at=None).exists()
    services.assignment_feedback(actor=depts.cgzf.officer, assignment_id=lead.pk, note="已彻底清理")
    event.refresh_from_db()
    assert event.status == Status.AWAITING_VERIFICATION


def test_a_department_never_sees_another_departments_case(world, depts, client):
    event = dispatched(world, depts)
    # 住建 got nothing: it sees nothing, through selectors and pages alike.
    assert not selectors.event_queryset(user=depts.zjj.officer).exists()
    assert selectors.event_queryset(user=depts.scjg.officer).get() == event
    client.login(username=depts.zjj.officer.username, password=PASSWORD)
    assert client.get(f"/events/{event.number}/").status_code == 404
    assert client.post(f"/events/parts/{part(event, 'cgzf').pk}/report_in/").status_code == 404
    with pytest.raises(Assignment.DoesNotExist):
        services.assignment_report_in(actor=depts.zjj.officer, assignment_id=part(event, "cgzf").pk)
    # The departments handling it may reveal the resident's phone (logged); others may not.
    client.login(username=depts.cgzf.officer.username, password=PASSWORD)
    shown = client.post(f"/events/{event.number}/reveal/", {"reason": "联系居民核实"})
    assert shown.content.decode().strip() == "13812345678"


def test_only_the_cases_street_dispatches(world, depts):
    event = whistled(world)
    with pytest.raises((PermissionDenied, Event.DoesNotExist)):
        services.event_dispatch(
            actor=world.other_dispatcher, event_id=event.pk, lead=depts.cgzf.department
        )
    with pytest.raises(PermissionDenied):
        services.event_dispatch(actor=world.governor, event_id=event.pk, lead=depts.cgzf.department)


def test_the_streets_own_duty_is_flagged(world, depts):
    StreetDutyItem.objects.create(
        district=world.district, kind="own", number=1, matter="占道经营劝导",
        category_code=world.category.code,
    )  # fmt: skip
    assert selectors.duty_suggestion(event=whistled(world))["street_own"] is not None


def test_dispatch_pages_walk(world, depts, client):
    event = whistled(world)
    client.login(username=world.dispatcher.username, password=PASSWORD)
    console = client.get("/events/console/").content.decode()
    assert event.number in console
    screen = client.get(f"/events/{event.number}/dispatch/").content.decode()
    assert "占道经营的查处" in screen
    response = client.post(
        f"/events/{event.number}/dispatch/",
        {"lead": depts.cgzf.department.pk, "cooperating": [depts.scjg.department.pk],
         "expected_status": "escalated"},
    )  # fmt: skip
    assert response.status_code == 302
    client.login(username=depts.cgzf.officer.username, password=PASSWORD)
    inbox = client.get("/events/inbox/").content.decode()
    assert event.number in inbox
    client.post(f"/events/parts/{part(event, 'cgzf').pk}/report_in/")
    client.post(f"/events/parts/{part(event, 'cgzf').pk}/feedback/", {"note": "已取缔"})
    assert event.assignments.get(department__code="cgzf").state == "done"


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_dispatchers_at_once_produce_one_dispatch(world, depts):
    second = UserFactory(username="dispatcher2")
    from tests.factories import post

    post(second, world.street, "dispatcher")
    event = whistled(world)
    outcomes = run_at_once(
        lambda: services.event_dispatch(
            actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department
        ),
        lambda: services.event_dispatch(
            actor=second, event_id=event.pk, lead=depts.scjg.department
        ),
    )
    assert sum(isinstance(o, Event) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, StateConflict) for o in outcomes) == 1, outcomes
    assert event.assignments.count() == 1
    assert event.timeline.filter(action="dispatch").count() == 1


def test_community_dispatch_where_the_district_allows_it(world, depts):
    from events.models import DistrictSettings

    event = whistled(world)
    with pytest.raises(PermissionDenied):
        services.event_dispatch(actor=world.governor, event_id=event.pk, lead=depts.cgzf.department)
    DistrictSettings.objects.create(district=world.district, community_dispatch=True)
    event = services.event_dispatch(
        actor=world.governor, event_id=event.pk, lead=depts.cgzf.department
    )
    assert event.status == Status.DISPATCHED
