"""A case may name its compound or building (三基三元, seed 003, issue 20): named by staff,
or found from the point; only one of the case's own block."""

from __future__ import annotations

import pytest
from django.core.exceptions import ValidationError
from rest_framework.test import APIClient

from events import services
from tests.blocks.conftest import square
from tests.factories import area


@pytest.fixture
def compound(world):
    world.block.boundary = square(112.80, 27.80)
    world.block.save()
    return area(world.block.code + "001", "桃园小区", boundary=square(112.802, 27.802, 0.004))


@pytest.mark.django_db
def test_a_point_inside_a_mapped_compound_names_it(world, compound):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="垃圾满溢",
        lat=27.803, lon=112.803,
    )  # fmt: skip
    assert event.place == compound
    outside = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="路灯",
        lat=27.8005, lon=112.8005,
    )  # fmt: skip
    assert outside.place is None


@pytest.mark.django_db
def test_staff_name_it_and_another_blocks_compound_is_refused(world, compound):
    named = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="x",
        place=compound,
    )  # fmt: skip
    assert named.place == compound
    elsewhere = area(world.neighbour_block.code + "001", "别的小区")
    with pytest.raises(ValidationError):
        services.event_log(
            actor=world.governor, block=world.block, category=world.category, description="x",
            place=elsewhere,
        )  # fmt: skip


@pytest.mark.django_db
def test_the_api_takes_and_shows_it(world, compound, client):
    api = APIClient()
    api.force_authenticate(world.governor)
    made = api.post(
        "/api/events/",
        {"block": world.block.code, "category": world.category.code, "description": "楼道堆物",
         "place": compound.code},
        format="json",
    )  # fmt: skip
    assert made.status_code == 201, made.content
    assert made.json()["place"] == compound.code
    wrong = api.post(
        "/api/events/",
        {"block": world.block.code, "category": world.category.code, "description": "x",
         "place": world.neighbour_block.code + "009"},
        format="json",
    )  # fmt: skip
    assert wrong.status_code == 400 and "place" in wrong.json()["errors"]
    client.force_login(world.governor)
    page = client.get(f"/events/{made.json()['number']}/").content.decode()
    assert "桃园小区" in page
