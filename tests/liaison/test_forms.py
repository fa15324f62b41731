"""Every POST of a link page goes through a form (issue 16): a bad input or an object outside
the user's scope is refused with a plain message in the user's language, and nothing is
written."""

from __future__ import annotations

import pytest
from django.conf import settings
from django.contrib.messages import get_messages
from django.urls import reverse

from blocks.models import Department
from events import services as event_services
from liaison import services
from liaison.models import (
    ActivityEntry,
    CadreLink,
    DemandItem,
    DemandList,
    JointGroup,
    JointGroupEvaluation,
    LedgerItem,
    PartyMember,
    ProblemList,
    Wish,
)
from tests.factories import area

pytestmark = pytest.mark.django_db


def _post(client, user, url, data, *, language: str | None = None) -> list[str]:
    """POST as ``user``; the messages of the page it leads back to."""
    client.force_login(user)
    if language:
        client.cookies[settings.LANGUAGE_COOKIE_NAME] = language
    response = client.post(url, data, follow=True)
    assert response.redirect_chain, response.status_code
    return [str(m) for m in get_messages(response.wsgi_request)]


def _nothing_written(before: int) -> None:
    assert ActivityEntry.objects.count() == before


# --- a bad input ------------------------------------------------------------------------------
def test_a_score_out_of_range_is_refused_in_the_users_language(client, world, depts, links):
    from tests.liaison.test_flows import _five

    group = services.joint_group_set(
        actor=world.dispatcher, community=world.community, members=_five(world, depts)
    )
    member = group.members.get(position="district_leader")
    url = reverse("liaison:joint_group", args=[world.community.code])
    body = {"action": "evaluate", "member": member.pk, "direction": "upward", "year": 2026}
    before = ActivityEntry.objects.count()
    said = _post(client, world.governor, url, {**body, "score": "九十"})
    assert said == ["分数为 0 到 100。"]
    said = _post(client, world.governor, url, {**body, "score": 101}, language="en")
    assert said == ["A score is from 0 to 100."]
    assert not JointGroupEvaluation.objects.exists()
    _nothing_written(before)


def test_a_quarter_that_does_not_exist_opens_no_list(client, world, links):
    before = ActivityEntry.objects.count()
    url = reverse("liaison:demand_lists")
    said = _post(client, world.governor, url, {"community": world.community.pk, "quarter": 7})
    assert said == ["请选择季度。"]
    # A year that is not a number was taken for this year: it is refused too.
    said = _post(client, world.governor, url, {"community": world.community.pk, "year": "明年"},
                 language="en")  # fmt: skip
    assert said == ["Enter a whole number."]
    assert not DemandList.objects.exists()
    _nothing_written(before)


def test_a_finding_answered_with_an_unknown_button_is_refused(client, world, links):
    visit = services.visit_record(actor=links.cadre_user, cadre=links.cadre, block=world.block,
                                  visited_on=links.today, findings=[{"description": "楼道灯坏"}])  # fmt: skip
    finding = visit.findings.get()
    before = ActivityEntry.objects.count()
    url = reverse("liaison:finding_close", args=[finding.pk])
    said = _post(client, world.governor, url, {"solved": "yes", "note": "已修"})
    assert len(said) == 1 and "yes" in said[0]
    finding.refresh_from_db()
    assert finding.state == "open"
    _nothing_written(before)


def test_a_page_action_that_is_not_the_pages_is_not_found(client, world, links):
    wish = services.wish_post(
        actor=world.governor, community=world.community, title="修轮椅", resident_name="李"
    )
    client.force_login(world.governor)
    url = reverse("liaison:wish_detail", args=[wish.pk])
    assert client.post(url, {"action": "delete"}).status_code == 404
    assert Wish.objects.get().state == Wish.State.POSTED


# --- an object outside the user's scope -------------------------------------------------------
def test_a_community_outside_ones_scope_is_refused(client, world, links):
    before = ActivityEntry.objects.count()
    wish = {"community": world.other_community.pk, "title": "换灯泡", "resident_name": "周"}
    assert _post(client, world.governor, reverse("liaison:wishes"), wish) == [
        "请选择你工作的社区。"
    ]
    organisation = {"kind": "organisation", "community": world.other_community.pk, "name": "x"}
    said = _post(client, world.governor, reverse("liaison:registrations"), organisation,
                 language="en")  # fmt: skip
    assert said == ["Choose a community you work for."]
    assert not Wish.objects.exists()
    _nothing_written(before)


def test_an_organisation_of_another_community_is_refused(client, world, links):
    """It was dropped silently: the member was registered without their organisation."""
    elsewhere = services.organisation_register(
        actor=world.other_dispatcher, community=world.other_community, name="区税务局党支部"
    )
    before = ActivityEntry.objects.count()
    said = _post(client, world.governor, reverse("liaison:registrations"), {
        "kind": "member", "community": world.community.pk, "name": "王秀英",
        "organisation": elsewhere.pk,
    })  # fmt: skip
    assert said == ["没有这个党组织。"]
    assert not PartyMember.objects.exists()
    _nothing_written(before)


def test_a_department_of_another_district_is_refused_for_the_five(client, world, depts, links):
    """It was dropped silently: the five were saved without their department."""
    other = Department.objects.create(district=area("430304", "岳塘区"), code="yt-cg", name="x")
    body = {f"{p}-name": f"官员{n}" for n, p in enumerate(
        ("district_leader", "street_leader", "department_leader", "stationed_cadre",
         "community_cadre"))}  # fmt: skip
    body["department_leader-department"] = other.pk
    url = reverse("liaison:joint_group", args=[world.community.code])
    before = ActivityEntry.objects.count()
    assert _post(client, world.dispatcher, url, body) == ["请选择本区的部门。"]
    assert not JointGroup.objects.exists()
    _nothing_written(before)
    body["department_leader-department"] = depts.cgzf.department.pk
    assert _post(client, world.dispatcher, url, body) == ["已保存。"]


def test_an_official_of_another_community_is_not_rated_from_this_page(client, world, depts, links):
    from tests.liaison.test_flows import _five

    services.joint_group_set(
        actor=world.dispatcher, community=world.community, members=_five(world, depts)
    )
    village = area("430302001002", "长城社区")
    theirs = services.joint_group_set(
        actor=world.dispatcher, community=village, members=_five(world, depts)
    ).members.get(position="street_leader")
    url = reverse("liaison:joint_group", args=[world.community.code])
    before = ActivityEntry.objects.count()
    said = _post(client, world.dispatcher, url, {
        "action": "evaluate", "member": theirs.pk, "direction": "downward", "score": 90,
        "year": 2026,
    }, language="en")  # fmt: skip
    assert said == ["Select a valid choice. That choice is not one of the available choices."]
    assert not JointGroupEvaluation.objects.exists()
    _nothing_written(before)


def test_a_case_of_another_community_is_not_added_to_the_demand_list(client, world, links):
    far_case = event_services.event_log(actor=world.far_governor, block=world.far_block,
                                        category=world.category, description="x")  # fmt: skip
    demand = services.demand_list_open(
        actor=world.governor, community=world.community, year=2026, quarter=4
    )
    url = reverse("liaison:demand_list", args=[demand.pk])
    said = _post(client, world.governor, url, {"action": "add_cases", "event": [far_case.pk]})
    assert said == ["该事件不在这个社区。"]
    assert not DemandItem.objects.exists()


def test_a_member_of_another_community_is_not_given_the_wish(client, world, links):
    stranger = services.member_register(
        actor=world.other_dispatcher, community=world.other_community, name="陌生人"
    )
    wish = services.wish_post(
        actor=world.governor, community=world.community, title="修轮椅", resident_name="李"
    )
    url = reverse("liaison:wish_detail", args=[wish.pk])
    said = _post(client, world.governor, url, {"action": "assign", "member": stranger.pk})
    assert said == ["请选择在本社区报到的党员。"]
    assert Wish.objects.get().member is None


def test_a_block_of_another_street_is_not_linked_to_a_cadre(client, world, links):
    before = CadreLink.objects.count()
    said = _post(client, world.dispatcher, reverse("liaison:cadres"), {
        "cadre": links.cadre.pk, "area": world.far_block.pk, "role": "service",
    })  # fmt: skip
    assert said == ["请选择一个在用的区块或社区。"]
    assert CadreLink.objects.count() == before


def test_a_street_of_another_desk_gets_no_list_nor_ledger_item(client, world, links):
    for name, body in (
        ("liaison:problem_lists", {"street": world.other_street.pk, "year": 2026, "quarter": 4}),
        ("liaison:ledger", {"street": world.other_street.pk, "year": 2026, "title": "口袋公园"}),
    ):
        assert _post(client, world.dispatcher, reverse(name), body) == ["请选择一个街道。"]
    assert not ProblemList.objects.exists() and not LedgerItem.objects.exists()


def test_lists_come_newest_quarter_first(client, world, links):
    """The lists' counts (a GROUP BY) dropped the models' ordering: pages and the API listed
    them in any order (and DRF warned of an unordered pagination)."""
    for year, quarter in ((2025, 1), (2026, 4), (2026, 1)):
        services.demand_list_open(
            actor=world.governor, community=world.community, year=year, quarter=quarter
        )
        services.problem_list_open(
            actor=world.dispatcher, street=world.street, year=year, quarter=quarter
        )
    client.force_login(world.dispatcher)
    for path in ("/api/demand-lists/", "/api/problem-lists/"):
        rows = client.get(path).json()["results"]
        assert [(r["year"], r["quarter"]) for r in rows] == [(2026, 4), (2026, 1), (2025, 1)]
    page = client.get(reverse("liaison:demand_lists")).context["lists"]
    assert [(d.year, d.quarter) for d in page] == [(2026, 4), (2026, 1), (2025, 1)]
