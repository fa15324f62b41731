"""GET /healthz tells whether database, broker, worker and beat are alive."""

from datetime import timedelta

import pytest
from django.utils import timezone

from governance.heartbeats import record_heartbeat

pytestmark = pytest.mark.django_db


def test_all_ok_when_worker_and_beat_were_seen_recently(client):
    record_heartbeat(name="worker")
    record_heartbeat(name="beat")
    response = client.get("/healthz")
    assert response.status_code == 200
    body = response.json()
    assert body["ok"] is True
    assert body["database"]["ok"] and body["broker"]["ok"]


def test_stopped_broker_answers_503(client, settings):
    record_heartbeat(name="worker")
    record_heartbeat(name="beat")
    # Nothing listens on port 1: the broker is down.
    settings.CELERY_BROKER_URL = "redis://127.0.0.1:1/0"
    settings.CELERY_BROKER_TRANSPORT_OPTIONS = {}
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["ok"] is False
    assert body["broker"]["ok"] is False
    assert body["database"]["ok"] is True


def test_stale_worker_or_missing_beat_answers_503(client):
    record_heartbeat(name="worker", now=timezone.now() - timedelta(minutes=5))
    response = client.get("/healthz")
    assert response.status_code == 503
    body = response.json()
    assert body["worker"]["ok"] is False
    assert body["beat"] == {"ok": False, "last_seen": None}
