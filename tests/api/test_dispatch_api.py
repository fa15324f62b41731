"""Whistle → dispatch → report in → feedback → verify through the API, the departments' parts
at /api/assignments/ (each officer sees only their department's), return and rework, and
一事一考 (issue 5)."""

from __future__ import annotations

import pytest

from events import services
from events.models import Assignment, CaseEvaluation, Status
from tests.api.conftest import logged

pytestmark = pytest.mark.django_db


def whistle_and_dispatch(world, api, cooperating=("scjg",)) -> dict:
    event = logged(world)
    whistled = api(world.governor).post(
        f"/api/events/{event.number}/whistle/", {"reason": "law_enforcement"}
    )
    assert whistled.status_code == 200, whistled.json()
    dispatched = api(world.dispatcher).post(
        f"/api/events/{event.number}/dispatch/",
        {"lead": "cgzf", "cooperating": list(cooperating), "note": "请城管牵头"},
    )
    assert dispatched.status_code == 200, dispatched.json()
    return dispatched.json()


def part_id(body: dict, department: str) -> int:
    return next(
        a["id"] for a in body["assignments"]
        if a["department"] == department and a["state"] in ("dispatched", "reported_in")
    )  # fmt: skip


def test_the_whole_path_through_the_api(world, depts, api):
    case = whistle_and_dispatch(world, api)
    number = case["number"]
    assert case["status"] == Status.DISPATCHED
    # Each department officer sees only their own department's part.
    for code, expected in (("cgzf", ["lead"]), ("scjg", ["cooperating"]), ("gaj", []),
                           ("zjj", [])):  # fmt: skip
        listed = api(getattr(depts, code).officer).get("/api/assignments/").json()
        assert [p["role"] for p in listed["results"]] == expected, code
        for p in listed["results"]:
            assert p["event"] == number and p["department"] == code
            assert p["due_at"] is not None  # the 24-hour report-in clock
    for user in (world.governor, world.dispatcher, world.leader):
        assert api(user).get("/api/assignments/").json()["count"] == 0
    # The cooperating department sees the case itself too; an uninvolved one does not.
    assert api(depts.scjg.officer).get(f"/api/events/{number}/").status_code == 200
    assert api(depts.zjj.officer).get(f"/api/events/{number}/").status_code == 404

    lead, coop = part_id(case, "cgzf"), part_id(case, "scjg")
    cgzf, scjg = api(depts.cgzf.officer), api(depts.scjg.officer)
    # Feedback before report-in is refused with its own reason.
    early = cgzf.post(f"/api/assignments/{lead}/feedback/", {"note": "已处理"})
    assert early.status_code == 400 and early.json()["code"] == "not_reported_in"
    reported = cgzf.post(f"/api/assignments/{lead}/report_in/")
    assert reported.status_code == 200 and reported.json()["state"] == "reported_in"
    assert cgzf.post(f"/api/assignments/{lead}/report_in/").status_code == 409
    assert scjg.post(f"/api/assignments/{coop}/report_in/").status_code == 200
    assert api(world.governor).get(f"/api/events/{number}/").json()["status"] == "in_progress"
    assert cgzf.post(f"/api/assignments/{lead}/feedback/", {"note": "已取缔"}).status_code == 200
    # Waiting for the cooperating department's answer.
    assert api(world.governor).get(f"/api/events/{number}/").json()["status"] == "in_progress"
    assert scjg.post(f"/api/assignments/{coop}/feedback/", {"note": "已约谈"}).status_code == 200
    detail = api(world.dispatcher).get(f"/api/events/{number}/").json()
    assert detail["status"] == Status.AWAITING_VERIFICATION
    assert {a["state"] for a in detail["assignments"]} == {"done"}
    verified = api(world.dispatcher).post(f"/api/events/{number}/verify/", {"note": "核实"})
    assert verified.status_code == 200 and verified.json()["status"] == Status.CLOSED
    actions = [e["action"] for e in verified.json()["timeline"]]
    assert actions[:3] == ["log", "whistle", "dispatch"] and actions[-1] == "verify"
    # Its part done and the case closed, the department no longer writes on it.
    late = cgzf.post(f"/api/events/{number}/comment/", {"note": "补充说明"})
    assert late.status_code == 403

    # 一事一考: the street scores each department once; the block may not.
    score = {"assignment": lead, "response": 5, "handling": 4, "attitude": 5, "comment": "及时"}
    assert api(world.governor).post(f"/api/events/{number}/evaluate/", score).status_code == 403
    scored = api(world.dispatcher).post(f"/api/events/{number}/evaluate/", score)
    assert scored.status_code == 201, scored.json()
    assert scored.json()["score"] == pytest.approx(4.67)
    again = api(world.dispatcher).post(f"/api/events/{number}/evaluate/", score)
    assert again.status_code == 409
    wrong = api(world.dispatcher).post(
        f"/api/events/{number}/evaluate/", {**score, "assignment": 999999}
    )
    assert wrong.status_code == 400 and "assignment" in wrong.json()["errors"]
    assert CaseEvaluation.objects.count() == 1


@pytest.mark.parametrize("action", ["report_in", "feedback", "return"])
def test_a_part_is_acted_on_by_its_department_only(world, depts, api, action):
    case = whistle_and_dispatch(world, api)
    lead = part_id(case, "cgzf")
    if action == "feedback":
        services.assignment_report_in(actor=depts.cgzf.officer, assignment_id=lead)
    body = {
        "report_in": {},
        "feedback": {"note": "已处理"},
        "return": {"reason": "not_our_duty", "note": "不属于城管职责"},
    }[action]
    url = f"/api/assignments/{lead}/{action}/"
    state = Assignment.objects.get(pk=lead).state
    for user, code in (
        (depts.scjg.officer, 404),  # a cooperating department, not this part's
        (depts.zjj.officer, 404),
        (world.dispatcher, 404),
        (world.governor, 404),
        (world.leader, 404),
        (None, 401),
    ):
        response = api(user).post(url, body)
        assert response.status_code == code, (user, response.json())
        assert Assignment.objects.get(pk=lead).state == state
    done = api(depts.cgzf.officer).post(url, body)
    assert done.status_code == 200, done.json()
    assert Assignment.objects.get(pk=lead).state != state


def test_a_lead_return_goes_back_to_the_desk_and_is_redispatched(world, depts, api):
    case = whistle_and_dispatch(world, api, cooperating=())
    lead = part_id(case, "cgzf")
    missing = api(depts.cgzf.officer).post(f"/api/assignments/{lead}/return/", {"reason": "x"})
    assert missing.status_code == 400 and {"reason", "note"} <= set(missing.json()["errors"])
    returned = api(depts.cgzf.officer).post(
        f"/api/assignments/{lead}/return/", {"reason": "not_our_duty", "note": "不归我们管"}
    )
    assert returned.status_code == 200
    # The duty list names 城管 as lead for this matter: the return is flagged.
    assert returned.json()["state"] == "returned"
    assert returned.json()["return_contradicts_duty_list"] is True
    detail = api(world.dispatcher).get(f"/api/events/{case['number']}/").json()
    assert detail["status"] == Status.ESCALATED and "dispatch" in detail["actions"]
    again = api(world.dispatcher).post(f"/api/events/{case['number']}/dispatch/", {"lead": "scjg"})
    assert again.status_code == 200 and again.json()["status"] == Status.DISPATCHED


def test_a_department_comments_while_it_has_a_part_and_not_after(world, depts, api):
    case = whistle_and_dispatch(world, api)
    url = f"/api/events/{case['number']}/comment/"
    said = api(depts.scjg.officer).post(url, {"note": "已联系商户，明早到场"})
    assert said.status_code == 201, said.json()
    timeline = api(world.dispatcher).get(f"/api/events/{case['number']}/").json()["timeline"]
    assert timeline[-1]["action"] == "comment" and timeline[-1]["note"] == "已联系商户，明早到场"
    # A department without a part of the case neither sees it nor writes on it.
    assert api(depts.zjj.officer).post(url, {"note": "路过"}).status_code == 404
    # Once the lead has given the case back, it no longer writes on it.
    lead = part_id(case, "cgzf")
    cgzf = api(depts.cgzf.officer)
    assert cgzf.post(url, {"note": "先看看"}).status_code == 201
    cgzf.post(f"/api/assignments/{lead}/return/", {"reason": "not_our_duty", "note": "不归我们管"})
    late = cgzf.post(url, {"note": "还在吗"})
    assert late.status_code == 403 and "已不再承办本案件" in late.json()["message"]


def test_rework_goes_back_to_the_lead_department(world, depts, api):
    case = whistle_and_dispatch(world, api, cooperating=())
    lead = part_id(case, "cgzf")
    cgzf = api(depts.cgzf.officer)
    cgzf.post(f"/api/assignments/{lead}/report_in/")
    cgzf.post(f"/api/assignments/{lead}/feedback/", {"note": "已处理"})
    rework = api(world.dispatcher).post(
        f"/api/events/{case['number']}/rework/", {"note": "摊位还在"}
    )
    assert rework.status_code == 200 and rework.json()["status"] == Status.IN_PROGRESS
    listed = cgzf.get("/api/assignments/?state=reported_in").json()["results"]
    assert [p["id"] for p in listed] == [lead]
    assert cgzf.get("/api/assignments/?state=done").json()["count"] == 0


def test_street_whistles_up_and_the_district_sends_back_through_the_api(world, depts, api):
    """街呼区应 and 区退街 as an app sees them: each one POST, each with its reason."""
    from blocks.models import Posting
    from events.models import DistrictSettings
    from tests.factories import UserFactory, post

    DistrictSettings.objects.create(district=world.district, street_whistle_to_district=True)
    district_desk = UserFactory(username="district-desk")
    post(district_desk, world.district, Posting.Role.DISPATCHER)
    event = logged(world)
    whistled = api(world.governor).post(
        f"/api/events/{event.number}/whistle/", {"reason": "law_enforcement"}
    )
    assert whistled.status_code == 200
    url = f"/api/events/{event.number}/"
    street = api(world.dispatcher)
    missing = street.post(url + "whistle_district/", {})
    assert missing.status_code == 400 and "note" in missing.json()["errors"]
    # The district's desk cannot send back what the street still holds.
    early = api(district_desk).post(url + "send_back/", {"note": "x"})
    assert early.status_code == 403
    up = street.post(url + "whistle_district/", {"note": "涉及区级多部门"})
    assert up.status_code == 200 and up.json()["status"] == Status.DISTRICT_ESCALATED
    assert "send_back" in api(district_desk).get(url).json()["actions"]
    assert street.post(url + "send_back/", {"note": "x"}).status_code == 403
    back = api(district_desk).post(url + "send_back/", {"note": "属街道职责，可直接派单"})
    assert back.status_code == 200 and back.json()["status"] == Status.ESCALATED
    assert back.json()["timeline"][-1]["note"] == "属街道职责，可直接派单"
    assert "dispatch" in street.get(url).json()["actions"]
