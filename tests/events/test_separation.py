"""Separation of duties (DESIGN §3, issue 17 item 2), table-driven from one table of people:
whoever resolved a case does not verify it (the block's supervisor or the street desk does),
and the callback rating (回访) comes from outside the team that handled the case — the street
desk, the district desk, the hotline — never the block's 1+N+1 team, a department with a
part in it, or whoever logged or resolved it.

Each row is tried three ways — the service, the case page, the API — and the person is told
why in their language; the case page offers the button exactly to those who may."""

from __future__ import annotations

import html
from types import SimpleNamespace

import pytest
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied
from django.test import Client
from django.utils import translation
from rest_framework.test import APIClient

from blocks.models import Posting
from events import services
from events.actions import CASE_ACTIONS
from events.models import SEPARATION, Action, Assignment, Channel, Event, Involvement, Status
from governance.errors import DomainError
from tests.factories import UserFactory, post

pytestmark = pytest.mark.django_db

Role = Posting.Role
INPUT = {
    Action.VERIFY: {"note": "现场核实"},
    Action.RATE: {"satisfaction": "satisfied", "resolved": True},
}
AFTER = {Action.VERIFY: Status.CLOSED, Action.RATE: Status.CLOSED}


@pytest.fixture
def cast(world, depts):
    """The people of the table; two of them wear two hats (an officer also on the street's
    desk), the case where only the separation of duties stands in the way."""
    district_desk = UserFactory(username="district-desk")
    post(district_desk, world.district, Role.DISPATCHER)
    hotline_desk = UserFactory(username="hotline-desk")  # the street desk's hotline seat
    post(hotline_desk, world.street, Role.DISPATCHER)
    for officer in (depts.cgzf.officer, depts.scjg.officer):
        post(officer, world.street, Role.DISPATCHER)
    return SimpleNamespace(
        resolver=world.governor,
        supervisor=world.supervisor,
        assistant=world.assistant,
        dispatcher=world.dispatcher,
        district_desk=district_desk,
        logger=hotline_desk,
        lead_officer=depts.cgzf.officer,  # gave the lead's feedback
        cooperating_officer=depts.scjg.officer,
        outside_officer=depts.zjj.officer,  # a department with no part
        leader=world.leader,
    )


def block_case(world, cast, status) -> Event:
    """A 12345 transfer the street's desk logged, which the block's governor took on and
    resolved; closed by the supervisor when ``status`` is closed."""
    event = services.event_log(
        actor=cast.logger, block=world.block, category=world.category, channel=Channel.HOTLINE,
        description="路灯不亮", reporter_phone="13812345678",
    )  # fmt: skip
    services.event_accept(actor=world.governor, event_id=event.pk)
    event = services.event_resolve(actor=world.governor, event_id=event.pk, note="已修复")
    if status == Status.CLOSED:
        event = services.event_verify(actor=world.supervisor, event_id=event.pk)
    return event


def department_case(world, cast, depts, status) -> Event:
    """Whistled, dispatched to 城管 (lead) and 市场监管; both report in and feed back."""
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="占道经营",
    )  # fmt: skip
    services.event_whistle(actor=world.governor, event_id=event.pk, reason="law_enforcement")
    services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department,
        cooperating=[depts.scjg.department],
    )  # fmt: skip
    for role in (Assignment.Role.LEAD, Assignment.Role.COOPERATING):
        part = event.assignments.get(role=role)
        officer = cast.lead_officer if role == Assignment.Role.LEAD else cast.cooperating_officer
        services.assignment_report_in(actor=officer, assignment_id=part.pk)
        services.assignment_feedback(actor=officer, assignment_id=part.pk, note="已处置")
    event.refresh_from_db()
    assert event.status == Status.AWAITING_VERIFICATION
    if status == Status.CLOSED:
        event = services.event_verify(actor=world.dispatcher, event_id=event.pk)
    return event


YES = ("ok", None)
ROLE = ("role", None)  # 403: the role may not; told who does
GONE = ("404", None)  # not in their area: not there for them


def barred(involvement: Involvement):
    return ("barred", involvement)  # 403 separation_of_duties: how they took part, who does


# (action, which case, person) → what happens.
TABLE = {
    # Who verifies the block's work: its supervisor or the street desk, not its resolver.
    (Action.VERIFY, "block", "resolver"): barred(Involvement.RESOLVED),
    (Action.VERIFY, "block", "supervisor"): YES,
    (Action.VERIFY, "block", "assistant"): ROLE,
    (Action.VERIFY, "block", "dispatcher"): YES,
    (Action.VERIFY, "block", "district_desk"): ROLE,
    (Action.VERIFY, "block", "outside_officer"): GONE,
    (Action.VERIFY, "block", "leader"): ROLE,
    # What departments did: whoever gave the lead's feedback does not verify it, even from
    # the street's desk.
    (Action.VERIFY, "department", "lead_officer"): barred(Involvement.RESOLVED),
    (Action.VERIFY, "department", "cooperating_officer"): YES,
    (Action.VERIFY, "department", "dispatcher"): YES,
    (Action.VERIFY, "department", "supervisor"): YES,
    (Action.VERIFY, "department", "resolver"): ROLE,  # the block's governor who whistled it
    (Action.VERIFY, "department", "leader"): ROLE,
    # The callback rating: from outside the team that handled the case.
    (Action.RATE, "block", "resolver"): barred(Involvement.RESOLVED),
    (Action.RATE, "block", "supervisor"): barred(Involvement.BLOCK_TEAM),
    (Action.RATE, "block", "assistant"): barred(Involvement.BLOCK_TEAM),
    (Action.RATE, "block", "logger"): barred(Involvement.LOGGED),
    (Action.RATE, "block", "dispatcher"): YES,
    (Action.RATE, "block", "district_desk"): YES,
    (Action.RATE, "block", "outside_officer"): GONE,
    (Action.RATE, "block", "leader"): ROLE,
    (Action.RATE, "department", "lead_officer"): barred(Involvement.RESOLVED),
    (Action.RATE, "department", "cooperating_officer"): barred(Involvement.DEPARTMENT),
    (Action.RATE, "department", "resolver"): barred(Involvement.LOGGED),  # logged, whistled
    (Action.RATE, "department", "dispatcher"): YES,
    (Action.RATE, "department", "district_desk"): YES,
    (Action.RATE, "department", "leader"): ROLE,
}
WAYS = ("service", "page", "api")


def make_case(world, cast, depts, action, kind) -> Event:
    status = Status.CLOSED if action == Action.RATE else Status.AWAITING_VERIFICATION
    if kind == "block":
        return block_case(world, cast, status)
    return department_case(world, cast, depts, status)


def expected_message(action: Action, outcome) -> str:
    """What the person is told (Simplified Chinese, the default language)."""
    kind, involvement = outcome
    with translation.override("zh-hans"):
        if kind == "barred":
            return f"{involvement.label} {SEPARATION[action].rule}"
        return (
            f"{translation.gettext('You may not do this on this case.')} {SEPARATION[action].rule}"
        )


def attempt(way: str, user, action: Action, event: Event) -> tuple[int, str, str]:
    """(HTTP-like status, error code, message) of ``user`` taking ``action``."""
    if way == "service":
        with translation.override("zh-hans"):
            try:
                CASE_ACTIONS[action].perform(
                    actor=user, event=event, data=INPUT[action], expected_status=None
                )
            except DomainError as error:
                return error.status, error.code, str(error.message)
            except PermissionDenied as error:
                return 403, "permission_denied", str(error)
            except ObjectDoesNotExist:
                return 404, "not_found", ""
        return 200, "", ""
    if way == "api":
        client = APIClient()
        client.force_authenticate(user)
        response = client.post(
            f"/api/events/{event.number}/{action}/", INPUT[action], format="json",
            HTTP_ACCEPT_LANGUAGE="zh-hans",
        )  # fmt: skip
        body = response.json()
        return response.status_code, body.get("code", ""), body.get("message", "")
    client = Client(HTTP_ACCEPT_LANGUAGE="zh-hans")
    client.force_login(user)
    data = {**INPUT[action], "expected_status": event.status}
    if action == Action.RATE:
        data["resolved"] = "1"
    response = client.post(f"/events/{event.number}/{action}/", data, follow=True)
    if response.status_code == 404:
        return 404, "not_found", ""
    page = html.unescape(response.content.decode())
    if event.timeline.filter(action=action).exists():
        return 200, "", ""
    # page_act showed the refusal as an error message on the case page.
    return 403, "", page


@pytest.mark.parametrize("way", WAYS)
@pytest.mark.parametrize(("action", "kind", "who"), list(TABLE))
def test_who_may_verify_and_who_may_record_the_rating(world, depts, cast, action, kind, who, way):
    event = make_case(world, cast, depts, action, kind)
    user = getattr(cast, who)
    outcome = TABLE[(action, kind, who)]
    before = (event.status, event.timeline.count(), event.ratings.count())

    status, code, message = attempt(way, user, action, event)

    event.refresh_from_db()
    if outcome == YES:
        assert status == 200, message
        assert event.status == AFTER[action]
        assert event.timeline.filter(action=action).last().actor == user
        return
    # Refused: nothing written, and (but for a case out of their area) told why.
    assert (event.status, event.timeline.count(), event.ratings.count()) == before
    if outcome == GONE:
        assert status == 404
        return
    assert status == 403, (status, message)
    assert expected_message(action, outcome) in message
    if way != "page":
        assert code == ("separation_of_duties" if outcome[0] == "barred" else "permission_denied")


@pytest.mark.parametrize(("action", "kind", "who"), list(TABLE))
def test_the_case_page_offers_the_button_only_to_who_may(world, depts, cast, action, kind, who):
    event = make_case(world, cast, depts, action, kind)
    client = Client()
    client.force_login(getattr(cast, who))
    response = client.get(f"/events/{event.number}/")
    if TABLE[(action, kind, who)] == GONE:
        assert response.status_code == 404
        return
    assert response.status_code == 200
    offered = f'data-action="{action}"' in response.content.decode()
    assert offered is (TABLE[(action, kind, who)] == YES)
    # The page's help says who verifies and who records the rating.
    assert 'id="case-help"' in response.content.decode()
