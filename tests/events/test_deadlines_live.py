"""Deadlines enforced by a real Celery worker and beat on Redis and PostgreSQL, through a
worker killed with SIGKILL mid-scan and a Redis restart that loses every queue (issue 6).

The test runs a Redis server of its own (a real one, on a free port) so that restarting it
does not disturb anything else on the machine.
"""

from __future__ import annotations

import json
import shutil
import signal
import socket
import subprocess
import threading
import time
from collections import Counter
from datetime import timedelta
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

import pytest
from django.utils import timezone
from django.utils.dateparse import parse_datetime

from events import services
from events.models import ClockKind, Deadline, DeadlinePolicy, PolicySet
from governance.models import Delivery, Notification, WebhookTarget
from tests.procs import start_celery, start_relay, stop, wait_for

pytestmark = [pytest.mark.postgres, pytest.mark.redis, pytest.mark.django_db(transaction=True)]
SCAN_SECONDS = "2"


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_redis(port: int, tmp_path) -> subprocess.Popen:
    proc = subprocess.Popen(
        [shutil.which("redis-server") or "/usr/bin/redis-server", "--port", str(port),
         "--bind", "127.0.0.1", "--save", "", "--appendonly", "no", "--dir", str(tmp_path)],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL, start_new_session=True,
    )  # fmt: skip
    wait_for(lambda: _answers(port), timeout=10, every=0.1)
    return proc


def _answers(port: int) -> bool:
    try:
        with socket.create_connection(("127.0.0.1", port), timeout=0.5) as s:
            s.sendall(b"PING\r\n")
            return s.recv(16).startswith(b"+PONG")
    except OSError:
        return False


class GroupRobot(BaseHTTPRequestHandler):
    """A WeCom group robot stand-in: records every message it is sent."""

    received: list[dict] = []

    def do_POST(self):  # noqa: N802 - the http.server API
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        GroupRobot.received.append(body)
        payload = json.dumps({"errcode": 0, "errmsg": "ok"}).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(payload)))
        self.end_headers()
        self.wfile.write(payload)

    def log_message(self, *args):
        pass


@pytest.fixture
def robot():
    GroupRobot.received = []
    server = ThreadingHTTPServer(("127.0.0.1", 0), GroupRobot)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/cgi-bin/webhook/send?key=test"
    server.shutdown()


def test_breaches_survive_a_killed_worker_and_a_redis_restart(world, tmp_path, client, robot):
    # A one-minute answer rule for this district, and the street desk's group robot.
    DeadlinePolicy.objects.create(
        policy_set=PolicySet.SEEDS, district=world.district, kind=ClockKind.RESPOND, minutes=1
    )
    WebhookTarget.objects.create(
        name="雨湖路街道快速处置群", url=robot, area_code=world.street.code
    )
    port = free_port()
    redis = start_redis(port, tmp_path)
    broker = {"CELERY_BROKER_URL": f"redis://127.0.0.1:{port}/0"}
    env = {**broker, "DEADLINE_SCAN_SECONDS": SCAN_SECONDS, "HEARTBEAT_SECONDS": SCAN_SECONDS,
           "DEADLINE_SCAN_BATCH": "5"}  # fmt: skip
    worker = start_celery("worker", tmp_path, "--concurrency", "2", **env)
    relay = start_relay(tmp_path, "--concurrency", "2", **env)  # the outbox's own worker
    beat = start_celery("beat", tmp_path, "--schedule", str(tmp_path / "beat-schedule"), **env)
    try:
        # 1. One case, due in a minute: its breach reaches the street desk's notices page
        # within 30 s, and the case's clocks in the API show it.
        event = services.event_log(
            actor=None, block=world.block, category=world.category, description="路灯不亮"
        )
        respond = event.deadlines.get(kind=ClockKind.RESPOND)
        assert respond.due_at - respond.started_at == timedelta(minutes=1)
        client.force_login(world.dispatcher)

        def breach_on_the_desks_page():
            return event.number in client.get("/notifications/?unread=1").content.decode()

        wait_for(breach_on_the_desks_page, timeout=120, every=0.5)
        respond.refresh_from_db()
        assert respond.breached_at is not None
        seen = timezone.now()
        assert seen - respond.due_at < timedelta(seconds=30), seen - respond.due_at
        detail = client.get(f"/api/events/{event.number}/")
        assert detail.status_code == 200
        clock = next(c for c in detail.json()["clocks"] if c["kind"] == ClockKind.RESPOND)
        assert clock["breached_at"] is not None
        assert parse_datetime(clock["breached_at"]) == respond.breached_at
        assert clock["state"] == "overdue" and clock["stopped_at"] is None

        # 2. Many cases already overdue; kill the worker while it works through them.
        past = timezone.now() - timedelta(minutes=2)
        overdue = [
            services.event_log(
                actor=None,
                block=world.block,
                category=world.category,
                description=f"第{i}件",
                now=past,
            )  # fmt: skip
            for i in range(150)
        ]
        clocks = Deadline.objects.filter(event__in=overdue, kind=ClockKind.RESPOND)
        wait_for(lambda: clocks.filter(breached_at__isnull=False).exists(), timeout=60, every=0.02)
        stop(worker, signal.SIGKILL)
        done_when_killed = clocks.filter(breached_at__isnull=False).count()

        # 3. Redis restarts empty: every queued message is gone.
        stop(redis, signal.SIGKILL)
        redis = start_redis(port, tmp_path)
        worker = start_celery("worker", tmp_path, "--concurrency", "2", **env)
        # The relay was not killed: it reconnects. Should kombu's reconnect still take it
        # down (a message unacked at the restart), its supervisor starts it again.
        time.sleep(2)
        relay_died = relay.poll() is not None
        if relay_died:
            relay = start_relay(tmp_path, "--concurrency", "2", **env)

        wait_for(lambda: not clocks.filter(breached_at__isnull=True).exists(), timeout=120)
        wait_for(
            lambda: not Delivery.objects.filter(delivered_at__isnull=True).exists(), timeout=60
        )
    finally:
        stop(beat)
        stop(worker)
        stop(relay)
        stop(redis, signal.SIGKILL)

    print(f"breached when the worker was killed: {done_when_killed} of {len(overdue)}")
    print(f"the relay {'died with' if relay_died else 'lived through'} the Redis restart")
    # Every clock breached once; every person told once per clock; every group message once.
    keys = Notification.objects.filter(kind="deadline_breach").values_list(
        "recipient_id", "dedupe_key"
    )
    assert len(keys) == len(set(keys))
    per_clock = Counter(key for _r, key in keys)
    assert len(per_clock) == len(overdue) + 1
    assert set(per_clock.values()) == {4}  # governor, assistant, supervisor, the desk
    robot_messages = Counter(m["markdown"]["content"].splitlines()[0] for m in GroupRobot.received)
    assert len(robot_messages) == len(overdue) + 1
    assert set(robot_messages.values()) == {1}
