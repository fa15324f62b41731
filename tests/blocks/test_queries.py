"""Listing the blocks with their 1+N+1 teams costs the same number of queries for a
community of 8 blocks as for the whole district of 326 (issue 3, DESIGN §9)."""

from __future__ import annotations

import random

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from blocks.models import Area, Posting
from blocks.selectors import block_list_with_teams
from demo.territory import seed_block_teams, seed_territory
from tests.factories import PASSWORD, UserFactory, post

pytestmark = pytest.mark.django_db


@pytest.fixture
def district(db):
    rng = random.Random(5)
    district = seed_territory(rng=rng)
    seed_block_teams(district=district, rng=rng)
    leader = UserFactory(username="district-leader")
    post(leader, district, Posting.Role.LEADER)
    return district, leader


def count_queries(fn) -> tuple[int, object]:
    with CaptureQueriesContext(connection) as captured:
        result = fn()
    return len(captured), result


def test_the_selector_lists_326_blocks_with_their_teams_in_constant_queries(district):
    district, leader = district
    community = Area.objects.filter(level=Area.Level.COMMUNITY).order_by("code").first()

    def listing(code):
        def run():
            rows = list(block_list_with_teams(user=leader, under=code))
            return [(b.parent.name, [(p.role, p.user.full_name) for p in b.team]) for b in rows]

        return run

    list(block_list_with_teams(user=leader, under=community.code))  # the leader's scope, once
    small_queries, small = count_queries(listing(community.code))
    large_queries, large = count_queries(listing(district.code))
    assert len(small) < 10 and len(large) == 326
    assert (
        sum(len(team) for _name, team in large)
        == Posting.objects.filter(area__level=Area.Level.BLOCK, ended_on__isnull=True).count()
    )
    assert large_queries == small_queries == 2  # the blocks, and their teams with the people


def test_the_blocks_page_and_api_cost_the_same_for_8_or_326_blocks(client, district):
    district, leader = district
    community = Area.objects.filter(level=Area.Level.COMMUNITY).order_by("code").first()
    assert client.login(username=leader.username, password=PASSWORD)
    client.get(f"/areas/{community.code}/blocks/")  # warm the session and caches

    small_queries, small = count_queries(lambda: client.get(f"/areas/{community.code}/blocks/"))
    street = community.parent
    street_queries, _ = count_queries(lambda: client.get(f"/areas/{street.code}/blocks/"))
    large_queries, large = count_queries(lambda: client.get(f"/areas/{district.code}/blocks/"))
    assert small.status_code == large.status_code == 200
    assert large.content.decode().count("/roster/") == 0  # a leader only reads
    assert large.content.decode().count('href="/areas/430302') >= 326
    # The district has no breadcrumb above it, hence one query fewer than the others.
    assert street_queries == small_queries and large_queries <= small_queries

    small_api, small = count_queries(lambda: client.get("/api/blocks/", {"code": community.code}))
    large_api, large = count_queries(lambda: client.get("/api/blocks/", {"code": district.code}))
    assert large.json()["count"] == 326 and all(b["team"] for b in large.json()["results"])
    assert large_api == small_api
