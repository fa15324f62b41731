"""POST /api/events/{id}/supervise/ (督办, issue 17 item 7): 201 with the card for a leader of
the area or the block's supervisor; 400 naming the field, 403 for the case's own people who
may not, 404 outside the area, 409 for a closed case, 401 anonymous — in the API's error
format; the case shows its open cards in the list and the detail."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from django.utils.translation import gettext, override

from events import services
from events.deadlines import SHANGHAI
from events.models import Supervision
from tests.api.conftest import logged
from tests.factories import UserFactory, post

pytestmark = pytest.mark.django_db


def url(event) -> str:
    return f"/api/events/{event.number}/supervise/"


def tomorrow() -> str:
    return (timezone.localtime(timezone.now(), SHANGHAI).date() + timedelta(days=1)).isoformat()


def test_a_leader_puts_a_red_card_and_the_case_shows_it(world, api):
    event = logged(world, description="东门摊位 13812345678 堵路")
    answer = api(world.leader).post(
        url(event), {"card": "red", "note": "请今日联系 13812345678", "due": tomorrow()}
    )
    assert answer.status_code == 201, answer.json()
    body = answer.json()
    assert body["card"] == "red" and body["due"] == tomorrow()
    assert body["by"] == world.leader.get_full_name()
    assert body["note"] == "请今日联系 138****5678"  # masked like every free text
    assert body["ended_at"] is None

    for client, offered in ((api(world.leader), True), (api(world.governor), False)):
        detail = client.get(f"/api/events/{event.number}/").json()
        assert [c["card"] for c in detail["supervision"]] == ["red"]
        assert ("supervise" in detail["actions"]) is offered
        listed = client.get("/api/events/").json()["results"]
        row = next(r for r in listed if r["number"] == event.number)
        assert [c["id"] for c in row["supervision"]] == [body["id"]]


def test_a_yellow_card_by_the_blocks_supervisor(world, api):
    event = logged(world)
    answer = api(world.supervisor).post(url(event), {"card": "yellow", "note": "请尽快处理"})
    assert answer.status_code == 201, answer.json()
    assert answer.json()["due"] is None


@pytest.mark.parametrize(
    ("body", "field"),
    [
        ({"card": "red", "note": "请处理"}, "due"),
        ({"card": "yellow", "note": "请处理", "due": "2099-01-01"}, "due"),
        ({"card": "red", "note": "请处理", "due": "2026-02-30"}, "due"),
        ({"card": "yellow", "note": ""}, "note"),
        ({"card": "blue", "note": "请处理"}, "card"),
    ],
)
def test_bad_input_is_a_400_naming_the_field(world, api, body, field):
    event = logged(world)
    answer = api(world.leader).post(url(event), body)
    assert answer.status_code == 400
    data = answer.json()
    assert data["code"] == "invalid" and field in data["errors"] and data["message"]
    assert not Supervision.objects.exists()


def test_the_refusal_speaks_the_users_language(world, api):
    event = logged(world)
    answer = api(world.leader).post(url(event), {"card": "red", "note": "请处理"})
    with override("zh-hans"):
        expected = gettext("A red card (挂牌督办) needs the date by which it must be done.")
    assert answer.json()["errors"]["due"] == [expected]


@pytest.mark.parametrize(
    ("who", "status"),
    [
        ("governor", 403),
        ("dispatcher", 403),
        ("far_governor", 404),  # another street's block: not there for them
        ("other_street_leader", 404),
        (None, 401),
    ],
)
def test_who_may_not(world, api, who, status):
    if who == "other_street_leader":
        user = UserFactory(username=who)
        post(user, world.other_street, "leader")
    else:
        user = getattr(world, who) if who else None
    event = logged(world)
    answer = api(user).post(url(event), {"card": "yellow", "note": "请尽快处理"})
    assert answer.status_code == status
    assert set(answer.json()) >= {"code", "message"}
    assert not Supervision.objects.exists()


def test_a_closed_case_is_a_409(world, api):
    event = logged(world)
    services.event_invalidate(actor=world.governor, event_id=event.pk, reason="重复报告")
    answer = api(world.leader).post(url(event), {"card": "yellow", "note": "请尽快处理"})
    assert answer.status_code == 409
    assert answer.json()["code"] == "conflict"


def test_the_list_reads_the_cards_in_a_fixed_number_of_queries(
    world, api, django_assert_max_num_queries
):
    for _ in range(3):
        event = logged(world)
        services.event_whistle(actor=world.governor, event_id=event.pk, reason="other", note="x")
        api(world.leader).post(url(event), {"card": "yellow", "note": "请尽快派单"})
    client = api(world.leader)
    client.get("/api/events/")  # warm the session and caches
    with django_assert_max_num_queries(12) as counted:
        assert len(client.get("/api/events/").json()["results"]) == 3
    few = len(counted.captured_queries)
    for _ in range(5):
        event = logged(world)
        api(world.supervisor).post(url(event), {"card": "yellow", "note": "请尽快"})
    with django_assert_max_num_queries(few):
        assert len(client.get("/api/events/").json()["results"]) == 8
