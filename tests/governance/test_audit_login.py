"""Login protection points of issue 10 not covered in test_security.py: lockout per address,
the password policy's "not common, not the username", the absolute session limit, initial
passwords set by an administrator, and the audit of logins and logouts with their address."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.password_validation import validate_password
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.test import Client
from django.utils import timezone

from governance.models import AuditEntry, User
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


def login(client, username, password=PASSWORD, ip="10.0.0.1"):
    return client.post("/login/", {"username": username, "password": password}, REMOTE_ADDR=ip)


def test_five_failures_from_one_address_lock_that_address_for_every_name(client):
    UserFactory(username="sun")
    for name in ("a1", "a2", "a3", "a4", "a5"):  # names guessed one after another
        login(client, name, "wrong-password", ip="10.0.0.9")
    assert login(client, "sun", ip="10.0.0.9").status_code == 200  # refused
    assert "_auth_user_id" not in client.session
    # The same person from another address is not locked out by somebody else's guessing.
    assert login(Client(), "sun", ip="10.0.0.10").status_code == 302


def test_logins_and_logouts_are_audited_with_the_address(client):
    user = UserFactory(username="zheng")
    login(client, "zheng", ip="10.2.3.4")
    client.post("/logout/", REMOTE_ADDR="10.2.3.4")
    entries = AuditEntry.objects.filter(actor=user).order_by("at", "pk")
    assert [(e.action, e.ip, e.success) for e in entries] == [
        ("login", "10.2.3.4", True), ("logout", "10.2.3.4", True),
    ]  # fmt: skip
    login(client, "zheng", "wrong-password", ip="10.2.3.5")
    failed = AuditEntry.objects.get(action="login_failed")
    assert failed.username == "zheng" and failed.ip == "10.2.3.5" and not failed.success


def test_common_passwords_and_the_username_are_refused():
    user = User(username="wangxiaoming", full_name="王小明")
    for weak in ("password1234", "qwertyuiop123", "wangxiaoming1", "12345678901234"):
        with pytest.raises(ValidationError):
            validate_password(weak, user=user)
    validate_password("Lan-hua 7 ting", user=user)


def test_a_session_ends_after_twelve_hours_however_busy(client):
    UserFactory(username="feng")
    start = timezone.now()
    with time_machine.travel(start):
        login(client, "feng")
    for step in range(1, 36):  # active every 20 minutes: never idle
        with time_machine.travel(start + timedelta(minutes=20 * step)):
            assert client.get("/notifications/").status_code == 200
    with time_machine.travel(start + timedelta(hours=12, minutes=1)):
        response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_password_set_by_an_administrator_must_be_changed_first(client):
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(
        "/admin/governance/user/add/",
        {"username": "newcomer", "full_name": "新同事", "usable_password": "true",
         "password1": "Xk9#tower-bell", "password2": "Xk9#tower-bell"},
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    newcomer = User.objects.get(username="newcomer")
    assert newcomer.must_change_password
    # A reset by the administrator is an initial password again.
    newcomer.must_change_password = False
    newcomer.save()
    response = client.post(
        f"/admin/governance/user/{newcomer.pk}/password/",
        {"usable_password": "true", "password1": "Qz7#river-stone", "password2": "Qz7#river-stone"},
    )
    assert response.status_code == 302, response.content[:2000]
    newcomer.refresh_from_db()
    assert newcomer.must_change_password
    assert (
        AuditEntry.objects.filter(
            action="admin_change", object_id=str(newcomer.pk), actor=root
        ).count()
        == 2
    )  # the add and the password reset
    other = Client()
    login(other, "newcomer", "Qz7#river-stone")
    assert other.get("/notifications/")["Location"] == "/password/"
