"""Placing a point in its block on the demo district's real tiling (8 streets, 42
communities, 326 blocks), invalidating the index when a boundary changes, and the 插花地带
check."""

from __future__ import annotations

import random

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from shapely.geometry import shape

from blocks import geo
from blocks.models import Area
from demo.territory import EAST, NORTH, SOUTH, WEST, seed_territory
from tests.blocks.conftest import square
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db):
    geo.invalidate()
    return seed_territory(rng=random.Random(3))


def test_every_block_centre_and_random_points_land_in_the_right_block(district):
    blocks = list(Area.objects.filter(level=Area.Level.BLOCK, code__startswith=district.code))
    assert len(blocks) == 326
    for block in blocks:
        inside = shape(block.boundary).representative_point()
        assert geo.block_at(inside.y, inside.x) == block
    # The blocks tile the district's outline: a point of its bounding box is in a block
    # exactly when it is in the district, and then in the block that covers it.
    outline = shape(district.boundary)
    rng = random.Random(7)
    landed = 0
    for _ in range(300):
        lat, lon = rng.uniform(SOUTH, NORTH), rng.uniform(WEST, EAST)
        point = shape({"type": "Point", "coordinates": [lon, lat]})
        found = geo.block_at(lat, lon)
        if outline.contains(point):
            assert found is not None and shape(found.boundary).covers(point)
            landed += 1
        else:
            assert found is None
    assert landed > 150


def test_a_point_in_no_block_is_reported_as_such(district):
    assert geo.block_at(30.0, 120.0) is None  # 杭州, far outside the district
    assert geo.block_at(SOUTH - 0.001, WEST + 0.01) is None  # just south of the district
    assert geo.block_at("not", "a number") is None
    assert geo.block_at(95.0, 0.0) is None


def test_a_point_on_a_shared_edge_goes_to_the_lower_code(district):
    first = Area.objects.get(code=f"{district.code}001001001")
    second = next(
        b for b in Area.objects.filter(parent=first.parent).exclude(pk=first.pk).order_by("code")
        if shape(b.boundary).intersection(shape(first.boundary)).length > 0
    )  # fmt: skip
    # A vertex both boundaries share (a point on the common border, exactly representable).
    shared = {tuple(p) for p in first.boundary["coordinates"][0]} & {
        tuple(p) for p in second.boundary["coordinates"][0]
    }
    lon, lat = sorted(shared)[0]
    point = shape({"type": "Point", "coordinates": [lon, lat]})
    assert shape(first.boundary).covers(point) and shape(second.boundary).covers(point)
    assert geo.block_at(lat, lon) == first


def test_the_index_is_built_once_and_rebuilt_when_a_boundary_changes(
    world, django_assert_max_num_queries
):
    geo.invalidate()
    world.block.boundary = square(112.90, 27.85)
    world.block.save()
    assert geo.block_at(27.855, 112.905) == world.block
    index = geo._index
    with django_assert_max_num_queries(2):  # the version stamp, and the block itself
        assert geo.block_at(27.856, 112.906) == world.block
    assert geo._index is index
    # Another process moved the boundary: only the stamp tells this one.
    Area.objects.filter(pk=world.block.pk).update(boundary=square(113.0, 28.0))
    Area.objects.filter(pk=world.neighbour_block.pk).update(
        boundary=square(112.90, 27.85), updated_at=world.block.updated_at.replace(year=2099)
    )
    assert geo.block_at(27.855, 112.905) == world.neighbour_block
    # A closed block is no longer found.
    world.neighbour_block.closed_on = "2026-01-01"
    world.neighbour_block.save()
    assert geo.block_at(27.855, 112.905) is None


def test_the_demo_tiling_has_no_orphan_areas(district):
    assert geo.orphan_areas(under=district.code) == []
    call_command("check_orphan_areas", district.code)


def test_the_check_finds_overlaps_gaps_strays_and_undrawn_blocks(client, world, street_admin):
    world.community.boundary = square(112.90, 27.85, size=0.02)
    world.community.save()
    world.block.boundary = square(112.90, 27.85)  # the south-west quarter …
    world.block.save()
    world.neighbour_block.boundary = square(112.905, 27.85)  # … half over the first
    world.neighbour_block.save()
    findings = geo.orphan_areas(under=world.street.code)
    kinds = {f.kind for f in findings}
    assert kinds == {"overlap", "uncovered"}
    overlap = next(f for f in findings if f.kind == "overlap")
    assert overlap.area_codes == (world.block.code, world.neighbour_block.code)
    # 0.005° × 0.01° near 27.85°N is about 0.55 km × 1.1 km.
    assert 500_000 < overlap.m2 < 600_000
    uncovered = next(f for f in findings if f.kind == "uncovered")
    assert uncovered.area_codes == (world.community.code,)
    stray = Area.objects.create(
        code=f"{world.community.code}003", name="越界区块", level=Area.Level.BLOCK,
        parent=world.community, boundary=square(112.95, 27.85),
    )  # fmt: skip
    undrawn = Area.objects.create(
        code=f"{world.community.code}004", name="无边界区块", level=Area.Level.BLOCK,
        parent=world.community,
    )  # fmt: skip
    kinds = {(f.kind, f.area_codes[0]) for f in geo.orphan_areas(under=world.street.code)}
    assert ("outside", stray.code) in kinds and ("no_boundary", undrawn.code) in kinds
    with pytest.raises(CommandError):
        call_command("check_orphan_areas", world.street.code)
    assert client.login(username=street_admin.username, password=PASSWORD)
    page = client.get(f"/areas/{world.street.code}/orphans/").content.decode()
    for label in ("区块重叠", "社区有部分土地未划入任何区块", "区块超出所属社区范围", "未绘制边界"):
        assert label in page
    assert 'data-kind="overlap"' in page and world.neighbour_block.name in page


def test_the_api_locates_a_point_within_the_users_scope(client, world):
    world.block.boundary = square(112.90, 27.85)
    world.block.save()
    world.neighbour_block.boundary = square(112.91, 27.85)
    world.neighbour_block.save()
    assert client.login(username=world.governor.username, password=PASSWORD)
    found = client.get("/api/blocks/locate/", {"lat": 27.855, "lon": 112.905}).json()
    assert found["found"] is True and found["block"]["code"] == world.block.code
    # The neighbour's block is not the governor's to see; a point in no block is no block.
    assert client.get("/api/blocks/locate/", {"lat": 27.855, "lon": 112.915}).json() == {
        "found": False, "block": None,
    }  # fmt: skip
    assert client.get("/api/blocks/locate/", {"lat": 30, "lon": 120}).json()["found"] is False
    assert client.get("/api/blocks/locate/", {"lat": 91, "lon": 120}).status_code == 400
