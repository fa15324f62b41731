"""Login protection: lockout, password strength, session timeouts, forced change, audit."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.utils import timezone

from governance.models import AuditEntry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def attempt(client, username, password):
    return client.post("/login/", {"username": username, "password": password})


def test_five_failures_lock_the_account_and_the_messages_do_not_tell_names_apart(client):
    UserFactory(username="wang")

    def error_of(response) -> str:
        return re.search(r'role="alert">(.*?)</div>', response.content.decode(), re.S).group(1)

    unknown = error_of(attempt(client, "nobody", "wrong-password"))
    assert unknown.strip() and unknown == error_of(attempt(client, "wang", "wrong-password"))
    for _ in range(4):
        attempt(client, "wang", "wrong-password")
    # Locked: even the right password is refused now.
    assert attempt(client, "wang", PASSWORD).status_code == 200
    assert "_auth_user_id" not in client.session
    assert AuditEntry.objects.filter(action="login_failed", username="wang").count() == 6
    with time_machine.travel(timezone.now() + timedelta(minutes=16)):
        cache.clear()  # the lockout counters expire with the cache entries after 15 minutes
        assert attempt(client, "wang", PASSWORD).status_code == 302
    assert AuditEntry.objects.filter(action="login", username="wang").exists()


def test_password_strength():
    for weak in ("short1A!", "abcdefgh", "abcdefghijk"):
        if (
            len(weak) >= 8
            and sum(
                map(
                    bool,
                    [
                        any(c.islower() for c in weak),
                        any(c.isupper() for c in weak),
                        any(c.isdigit() for c in weak),
                        any(not c.isalnum() for c in weak),
                    ],
                )
            )
            >= 3
        ):
            continue
        with pytest.raises(ValidationError):
            validate_password(weak)
    validate_password("Bk7#rains-x")  # 11 characters, four classes
    validate_password("a quiet river flows by the hill")  # long enough on its own


def test_idle_session_ends_after_30_minutes(client):
    user = UserFactory(username="li")
    client.post("/login/", {"username": "li", "password": PASSWORD})
    assert client.get("/areas/").status_code in (200, 302)
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        response = client.get("/areas/")
        assert response.status_code == 302 and response["Location"].startswith("/login/")
    assert user.pk  # still there, just logged out


def test_log_out_everywhere_ends_other_sessions(client, django_user_model):
    from django.test import Client

    UserFactory(username="zhao")
    other = Client()
    client.post("/login/", {"username": "zhao", "password": PASSWORD})
    other.post("/login/", {"username": "zhao", "password": PASSWORD})
    with time_machine.travel(timezone.now() + timedelta(seconds=5)):
        client.post("/logout/everywhere/")
        response = other.get("/areas/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_an_initial_password_must_be_changed_first(client):
    user = UserFactory(username="qian")
    user.must_change_password = True
    user.save()
    client.post("/login/", {"username": "qian", "password": PASSWORD})
    assert client.get("/areas/")["Location"] == "/password/"
    response = client.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Xk9#tower-bell",
            "new_password2": "Xk9#tower-bell",
        },
    )
    assert response.status_code == 302
    user.refresh_from_db()
    assert not user.must_change_password
    assert client.get("/areas/").status_code in (200, 302)
    assert client.get("/areas/").get("Location") != "/password/"


def test_second_factor_enrol_and_log_in_with_a_code(client):
    import pyotp

    UserFactory(username="zhou")
    client.post("/login/", {"username": "zhou", "password": PASSWORD})
    page = client.get("/account/second-factor/").content.decode()
    assert "<svg" in page
    secret = client.session["2fa_new_secret"]
    client.post("/account/second-factor/", {"code": "000000"})
    client.post("/account/second-factor/", {"code": pyotp.TOTP(secret).now()})
    client.logout()
    # The password alone no longer logs in: the app's code is asked for.
    response = client.post("/login/", {"username": "zhou", "password": PASSWORD})
    assert response["Location"] == "/login/code/" and "_auth_user_id" not in client.session
    assert client.post("/login/code/", {"code": "123456"}).status_code == 400
    assert client.post("/login/code/", {"code": pyotp.TOTP(secret).now()}).status_code == 302
    assert "_auth_user_id" in client.session


def test_administrators_must_enrol_in_production(client, settings):
    settings.PRODUCTION = True
    admin = UserFactory(username="root")
    admin.is_staff = admin.is_superuser = True
    admin.save()
    client.post("/login/", {"username": "root", "password": PASSWORD})
    assert client.get("/areas/")["Location"] == "/account/second-factor/"
