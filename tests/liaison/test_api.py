"""The API does what the pages do, with the same scoping and the one error format."""

from __future__ import annotations

from datetime import timedelta

import pytest
from rest_framework.test import APIClient

from events.models import Event
from liaison import services

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_visit_finding_to_case_over_the_api(world, links):
    cadre = _api(links.cadre_user)
    response = cadre.post("/api/visits/", {
        "block": world.block.code, "visited_on": links.today.isoformat(), "households_visited": 9,
        "findings": [{"description": "6栋外墙瓷砖脱落", "category_code": "safety-building"}],
    }, format="json")  # fmt: skip
    assert response.status_code == 201, response.json()
    finding = response.json()["findings"][0]["id"]
    url = f"/api/visits/findings/{finding}/case/"
    assert cadre.post(url, {"category": world.category.code}).status_code == 403
    assert _api(world.neighbour).post(url, {"category": world.category.code}).status_code == 404
    made = _api(world.governor).post(url, {"category": world.category.code})
    assert made.status_code == 201 and Event.objects.get().number == made.json()["event"]
    again = _api(world.assistant).post(url, {"category": world.category.code})
    assert again.status_code == 409 and again.json()["code"] == "conflict"
    # Staff record a visit for a cadre linked to their block; not for an unknown one.
    staff = _api(world.governor).post("/api/visits/", {
        "block": world.block.code, "cadre": "cadre", "visited_on": links.today.isoformat(),
    }, format="json")  # fmt: skip
    assert staff.status_code == 201
    assert _api(world.governor).post("/api/visits/", {
        "block": world.block.code, "cadre": "nobody", "visited_on": links.today.isoformat(),
    }, format="json").status_code == 400  # fmt: skip


def test_wish_cycle_and_masked_phone_over_the_api(world, links):
    member = services.member_register(actor=world.governor, community=world.community, name="王秀英",
                                      user=links.member_user)  # fmt: skip
    staff = _api(world.governor)
    wish = staff.post("/api/wishes/", {
        "community": world.community.code, "title": "想学用智能手机", "resident_name": "周奶奶",
        "resident_phone": "13766667777",
    }).json()  # fmt: skip
    assert wish["resident_phone"] == "137****7777"
    assert _api(world.far_governor).get(f"/api/wishes/{wish['id']}/").status_code == 404
    assert (
        staff.post(f"/api/wishes/{wish['id']}/assign/", {"member": member.pk}).json()["state"]
        == "assigned"
    )
    mine = _api(links.member_user)
    assert [w["id"] for w in mine.get("/api/wishes/").json()["results"]] == [wish["id"]]
    assert mine.post(f"/api/wishes/{wish['id']}/take/").json()["state"] == "taken"
    assert (
        mine.post(f"/api/wishes/{wish['id']}/done/", {"note": "教会了微信视频"}).json()["state"]
        == "done"
    )
    counted = staff.get("/api/party-members/").json()["results"][0]
    assert counted["wishes_done"] == 1 and "phone" in counted


def test_claims_over_the_api_department_sees_only_its_own(world, depts, links):
    plist = services.problem_list_open(
        actor=world.dispatcher, street=world.street, year=2026, quarter=4
    )
    a = services.problem_add(actor=world.dispatcher, problem_list_id=plist.pk, title="背街小巷路灯")
    b = services.problem_add(
        actor=world.dispatcher, problem_list_id=plist.pk, title="菜市场周边占道"
    )
    services.problem_list_publish(actor=world.dispatcher, problem_list_id=plist.pk)
    due = (links.today + timedelta(days=20)).isoformat()
    cg, sc = _api(depts.cgzf.officer), _api(depts.scjg.officer)
    claim = cg.post(f"/api/problem-lists/{plist.pk}/claim/", {
        "problem": b.pk, "department": "cgzf", "responsible": "cgzf-officer", "due_on": due})  # fmt: skip
    assert claim.status_code == 201, claim.json()
    lost = sc.post(f"/api/problem-lists/{plist.pk}/claim/", {
        "problem": b.pk, "department": "scjg", "responsible": "scjg-officer", "due_on": due})  # fmt: skip
    assert lost.status_code == 409
    seen = sc.get(f"/api/problem-lists/{plist.pk}/").json()["problems"]
    assert [p["id"] for p in seen] == [a.pk]
    assert sc.get("/api/service-items/").json()["results"] == []
    item = cg.get("/api/service-items/").json()["results"][0]
    assert sc.post(f"/api/service-items/{item['id']}/done/", {"note": "x"}).status_code == 404
    assert (
        cg.post(f"/api/service-items/{item['id']}/done/", {"note": "清理占道摊点 23 处"}).json()[
            "state"
        ]
        == "done"
    )


def test_ledger_over_the_api(world, depts):
    street = _api(world.dispatcher)
    item = street.post(
        "/api/ledger-items/",
        {
            "street": world.street.code,
            "year": 2026,
            "title": "改造老旧管网 2 公里",
            "department": "slj",
        },
    )
    assert item.status_code == 400  # 水务 is not a department of the test district
    item = street.post("/api/ledger-items/", {"street": world.street.code, "year": 2026,
                                              "title": "改造老旧管网 2 公里", "department": "zjj"}).json()  # fmt: skip
    assert _api(depts.zjj.officer).post(f"/api/ledger-items/{item['id']}/track/",
                                         {"progress": 30, "note": "完成 600 米"}).json()["progress"] == 30  # fmt: skip
    assert _api(depts.zjj.officer).post(f"/api/ledger-items/{item['id']}/close/",
                                         {"evidence": "x"}).status_code == 403  # fmt: skip
    closed = street.post(
        f"/api/ledger-items/{item['id']}/close/", {"evidence": "竣工验收报告"}
    ).json()
    assert closed["state"] == "closed" and closed["progress"] == 100
    assert _api(world.other_dispatcher).get(f"/api/ledger-items/{item['id']}/").status_code == 404


def test_registrations_links_and_five_officials_over_the_api(world, depts, links):
    street, governor = _api(world.dispatcher), _api(world.governor)
    # The street links a cadre and ends the link; a governor may not link.
    assert governor.post("/api/cadre-links/", {"cadre": "cadre", "area": world.block.code,
                                               "role": "service"}).status_code == 403  # fmt: skip
    made = street.post("/api/cadre-links/", {"cadre": "cadre", "area": world.neighbour_block.code,
                                             "role": "service"})  # fmt: skip
    assert made.status_code == 201, made.json()
    assert street.post(f"/api/cadre-links/{made.json()['id']}/end/").json()["ended_on"]
    # 双报到 through the API, counted on the list.
    org = governor.post(
        "/api/party-organisations/", {"community": world.community.code, "name": "区税务局党支部"}
    )
    assert org.status_code == 201
    member = governor.post("/api/party-members/", {"community": world.community.code, "name": "王秀英",
                                                   "phone": "13700001111", "organisation": org.json()["id"],
                                                   "username": "member"})  # fmt: skip
    assert member.status_code == 201 and member.json()["phone"] == "137****1111"
    assert _api(world.far_governor).post("/api/party-members/", {"community": world.community.code,
                                                                 "name": "x"}).status_code == 404  # fmt: skip
    # The five officials, named by the street; a governor may not.
    body = {"community": world.community.code, **{
        p: {"name": n} for p, n in zip(
            ("district_leader", "street_leader", "department_leader", "stationed_cadre", "community_cadre"),
            ("周志强", "吴敏", "郑涛", "孙丽", "马桂英"), strict=True)}}  # fmt: skip
    body["department_leader"]["department"] = "cgzf"
    assert governor.post("/api/joint-groups/", body, format="json").status_code == 403
    group = street.post("/api/joint-groups/", body, format="json")
    assert group.status_code == 201
    assert [m["name"] for m in group.json()["members"]] == [
        "周志强",
        "吴敏",
        "郑涛",
        "孙丽",
        "马桂英",
    ]
    assert group.json()["members"][2]["department"] == "城管执法"
    # A household leader's matter taken down by phone, and a finding solved on the spot.
    leader = governor.post("/api/household-leaders/", {"block": world.block.code, "name": "赵桂兰",
                                                       "households": 20}).json()  # fmt: skip
    assert "/links/h/" in leader["report_link"]
    taken = governor.post(
        f"/api/household-leaders/{leader['id']}/matters/", {"description": "楼上漏水"}
    )
    assert taken.status_code == 201 and taken.json()["channel"] == "staff"
    new = governor.post(f"/api/household-leaders/{leader['id']}/new-link/").json()["report_link"]
    assert new != leader["report_link"]
    visit = _api(links.cadre_user).post("/api/visits/", {
        "block": world.block.code, "visited_on": links.today.isoformat(),
        "findings": [{"description": "楼道灯不亮"}]}, format="json").json()  # fmt: skip
    closed = _api(links.cadre_user).post(f"/api/visits/findings/{visit['findings'][0]['id']}/close/",
                                         {"solved": True, "note": "已换灯泡"})  # fmt: skip
    assert closed.status_code == 200 and closed.json()["state"] == "solved"


def test_objects_outside_the_callers_scope_named_in_a_body_write_nothing(world, depts, links):
    """The API looks up what a body names through the same selectors as the pages: a block,
    a cadre or a department outside the caller's scope is not found, and nothing is written."""
    from blocks.models import Department
    from liaison.models import CadreLink, DeployedCadre, LedgerItem, Visit
    from tests.factories import UserFactory, area

    far = _api(world.far_governor).post("/api/visits/", {
        "block": world.block.code, "cadre": "cadre", "visited_on": links.today.isoformat(),
    }, format="json")  # fmt: skip
    assert far.status_code == 404 and not Visit.objects.exists()
    # A cadre of another district is nobody the street may link.
    other_district = area("430304", "岳塘区")
    DeployedCadre.objects.create(
        user=UserFactory(username="yt-cadre"), district=other_district, unit="岳塘区委"
    )
    before = CadreLink.objects.count()
    linked = _api(world.dispatcher).post("/api/cadre-links/", {
        "cadre": "yt-cadre", "area": world.neighbour_block.code, "role": "service"})  # fmt: skip
    assert linked.status_code == 400 and CadreLink.objects.count() == before
    # Nor a department of that district the street's ledger.
    Department.objects.create(district=other_district, code="yt-zjj", name="岳塘住建")
    entered = _api(world.dispatcher).post("/api/ledger-items/", {
        "street": world.street.code, "year": 2026, "title": "口袋公园", "department": "yt-zjj"})  # fmt: skip
    assert entered.status_code == 400 and not LedgerItem.objects.exists()
