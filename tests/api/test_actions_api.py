"""One POST endpoint per action (GLOSSARY names): each allowed to whom the workflow allows it,
refused to everyone else — a neighbouring block, another street, another department (404:
not there for them), the read-only leader (403) and anonymous callers (401) — and a stale
or concurrent action is a 409 「该事件已被他人处理」."""

from __future__ import annotations

from types import SimpleNamespace

import pytest

from events import services
from events.models import Event, Satisfaction, Status, TimelineEntry
from tests.api.conftest import logged, pending

pytestmark = pytest.mark.django_db


def resolved(world) -> Event:
    event = logged(world)
    return services.event_resolve(actor=world.governor, event_id=event.pk, note="已处理")


def closed(world) -> Event:
    event = resolved(world)
    return services.event_verify(actor=world.supervisor, event_id=event.pk)


def whistled(world) -> Event:
    event = logged(world)
    return services.event_whistle(actor=world.governor, event_id=event.pk, reason="emergency")


# action: (how to get a case in the right state, who may act, body, status after)
ACTIONS = {
    "accept": (pending, "governor", {}, Status.IN_BLOCK),
    "resolve": (logged, "governor", {"note": "已劝离"}, Status.AWAITING_VERIFICATION),
    "verify": (resolved, "supervisor", {"note": "现场核实"}, Status.CLOSED),
    "rework": (resolved, "supervisor", {"note": "摊位还在"}, Status.IN_BLOCK),
    # A callback from outside the case's team (tests/events/test_separation.py: who may not).
    "rate": (closed, "dispatcher", {"satisfaction": Satisfaction.SATISFIED, "resolved": True},
             Status.CLOSED),
    "invalidate": (logged, "assistant", {"reason": "恶作剧电话"}, Status.INVALID),
    "merge": (logged, "governor", None, Status.MERGED),  # body: the other case's number
    "whistle": (logged, "governor", {"reason": "law_enforcement", "note": "需要执法"},
                Status.ESCALATED),
    "dispatch": (whistled, "dispatcher", {"lead": "cgzf", "cooperating": ["scjg"]},
                 Status.DISPATCHED),
}  # fmt: skip
OUTSIDERS = {
    "neighbour": 404,  # the neighbouring block's governor
    "far_governor": 404,  # a block of another street
    "other_dispatcher": 404,  # another street's desk
    "zjj-officer": 404,  # a department with no part in the case
    "leader": 403,  # sees everything in the district, acts on nothing
    None: 401,  # anonymous
}


def person(world, depts, name):
    if name is None:
        return None
    if name.endswith("-officer"):
        return getattr(depts, name.split("-")[0]).officer
    return getattr(world, name)


@pytest.mark.parametrize("action", list(ACTIONS))
def test_each_action_to_whom_it_belongs_and_nobody_else(world, depts, api, action):
    make, allowed, body, after = ACTIONS[action]
    event = make(world)
    if body is None:
        body = {"into": logged(world, description="同一个摊位").number}
    url = f"/api/events/{event.number}/{action}/"
    before = (event.status, TimelineEntry.objects.count())
    outsiders = dict(OUTSIDERS)
    if action == "merge":
        # events.services.event_merge looks for the case merged into among those the caller
        # may act on first: for the leader it is not there (404) before any 403.
        outsiders["leader"] = 404
    for name, code in outsiders.items():
        response = api(person(world, depts, name)).post(url, body, format="json")
        assert response.status_code == code, (name, response.json())
        assert set(response.json()) >= {"code", "message"}
        event.refresh_from_db()
        assert (event.status, TimelineEntry.objects.count()) == before, name
    response = api(getattr(world, allowed)).post(url, body, format="json")
    assert response.status_code == 200, response.json()
    assert response.json()["status"] == after
    assert response.json()["timeline"][-1]["action"] in (action, "comment")
    # Done once; the same action again finds the case moved on.
    again = api(getattr(world, allowed)).post(
        url, {**body, "expected_status": before[0]}, format="json"
    )
    if action != "rate":
        assert again.status_code == 409, again.json()
    else:
        assert again.status_code == 400 and again.json()["code"] == "already_rated"


def test_comment_to_anyone_who_may_act_but_not_to_the_leader(world, depts, api):
    event = logged(world)
    url = f"/api/events/{event.number}/comment/"
    for name, code in OUTSIDERS.items():
        assert api(person(world, depts, name)).post(url, {"note": "看看"}).status_code == code
    for user in (world.governor, world.supervisor, world.dispatcher):
        response = api(user).post(url, {"note": "已电话联系居民"}, format="json")
        assert response.status_code == 201, response.json()
        assert response.json()["action"] == "comment" and response.json()["note"]
    assert event.timeline.filter(action="comment").count() == 3
    empty = api(world.governor).post(url, {"note": ""}, format="json")
    assert empty.status_code == 400 and "note" in empty.json()["errors"]


def test_the_reasons_actions_need(world, depts, api):
    event = logged(world)
    client = api(world.governor)
    for action, body, field in (
        ("resolve", {}, "note"),
        ("rework", {}, "note"),
        ("invalidate", {"reason": ""}, "reason"),
        ("whistle", {"reason": "louder"}, "reason"),
        ("merge", {"into": "YH-19990101-0001"}, "into"),  # no such case (or not theirs)
        ("rate", {"satisfaction": "so-so", "resolved": True}, "satisfaction"),
    ):
        response = client.post(f"/api/events/{event.number}/{action}/", body, format="json")
        assert response.status_code == 400, (action, response.json())
        assert field in response.json()["errors"], (action, response.json())
    # The service's own rule (whistle "other" needs a note) comes back the same way.
    other = client.post(f"/api/events/{event.number}/whistle/", {"reason": "other"}, format="json")
    assert other.status_code == 400 and other.json()["code"] == "invalid"
    event.refresh_from_db()
    assert event.status == Status.IN_BLOCK


def test_a_stale_action_is_a_conflict_in_chinese(world, api):
    event = pending(world)
    # The assistant accepts; the governor's app still shows the case as pending.
    assert api(world.assistant).post(f"/api/events/{event.pk}/accept/").status_code == 200
    stale = api(world.governor).post(
        f"/api/events/{event.pk}/invalidate/",
        {"reason": "重复", "expected_status": Status.PENDING}, format="json",
        HTTP_ACCEPT_LANGUAGE="zh-hans",
    )  # fmt: skip
    assert stale.status_code == 409
    assert stale.json() == {"code": "conflict", "message": "该事件已被他人处理"}
    # Without the app's view of it, an action the case no longer allows is a 409 too.
    again = api(world.governor).post(f"/api/events/{event.pk}/accept/")
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    event.refresh_from_db()
    assert event.status == Status.IN_BLOCK and event.handler == world.assistant


def test_dispatch_names_departments_of_the_district(world, depts, api):
    event = whistled(world)
    client = api(world.dispatcher)
    url = f"/api/events/{event.number}/dispatch/"
    unknown = client.post(url, {"lead": "nope"}, format="json")
    assert unknown.status_code == 400 and "lead" in unknown.json()["errors"]
    unknown = client.post(url, {"lead": "cgzf", "cooperating": ["nope"]}, format="json")
    assert unknown.status_code == 400 and "cooperating" in unknown.json()["errors"]
    done = client.post(url, {"lead": "cgzf", "cooperating": ["scjg", "gaj"]}, format="json")
    assert done.status_code == 200
    parts = {(a["department"], a["role"]) for a in done.json()["assignments"]}
    assert parts == {("cgzf", "lead"), ("scjg", "cooperating"), ("gaj", "cooperating")}


def test_a_merge_into_a_case_out_of_scope_finds_nothing(world, api):
    event = logged(world)
    far = services.event_log(
        actor=world.far_governor, block=world.far_block, category=world.category,
        description="别处的",
    )  # fmt: skip
    response = api(world.governor).post(
        f"/api/events/{event.number}/merge/", {"into": far.number}, format="json"
    )
    assert response.status_code == 400 and "into" in response.json()["errors"]
    event.refresh_from_db()
    assert event.status == Status.IN_BLOCK


def test_deadline_change_request_decide_and_resume(world, api):
    event = logged(world)
    resolve_clock = event.deadlines.get(kind="resolve")
    url = f"/api/events/{event.number}/"
    refused = api(world.leader).post(
        url + "deadline_change/", {"clock": resolve_clock.pk, "kind": "extend",
                                   "reason": "等配件", "extra_working_days": 3}, format="json",
    )  # fmt: skip
    assert refused.status_code == 403
    asked = api(world.governor).post(
        url + "deadline_change/", {"clock": resolve_clock.pk, "kind": "suspend",
                                   "reason": "居民联系不上"}, format="json",
    )  # fmt: skip
    assert asked.status_code == 201, asked.json()
    change = SimpleNamespace(**asked.json())
    assert change.state == "requested" and change.clock == resolve_clock.pk
    # Nobody approves their own request; the street's desk does.
    decide = {"change": change.id, "approve": True}
    assert api(world.governor).post(url + "deadline_decide/", decide).status_code == 403
    decided = api(world.dispatcher).post(url + "deadline_decide/", decide, format="json")
    assert decided.status_code == 200 and decided.json()["state"] == "approved"
    again = api(world.dispatcher).post(url + "deadline_decide/", decide, format="json")
    assert again.status_code == 400  # no longer waiting
    paused = api(world.governor).get(url).json()
    assert {c["kind"]: c["state"] for c in paused["clocks"]}["resolve"] == "paused"
    resumed = api(world.governor).post(
        url + "deadline_resume/", {"clock": resolve_clock.pk}, format="json"
    )
    assert resumed.status_code == 200
    assert {c["kind"]: c["state"] for c in resumed.json()["clocks"]}["resolve"] == "running"
    other = api(world.governor).post(url + "deadline_resume/", {"clock": 999999}, format="json")
    assert other.status_code == 400 and "clock" in other.json()["errors"]


def test_actions_answer_their_format_suffix(world, depts, api):
    """The URL walk found every action asked with its router's format suffix (``accept.json``)
    a 500: DRF passes ``format`` and the actions did not take it. Now the suffix is the same
    action, to the same people."""
    event = pending(world)
    outsider = api(world.neighbour).post(f"/api/events/{event.number}/accept.json")
    assert outsider.status_code == 404
    response = api(world.governor).post(f"/api/events/{event.number}/accept.json")
    assert response.status_code == 200 and response.json()["status"] == Status.IN_BLOCK
    event = services.event_dispatch(
        actor=world.dispatcher, event_id=whistled(world).pk, lead=depts.cgzf.department
    )
    part = event.assignments.get(department=depts.cgzf.department)
    url = f"/api/assignments/{part.pk}/report_in.json"
    assert api(depts.zjj.officer).post(url).status_code == 404
    response = api(depts.cgzf.officer).post(url)
    assert response.status_code == 200 and response.json()["state"] == "reported_in"
