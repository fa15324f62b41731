"""Throttling of API callers, and two people acting at once through the API: exactly one
wins, the other gets 409 (PostgreSQL, real threads)."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from events.models import Event, Status
from tests.api.conftest import pending
from tests.api.test_events_api import INTAKE
from tests.events.test_concurrency import run_at_once


@pytest.mark.django_db
def test_a_caller_over_the_rate_gets_429_in_the_error_format(world, api, monkeypatch):
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "5/min")
    client = api(world.governor)
    codes = [client.get("/api/events/").status_code for _ in range(5)]
    assert codes == [200] * 5
    refused = client.post("/api/events/", INTAKE)
    assert refused.status_code == 429
    assert refused.json()["code"] == "throttled" and refused.json()["message"]
    assert int(refused["Retry-After"]) > 0
    assert not Event.objects.exists()
    # The rate is per user: a colleague is not held up.
    assert api(world.assistant).get("/api/events/").status_code == 200


def as_user(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    client.force_authenticate(user)
    return client


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_two_people_acting_at_once_one_wins_the_other_gets_409(world):
    event = pending(world)
    url = f"/api/events/{event.pk}/"
    outcomes = run_at_once(
        lambda: as_user(world.governor).post(url + "accept/", HTTP_ACCEPT_LANGUAGE="zh-hans"),
        lambda: as_user(world.assistant).post(
            url + "invalidate/", {"reason": "恶作剧"}, HTTP_ACCEPT_LANGUAGE="zh-hans"
        ),
    )
    codes = sorted(o.status_code for o in outcomes)
    assert codes == [200, 409], [o.json() for o in outcomes]
    loser = next(o for o in outcomes if o.status_code == 409).json()
    assert loser["code"] == "conflict"
    # Both read the case as pending, so the loser finds it moved under it; had it read the
    # case after the winner's commit, it would be told what the case is now.
    assert loser["message"] == "该事件已被他人处理" or (
        loser["message"].startswith("该事件当前为") and "此操作已不可执行" in loser["message"]
    )
    event.refresh_from_db()
    assert event.status in (Status.IN_BLOCK, Status.INVALID)
    assert event.timeline.exclude(action="log").count() == 1
