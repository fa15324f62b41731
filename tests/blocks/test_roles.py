"""Roles in the block (issue 20): the grid's levels (seed 002), the legal team (三官一律,
seeds 002, 004), 社区专员 (seed 001) and first secretaries (seed 004) are postings of their
kinds; they read their areas' cases and act on none."""

from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse
from rest_framework.test import APIClient

from blocks import services as roster
from blocks.models import Department, Posting
from blocks.services import RosterError
from events import services
from events.models import Event
from tests.factories import PASSWORD, UserFactory, post

pytestmark = pytest.mark.django_db
Role = Posting.Role


def role_holders(world) -> SimpleNamespace:
    """One holder of each reading role in the world's community (白石社区, block 1), and a
    commissioner of the other street's community (和平社区): the outsider."""
    paired = Department.objects.create(district=world.district, code="fgw", name="发改局")
    specs = {
        "grid_head": (world.community, Role.GRID_HEAD, {}),
        "compound_head": (world.block, Role.COMPOUND_HEAD, {}),
        "building_worker": (world.block, Role.BUILDING_WORKER, {}),
        "police": (world.block, Role.LEGAL, {"legal_kind": Posting.LegalKind.POLICE}),
        "lawyer": (world.block, Role.LEGAL, {"legal_kind": Posting.LegalKind.LAWYER}),
        "commissioner": (world.community, Role.COMMUNITY_COMMISSIONER, {}),
        "first_secretary": (world.community, Role.FIRST_SECRETARY, {"pairing": paired}),
        "neighbour_police": (
            world.neighbour_block, Role.LEGAL, {"legal_kind": Posting.LegalKind.POLICE}
        ),
        "far_commissioner": (world.other_community, Role.COMMUNITY_COMMISSIONER, {}),
    }  # fmt: skip
    made = {"paired": paired}
    for name, (where, role, extra) in specs.items():
        made[name] = UserFactory(username=name)
        post(made[name], where, role, **extra)
    return SimpleNamespace(**made)


@pytest.fixture
def holders(world):
    return role_holders(world)


def api(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    client.force_authenticate(user)
    return client


def case(world) -> Event:
    return services.event_log(
        actor=None, block=world.block, category=world.category, description="楼道堆放杂物"
    )


# --- postings of their kinds -----------------------------------------------------------------
@pytest.mark.parametrize(
    ("role", "where", "extra", "message"),
    [
        (Role.GRID_HEAD, "block", {}, "社区"),  # 社区总网格 is posted at the community
        (Role.COMMUNITY_COMMISSIONER, "block", {}, "社区"),
        (Role.LEGAL, "community", {"legal_kind": "police"}, "区块"),  # the legal team: blocks
        # Which of the four it is; a first secretary comes from the paired department.
        (Role.LEGAL, "block", {}, Posting.LegalKind.LAWYER.label),
        (Role.GOVERNOR, "block", {"legal_kind": "judge"}, Posting.LegalKind.LAWYER.label),
        (Role.FIRST_SECRETARY, "community", {}, Posting.Role.FIRST_SECRETARY.label),
    ],
)
def test_a_posting_of_the_wrong_level_or_kind_is_refused_in_chinese(
    world, street_admin, role, where, extra, message
):
    person = UserFactory(username="someone")
    with pytest.raises(RosterError) as refused:
        roster.posting_create(
            actor=street_admin, user=person, area=getattr(world, where), role=role, **extra
        )
    assert str(message) in " ".join(refused.value.messages)
    assert not Posting.objects.filter(user=person).exists()


def test_the_street_administrator_posts_each_role_and_another_street_may_not(
    world, street_admin, other_street_admin
):
    paired = Department.objects.create(district=world.district, code="fgw", name="发改局")
    secretary = UserFactory(username="secretary")
    posting = roster.posting_create(
        actor=street_admin, user=secretary, area=world.community, role=Role.FIRST_SECRETARY,
        pairing=paired,
    )  # fmt: skip
    assert posting.pairing == paired
    judge = UserFactory(username="judge")
    roster.posting_create(
        actor=street_admin, user=judge, area=world.block, role=Role.LEGAL, legal_kind="judge"
    )
    with pytest.raises(PermissionDenied):
        roster.posting_create(
            actor=other_street_admin, user=UserFactory(username="x"), area=world.community,
            role=Role.COMMUNITY_COMMISSIONER,
        )  # fmt: skip


# --- they read their areas' cases --------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "sees"),
    [
        ("grid_head", True),
        ("compound_head", True),
        ("building_worker", True),
        ("police", True),
        ("commissioner", True),
        ("first_secretary", True),
        ("neighbour_police", False),  # the next block's legal team
        ("far_commissioner", False),  # another street's community
    ],
)
def test_each_role_reads_its_areas_cases_and_no_other(world, holders, client, who, sees):
    event = case(world)
    assert client.login(username=who, password=PASSWORD)
    page = client.get(reverse("events:detail", args=[event.number]))
    listing = client.get(reverse("events:list"))
    assert page.status_code == (200 if sees else 404)
    assert (event.number in listing.content.decode()) is sees


# --- and act on none ---------------------------------------------------------------------------
READERS = ["grid_head", "compound_head", "building_worker", "police", "commissioner",
           "first_secretary"]  # fmt: skip


@pytest.mark.parametrize("who", READERS)
def test_no_write_opens_to_them(world, holders, depts, who):
    event = case(world)
    client = api(getattr(holders, who))
    base = f"/api/events/{event.number}"
    detail = client.get(f"{base}/")
    assert detail.status_code == 200
    assert client.post(f"{base}/accept/", {}).status_code == 403
    assert client.post(f"{base}/comment/", {"note": "我来看看"}).status_code == 403
    assert client.post(f"{base}/whistle/", {"reason": "beyond_means"}).status_code == 403
    services.event_whistle(actor=world.governor, event_id=event.pk, reason="beyond_means")
    assert client.post(f"{base}/dispatch/", {"lead": "cgzf"}).status_code == 403
    assert client.post(f"{base}/call_legal/", {"note": "请民警到场"}).status_code == 403
    event.refresh_from_db()
    assert event.status == "escalated"
    assert not event.timeline.filter(action="comment").exists()


def test_a_governor_elsewhere_on_this_blocks_legal_team_only_reads_here(world):
    """Read-only where the only hold is a read-only role, even for someone who acts in
    another block."""
    post(world.neighbour, world.block, Role.LEGAL, legal_kind=Posting.LegalKind.LAWYER)
    event = case(world)
    with pytest.raises(PermissionDenied):
        services.event_comment(actor=world.neighbour, event_id=event.pk, note="我是律师")


# --- the roster pages post them; the card shows them grouped -----------------------------------
def test_the_roster_pages_post_each_role_at_its_level(world, street_admin, client):
    paired = Department.objects.create(district=world.district, code="fgw", name="发改局")
    police, secretary = UserFactory(username="police"), UserFactory(username="secretary")
    assert client.login(username="street_admin", password=PASSWORD)
    block_url = reverse("blocks:roster_edit", args=[world.block.code])
    form = client.get(block_url).content.decode()
    assert 'value="legal"' in form and 'value="first_secretary"' not in form
    client.post(block_url, {"user": police.pk, "role": "legal", "started_on": "2026-12-01"})
    assert not Posting.objects.filter(user=police).exists()  # which of the four is asked
    client.post(
        block_url,
        {"user": police.pk, "role": "legal", "legal_kind": "police", "started_on": "2026-12-01"},
    )
    assert Posting.objects.get(user=police).legal_kind == "police"
    community_url = reverse("blocks:roster_edit", args=[world.community.code])
    form = client.get(community_url).content.decode()
    assert 'value="first_secretary"' in form and 'value="governor"' not in form
    client.post(
        community_url,
        {"user": secretary.pk, "role": "first_secretary", "pairing": paired.pk,
         "started_on": "2026-12-01"},
    )  # fmt: skip
    assert Posting.objects.get(user=secretary).pairing == paired
    # A governor is not posted at a community, even by a forged form.
    client.post(community_url, {"user": police.pk, "role": "governor", "started_on": "2026-12-01"})
    assert not Posting.objects.filter(area=world.community, role="governor").exists()


def test_the_block_card_groups_the_team_grid_legal_team_and_community(world, holders, client):
    assert client.login(username="governor", password=PASSWORD)
    card = client.get(reverse("blocks:area_detail", args=[world.block.code])).content.decode()
    team = card.split('id="block-team"')[1].split("</section>")[0]
    grid = card.split('id="grid-levels"')[1].split("</section>")[0]
    legal = card.split('id="legal-team"')[1].split("</section>")[0]
    community = card.split('id="community-roles"')[1].split("</section>")[0]
    assert 'data-role="governor"' in team and 'data-role="legal"' not in team
    for role in ("grid_head", "compound_head", "building_worker"):
        assert f'data-role="{role}"' in grid
    assert 'data-kind="police"' in legal and 'data-kind="lawyer"' in legal
    assert 'data-kind="police"' in legal and holders.neighbour_police.full_name not in legal
    assert holders.commissioner.full_name in community and "发改局" in community
    assert "13800" not in card.replace("138****", "")  # phones masked
    assert 'id="legal-calls"' in card


def test_the_roster_api_posts_a_legal_team_member_and_a_first_secretary(world, street_admin):
    paired = Department.objects.create(district=world.district, code="fgw", name="发改局")
    judge, secretary = UserFactory(username="judge"), UserFactory(username="secretary")
    client = api(street_admin)
    refused = client.post(
        "/api/postings/", {"area": world.block.code, "user": "judge", "role": "legal"}
    )
    assert refused.status_code == 400 and not Posting.objects.filter(user=judge).exists()
    made = client.post(
        "/api/postings/",
        {"area": world.block.code, "user": "judge", "role": "legal", "legal_kind": "judge"},
    )
    assert made.status_code == 201 and made.json()["legal_kind"] == "judge"
    made = client.post(
        "/api/postings/",
        {"area": world.community.code, "user": "secretary", "role": "first_secretary",
         "pairing": paired.pk},
    )  # fmt: skip
    assert made.status_code == 201 and Posting.objects.get(user=secretary).pairing == paired
