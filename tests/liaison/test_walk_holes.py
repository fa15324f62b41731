"""Holes the URL walk (tests/governance/test_url_walk.py) found in the links between levels,
each pinned by a focused test."""

from __future__ import annotations

import pytest
from rest_framework.test import APIClient

from governance.models import AuditEntry
from liaison import services
from liaison.models import CadreLink, HouseholdLeader

pytestmark = pytest.mark.django_db


def _api(user) -> APIClient:
    client = APIClient()
    client.force_authenticate(user)
    return client


def test_api_actions_answer_their_format_suffix(world, links):
    """Every liaison router action asked with ``.json`` was a 500: the actions did not take
    the ``format`` argument DRF passes them (the same hole the walk found in events)."""
    leader, _token = services.household_leader_create(
        actor=world.governor, block=world.block, name="赵桂兰", households=12
    )
    staff = _api(world.governor)
    taken = staff.post(f"/api/household-leaders/{leader.pk}/matters.json", {"description": "积水"})
    assert taken.status_code == 201 and taken.json()["state"] == "reported"
    ended = staff.post(f"/api/household-leaders/{leader.pk}/end.json")
    assert ended.status_code == 200 and not HouseholdLeader.objects.get(pk=leader.pk).is_active
    # An out-of-scope persona still gets the 404 it gets without the suffix.
    far = _api(world.far_governor).post(f"/api/cadre-links/{links.link.pk}/end.json")
    assert far.status_code == 404
    street = _api(world.dispatcher).post(f"/api/cadre-links/{links.link.pk}/end.json")
    assert street.status_code == 200 and CadreLink.objects.get(pk=links.link.pk).ended_on


@pytest.mark.parametrize(
    "path", ["/links/services/export.xlsx", "/links/ledger/export.xlsx"], ids=["services", "ledger"]
)
def test_exports_answer_get_only(client, world, path):
    """The exports answered DELETE and PATCH too, each writing an export to the audit log:
    only GET exports now (every export stays on the log)."""
    client.force_login(world.dispatcher)
    exports = AuditEntry.objects.filter(action=AuditEntry.Action.EXPORT)
    for method in ("delete", "patch", "put"):
        assert getattr(client, method)(path).status_code == 405
    assert not exports.exists()
    response = client.get(path)
    assert response.status_code == 200
    assert exports.count() == 1
