"""The link pages as each role uses them: reachable from their navigation, scoped, and every
form backed by its workflow."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from events import services as event_services
from events.models import Event
from governance.models import AuditEntry
from liaison import services
from liaison.models import (
    DemandList,
    HouseholdMatter,
    LedgerItem,
    ProblemList,
    ServiceItem,
    VisitFinding,
    Wish,
)

pytestmark = pytest.mark.django_db


def _login(client, user):
    client.force_login(user)
    return client


def _nav(client) -> str:
    html = client.get(reverse("events:list")).content.decode()
    return html.split('class="main-nav"')[1].split("</nav>")[0]


def test_each_role_finds_the_links_in_its_navigation(client, world, depts, links):
    hub = reverse("liaison:hub")
    for user in (
        world.governor,
        world.assistant,
        world.dispatcher,
        world.leader,
        depts.cgzf.officer,
    ):
        _login(client, user)
        assert hub in _nav(client), user
        assert client.get(hub).status_code == 200
    _login(client, world.dispatcher)
    assert reverse("liaison:ledger") in _nav(client)
    page = client.get(hub).content.decode()
    for name in ("cadres", "coverage", "problem_lists", "meetings", "ledger", "joint_groups"):
        assert reverse(f"liaison:{name}") in page
    _login(client, depts.cgzf.officer)
    assert reverse("liaison:service_items") in _nav(client)
    # A cadre without a posting gets "My visits"; a member with an account "My wishes".
    _login(client, links.cadre_user)
    assert reverse("liaison:visits") in _nav(client)
    services.member_register(actor=world.governor, community=world.community, name="王秀英",
                             user=links.member_user)  # fmt: skip
    _login(client, links.member_user)
    assert reverse("liaison:wishes") in _nav(client)


def test_visit_page_and_one_click_case(client, world, links):
    _login(client, links.cadre_user)
    page = client.get(reverse("liaison:visits"))
    assert page.status_code == 200 and world.block.name in page.content.decode()
    response = client.post(reverse("liaison:visits"), {
        "block": world.block.pk, "kind": "households", "visited_on": links.today.isoformat(),
        "households_visited": 15, "participants": 0, "summary": "认亲串门",
        "finding_0": "2栋电动车在楼道充电", "finding_0_category": "safety-electric",
        "finding_0_building": "2栋", "finding_1": "", "finding_2": "",
    })  # fmt: skip
    finding = VisitFinding.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse(
        "liaison:visit_detail", args=[finding.visit_id]
    )
    # The cadre's page says the block makes it a case; the governor's page has the button.
    assert "finding_case" not in client.get(response["Location"]).content.decode()
    _login(client, world.governor)
    detail = client.get(response["Location"]).content.decode()
    assert reverse("liaison:finding_case", args=[finding.pk]) in detail
    category = world.category.pk
    response = client.post(reverse("liaison:finding_case", args=[finding.pk]),
                           {f"f{finding.pk}-category": category})  # fmt: skip
    event = Event.objects.get()
    assert response["Location"] == reverse("events:detail", args=[event.number])
    # Twice: a message, no second case.
    client.post(
        reverse("liaison:finding_case", args=[finding.pk]), {f"f{finding.pk}-category": category}
    )
    assert Event.objects.count() == 1
    # The neighbour's governor gets a 404 for the visit and the finding.
    _login(client, world.neighbour)
    assert client.get(reverse("liaison:visit_detail", args=[finding.visit_id])).status_code == 404
    assert client.post(reverse("liaison:finding_case", args=[finding.pk]),
                       {f"f{finding.pk}-category": category}).status_code == 404  # fmt: skip


def test_coverage_page(client, world, links):
    _login(client, world.dispatcher)
    page = client.get(reverse("liaison:coverage"), {"area": world.street.code})
    html = page.content.decode()
    assert page.status_code == 200
    assert f'data-block="{world.block.code}" data-visits="0"' in html
    _login(client, world.other_dispatcher)
    assert client.get(reverse("liaison:coverage"), {"area": world.street.code}).status_code == 404


def test_household_leader_link_works_without_login_and_governor_accepts(client, world, links):
    _login(client, world.governor)
    response = client.post(reverse("liaison:household_leaders"), {
        "block": world.block.pk, "name": "赵桂兰", "phone": "13812345678", "households": 22,
        "covers": "5栋",
    })  # fmt: skip
    html = response.content.decode()
    assert response.status_code == 200 and "/links/h/" in html and "<svg" in html
    url = html.split('id="report-link">')[1].split("<")[0]
    path = url.split("testserver")[1]
    client.logout()
    page = client.get(path)
    assert page.status_code == 200 and "赵桂兰" in page.content.decode()
    assert "13812345678" not in page.content.decode()
    client.post(path, {"description": "5栋下水道堵塞反味", "building": "5栋"})
    matter = HouseholdMatter.objects.get()
    assert matter.channel == HouseholdMatter.Channel.LINK
    assert client.get("/links/h/not-a-token/").status_code == 404
    _login(client, world.governor)
    listing = client.get(reverse("liaison:household_leaders")).content.decode()
    assert (
        "5栋下水道堵塞反味" in listing and "138****5678" in listing and "13812345678" not in listing
    )
    response = client.post(reverse("liaison:household_matter_decide", args=[matter.pk, "accept"]),
                           {f"m{matter.pk}-category": world.category.pk})  # fmt: skip
    event = Event.objects.get()
    assert response["Location"] == reverse("events:detail", args=[event.number])
    assert event.reporter_name == "赵桂兰"


def test_wish_pages_member_takes_and_closes(client, world, links):
    member = services.member_register(actor=world.governor, community=world.community, name="王秀英",
                                      user=links.member_user)  # fmt: skip
    _login(client, world.assistant)
    response = client.post(reverse("liaison:wishes"), {
        "community": world.community.pk, "title": "帮忙修理轮椅", "resident_name": "李大爷",
        "resident_phone": "13911112222",
    })  # fmt: skip
    wish = Wish.objects.get()
    assert response["Location"] == reverse("liaison:wish_detail", args=[wish.pk])
    detail = client.get(response["Location"]).content.decode()
    assert "139****2222" in detail and "13911112222" not in detail
    client.post(response["Location"], {"action": "assign", "member": member.pk})
    _login(client, links.member_user)
    assert "帮忙修理轮椅" in client.get(reverse("liaison:wishes")).content.decode()
    client.post(response["Location"], {"action": "take"})
    client.post(response["Location"], {"action": "done", "note": "已修好轮椅刹车"})
    wish.refresh_from_db()
    assert wish.state == Wish.State.DONE
    _login(client, world.far_governor)
    assert client.get(response["Location"]).status_code == 404
    _login(client, world.governor)
    counts = client.get(reverse("liaison:registrations")).content.decode()
    assert "王秀英" in counts


def test_case_page_shows_the_five_officials(client, world, depts, links):
    from tests.liaison.test_flows import _five

    services.joint_group_set(
        actor=world.dispatcher, community=world.community, members=_five(world, depts)
    )
    event = event_services.event_log(actor=world.governor, block=world.block, category=world.category,
                                     description="路灯不亮")  # fmt: skip
    _login(client, world.governor)
    html = client.get(reverse("events:detail", args=[event.number])).content.decode()
    assert 'id="joint-group"' in html
    # In the order of the five: district, street, department, stationed cadre, community.
    card = html.split('id="joint-group"')[1]
    assert (
        card.index("周志强")
        < card.index("吴敏")
        < card.index("郑涛")
        < card.index("孙丽")
        < card.index("马桂英")
    )
    far = event_services.event_log(actor=world.far_governor, block=world.far_block,
                                   category=world.category, description="x")  # fmt: skip
    _login(client, world.far_governor)
    assert (
        'id="joint-group"'
        not in client.get(reverse("events:detail", args=[far.number])).content.decode()
    )
    # The group page and its evaluation form.
    _login(client, world.governor)
    url = reverse("liaison:joint_group", args=[world.community.code])
    page = client.get(url).content.decode()
    assert "周志强" in page
    member = world.community.joint_group.members.get(position="district_leader")
    client.post(
        url,
        {
            "action": "evaluate",
            "member": member.pk,
            "direction": "upward",
            "score": 88,
            "year": 2026,
        },
    )
    assert member.evaluations.get().score == 88
    _login(client, world.far_governor)
    assert client.get(url).status_code == 404


def test_quarterly_pages_scoping_and_exports(client, world, depts, links):
    case = event_services.event_log(actor=world.governor, block=world.block, category=world.category,
                                    description="小区停车难")  # fmt: skip
    _login(client, world.governor)
    client.post(
        reverse("liaison:demand_lists"),
        {"community": world.community.pk, "year": 2026, "quarter": 4},
    )
    demand = DemandList.objects.get()
    url = reverse("liaison:demand_list", args=[demand.pk])
    assert case.number in client.get(url).content.decode()
    client.post(url, {"action": "add_cases", "event": [case.pk]})
    client.post(url, {"action": "add_text", "text": "缺少老年食堂"})
    client.post(url, {"action": "submit"})
    demand.refresh_from_db()
    assert demand.state == "submitted" and demand.items.count() == 2
    export = client.get(reverse("liaison:demand_list_export", args=[demand.pk]))
    sheet = load_workbook(io.BytesIO(export.content)).active
    assert [row[1] for row in sheet.iter_rows(min_row=3, values_only=True)] == [
        "小区停车难",
        "缺少老年食堂",
    ]
    assert AuditEntry.objects.filter(action="export", object_type="demand_list").exists()
    _login(client, world.far_governor)
    assert client.get(url).status_code == 404
    assert client.get(reverse("liaison:demand_list_export", args=[demand.pk])).status_code == 404

    _login(client, world.dispatcher)
    assert client.get(reverse("liaison:hub")).context["needs_waiting"] == 2
    client.post(
        reverse("liaison:problem_lists"), {"street": world.street.pk, "year": 2026, "quarter": 4}
    )
    plist = ProblemList.objects.get()
    purl = reverse("liaison:problem_list", args=[plist.pk])
    client.post(
        purl,
        {
            "action": "add_problem",
            "title": "停车难",
            "item": list(demand.items.values_list("pk", flat=True)),
        },
    )
    client.post(purl, {"action": "add_problem", "title": "养老助餐"})
    client.post(purl, {"action": "publish"})
    plist.refresh_from_db()
    assert plist.state == "published"
    first, second = plist.problems.order_by("number")
    due = (links.today + timedelta(days=30)).isoformat()
    cg, sc = depts.cgzf, depts.scjg
    _login(client, cg.officer)
    assert "停车难" in client.get(purl).content.decode()
    client.post(purl, {"action": "claim", "problem": first.pk, "department": cg.department.pk,
                       "responsible": cg.officer.pk, "due_on": due})  # fmt: skip
    assert ServiceItem.objects.get().department == cg.department
    _login(client, sc.officer)
    page = client.get(purl).content.decode()
    assert "养老助餐" in page and "停车难" not in page  # claimed by another: out of its sight
    assert "停车难" not in client.get(reverse("liaison:service_items")).content.decode()
    _login(client, cg.officer)
    item = ServiceItem.objects.get()
    client.post(
        reverse("liaison:service_item_action", args=[item.pk, "done"]), {"note": "施划停车位 40 个"}
    )
    item.refresh_from_db()
    assert item.state == "done"
    export = client.get(reverse("liaison:service_items_export"))
    rows = list(
        load_workbook(io.BytesIO(export.content)).active.iter_rows(min_row=2, values_only=True)
    )
    assert [r[2] for r in rows] == ["停车难"]
    _login(client, world.dispatcher)
    client.post(reverse("liaison:meetings"), {"street": world.street.pk, "held_on": links.today.isoformat(),
                                              "title": "四季度联席会议", "record": "议定停车问题",
                                              "service_items": [item.pk]})  # fmt: skip
    assert "四季度联席会议" in client.get(reverse("liaison:meetings")).content.decode()
    assert item.meetings.count() == 1


def test_ledger_pages_and_public_list_without_login(client, world, depts, links):
    _login(client, world.dispatcher)
    client.post(reverse("liaison:ledger"), {"street": world.street.pk, "year": 2026,
                                            "title": "白石社区加装电梯 4 台", "department": depts.zjj.department.pk})  # fmt: skip
    item = LedgerItem.objects.get()
    url = reverse("liaison:ledger_item", args=[item.pk])
    client.post(url, {"action": "track", "progress": 50, "note": "联系业主张三 13800001234 签字",
                      "public_note": "已完成 2 台，咨询 13800001234"})  # fmt: skip
    item.refresh_from_db()
    assert item.progress == 50
    client.logout()
    public = client.get(reverse("liaison:public_ledger", args=[world.street.code]), {"year": 2026})
    html = public.content.decode()
    assert public.status_code == 200 and "白石社区加装电梯 4 台" in html and "50%" in html
    assert "张三" not in html and "13800001234" not in html and "138****1234" in html
    assert client.get(reverse("liaison:ledger")).status_code == 302  # staff pages need a login
    _login(client, world.dispatcher)
    client.post(url, {"action": "close", "evidence": "电梯验收合格"})
    item.refresh_from_db()
    assert item.state == "closed" and item.progress == 100
    export = client.get(reverse("liaison:ledger_export"), {"year": 2026})
    rows = list(
        load_workbook(io.BytesIO(export.content)).active.iter_rows(min_row=2, values_only=True)
    )
    assert rows[0][2] == "白石社区加装电梯 4 台" and rows[0][6] == 100
    _login(client, world.other_dispatcher)
    assert client.get(url).status_code == 404


def test_phones_are_revealed_only_to_whoever_handles_them_with_a_reason(client, world, links):
    member = services.member_register(actor=world.governor, community=world.community, name="王秀英",
                                      user=links.member_user)  # fmt: skip
    wish = services.wish_post(actor=world.governor, community=world.community, title="修水龙头",
                              resident_name="李大爷", resident_phone="13911112222")  # fmt: skip
    services.wish_assign(actor=world.governor, wish_id=wish.pk, member_id=member.pk)
    url = reverse("liaison:wish_reveal", args=[wish.pk])
    _login(client, links.member_user)
    assert client.post(url, {"reason": "联系居民"}).status_code == 403  # not taken yet
    services.wish_take(actor=links.member_user, wish_id=wish.pk)
    assert client.post(url, {"reason": ""}).status_code == 400
    response = client.post(url, {"reason": "上门前电话联系"})
    assert response.content.decode().strip() == "13911112222"
    entry = AuditEntry.objects.get(action="reveal", object_type="wish")
    assert entry.actor == links.member_user and entry.reason == "上门前电话联系"
    _login(client, world.far_governor)
    assert client.post(url, {"reason": "x"}).status_code == 404

    leader, _token = services.household_leader_create(actor=world.governor, block=world.block, name="赵桂兰",
                                                      phone="13812345678", households=20)  # fmt: skip
    url = reverse("liaison:household_leader_reveal", args=[leader.pk])
    _login(client, world.supervisor)  # sees the block, does not handle its matters
    assert client.post(url, {"reason": "x"}).status_code == 403
    _login(client, world.governor)
    assert client.post(url, {"reason": "回电核实"}).content.decode().strip() == "13812345678"
