"""Territory fixtures: a street administrator for the world's street, and its square
boundaries (two neighbouring blocks near 湘潭 in one community)."""

from __future__ import annotations

import pytest

from blocks.models import Posting
from tests.factories import UserFactory, post


def square(west: float, south: float, size: float = 0.01) -> dict:
    ring = [[west, south], [west + size, south], [west + size, south + size],
            [west, south + size], [west, south]]  # fmt: skip
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def street_admin(world):
    user = UserFactory(username="street_admin", full_name="街道管理员", phone="13700002222")
    post(user, world.street, Posting.Role.STREET_ADMIN)
    return user


@pytest.fixture
def other_street_admin(world):
    user = UserFactory(username="other_street_admin")
    post(user, world.other_street, Posting.Role.STREET_ADMIN)
    return user
