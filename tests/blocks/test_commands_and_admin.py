"""`manage.py import_divisions`, and the Django admin of areas and postings."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError

from blocks.models import Area, Posting
from governance.models import AuditEntry
from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_import_divisions_loads_the_district_and_its_streets_from_the_offline_data(db):
    out = io.StringIO()
    call_command("import_divisions", "430302", stdout=out)
    district = Area.objects.get(code="430302")
    assert district.name == "雨湖区" and district.level == Area.Level.DISTRICT
    streets = dict(district.children.values_list("code", "name"))
    assert len(streets) == 15 and "雨湖路街道" in streets.values() and "鹤岭镇" in streets.values()
    assert all(len(code) == 9 and code.startswith("430302") for code in streets)
    assert "15 streets/townships, 16 created" in out.getvalue()
    # Idempotent: a second run creates nothing and keeps every row.
    out = io.StringIO()
    call_command("import_divisions", "430302", stdout=out)
    assert "0 created" in out.getvalue() and Area.objects.count() == 16


def test_import_divisions_can_take_only_some_streets_and_refuses_a_wrong_code(db):
    call_command("import_divisions", "430302", "--street", "430302001", stdout=io.StringIO())
    assert list(Area.objects.values_list("code", flat=True)) == ["430302", "430302001"]
    with pytest.raises(CommandError, match="430399"):
        call_command("import_divisions", "430399", stdout=io.StringIO())


@pytest.fixture
def admin_client_(client, world):
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)
    assert client.login(username=admin.username, password=PASSWORD)
    return client


def test_the_admin_lists_areas_and_postings_and_never_deletes_them(admin_client_, world):
    client = admin_client_
    areas = client.get("/admin/blocks/area/", {"q": "白石"})
    assert areas.status_code == 200 and "白石社区第1区块" in areas.content.decode()
    page = client.get(f"/admin/blocks/area/{world.block.pk}/change/").content.decode()
    assert world.governor.get_full_name() in page  # the active team inline
    assert client.get(f"/admin/blocks/area/{world.block.pk}/delete/").status_code == 403
    postings = client.get("/admin/blocks/posting/", {"active": "yes", "role": "governor"})
    assert postings.status_code == 200
    posting = Posting.objects.get(user=world.governor)
    assert client.get(f"/admin/blocks/posting/{posting.pk}/delete/").status_code == 403


def test_the_admin_refuses_a_second_governor_and_audits_what_it_adds(admin_client_, world):
    client = admin_client_
    newcomer = UserFactory(username="newcomer")
    form = {"user": newcomer.pk, "area": world.block.pk, "role": "governor",
            "assistant_kind": "", "started_on": "2026-01-05", "note": ""}  # fmt: skip
    response = client.post("/admin/blocks/posting/add/", form)
    assert response.status_code == 200 and "该区块已有在任治理员" in response.content.decode()
    assert not Posting.objects.filter(user=newcomer).exists()
    response = client.post(
        "/admin/blocks/posting/add/", {**form, "role": "assistant", "assistant_kind": "other"}
    )
    assert response.status_code == 302
    posting = Posting.objects.get(user=newcomer)
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.ROSTER_CHANGE, object_id=str(posting.pk), reason="create"
    ).exists()
    response = client.post(
        "/admin/blocks/posting/",
        {"action": "end_postings", "_selected_action": [posting.pk]},
    )
    assert response.status_code == 302
    posting.refresh_from_db()
    assert posting.ended_on is not None
