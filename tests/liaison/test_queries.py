"""The link pages cost the same number of queries for a few rows as for many (DESIGN §9)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from liaison import services
from liaison.models import CadreLink, DeployedCadre
from tests.factories import UserFactory, area

pytestmark = pytest.mark.django_db


def _queries(client, url, **params) -> int:
    """The queries of the page as its user sees it again: the first view after a change of
    the roster (here, new cadres) also reads who the user is, which is then remembered
    (governance/identity.py), and keeps its polls' topics in the session."""
    client.get(url, params)
    with CaptureQueriesContext(connection) as captured:
        response = client.get(url, params)
    assert response.status_code == 200
    return len(captured)


def _grow(world, links, n: int, start: int) -> None:
    """n more blocks, each with a cadre, a visit with a finding, a wish, a ledger item."""
    for i in range(start, start + n):
        block = area(f"430302001001{i:03d}", f"白石社区第{i}区块")
        user = UserFactory(username=f"cadre{i}")
        cadre = DeployedCadre.objects.create(
            user=user, district=world.district, level="street", unit="街道办事处"
        )
        services.cadre_link(
            actor=world.dispatcher, cadre=cadre, area=block, role=CadreLink.Role.SERVICE
        )
        services.visit_record(actor=user, cadre=cadre, block=block, visited_on=links.today,
                              findings=[{"description": f"问题{i}"}])  # fmt: skip
        services.wish_post(
            actor=world.dispatcher, community=world.community, title=f"心愿{i}", resident_name="李"
        )
        services.ledger_enter(
            actor=world.dispatcher, street=world.street, year=2026, title=f"实事{i}"
        )


@pytest.mark.parametrize(
    ("name", "params"),
    [
        ("liaison:coverage", {"area": "430302001"}),
        ("liaison:visits", {}),
        ("liaison:wishes", {}),
        ("liaison:ledger", {"year": 2026}),
        ("liaison:cadres", {}),
    ],
)
def test_list_pages_do_not_query_per_row(client, world, links, name, params):
    client.force_login(world.dispatcher)
    _grow(world, links, 2, 10)
    few = _queries(client, reverse(name), **params)
    _grow(world, links, 12, 20)
    many = _queries(client, reverse(name), **params)
    assert many == few, (name, few, many)


@pytest.mark.parametrize(
    "path",
    [
        "/api/visits/",
        "/api/cadre-links/",
        "/api/wishes/",
        "/api/ledger-items/",
        "/api/problem-lists/",
    ],
)
def test_api_lists_do_not_query_per_row(client, world, links, path):
    from liaison.models import ProblemList

    client.force_login(world.dispatcher)
    _grow(world, links, 2, 10)
    ProblemList.objects.create(
        street=world.street, area_code=world.street.code, year=2025, quarter=1
    )
    few = _queries(client, path)
    _grow(world, links, 12, 20)
    for quarter in (2, 3, 4):
        ProblemList.objects.create(
            street=world.street, area_code=world.street.code, year=2025, quarter=quarter
        )
    many = _queries(client, path)
    assert many == few, (path, few, many)
