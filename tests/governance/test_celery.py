"""A real Celery worker and beat, against Redis and PostgreSQL."""

import pytest

from governance.models import Heartbeat
from governance.tasks import heartbeat
from tests.procs import start_celery, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]


def test_worker_runs_the_heartbeat_task_and_beat_schedules_it(tmp_path, client):
    worker = start_celery("worker", tmp_path, "--concurrency", "1", "--pool", "solo")
    beat = None
    try:
        # The task sent from here is run by the worker in another process.
        heartbeat.delay()
        wait_for(lambda: Heartbeat.objects.filter(name="worker").exists(), timeout=60)
        assert client.get("/healthz").json()["beat"]["ok"] is False

        beat = start_celery("beat", tmp_path, "--schedule", str(tmp_path / "beat-schedule"))
        wait_for(lambda: Heartbeat.objects.filter(name="beat").exists(), timeout=60)
        first = Heartbeat.objects.get(name="worker").seen_at
        # Beat's schedule sends the heartbeat again; the worker runs it.
        wait_for(lambda: Heartbeat.objects.get(name="worker").seen_at > first, timeout=60)
        response = client.get("/healthz")
        assert response.status_code == 200, response.json()
        assert response.json()["ok"] is True
    finally:
        if beat:
            stop(beat)
        stop(worker)
