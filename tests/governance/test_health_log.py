"""Start-up is calm (issue 18): while worker and beat warm up, /healthz answers 503 — its
answer to "is everything up?" — without an ERROR line per poll; an outage later is logged
once when it starts and once when it ends, naming the parts."""

from __future__ import annotations

import logging
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone

from governance import health
from governance.heartbeats import record_heartbeat

pytestmark = pytest.mark.django_db


@pytest.fixture
def fresh_process(monkeypatch):
    """/healthz as a web process that has just started sees it (its memory of the last
    state is per process)."""
    monkeypatch.setattr(health, "STATE", health.ProcessState())
    return health.STATE


def lines(caplog, level=logging.DEBUG):
    return [
        (r.name, r.levelname, r.getMessage())
        for r in caplog.records
        if r.levelno >= level and r.name.startswith(("django", "governance"))
    ]


def test_a_warm_up_is_no_error(client, caplog, fresh_process):
    caplog.set_level(logging.INFO)
    for _ in range(10):
        assert client.get("/healthz").status_code == 503  # no worker, no beat yet
    assert lines(caplog, logging.WARNING) == []
    # Said once, calmly: what it waits for.
    starting = [m for n, _, m in lines(caplog) if n == "governance.health"]
    assert len(starting) == 1 and "worker" in starting[0] and "beat" in starting[0]
    record_heartbeat(name="worker")
    record_heartbeat(name="beat")
    assert client.get("/healthz").status_code == 200
    assert [m for n, _, m in lines(caplog) if n == "governance.health"][-1] == (
        "healthz: all parts up"
    )


def test_an_outage_after_the_warm_up_is_a_warning_once(client, caplog, fresh_process):
    record_heartbeat(name="worker")
    record_heartbeat(name="beat")
    assert client.get("/healthz").status_code == 200
    caplog.set_level(logging.INFO)
    with time_machine.travel(timezone.now() + timedelta(minutes=10)):
        record_heartbeat(name="beat")
        for _ in range(5):
            assert client.get("/healthz").status_code == 503  # the worker went quiet
    warnings = lines(caplog, logging.WARNING)
    assert [(n, lvl) for n, lvl, _ in warnings] == [("governance.health", "WARNING")]
    assert "worker" in warnings[0][2] and "beat" not in warnings[0][2]
