"""Each flow of the links between levels, end to end through the services, with scoping:
insider, neighbour (next block / other community) and outsider (other street)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events.models import Channel, Event, Status
from governance.errors import DomainError, StateConflict
from governance.models import Notification
from liaison import selectors, services
from liaison.models import (
    DemandItem,
    HouseholdMatter,
    JointGroupEvaluation,
    JointGroupMember,
    LedgerItem,
    ServiceItem,
    VisitFinding,
    Wish,
)
from tests.factories import UserFactory, area

pytestmark = pytest.mark.django_db


# --- cadres, visits and the one-click finding → case ------------------------------------------
def _visit(world, links, **extra):
    return services.visit_record(
        actor=links.cadre_user, cadre=links.cadre, block=world.block, visited_on=links.today,
        households_visited=12, summary="入户走访 3 栋",
        findings=[
            {"description": "3栋楼道堆放杂物堵塞消防通道", "category_code": "safety-fire", "building": "3栋"},
            {"description": "独居老人王奶奶家水管漏水"},
        ],
        **extra,
    )  # fmt: skip


def test_cadre_visit_finding_becomes_a_case_in_one_click(world, links):
    visit = _visit(world, links)
    fire, pipe = visit.findings.order_by("id")
    # The block's team is told at once, with a link to the visit.
    notice = Notification.objects.get(recipient=world.governor, kind="visit_findings")
    assert "2" in notice.title and str(visit.pk) in notice.link
    # The cadre holds no block posting: the case is the block's to take on.
    with pytest.raises(PermissionDenied):
        services.finding_to_case(
            actor=links.cadre_user, finding_id=fire.pk, category=world.category
        )
    fire.refresh_from_db()
    assert fire.state == VisitFinding.State.OPEN and fire.event is None

    event = services.finding_to_case(
        actor=world.governor, finding_id=fire.pk, category=world.category
    )
    assert isinstance(event, Event)
    assert event.block == world.block and event.channel == Channel.PATROL
    assert event.status == Status.IN_BLOCK and event.handler == world.governor
    assert "刘建国" in event.description and event.building == "3栋"
    assert event.timeline.filter(action="log").count() == 1
    fire.refresh_from_db()
    assert fire.state == VisitFinding.State.CASE and fire.event == event
    # Clicked again (or by the assistant a moment later): already done, no second case.
    with pytest.raises(StateConflict):
        services.finding_to_case(actor=world.assistant, finding_id=fire.pk, category=world.category)
    assert Event.objects.count() == 1
    # The cadre solved the other on the spot.
    services.finding_close(
        actor=links.cadre_user, finding_id=pipe.pk, solved=True, note="已联系物业维修"
    )
    pipe.refresh_from_db()
    assert pipe.state == VisitFinding.State.SOLVED


def test_visit_scoping(world, links):
    visit = _visit(world, links)
    finding = visit.findings.first()
    # The neighbour block's governor does not see the visit nor can act on its finding.
    assert not selectors.visits(user=world.neighbour).filter(pk=visit.pk).exists()
    with pytest.raises(VisitFinding.DoesNotExist):
        services.finding_to_case(
            actor=world.far_governor, finding_id=finding.pk, category=world.category
        )
    # The governor's open-findings list has it; the neighbour's does not.
    assert list(selectors.open_findings(user=world.governor)) == list(visit.findings.all())
    assert not selectors.open_findings(user=world.neighbour).exists()
    # A cadre visits only the blocks they are linked to, and never in the future.
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=links.cadre_user, cadre=links.cadre, block=world.far_block,
                              visited_on=links.today)  # fmt: skip
    with pytest.raises(ValidationError):
        services.visit_record(actor=links.cadre_user, cadre=links.cadre, block=world.block,
                              visited_on=links.today + timedelta(days=1))  # fmt: skip
    # Staff record visits only of a cadre linked to the block.
    with pytest.raises(PermissionDenied):
        services.visit_record(actor=world.neighbour, cadre=links.cadre, block=world.neighbour_block,
                              visited_on=links.today)  # fmt: skip
    # Only the street links cadres.
    with pytest.raises(PermissionDenied):
        services.cadre_link(actor=world.governor, cadre=links.cadre, area=world.neighbour_block,
                            role="service")  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.cadre_link(actor=world.other_dispatcher, cadre=links.cadre, area=world.neighbour_block,
                            role="service")  # fmt: skip


def test_coverage_shows_blocks_without_a_visit_this_month_first(world, links):
    _visit(world, links)
    rows = selectors.visit_coverage(user=world.dispatcher, area=world.street, month=links.today)
    assert [r["block"].code for r in rows] == [world.neighbour_block.code, world.block.code]
    assert rows[0]["visits"] == 0 and rows[0]["cadres"] == []
    assert rows[1]["visits"] == 1 and [c.cadre for c in rows[1]["cadres"]] == [links.cadre]
    # Last month's visit does not cover this month.
    last_month = links.today.replace(day=1) - timedelta(days=1)
    rows = selectors.visit_coverage(user=world.dispatcher, area=world.street, month=last_month)
    assert all(r["visits"] == 0 for r in rows)
    # The other street's dispatcher sees none of these blocks.
    assert (
        selectors.visit_coverage(user=world.other_dispatcher, area=world.street, month=links.today)
        == []
    )


# --- household leaders ---------------------------------------------------------------------
def test_household_leader_reports_through_link_and_governor_accepts(world, links):
    with pytest.raises(ValidationError):
        services.household_leader_create(actor=world.governor, block=world.block, name="赵桂兰",
                                         households=80)  # fmt: skip
    with pytest.raises(PermissionDenied):
        services.household_leader_create(actor=world.neighbour, block=world.block, name="赵桂兰",
                                         households=20)  # fmt: skip
    leader, token = services.household_leader_create(
        actor=world.governor, block=world.block, name="赵桂兰", phone="13812345678",
        households=24, covers="5栋1-3单元",
    )  # fmt: skip
    assert leader.token_hash and token not in leader.token_hash
    assert selectors.leader_for_token(token) == leader
    matter = services.household_matter_report(leader=leader, description="5栋门口路灯坏了一周")
    assert matter.channel == HouseholdMatter.Channel.LINK and matter.recorded_by is None
    # It is a case at once, and the block's team is told to answer within 15 minutes.
    assert matter.event.status == Status.PENDING
    assert Notification.objects.filter(
        recipient=world.assistant, kind="event_new", link__endswith=f"/{matter.event.number}/"
    ).exists()
    # Staff take one down by phone: attributed to them.
    by_phone = services.household_matter_report(
        leader=leader, description="楼上漏水", actor=world.assistant
    )
    assert (
        by_phone.channel == HouseholdMatter.Channel.STAFF
        and by_phone.recorded_by == world.assistant
    )
    # The neighbour cannot see it; the supervisor watches but does not accept.
    with pytest.raises(HouseholdMatter.DoesNotExist):
        services.household_matter_accept(
            actor=world.neighbour, matter_id=matter.pk, category=world.category
        )
    with pytest.raises(PermissionDenied):
        services.household_matter_accept(
            actor=world.supervisor, matter_id=matter.pk, category=world.category
        )
    event = services.household_matter_accept(
        actor=world.governor, matter_id=matter.pk, category=world.category
    )
    assert event.reporter_name == "赵桂兰" and event.reporter_phone == "13812345678"
    assert event.status == Status.IN_BLOCK and event.handler == world.governor
    with pytest.raises(StateConflict):
        services.household_matter_accept(
            actor=world.assistant, matter_id=matter.pk, category=world.category
        )
    services.household_matter_decline(
        actor=world.governor, matter_id=by_phone.pk, reason="已自行修好"
    )
    # A new link revokes the old one; a leader who stepped down has none.
    new_token = services.household_leader_new_link(actor=world.governor, leader_id=leader.pk)
    assert selectors.leader_for_token(token) is None
    assert selectors.leader_for_token(new_token) == leader
    services.household_leader_end(actor=world.governor, leader_id=leader.pk)
    assert selectors.leader_for_token(new_token) is None


# --- dual registration and wishes -------------------------------------------------------------
def test_wish_posted_assigned_taken_and_closed_with_counts(world, links):
    org = services.organisation_register(actor=world.governor, community=world.community,
                                         name="区财政局机关党支部")  # fmt: skip
    member = services.member_register(
        actor=world.governor, community=world.community, name="王秀英", phone="13700001111",
        organisation=org, user=links.member_user,
    )  # fmt: skip
    wish = services.wish_post(
        actor=world.assistant, community=world.community, title="想要一台旧电脑给孙子上网课",
        resident_name="李大爷", resident_phone="13911112222",
    )  # fmt: skip
    # The other community's governor neither sees nor assigns it.
    assert not selectors.wishes(user=world.far_governor).filter(pk=wish.pk).exists()
    with pytest.raises(Wish.DoesNotExist):
        services.wish_assign(actor=world.far_governor, wish_id=wish.pk, member_id=member.pk)
    # A member registered elsewhere cannot be given this wish.
    elsewhere = services.member_register(actor=world.far_governor, community=world.other_community,
                                         name="陈明")  # fmt: skip
    with pytest.raises(ValidationError):
        services.wish_assign(actor=world.governor, wish_id=wish.pk, member_id=elsewhere.pk)
    services.wish_assign(actor=world.governor, wish_id=wish.pk, member_id=member.pk)
    assert Notification.objects.filter(recipient=links.member_user, kind="wish_assigned").exists()
    # The member sees it on their own page, takes it and closes it with a note.
    assert list(selectors.my_wishes(user=links.member_user)) == [wish]
    with pytest.raises(StateConflict):
        services.wish_done(actor=links.member_user, wish_id=wish.pk, note="送去了")
    services.wish_take(actor=links.member_user, wish_id=wish.pk)
    with pytest.raises(ValidationError):
        services.wish_done(actor=links.member_user, wish_id=wish.pk, note=" ")
    services.wish_done(
        actor=links.member_user, wish_id=wish.pk, note="捐赠旧笔记本电脑一台并装好网课软件"
    )
    wish.refresh_from_db()
    assert wish.state == Wish.State.DONE and wish.done_at is not None
    # Counts per member and per organisation.
    assert selectors.members(user=world.governor).get(pk=member.pk).wishes_done == 1
    assert selectors.organisations(user=world.governor).get(pk=org.pk).wishes_done == 1
    # Somebody else with an account is neither the member nor the community.
    stranger = UserFactory(username="stranger")
    with pytest.raises(Wish.DoesNotExist):
        services.wish_take(actor=stranger, wish_id=wish.pk)


# --- joint responsibility and two-way evaluation --------------------------------------------------
def _five(world, depts, official=None):
    return {
        "district_leader": {"name": "周志强", "title": "区委常委"},
        "street_leader": {"name": "吴敏", "title": "街道党工委副书记"},
        "department_leader": {"name": "郑涛", "title": "城管执法局副局长", "department": depts.cgzf.department},
        "stationed_cadre": {"name": "孙丽", "title": "驻村第一书记", "user": official},
        "community_cadre": {"name": "马桂英", "title": "社区书记"},
    }  # fmt: skip


def test_joint_group_and_its_evaluation(world, depts, links):
    with pytest.raises(PermissionDenied):
        services.joint_group_set(
            actor=world.governor, community=world.community, members=_five(world, depts)
        )
    with pytest.raises(ValidationError):
        services.joint_group_set(actor=world.dispatcher, community=world.community, members={})
    official = UserFactory(username="sunli")
    group = services.joint_group_set(
        actor=world.dispatcher, community=world.community, members=_five(world, depts, official)
    )
    assert group.members.count() == 5
    # Every case in the community finds its group.
    assert selectors.joint_group_for_area(world.block.code) == group
    assert selectors.joint_group_for_area(world.far_block.code) is None
    stationed = group.members.get(position=JointGroupMember.Position.STATIONED_CADRE)
    up = JointGroupEvaluation.Direction.UPWARD
    down = JointGroupEvaluation.Direction.DOWNWARD
    services.joint_group_evaluate(
        actor=world.governor, member_id=stationed.pk, year=2026, direction=up, score=92
    )
    with pytest.raises(StateConflict):
        services.joint_group_evaluate(
            actor=world.assistant, member_id=stationed.pk, year=2026, direction=up, score=50
        )
    with pytest.raises(PermissionDenied):  # another community's governor
        services.joint_group_evaluate(
            actor=world.far_governor, member_id=stationed.pk, year=2026, direction=up, score=50
        )
    with pytest.raises(PermissionDenied):  # the block staff do not rate themselves downward
        services.joint_group_evaluate(
            actor=world.governor, member_id=stationed.pk, year=2026, direction=down, score=80
        )
    services.joint_group_evaluate(
        actor=official, member_id=stationed.pk, year=2026, direction=down, score=85
    )
    with pytest.raises(ValidationError):
        services.joint_group_evaluate(
            actor=world.dispatcher, member_id=stationed.pk, year=2026, direction=down, score=101
        )
    got = selectors.evaluations(group=group, year=2026)
    assert got[(stationed.pk, up)].score == 92 and got[(stationed.pk, down)].score == 85


# --- the quarterly loop --------------------------------------------------------------------------
def _event(world, block=None, text="小区路灯损坏"):
    from events import services as event_services

    block = block or world.block
    actor = world.governor if block == world.block else world.far_governor
    return event_services.event_log(
        actor=actor, block=block, category=world.category, description=text
    )


def test_quarterly_loop_with_scoping(world, depts, links):
    case = _event(world)
    far_case = _event(world, world.far_block, "和平社区停车难")
    demand = services.demand_list_open(
        actor=world.governor, community=world.community, year=2026, quarter=4
    )
    item = services.demand_item_add(actor=world.governor, demand_list_id=demand.pk, event=case)
    assert item.source == DemandItem.Source.CASE and item.text == case.description
    with pytest.raises(StateConflict):
        services.demand_item_add(actor=world.governor, demand_list_id=demand.pk, event=case)
    with pytest.raises(ValidationError):  # a case of another community
        services.demand_item_add(actor=world.governor, demand_list_id=demand.pk, event=far_case)
    visit = _visit(world, links)
    services.demand_item_add(
        actor=world.assistant, demand_list_id=demand.pk, finding=visit.findings.first()
    )
    services.demand_item_add(
        actor=world.governor, demand_list_id=demand.pk, text="老旧小区缺少休闲座椅"
    )
    # A community sees only its own lists; the street sees its communities'.
    far_demand = services.demand_list_open(actor=world.far_governor, community=world.other_community,
                                           year=2026, quarter=4)  # fmt: skip
    assert list(selectors.demand_lists(user=world.governor)) == [demand]
    assert list(selectors.demand_lists(user=world.far_governor)) == [far_demand]
    assert demand in selectors.demand_lists(user=world.dispatcher)
    assert far_demand not in selectors.demand_lists(user=world.dispatcher)
    with pytest.raises(Exception) as caught:
        services.demand_item_add(actor=world.far_governor, demand_list_id=demand.pk, text="x")
    assert caught.type.__name__ == "DoesNotExist"
    services.demand_list_submit(actor=world.governor, demand_list_id=demand.pk)
    with pytest.raises(StateConflict):
        services.demand_item_add(actor=world.governor, demand_list_id=demand.pk, text="迟到的")

    # The street groups the needs into problems and publishes the list.
    with pytest.raises(PermissionDenied):
        services.problem_list_open(actor=world.governor, street=world.street, year=2026, quarter=4)
    plist = services.problem_list_open(
        actor=world.dispatcher, street=world.street, year=2026, quarter=4
    )
    ids = list(demand.items.values_list("pk", flat=True))
    lights = services.problem_add(actor=world.dispatcher, problem_list_id=plist.pk, title="路灯损坏",
                                  demand_item_ids=ids[:2])  # fmt: skip
    with pytest.raises(StateConflict):  # a need goes into one problem only
        services.problem_add(
            actor=world.dispatcher, problem_list_id=plist.pk, title="重复", demand_item_ids=ids[:1]
        )
    seats = services.problem_add(actor=world.dispatcher, problem_list_id=plist.pk, title="休闲座椅",
                                 demand_item_ids=ids[2:])  # fmt: skip
    extra = [services.problem_add(actor=world.dispatcher, problem_list_id=plist.pk, title=f"问题{n}")
             for n in range(3)]  # fmt: skip
    assert [p.number for p in (lights, seats, *extra)] == [1, 2, 3, 4, 5]
    with pytest.raises(StateConflict):  # not published yet
        services.service_claim(actor=depts.cgzf.officer, problem_id=lights.pk, department=depts.cgzf.department,
                               responsible=depts.cgzf.officer, due_on=links.today + timedelta(days=30))  # fmt: skip
    services.problem_list_publish(actor=world.dispatcher, problem_list_id=plist.pk)
    assert Notification.objects.filter(recipient=depts.cgzf.officer, kind="problem_list").exists()

    due = links.today + timedelta(days=60)
    cg, sc = depts.cgzf, depts.scjg
    with pytest.raises(PermissionDenied):  # claiming for a department one does not work for
        services.service_claim(actor=sc.officer, problem_id=lights.pk, department=cg.department,
                               responsible=cg.officer, due_on=due)  # fmt: skip
    mine = services.service_claim(actor=cg.officer, problem_id=lights.pk, department=cg.department,
                                  responsible=cg.officer, due_on=due)  # fmt: skip
    with pytest.raises(StateConflict):
        services.service_claim(actor=sc.officer, problem_id=lights.pk, department=sc.department,
                               responsible=sc.officer, due_on=due)  # fmt: skip
    for problem in (seats, extra[0]):
        services.service_claim(actor=cg.officer, problem_id=problem.pk, department=cg.department,
                               responsible=cg.officer, due_on=due)  # fmt: skip
    with pytest.raises(DomainError) as limit:  # a fourth in the quarter
        services.service_claim(actor=cg.officer, problem_id=extra[1].pk, department=cg.department,
                               responsible=cg.officer, due_on=due)  # fmt: skip
    assert limit.value.code == "claim_limit"
    theirs = services.service_claim(actor=sc.officer, problem_id=extra[1].pk, department=sc.department,
                                    responsible=sc.officer, due_on=due)  # fmt: skip
    # A department sees only what it claimed, and the problems still open.
    assert set(selectors.service_items(user=sc.officer)) == {theirs}
    assert mine not in selectors.service_items(user=sc.officer)
    shown = {p.pk for p in selectors.problems_of(user=sc.officer, problem_list=plist)}
    assert shown == {extra[1].pk, extra[2].pk}
    assert selectors.service_items(user=world.dispatcher).count() == 4
    assert not selectors.service_items(user=world.other_dispatcher).exists()
    # Tracked to done by the department; others may not report on it.
    with pytest.raises(ServiceItem.DoesNotExist):
        services.service_progress(actor=sc.officer, item_id=mine.pk, note="x")
    services.service_progress(actor=cg.officer, item_id=mine.pk, note="已排查 12 盏")
    services.service_done(actor=cg.officer, item_id=mine.pk, result="更换路灯 12 盏")
    mine.refresh_from_db()
    assert mine.state == ServiceItem.State.DONE and mine.done_at
    # The joint meeting records what it decided; only its own street's items.
    meeting = services.meeting_record(
        actor=world.dispatcher, street=world.street, held_on=links.today, title="第四季度大工委联席会议",
        record="研究路灯和座椅问题", service_item_ids=[mine.pk, theirs.pk],
    )  # fmt: skip
    assert set(meeting.decided_items.all()) == {mine, theirs}
    other_street_ledger = LedgerItem.objects.create(
        street=world.other_street, area_code=world.other_street.code, year=2026, number=1, title="x",
        entered_by=world.other_dispatcher, entered_at=timezone.now(), updated_at=timezone.now(),
    )  # fmt: skip
    with pytest.raises(ValidationError):
        services.meeting_record(actor=world.dispatcher, street=world.street, held_on=links.today, title="t",
                                record="r", ledger_item_ids=[other_street_ledger.pk])  # fmt: skip


# --- the livelihood ledger ------------------------------------------------------------------------
def test_ledger_entered_tracked_and_closed_with_evidence(world, depts, links):
    with pytest.raises(PermissionDenied):
        services.ledger_enter(actor=world.governor, street=world.street, year=2026, title="x")
    first = services.ledger_enter(actor=world.dispatcher, street=world.street, year=2026,
                                  title="白石社区老旧小区加装电梯", department=depts.zjj.department)  # fmt: skip
    second = services.ledger_enter(
        actor=world.dispatcher, street=world.street, year=2026, title="增设停车位 60 个"
    )
    assert (first.number, second.number) == (1, 2)
    services.ledger_track(actor=depts.zjj.officer, item_id=first.pk, progress=40, note="完成 2 台电梯井道施工",
                          public_note="井道施工完成")  # fmt: skip
    with pytest.raises(PermissionDenied):  # the lead department tracks, the street closes
        services.ledger_close(actor=depts.zjj.officer, item_id=first.pk, evidence="已验收")
    with pytest.raises(LedgerItem.DoesNotExist):  # not its item, not its street
        services.ledger_track(actor=depts.cgzf.officer, item_id=first.pk, progress=50, note="x")
    with pytest.raises(ValidationError):
        services.ledger_close(actor=world.dispatcher, item_id=first.pk, evidence="")
    with pytest.raises(ValidationError):
        services.ledger_track(actor=world.dispatcher, item_id=first.pk, progress=100, note="x")
    services.ledger_close(
        actor=world.dispatcher, item_id=first.pk, evidence="电梯验收合格证 编号 2026-018"
    )
    first.refresh_from_db()
    assert first.state == LedgerItem.State.CLOSED and first.progress == 100
    assert [e.progress for e in first.entries.all()] == [40, 100]
    with pytest.raises(StateConflict):
        services.ledger_track(actor=world.dispatcher, item_id=first.pk, progress=10, note="x")
    assert list(selectors.ledger_items(user=depts.zjj.officer)) == [first]
    assert not selectors.ledger_items(user=world.other_dispatcher).exists()


def test_a_new_community_outside_every_scope_is_not_served(world):
    lonely = area("430302002002", "新社区")
    with pytest.raises(PermissionDenied):
        services.wish_post(actor=world.governor, community=lonely, title="x", resident_name="y")


def test_a_superuser_sees_everything_and_block_staff_their_streets_ledger(world, depts, links):
    admin = UserFactory(username="root", is_superuser=True, is_staff=True)
    _visit(world, links)
    item = services.ledger_enter(
        actor=world.dispatcher, street=world.street, year=2026, title="加装电梯"
    )
    member = services.member_register(
        actor=world.governor, community=world.community, name="王秀英"
    )
    wish = services.wish_post(
        actor=world.governor, community=world.community, title="x", resident_name="y"
    )
    services.wish_assign(actor=world.governor, wish_id=wish.pk, member_id=member.pk)
    assert selectors.visits(user=admin).count() == 1
    assert list(selectors.ledger_items(user=admin)) == [item]
    assert list(selectors.wishes(user=admin)) == [wish]
    assert selectors.cadre_links(user=admin).count() == 1
    # The ledger is public per street: the block's governor reads it, the far street's does not.
    assert list(selectors.ledger_items(user=world.governor)) == [item]
    assert not selectors.ledger_items(user=world.far_governor).exists()


def test_reminders_once_a_day_for_due_service_items_and_late_ledger_items(world, depts, links):
    from django.core.management import call_command

    plist = services.problem_list_open(
        actor=world.dispatcher, street=world.street, year=2026, quarter=4
    )
    problem = services.problem_add(
        actor=world.dispatcher, problem_list_id=plist.pk, title="路灯不亮"
    )
    services.problem_list_publish(actor=world.dispatcher, problem_list_id=plist.pk)
    item = services.service_claim(actor=depts.cgzf.officer, problem_id=problem.pk, department=depts.cgzf.department,
                                  responsible=depts.cgzf.officer, due_on=links.today + timedelta(days=10))  # fmt: skip
    ledger = services.ledger_enter(actor=world.dispatcher, street=world.street, year=2026, title="加装电梯",
                                   target_on=links.today - timedelta(days=1))  # fmt: skip
    assert services.links_remind() == {"service_items": 0, "ledger_items": 1}
    assert (
        Notification.objects.filter(recipient=world.dispatcher, kind="ledger_item_late").count()
        == 1
    )
    ServiceItem.objects.filter(pk=item.pk).update(due_on=links.today - timedelta(days=1))
    call_command("remind_links")
    call_command("remind_links")  # twice the same day: nothing twice
    assert (
        Notification.objects.filter(recipient=depts.cgzf.officer, kind="service_item_due").count()
        == 1
    )
    assert Notification.objects.filter(kind="ledger_item_late").count() == 1
    services.service_done(actor=depts.cgzf.officer, item_id=item.pk, result="已修复")
    services.ledger_close(actor=world.dispatcher, item_id=ledger.pk, evidence="已验收")
    assert services.links_remind() == {"service_items": 0, "ledger_items": 0}
