"""DESIGN §6: admin changes are audited too. Every admin page that can add, change or delete
is audited; a change of a time limit through the admin is on the audit page."""

from __future__ import annotations

import pytest
from django.contrib import admin
from django.test import RequestFactory

from blocks.admin import AreaAdmin, PostingAdmin
from events.models import DeadlinePolicy
from governance.audit import AuditedAdminMixin
from governance.models import AuditEntry
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

# These two audit in their own save_model, with the area's code as the object (their tests:
# tests/blocks/test_access.py).
AUDITED_BY_THEMSELVES = (AreaAdmin, PostingAdmin)


def test_every_admin_that_writes_is_audited():
    root = UserFactory(is_superuser=True, is_staff=True)
    request = RequestFactory().get("/admin/")
    request.user = root
    unaudited = []
    for model, model_admin in admin.site._registry.items():
        writes = (
            model_admin.has_add_permission(request)
            or model_admin.has_change_permission(request)
            or model_admin.has_delete_permission(request)
        )
        if writes and not isinstance(model_admin, (AuditedAdminMixin, *AUDITED_BY_THEMSELVES)):
            unaudited.append(model._meta.label)
    assert unaudited == []


def test_a_time_limit_changed_in_the_admin_is_audited(client, world):
    root = UserFactory(is_superuser=True, is_staff=True)
    client.force_login(root)
    policy = DeadlinePolicy.objects.filter(district__isnull=True).order_by("pk").first()
    url = f"/admin/events/deadlinepolicy/{policy.pk}/change/"
    form = client.get(url).context["adminform"].form
    data = {name: form.initial.get(name) for name in form.fields}
    data = {k: ("" if v is None else v) for k, v in data.items()}
    data["minutes"] = policy.minutes + 5
    response = client.post(url, data)
    assert response.status_code == 302, response.context["adminform"].form.errors
    entry = AuditEntry.objects.get(action=AuditEntry.Action.ADMIN_CHANGE)
    assert entry.actor == root and entry.object_type == "events.deadlinepolicy"
    assert entry.object_id == str(policy.pk) and "Minutes" in entry.detail["message"]
