"""Idempotency-Key: a retried POST returns the first answer and creates nothing more (24 h);
the same key with another request is refused; a refused request does not use up the key."""

from __future__ import annotations

import threading
from datetime import timedelta

import pytest
import time_machine
from django.db import connection
from django.utils import timezone
from rest_framework.test import APIClient

from events.models import Event, IdempotencyKey, TimelineEntry
from tests.api.conftest import logged
from tests.api.test_events_api import INTAKE

pytestmark = pytest.mark.django_db


def test_a_retried_log_returns_the_first_case_and_creates_nothing(world, api):
    client = api(world.governor)
    first = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="intake-1")
    assert first.status_code == 201
    retry = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="intake-1")
    assert retry.status_code == 201
    assert retry.json() == first.json()
    assert retry["Idempotent-Replayed"] == "true"
    assert Event.objects.count() == 1 and TimelineEntry.objects.count() == 1
    # Another key is another case; no key at all is too.
    assert client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="intake-2").status_code == 201
    assert client.post("/api/events/", INTAKE).status_code == 201
    assert Event.objects.count() == 3


def test_the_same_key_with_another_request_is_refused(world, api):
    client = api(world.governor)
    assert client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="k").status_code == 201
    changed = client.post(
        "/api/events/", {**INTAKE, "description": "另一件事"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert changed.status_code == 422
    assert changed.json()["code"] == "idempotency_key_reused" and changed.json()["message"]
    event = Event.objects.get()
    elsewhere = client.post(
        f"/api/events/{event.number}/comment/", {"note": "x"}, HTTP_IDEMPOTENCY_KEY="k"
    )
    assert elsewhere.status_code == 422
    assert Event.objects.count() == 1 and event.timeline.count() == 1


def test_keys_are_per_user(world, api):
    first = api(world.governor).post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="same")
    second = api(world.assistant).post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="same")
    assert first.status_code == second.status_code == 201
    assert first.json()["number"] != second.json()["number"]


def test_a_refused_request_does_not_use_up_its_key(world, api):
    client = api(world.governor)
    bad = client.post("/api/events/", {**INTAKE, "description": ""}, HTTP_IDEMPOTENCY_KEY="fix")
    assert bad.status_code == 400
    assert not IdempotencyKey.objects.exists()
    fixed = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="fix")
    assert fixed.status_code == 201 and Event.objects.count() == 1


def test_a_bad_key_is_refused(world, api):
    client = api(world.governor)
    for key in ("x" * 101, "   "):
        response = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY=key)
        assert response.status_code == 400, key
        assert response.json()["code"] == "idempotency_key_invalid"
    assert not Event.objects.exists()


def test_a_key_is_kept_24_hours_then_forgotten(world, api):
    client = api(world.governor)
    start = timezone.now()
    first = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="daily")
    with time_machine.travel(start + timedelta(hours=23, minutes=59)):
        replay = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="daily")
        assert replay.json()["number"] == first.json()["number"]
        assert Event.objects.count() == 1
    with time_machine.travel(start + timedelta(hours=24, minutes=1)):
        fresh = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="daily")
        assert fresh.status_code == 201
        assert fresh.json()["number"] != first.json()["number"]
        assert Event.objects.count() == 2
        assert IdempotencyKey.objects.filter(key="daily").count() == 1


def test_the_nightly_task_forgets_keys_older_than_a_day_and_keeps_the_rest(world, api):
    from events.tasks import prune_idempotency_keys
    from governance.celery import app

    client = api(world.governor)
    start = timezone.now()
    client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="yesterday")
    with time_machine.travel(start + timedelta(hours=20)):
        client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="today")
    assert "events.tasks.prune_idempotency_keys" in {
        entry["task"] for entry in app.conf.beat_schedule.values()
    }
    with time_machine.travel(start + timedelta(hours=25)):
        assert prune_idempotency_keys() == 1
        assert list(IdempotencyKey.objects.values_list("key", flat=True)) == ["today"]
        # The cases themselves stay; only the memory of the retry goes.
        assert Event.objects.count() == 2
        # Within its 24 h the remaining key still replays its answer.
        replay = client.post("/api/events/", INTAKE, HTTP_IDEMPOTENCY_KEY="today")
        assert replay["Idempotent-Replayed"] == "true" and Event.objects.count() == 2


def test_comments_and_actions_replay_too(world, api):
    event = logged(world)
    client = api(world.governor)
    url = f"/api/events/{event.number}/comment/"
    first = client.post(url, {"note": "已联系"}, HTTP_IDEMPOTENCY_KEY="c1")
    again = client.post(url, {"note": "已联系"}, HTTP_IDEMPOTENCY_KEY="c1")
    assert first.status_code == again.status_code == 201 and first.json() == again.json()
    assert event.timeline.filter(action="comment").count() == 1
    # A retried action gets its first answer, not a 409 for its own success.
    resolve = f"/api/events/{event.number}/resolve/"
    done = client.post(resolve, {"note": "已处理"}, HTTP_IDEMPOTENCY_KEY="r1")
    retried = client.post(resolve, {"note": "已处理"}, HTTP_IDEMPOTENCY_KEY="r1")
    assert done.status_code == retried.status_code == 200
    assert retried.json()["status"] == "awaiting_verification"
    assert event.timeline.filter(action="resolve").count() == 1


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_same_key_sent_twice_at_once_creates_one_case(world):
    """Two copies of one request racing: the second waits for the first and replays it."""
    barrier = threading.Barrier(2)
    answers: list = [None, None]

    def send(index):
        client = APIClient()
        client.force_authenticate(world.governor)
        try:
            barrier.wait()
            answers[index] = client.post(
                "/api/events/", INTAKE, format="json", HTTP_IDEMPOTENCY_KEY="racing"
            )
        finally:
            connection.close()

    threads = [threading.Thread(target=send, args=(i,)) for i in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(30)
    assert [a.status_code for a in answers] == [201, 201]
    assert answers[0].json()["number"] == answers[1].json()["number"]
    assert Event.objects.count() == 1 and IdempotencyKey.objects.count() == 1
