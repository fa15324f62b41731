"""The OpenAPI 3 schema is complete and valid, production's system check has no schema
warning, and the API keeps its word: schemathesis runs every operation of the schema
against the Django app in-process (WSGI), as a signed-in dispatcher (a department officer
for the departments' parts) on demo-like data, on the demo's cases and random ids, and
no answer is a 5xx or breaks the schema (issue 9)."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest
import schemathesis
from django.core import signals
from django.core.management import call_command
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from hypothesis import HealthCheck, settings
from hypothesis import strategies as st
from rest_framework.throttling import SimpleRateThrottle
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from events import services
from events.models import Assignment, Event
from governance.authentication import token_issue
from tests.api.conftest import logged, pending

ROOT = Path(__file__).resolve().parents[2]


def test_the_schema_validates_without_a_warning(tmp_path):
    out = tmp_path / "schema.yml"
    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(out))
    text = out.read_text()
    for path in ("/api/events/", "/api/events/{id}/accept/", "/api/events/{id}/dispatch/",
                 "/api/assignments/{id}/report_in/", "/api/assignments/{id}/return/",
                 "/api/hotline/import/", "/api/auth/token/"):  # fmt: skip
        assert f"  {path}:" in text, path
    assert "Idempotency-Key" in text


def test_production_system_check_has_no_schema_warning():
    """CI runs ``check --deploy --fail-level WARNING`` with production settings; a view the
    schema cannot describe (e.g. "TokenView: unable to guess serializer") fails it."""
    from cryptography.fernet import Fernet

    inherited = {k: v for k, v in os.environ.items() if k != "DJANGO_ALLOW_ASYNC_UNSAFE"}
    env = {
        **inherited, "DJANGO_ENV": "production", "SECRET_KEY": "x" * 64 + "-test-only-9f3a",
        "FIELD_ENCRYPTION_KEYS": Fernet.generate_key().decode(),
        "ALLOWED_HOSTS": "governance.example", "DEBUG": "0",
    }  # fmt: skip
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    output = result.stdout + result.stderr
    assert "drf_spectacular" not in output, output
    assert result.returncode == 0, output


schema = schemathesis.openapi.from_wsgi("/api/schema/", get_wsgi_application())
# Ids of the demo's cases and parts, so that generated calls also reach real ones (not only
# random ids that are simply not found).
KNOWN: dict[str, list[str]] = {"events": [], "assignments": []}


@schema.hook
def flatmap_path_parameters(context, path_parameters):
    if not path_parameters or "id" not in path_parameters:
        return st.just(path_parameters)
    path = getattr(context.operation, "path", None) or ""
    kind = "assignments" if "/assignments/" in path else "events"
    choices = [*KNOWN[kind], path_parameters["id"]]
    return st.sampled_from(choices).map(lambda value: {**path_parameters, "id": value})


@pytest.fixture
def demo(world, depts, monkeypatch):
    """A street with cases in most states, and a token for its dispatcher."""
    # The bare WSGI app would close the test's connection after each request (Django's test
    # client does the same: it unhooks this).
    signals.request_started.disconnect(close_old_connections)
    signals.request_finished.disconnect(close_old_connections)
    monkeypatch.setitem(SimpleRateThrottle.THROTTLE_RATES, "user", "100000/min")
    pending(world)
    resolved = logged(world, description="楼道堆物")
    services.event_resolve(actor=world.governor, event_id=resolved.pk, note="已清理")
    whistled = logged(world, description="违章搭建")
    services.event_whistle(actor=world.governor, event_id=whistled.pk, reason="law_enforcement")
    dispatched = logged(world, description="占道经营")
    services.event_whistle(actor=world.governor, event_id=dispatched.pk, reason="beyond_means")
    services.event_dispatch(
        actor=world.dispatcher, event_id=dispatched.pk, lead=depts.cgzf.department
    )
    KNOWN["events"] = [e.number for e in Event.objects.all()] + [
        str(e.pk) for e in Event.objects.all()
    ]
    KNOWN["assignments"] = [str(a.pk) for a in Assignment.objects.all()]
    tokens = {
        "street": token_issue(user=world.dispatcher, name="schemathesis")[1],
        "department": token_issue(user=depts.cgzf.officer, name="schemathesis")[1],
    }
    yield {who: {"Authorization": f"Token {key}"} for who, key in tokens.items()}
    signals.request_started.connect(close_old_connections)
    signals.request_finished.connect(close_old_connections)


@pytest.mark.django_db
@schema.include(path_regex=r"^/api/(events|assignments|hotline)/").parametrize()
@settings(
    max_examples=8, deadline=None, derandomize=True, database=None,
    suppress_health_check=[HealthCheck.function_scoped_fixture, HealthCheck.too_slow,
                           HealthCheck.filter_too_much],
)  # fmt: skip
def test_the_api_keeps_to_its_schema(case, demo):
    who = "department" if case.path.startswith("/api/assignments/") else "street"
    case.call_and_validate(
        headers=demo[who],
        checks=[
            not_a_server_error,
            status_code_conformance,
            content_type_conformance,
            response_schema_conformance,
        ],
    )
