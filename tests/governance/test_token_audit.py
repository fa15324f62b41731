"""An app's token is a login (issue 19): each token issued, each refused login and each
revocation is on the audit log, with who, from where and how, like the pages' logins and
logouts; the key itself never is."""

from __future__ import annotations

import json

import pyotp
import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from governance.models import ApiToken, AuditEntry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db
ADDRESS = "203.0.113.7"


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()


def ask_token(username: str, password: str = PASSWORD, **extra):
    body = {"username": username, "password": password, "name": "巡查App", **extra}
    return APIClient(REMOTE_ADDR=ADDRESS).post("/api/auth/token/", body, format="json")


def entries(action: str) -> list[AuditEntry]:
    return list(AuditEntry.objects.filter(action=action).order_by("pk"))


def test_a_token_login_is_on_the_audit_log_without_its_key():
    user = UserFactory(username="zhao")
    response = ask_token("zhao")
    assert response.status_code == 201
    [entry] = entries(AuditEntry.Action.LOGIN)
    token = ApiToken.objects.get(user=user)
    assert (entry.actor, entry.username, entry.ip, entry.success) == (user, "zhao", ADDRESS, True)
    assert (entry.object_type, entry.object_id) == ("api_token", str(token.pk))
    assert entry.detail["via"] == "api_token" and entry.detail["name"] == "巡查App"
    assert response.json()["token"] not in json.dumps(entry.detail) + entry.object_id


def test_a_wrong_password_is_one_failed_login_on_the_log():
    UserFactory(username="qian")
    assert ask_token("qian", password="wrong").status_code == 401
    assert ask_token("nobody-here", password="wrong").status_code == 401
    failed = entries(AuditEntry.Action.LOGIN_FAILED)
    assert [(e.username, e.ip, e.success) for e in failed] == [
        ("qian", ADDRESS, False), ("nobody-here", ADDRESS, False),
    ]  # fmt: skip
    assert not entries(AuditEntry.Action.LOGIN) and not ApiToken.objects.exists()


def test_a_login_refused_after_the_password_is_a_failed_login_saying_why(settings):
    """The password was right, but the second factor's code was not, or the account must
    first be set up on the web page: before, no entry said anything of these attempts."""
    sun = UserFactory(username="sun")
    sun.totp_secret, sun.totp_enabled = pyotp.random_base32(), True
    sun.save()
    assert ask_token("sun", code="000000").status_code == 401
    newcomer = UserFactory(username="li", must_change_password=True)
    assert ask_token("li").status_code == 403
    settings.PRODUCTION = True
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    assert ask_token("root").status_code == 403
    failed = entries(AuditEntry.Action.LOGIN_FAILED)
    assert [(e.actor, e.detail.get("via"), e.detail.get("reason"), e.success) for e in failed] == [
        (sun, "api_token", "second_factor_code", False),
        (newcomer, "api_token", "initial_password", False),
        (root, "api_token", "second_factor_required", False),
    ]
    assert all(e.ip == ADDRESS for e in failed) and not ApiToken.objects.exists()
    assert ask_token("sun", code=pyotp.TOTP(sun.totp_secret).now()).status_code == 201
    assert [e.actor for e in entries(AuditEntry.Action.LOGIN)] == [sun]


def test_a_revocation_is_on_the_log_once():
    user = UserFactory(username="zhou")
    key = ask_token("zhou").json()["token"]
    app = APIClient(REMOTE_ADDR=ADDRESS)
    app.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    assert app.delete("/api/auth/token/").status_code == 204
    assert app.delete("/api/auth/token/").status_code == 401  # revoked: nothing more to log
    [entry] = entries(AuditEntry.Action.LOGOUT)
    token = ApiToken.objects.get(user=user)
    assert (entry.actor, entry.ip, entry.object_type, entry.object_id) == (
        user, ADDRESS, "api_token", str(token.pk),
    )  # fmt: skip
    assert entry.detail == {"via": "api_token", "name": "巡查App"}
