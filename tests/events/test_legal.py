"""三官一律进网格 (issue 20; seeds 002, 004): the block's staff call its legal team — or one
kind of it — onto an open case with a note; the timeline records it, the members are told,
the calls are counted; nobody else may, and nobody outside the block even finds the case."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from rest_framework.test import APIClient

from blocks.models import Posting
from events import services
from events.legal import event_call_legal, legal_calls
from events.models import Action, Event
from governance.models import Notification
from tests.blocks.test_roles import role_holders
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def holders(world):
    return role_holders(world)


def case(world) -> Event:
    return services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="邻里纠纷，对方电话13812345678", reporter_phone="13812345678",
    )  # fmt: skip


def told(user) -> list[str]:
    return list(
        Notification.objects.filter(recipient=user, kind="legal_call").values_list(
            "title", flat=True
        )
    )


def test_the_governor_calls_the_legal_team_from_the_case_page(world, holders, client):
    event = case(world)
    assert client.login(username="governor", password=PASSWORD)
    page = client.get(reverse("events:detail", args=[event.number])).content.decode()
    assert 'data-action="call_legal"' in page
    response = client.post(
        reverse("events:action", args=[event.number, "call_legal"]),
        {"note": "双方争执激烈，请民警和律师到场调解", "kind": ""},
    )
    assert response.status_code == 302
    entry = event.timeline.get(action=Action.CALL_LEGAL)
    assert entry.actor == world.governor and "律师到场" in entry.note
    assert told(holders.police) and told(holders.lawyer)
    assert event.number in told(holders.police)[0]
    assert not told(holders.neighbour_police)  # the next block's legal team is not called
    event.refresh_from_db()
    assert event.status == "in_block"  # a call moves no status
    assert legal_calls(world.block.code) == 1 and legal_calls(world.community.code) == 1
    assert legal_calls(world.neighbour_block.code) == 0
    # The called read the case, and see the call on its timeline.
    assert client.login(username="lawyer", password=PASSWORD)
    seen = client.get(reverse("events:detail", args=[event.number])).content.decode()
    assert "请民警和律师到场调解" in seen
    assert 'data-action="call_legal"' not in seen  # they are called, they do not call


def test_one_kind_is_called_through_the_api(world, holders):
    event = case(world)
    api = APIClient()
    api.force_authenticate(world.assistant)
    response = api.post(
        f"/api/events/{event.number}/call_legal/",
        {"kind": "lawyer", "note": "需要法律咨询"}, format="json",
    )  # fmt: skip
    assert response.status_code == 200, response.content
    assert any(t["action"] == "call_legal" for t in response.json()["timeline"])
    assert told(holders.lawyer) and not told(holders.police)


@pytest.mark.parametrize(
    ("who", "refusal"),
    [
        ("neighbour", Event.DoesNotExist),  # the next block's governor: not even there
        ("far_governor", Event.DoesNotExist),  # another street's
        ("supervisor", PermissionDenied),  # on the block's team, but not its staff
        ("dispatcher", PermissionDenied),  # the street's desk
        ("leader", PermissionDenied),  # reads only
    ],
)
def test_only_the_blocks_staff_call(world, holders, who, refusal):
    event = case(world)
    with pytest.raises(refusal):
        event_call_legal(actor=getattr(world, who), event_id=event.pk, note="请到场")
    assert not event.timeline.filter(action=Action.CALL_LEGAL).exists()
    assert not told(holders.police)


def test_bad_calls_are_refused_with_a_reason_and_write_nothing(world, holders):
    event = case(world)
    with pytest.raises(ValidationError):
        event_call_legal(actor=world.governor, event_id=event.pk, note="  ")
    with pytest.raises(ValidationError) as none_of_kind:
        event_call_legal(actor=world.governor, event_id=event.pk, note="请法官", kind="judge")
    assert str(Posting.LegalKind.JUDGE.label) in str(none_of_kind.value)  # names whom
    neighbour_case = services.event_log(
        actor=world.neighbour, block=world.neighbour_block, category=world.category,
        description="噪音扰民",
    )  # fmt: skip
    with pytest.raises(ValidationError):  # a block with its police officer only
        event_call_legal(actor=world.neighbour, event_id=neighbour_case.pk, note="x", kind="lawyer")
    far_case = services.event_log(
        actor=world.far_governor, block=world.far_block, category=world.category,
        description="噪音扰民",
    )  # fmt: skip
    with pytest.raises(ValidationError):  # a block without a legal team
        event_call_legal(actor=world.far_governor, event_id=far_case.pk, note="请律师")
    services.event_invalidate(actor=world.governor, event_id=event.pk, reason="重复")
    with pytest.raises(ValidationError):
        event_call_legal(actor=world.governor, event_id=event.pk, note="请到场")
    assert legal_calls(world.community.code) == 0
    assert not Notification.objects.filter(kind="legal_call").exists()


def test_the_api_says_what_is_wrong(world, holders):
    event = case(world)
    api = APIClient()
    api.force_authenticate(world.governor)
    url = f"/api/events/{event.number}/call_legal/"
    assert api.post(url, {"kind": "sheriff", "note": "x"}, format="json").status_code == 400
    assert api.post(url, {"kind": "judge", "note": "x"}, format="json").status_code == 400
    api.force_authenticate(world.far_governor)
    assert api.post(url, {"note": "x"}, format="json").status_code == 404
