from __future__ import annotations

from types import SimpleNamespace

import pytest
from django.utils import timezone

from blocks.models import DepartmentMember
from liaison import services
from liaison.models import CadreLink, DeployedCadre
from tests.factories import UserFactory


@pytest.fixture
def links(world, depts):
    return make_links(world, depts)


def make_links(world, depts) -> SimpleNamespace:
    """A district cadre linked to the world's block, and a user who will register as a
    party member in the world's community."""
    cadre_user = UserFactory(username="cadre", full_name="刘建国")
    cadre = DeployedCadre.objects.create(
        user=cadre_user, district=world.district, level=DeployedCadre.Level.DISTRICT,
        unit="区委组织部",
    )  # fmt: skip
    link = services.cadre_link(
        actor=world.dispatcher, cadre=cadre, area=world.block, role=CadreLink.Role.LIAISON
    )
    member_user = UserFactory(username="member", full_name="王秀英")
    # Department heads hear when a problem list opens; each department also has a second
    # member to be named responsible.
    for ns in (depts.cgzf, depts.scjg):
        DepartmentMember.objects.filter(user=ns.officer).update(role=DepartmentMember.Role.HEAD)
    return SimpleNamespace(
        cadre=cadre, cadre_user=cadre_user, link=link, member_user=member_user,
        today=timezone.localdate(),
    )  # fmt: skip
