"""What a user's roster decides is remembered between requests (issue 21: lean pages,
governance/identity.py), and forgotten the moment the roster changes.

Real requests against PostgreSQL and Redis (the version lives there). Each test ends a
posting, adds one, or changes a department's members, through the services and the ORM's
save, as the roster pages and imports do, and asserts what the user then sees."""

from __future__ import annotations

import re

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext

from blocks.models import Department, DepartmentMember, Posting
from blocks.services import posting_create, posting_end
from events import services
from liaison.models import JointGroup, JointGroupMember

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres, pytest.mark.redis]

ROSTER_TABLES = ("blocks_posting", "liaison_departmentmember", "liaison_jointgroupmember")


def _roster_reads(client: Client, url: str) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        assert client.get(url).status_code in (200, 404)
    return [q["sql"][:80] for q in captured if any(t in q["sql"] for t in ROSTER_TABLES)]


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def test_the_second_page_reads_no_roster_and_a_new_posting_shows_at_once(world):
    governor = signed_in(world.governor)
    assert _roster_reads(governor, "/events/workbench/")  # the first page reads the roster
    assert _roster_reads(governor, "/events/workbench/") == []  # the next one remembers it
    far_case = services.event_log(
        actor=None, block=world.far_block, category=world.category, description="井盖缺失"
    )
    assert governor.get(f"/events/{far_case.number}/").status_code == 404
    # The roster (an import: actor None) posts them to the far block as an assistant too.
    posting_create(actor=None, user=world.governor, area=world.far_block,
                   role=Posting.Role.ASSISTANT,
                   assistant_kind=Posting.AssistantKind.LIAISON_CADRE)  # fmt: skip
    page = governor.get(f"/events/{far_case.number}/")
    assert page.status_code == 200 and "井盖缺失" in page.content.decode()
    blocks = re.findall(r'<option value="\d+"[^>]*>([^<]+)</option>', governor.get(
        "/events/workbench/").content.decode())  # fmt: skip
    assert str(world.far_block) in blocks  # the intake form offers the new block


def test_an_ended_posting_takes_the_block_away_on_the_next_request(world):
    case = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮"
    )
    governor = signed_in(world.governor)
    url = f"/events/{case.number}/"
    assert governor.get(url).status_code == 200
    assert governor.get(url).status_code == 200  # remembered
    posting = Posting.objects.get(user=world.governor, area=world.block)
    posting_end(actor=None, posting=posting)
    assert governor.get(url).status_code == 404
    assert "路灯不亮" not in governor.get("/events/workbench/").content.decode()


def test_a_new_department_member_sees_the_inbox_and_the_menu_at_once(world):
    department = Department.objects.create(district=world.district, code="cgzf", name="城管执法")
    newcomer = world.assistant
    client = signed_in(newcomer)
    assert client.get("/events/inbox/").status_code in (403, 404)
    client.get("/events/workbench/")  # remembered without a department
    DepartmentMember.objects.create(department=department, user=newcomer)
    assert client.get("/events/inbox/").status_code == 200


def test_the_five_officials_card_follows_a_renamed_official(world):
    case = services.event_log(
        actor=None, block=world.block, category=world.category, description="占道经营"
    )
    group = JointGroup.objects.create(community=world.community, area_code=world.community.code)
    member = JointGroupMember.objects.create(
        group=group, position=JointGroupMember.Position.values[0], name="王包联"
    )
    dispatcher = signed_in(world.dispatcher)
    url = f"/events/{case.number}/"
    assert "王包联" in dispatcher.get(url).content.decode()
    assert "王包联" in signed_in(world.governor).get(url).content.decode()  # the same card
    member.name = "李包联"
    member.save()
    html = dispatcher.get(url).content.decode()
    assert "李包联" in html and "王包联" not in html
