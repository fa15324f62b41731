"""Who sees what of the territory: every page and API endpoint × persona (the governor of
the block, the governor of the neighbouring block, street staff of another street, the
district leader, anonymous; and the street administrator who edits the roster). Out of
scope is 404, in sight but not theirs to change is 403, and nothing leaks."""

from __future__ import annotations

import pytest
from django.db import connection

from blocks.access import visible_areas
from blocks.models import Area, Posting, TerritoryImport
from blocks.selectors import block_list_with_teams
from tests.factories import PASSWORD, area

pytestmark = pytest.mark.django_db

PERSONAS = ("governor", "neighbour", "other_dispatcher", "leader", "street_admin", "anonymous")
OK, FORBIDDEN, NOT_FOUND, LOGIN = 200, 403, 404, "login"


def pages(world, job):
    b, c, s = world.block.code, world.community.code, world.street.code
    #            path                         governor   neighbour  other      leader     street_admin
    return [
        (f"/areas/{b}/",                      OK,        NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/areas/{c}/",                      NOT_FOUND, NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/areas/{s}/",                      NOT_FOUND, NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/areas/{c}/blocks/",               NOT_FOUND, NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/areas/{b}/blocks/",               OK,        NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/areas/{b}/roster/",               FORBIDDEN, NOT_FOUND, NOT_FOUND, FORBIDDEN, OK),
        (f"/areas/{s}/import/",               NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, OK),
        (f"/areas/{s}/orphans/",              NOT_FOUND, NOT_FOUND, NOT_FOUND, FORBIDDEN, OK),
        (f"/areas/imports/{job.pk}/",         NOT_FOUND, NOT_FOUND, NOT_FOUND, NOT_FOUND, OK),
        (f"/api/areas/{b}/",                  OK,        NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/api/areas/{s}/",                  NOT_FOUND, NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/api/blocks/{b}/",                 OK,        NOT_FOUND, NOT_FOUND, OK,        OK),
        (f"/api/postings/{world.governor_posting.pk}/", OK, NOT_FOUND, NOT_FOUND, OK,    OK),
    ]  # fmt: skip


@pytest.fixture
def setup(world, street_admin):
    world.street_admin = street_admin
    world.governor_posting = Posting.objects.get(user=world.governor)
    job = TerritoryImport.objects.create(
        created_by=street_admin, area=world.street, file_name="x.csv"
    )
    return world, job


def as_persona(client, world, persona):
    if persona != "anonymous":
        assert client.login(username=getattr(world, persona).username, password=PASSWORD)
    return client


@pytest.mark.parametrize("persona", PERSONAS)
def test_every_territory_page_and_endpoint_answers_each_persona_as_expected(client, setup, persona):
    world, job = setup
    as_persona(client, world, persona)
    for path, *expected in pages(world, job):
        response = client.get(path)
        if persona == "anonymous":
            if path.startswith("/api/"):
                assert response.status_code in (401, 403), path
            else:
                assert response.status_code == 302 and "/login/" in response["Location"], path
            continue
        want = expected[PERSONAS.index(persona)]
        assert response.status_code == want, (persona, path, response.status_code)
        if want != OK:
            # Nothing of the block's team leaks in an error page.
            assert world.governor.get_full_name() not in response.content.decode(), path


@pytest.mark.parametrize("persona", PERSONAS)
def test_lists_hold_exactly_the_personas_areas(client, setup, persona):
    world, _job = setup
    as_persona(client, world, persona)
    expected = {
        "governor": {world.block.code},
        "neighbour": {world.neighbour_block.code},
        "other_dispatcher": {world.other_street.code, world.other_community.code, world.far_block.code},
        "leader": set(Area.objects.values_list("code", flat=True)),
        "street_admin": set(Area.objects.filter(code__startswith=world.street.code).values_list("code", flat=True)),
    }.get(persona)  # fmt: skip
    response = client.get("/api/areas/", {"page_size": 500})
    if expected is None:
        assert response.status_code in (401, 403)
        return
    assert {a["code"] for a in response.json()["results"]} == expected
    blocks = {b["code"] for b in client.get("/api/blocks/").json()["results"]}
    assert blocks == {c for c in expected if len(c) == 15}
    postings = client.get("/api/postings/").json()["results"]
    assert {p["area"] for p in postings} <= expected
    for p in postings:
        assert "****" in p["phone"] or not p["phone"]


@pytest.mark.parametrize("persona", ["governor", "neighbour", "other_dispatcher", "leader"])
def test_only_the_street_admin_changes_the_roster_through_the_api(client, setup, persona):
    world, _job = setup
    as_persona(client, world, persona)
    replace = {"area": world.block.code, "role": "governor", "user": world.assistant.username}
    response = client.post("/api/postings/replace/", replace, content_type="application/json")
    assert response.status_code == (403 if persona in ("governor", "leader") else 404)
    end = client.post(f"/api/postings/{world.governor_posting.pk}/end/")
    assert end.status_code == (403 if persona in ("governor", "leader") else 404)
    assert Posting.objects.get(pk=world.governor_posting.pk).ended_on is None


def test_the_street_admin_replaces_and_is_told_why_a_second_governor_is_refused(client, setup):
    world, _job = setup
    as_persona(client, world, "street_admin")
    second = {"area": world.block.code, "user": world.assistant.username, "role": "governor"}
    refused = client.post("/api/postings/", second, content_type="application/json")
    assert refused.status_code == 400 and "已有在任治理员" in refused.json()["message"]
    response = client.post("/api/postings/replace/", {**second}, content_type="application/json")
    assert response.status_code == 201 and response.json()["user"] == world.assistant.username
    history = client.get("/api/postings/", {"area": world.block.code, "role": "governor"}).json()
    assert [p["ended_on"] is None for p in history["results"]] == [False, True]
    outsider = client.post(
        "/api/postings/replace/",
        {"area": world.far_block.code, "role": "governor", "user": world.assistant.username},
        content_type="application/json",
    )
    assert outsider.status_code == 404


def test_the_block_card_masks_phones(client, setup):
    world, _job = setup
    as_persona(client, world, "leader")
    page = client.get(f"/areas/{world.block.code}/").content.decode()
    assert "139****1111" in page and "13900001111" not in page
    api = client.get(f"/api/blocks/{world.block.code}/").json()
    assert {m["phone"] for m in api["team"]} == {"139****1111"}


def test_prefix_scoping_at_every_level(world, street_admin):
    compound = area(world.block.code + "001", "幸福小区")
    building = area(compound.code + "001", "1栋")
    visible = lambda user: set(visible_areas(user).values_list("code", flat=True))  # noqa: E731
    assert visible(world.governor) == {world.block.code, compound.code, building.code}
    assert visible(world.neighbour) == {world.neighbour_block.code}
    assert visible(world.dispatcher) == set(
        Area.objects.filter(code__startswith=world.street.code).values_list("code", flat=True)
    )
    assert world.far_block.code not in visible(world.dispatcher)
    assert visible(world.leader) == set(Area.objects.values_list("code", flat=True))
    # One indexed prefix match, whatever the depth: no walking the tree.
    sql = str(visible_areas(world.dispatcher).query)
    assert "LIKE" in sql and "parent_id" not in sql.split("WHERE")[1]
    # A code prefix filter of the API narrows inside the scope, never beyond it.
    codes = {b.code for b in block_list_with_teams(user=world.leader, under=world.community.code)}
    assert codes == {world.block.code, world.neighbour_block.code}
    assert not list(block_list_with_teams(user=world.governor, under=world.neighbour_block.code))
    assert connection.vendor in ("postgresql", "sqlite")
