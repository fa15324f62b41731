"""Apps sign in with expiring, revocable tokens; logins through the API are throttled."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.cache import cache
from django.utils import timezone
from rest_framework.test import APIClient

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def test_token_issue_use_expire_and_revoke(world):
    api = APIClient()
    refused = api.post("/api/auth/token/", {"username": "governor", "password": "wrong"})
    assert refused.status_code in (401, 403) and refused.json()["code"]
    issued = api.post("/api/auth/token/", {"username": "governor", "password": PASSWORD})
    assert issued.status_code == 201
    key = issued.json()["token"]
    app = APIClient()
    assert app.get("/api/schema/").status_code in (200, 401, 403)
    app.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert app.delete("/api/auth/token/").status_code == 204
    revoked = app.get("/api/auth/token/")
    assert revoked.status_code in (401, 403, 405)
    # A fresh token works until it expires.
    key = api.post("/api/auth/token/", {"username": "governor", "password": PASSWORD}).json()[
        "token"
    ]
    app.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    with time_machine.travel(timezone.now() + timedelta(days=31)):
        assert app.delete("/api/auth/token/").status_code == 401


def test_api_logins_are_throttled_per_address():
    UserFactory(username="sun")
    api = APIClient()
    codes = [
        api.post("/api/auth/token/", {"username": "nobody", "password": "x"}).status_code
        for _ in range(12)
    ]
    assert codes[-1] == 429
