"""Two street administrators changing one block's roster at once (PostgreSQL, real threads):
the block never ends with two active governors, or with none."""

from __future__ import annotations

import pytest

from blocks import services
from blocks.models import Posting
from tests.events.test_concurrency import run_at_once
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_replacements_at_once_leave_exactly_one_governor(world, street_admin):
    first, second = UserFactory(username="first"), UserFactory(username="second")
    outcomes = run_at_once(
        lambda: services.governor_replace(actor=street_admin, block=world.block, user=first),
        lambda: services.governor_replace(actor=street_admin, block=world.block, user=second),
    )
    assert all(isinstance(o, Posting) for o in outcomes), outcomes
    governors = Posting.objects.filter(area=world.block, role=Posting.Role.GOVERNOR)
    active = governors.filter(ended_on__isnull=True)
    # One after the other: both took office, the later one holds it, the history has all three.
    assert active.count() == 1 and active.get().user in (first, second)
    assert governors.count() == 3


def test_the_same_replacement_twice_at_once_posts_the_person_once(world, street_admin):
    newcomer = UserFactory(username="newcomer")
    outcomes = run_at_once(
        lambda: services.governor_replace(actor=street_admin, block=world.block, user=newcomer),
        lambda: services.governor_replace(actor=street_admin, block=world.block, user=newcomer),
    )
    assert sorted(type(o).__name__ for o in outcomes) == ["Posting", "RosterError"]
    assert Posting.objects.filter(user=newcomer, ended_on__isnull=True).count() == 1
