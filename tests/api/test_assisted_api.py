"""/api/assisted-services/ (the 帮代办 catalogue) and /api/assisted-requests/ (issue 20)."""

from __future__ import annotations

from datetime import timedelta
from zoneinfo import ZoneInfo

import pytest
from django.utils import timezone

from events.models import Category, ClockKind, Event, Status
from events.supervision import event_supervise
from tests.api.conftest import logged

pytestmark = pytest.mark.django_db
TZ = ZoneInfo("Asia/Shanghai")


def _booked():
    return (timezone.now().astimezone(TZ) + timedelta(days=2)).replace(
        hour=10, minute=0, second=0, microsecond=0
    )


def test_the_catalogue_lists_each_service_with_its_time_limit(world, api):
    assert api().get("/api/assisted-services/").status_code in (401, 403)
    rows = api(world.governor).get("/api/assisted-services/").json()
    assert len(rows) == 16
    card = next(row for row in rows if row["code"] == "assist-social-security-card")
    assert card["name"] == "社保卡办理" and card["description"]
    assert card["time_limit"] == [{"district": "430302", "working_days": 3, "minutes": 0}]
    # Complaints' matters are not in it.
    assert "city-street-vending" not in {row["code"] for row in rows}


def test_staff_ask_for_a_booked_service_and_find_it_among_the_requests(world, api):
    booked = _booked()
    response = api(world.governor).post(
        "/api/assisted-requests/",
        {"service": "assist-social-security-card", "block": world.block.code,
         "booked_at": booked.isoformat(), "reporter_phone": "13812345678"},
    )  # fmt: skip
    assert response.status_code == 201, response.content
    body = response.json()
    assert body["category"] == "assist-social-security-card"
    assert body["description"] == "社保卡办理"  # the service's name when none is given
    assert body["status"] == Status.IN_BLOCK and response["Location"].endswith(f"{body['number']}/")
    event = Event.objects.get(number=body["number"])
    assert event.booked_at == booked
    assert event.deadlines.get(kind=ClockKind.RESOLVE).started_at == booked
    complaint = logged(world)
    rows = api(world.governor).get("/api/assisted-requests/").json()["results"]
    assert [row["number"] for row in rows] == [event.number]  # not the complaint
    assert complaint.number in [
        row["number"] for row in api(world.governor).get("/api/events/").json()["results"]
    ]
    assert rows[0]["booked_at"] is not None and rows[0]["reporter_phone"] == "138****5678"
    # A 督办 card on the request shows on its row, as on the case list.
    event_supervise(actor=world.leader, event_id=event.pk, card="yellow", note="请尽快办理")
    rows = api(world.governor).get("/api/assisted-requests/").json()["results"]
    assert [card["card"] for card in rows[0]["supervision"]] == ["yellow"]
    # Outsiders: the neighbour block and another street do not see it.
    for outsider in (world.neighbour, world.far_governor, world.other_dispatcher):
        assert api(outsider).get("/api/assisted-requests/").json()["results"] == []


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"service": "city-street-vending"}, "service"),  # a complaint's matter
        ({"service": "nope"}, "service"),
        ({"block": "430302002001001"}, "block"),  # another street's block
        ({"booked_at": "2020-01-01T10:00:00+08:00"}, None),  # past
        ({"booked_at": "2026-02-30T10:00"}, "booked_at"),  # no such day
    ],
)
def test_bad_requests_are_refused_and_nothing_written(world, api, change, field):
    data = {"service": "assist-elderly-card", "block": world.block.code, **change}
    response = api(world.governor).post("/api/assisted-requests/", data)
    assert response.status_code == 400, response.content
    body = response.json()
    if field:
        assert field in body["errors"]
    assert not Event.objects.exists()
    assert Category.objects.filter(code="assist-elderly-card").exists()
