"""The audit page for administrators, and what lands on the log by itself: admin edits and
permission changes (issue 10)."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.contrib.auth.models import Group, Permission
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from governance.audit import audit
from governance.models import AuditEntry, WebhookTarget
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
Action = AuditEntry.Action


@pytest.fixture
def admin_user(db):
    return UserFactory(username="root", is_staff=True, is_superuser=True)


def test_an_administrator_searches_the_log(client, admin_user, world):
    audit(action=Action.LOGIN, actor=world.governor)
    audit(action=Action.REVEAL, actor=world.dispatcher, object_type="event", object_id="YH-7",
          reason="回访核实")  # fmt: skip
    audit(action=Action.LOGIN_FAILED, username="ghost", success=False)
    client.force_login(admin_user)
    page = client.get("/audit/").content.decode()
    for text in ("governor", "dispatcher", "ghost", "YH-7", "回访核实"):
        assert text in page
    by_user = client.get("/audit/", {"who": "dispatch"}).content.decode()
    assert "YH-7" in by_user and "ghost" not in by_user
    by_action = client.get("/audit/", {"action": "login_failed"}).content.decode()
    assert "ghost" in by_action and "YH-7" not in by_action
    failed = client.get("/audit/", {"success": "false"}).content.decode()
    assert "ghost" in failed and "YH-7" not in failed
    by_object = client.get("/audit/", {"obj": "YH-7"}).content.decode()
    assert "回访核实" in by_object and "ghost" not in by_object


def test_filter_by_address_and_a_malformed_one_is_refused_politely(client, admin_user, rf):
    request = rf.get("/", REMOTE_ADDR="10.20.30.40")
    audit(action=Action.LOGIN, username="from-office", request=request)
    audit(action=Action.LOGIN, username="from-elsewhere")
    client.force_login(admin_user)
    page = client.get("/audit/", {"ip": "10.20.30.40"}).content.decode()
    assert "from-office" in page and "from-elsewhere" not in page
    response = client.get("/audit/", {"ip": "not-an-address"})
    assert response.status_code == 200
    assert "form-error" in response.content.decode()


def test_filter_by_date_and_pages_of_fifty(client, admin_user):
    now = timezone.now()
    with time_machine.travel(now - timedelta(days=10)):
        audit(action=Action.EXPORT, username="old-export")
    for i in range(60):
        audit(action=Action.LOGIN, username=f"user{i:02}")
    client.force_login(admin_user)
    today = timezone.localdate().isoformat()
    recent = client.get("/audit/", {"since": today}).content.decode()
    assert "old-export" not in recent
    ten_days_ago = (timezone.localdate() - timedelta(days=10)).isoformat()
    old = client.get("/audit/", {"since": ten_days_ago, "until": ten_days_ago})
    assert "old-export" in old.content.decode() and "user59" not in old.content.decode()
    first = client.get("/audit/", {"action": "login"})
    assert first.context["page"].paginator.num_pages == 2
    assert "user59" in first.content.decode() and "user00" not in first.content.decode()
    second = client.get("/audit/", {"action": "login", "page": 2}).content.decode()
    assert "user00" in second and "action=login" in second


def test_only_administrators_see_the_log(client, world, admin_user):
    for persona in (world.governor, world.dispatcher, world.leader):
        client.force_login(persona)
        assert client.get("/audit/").status_code == 404
        assert "/audit/" not in client.get("/notifications/").content.decode()
    staff = UserFactory(username="clerk", is_staff=True)
    client.force_login(staff)
    assert client.get("/audit/").status_code == 404
    staff.user_permissions.add(Permission.objects.get(codename="view_auditentry"))
    staff = type(staff).objects.get(pk=staff.pk)  # permissions are cached on the object
    client.force_login(staff)
    assert client.get("/audit/").status_code == 200
    client.logout()
    assert client.get("/audit/")["Location"].startswith("/login/")


def test_the_page_is_read_only(client, admin_user):
    entry = audit(action=Action.LOGIN, username="li")
    client.force_login(admin_user)
    assert client.post("/audit/", {"id": entry.pk}).status_code == 405
    page = client.get("/audit/").content.decode()
    assert 'method="post"' not in page.split('<main class="content">', 1)[1].split("</main>")[0]


# --- Admin edits ---------------------------------------------------------------------------
def test_admin_adds_changes_and_deletes_are_audited(client, admin_user, world):
    client.force_login(admin_user)
    url = "/admin/governance/webhooktarget/"
    response = client.post(
        f"{url}add/",
        {"name": "快速处置群", "url": "http://127.0.0.1:9/hook", "area_code": world.street.code,
         "is_active": "on"},
        REMOTE_ADDR="10.1.2.3",
    )  # fmt: skip
    assert response.status_code == 302, response.content[:2000]
    target = WebhookTarget.objects.get()
    client.post(
        f"{url}{target.pk}/change/",
        {"name": "快速处置群（新）", "url": "http://127.0.0.1:9/hook", "area_code": world.street.code},
    )  # fmt: skip
    client.post(f"{url}{target.pk}/delete/", {"post": "yes"})
    assert not WebhookTarget.objects.exists()
    entries = AuditEntry.objects.filter(action=Action.ADMIN_CHANGE).order_by("at", "pk")
    assert [e.detail["change"] for e in entries] == ["add", "change", "delete"]
    first = entries[0]
    assert first.actor == admin_user and first.ip == "10.1.2.3"
    assert first.object_type == "governance.webhooktarget" and first.object_id == str(target.pk)
    assert "快速处置群（新）" in entries[2].detail["object"]
    assert entries[1].detail["message"].startswith("已修改")  # the admin's words, readable


def test_deleting_several_rows_in_the_admin_audits_each(client, admin_user, world):
    hooks = [
        WebhookTarget.objects.create(name=f"群{i}", url="http://127.0.0.1:9/", area_code="x")
        for i in range(3)
    ]
    client.force_login(admin_user)
    client.post(
        "/admin/governance/webhooktarget/",
        {"action": "delete_selected", "_selected_action": [h.pk for h in hooks], "post": "yes"},
    )
    assert not WebhookTarget.objects.exists()
    deleted = AuditEntry.objects.filter(action=Action.ADMIN_CHANGE, detail__change="delete")
    assert sorted(deleted.values_list("object_id", flat=True)) == sorted(str(h.pk) for h in hooks)


# --- Permission changes ----------------------------------------------------------------------
def test_permission_changes_in_the_admin_name_who_did_it(client, admin_user, world):
    desk = Group.objects.create(name="街道派单员")
    client.force_login(admin_user)
    user = world.dispatcher
    response = client.post(
        f"/admin/governance/user/{user.pk}/change/",
        {"username": user.username, "full_name": user.full_name, "phone": user.phone,
         "email": "", "is_active": "on", "is_staff": "on", "groups": [desk.pk],
         "last_login_0": "", "last_login_1": "", "date_joined_0": "2026-11-01",
         "date_joined_1": "08:00:00"},
        REMOTE_ADDR="10.9.8.7",
    )  # fmt: skip
    assert response.status_code == 302, response.content[:3000]
    changes = AuditEntry.objects.filter(action=Action.PERMISSION_CHANGE, object_id=str(user.pk))
    flags = changes.get(detail__flags__isnull=False)
    assert flags.detail["flags"] == {"is_staff": [False, True]}
    groups = changes.get(detail__of="groups")
    assert groups.detail["add"] == ["街道派单员"]
    assert {flags.actor, groups.actor} == {admin_user} and groups.ip == "10.9.8.7"


def test_permission_changes_outside_the_admin_are_audited_too(world):
    group = Group.objects.create(name="领导")
    world.leader.groups.add(group)
    group.user_set.remove(world.leader)
    perm = Permission.objects.get(codename="view_auditentry")
    group.permissions.add(perm)
    world.leader.user_permissions.add(perm)
    world.leader.is_superuser = True
    world.leader.save()
    entries = AuditEntry.objects.filter(action=Action.PERMISSION_CHANGE)
    details = [e.detail for e in entries.order_by("at", "pk")]
    assert details[0] == {"of": "groups", "add": ["领导"]}
    assert details[1] == {"of": "groups", "remove": ["领导"]}
    assert (
        details[2]["of"] == "permissions" and entries.filter(object_type="auth.group").count() == 1
    )
    assert details[4] == {"user": "leader", "flags": {"is_superuser": [False, True]}}
    assert all(e.actor is None for e in entries)  # a shell or a command: no acting user


def test_a_login_costs_no_extra_query_for_the_permission_audit(world):
    world.governor.last_login = timezone.now()
    with CaptureQueriesContext(connection) as queries:
        world.governor.save(update_fields=["last_login"])
    assert len(queries) == 1
