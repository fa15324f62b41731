"""Each role lands on its work (issue 18, DESIGN §1): where ``/`` leads after logging in, and
the menu shows each role its own entries first."""

from __future__ import annotations

import re

import pytest

from blocks.models import Department, DepartmentMember, Posting
from liaison import services as liaison_services
from liaison.models import DeployedCadre
from tests.factories import UserFactory, post

pytestmark = pytest.mark.django_db

Role = Posting.Role


@pytest.fixture
def people(world):
    """The world's personas, and those it lacks: an officer, a street administrator, an
    administrator, a deployed cadre and a registered party member."""
    department = Department.objects.create(district=world.district, code="cgzf", name="城管执法")
    officer = UserFactory(username="officer")
    DepartmentMember.objects.create(department=department, user=officer)
    street_admin = UserFactory(username="streetadmin")
    post(street_admin, world.street, Role.STREET_ADMIN)
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    post(admin, world.district, Role.ADMINISTRATOR)
    district_desk = UserFactory(username="districtdesk")
    post(district_desk, world.district, Role.DISPATCHER)
    cadre = UserFactory(username="cadre")
    DeployedCadre.objects.create(
        user=cadre, district=world.district, level=DeployedCadre.Level.DISTRICT, unit="区委组织部"
    )
    member = UserFactory(username="member")
    organisation = liaison_services.organisation_register(
        actor=world.governor, community=world.community, name="区税务局党支部"
    )
    liaison_services.member_register(
        actor=world.governor, community=world.community, name="王秀英", phone="13666660000",
        organisation=organisation, user=member,
    )  # fmt: skip
    nobody = UserFactory(username="nobody")
    return {
        "governor": (world.governor, "/events/workbench/"),
        "assistant": (world.assistant, "/events/workbench/"),
        "supervisor": (world.supervisor, "/events/workbench/"),
        "dispatcher": (world.dispatcher, "/events/console/"),
        "districtdesk": (district_desk, "/events/console/"),
        "officer": (officer, "/events/inbox/"),
        "leader": (world.leader, f"/dashboard/{world.district.code}/"),
        "admin": (admin, f"/dashboard/{world.district.code}/"),
        "streetadmin": (street_admin, f"/areas/{world.street.code}/blocks/"),
        "cadre": (cadre, "/links/visits/"),
        "member": (member, "/links/wishes/"),
        "nobody": (nobody, "/areas/"),
    }


@pytest.mark.parametrize(
    "who",
    [
        "governor", "assistant", "supervisor", "dispatcher", "districtdesk", "officer",
        "leader", "admin", "streetadmin", "cadre", "member", "nobody",
    ],
)  # fmt: skip
def test_home_leads_each_role_to_its_work(client, people, who):
    user, landing = people[who]
    client.force_login(user)
    response = client.get("/", follow=True)
    assert response.status_code == 200
    assert response.redirect_chain[-1][0] == landing


def test_an_officer_is_not_told_they_are_posted_nowhere(client, people):
    client.force_login(people["officer"][0])
    html = client.get("/", follow=True).content.decode()
    assert "您尚未被安排到任何区域" not in html
    # …nor offered the area pages, which would say so: a department has no area of its own.
    assert 'href="/areas/"' not in menu(html)


def menu(html: str) -> str:
    return re.search(r'<nav class="main-nav".*?</nav>', html, re.S)[0]


def first_entry(html: str) -> str:
    return re.search(r'<nav class="main-nav"[^>]*>\s*<a href="([^"]+)"', html, re.S)[1]


@pytest.mark.parametrize(
    ("who", "entry"),
    [
        ("governor", "/events/workbench/"),
        ("dispatcher", "/events/console/"),
        ("officer", "/events/inbox/"),
        ("leader", "/dashboard/"),
        ("streetadmin", "/areas/430302001/blocks/"),
        ("cadre", "/links/visits/"),
        ("member", "/links/wishes/"),
    ],
)
def test_the_menu_starts_with_the_roles_own_work(client, people, who, entry):
    client.force_login(people[who][0])
    assert first_entry(client.get("/notifications/").content.decode()) == entry
