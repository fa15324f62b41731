"""The roster: one active governor and supervisor per block, history kept, every change
through the services and on the audit log; the roster editor of street administrators."""

from __future__ import annotations

import pytest
from django.core.exceptions import PermissionDenied
from django.db import IntegrityError, transaction
from django.utils import translation

from blocks import services
from blocks.models import Posting
from governance.models import AuditEntry
from tests.factories import PASSWORD, UserFactory, post

pytestmark = pytest.mark.django_db
Role = Posting.Role


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def test_the_database_refuses_a_second_active_governor(world):
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(user=UserFactory(), area=world.block, role=Role.GOVERNOR)
    with pytest.raises(IntegrityError), transaction.atomic():
        Posting.objects.create(user=UserFactory(), area=world.block, role=Role.SUPERVISOR)
    # Any number of assistants, and an ended governor does not count.
    post(UserFactory(), world.block, Role.ASSISTANT)
    Posting.objects.filter(area=world.block, role=Role.GOVERNOR).update(ended_on="2030-01-01")
    Posting.objects.create(user=UserFactory(), area=world.block, role=Role.GOVERNOR)


def test_a_second_governor_is_refused_with_a_clear_chinese_message(world, street_admin):
    newcomer = UserFactory()
    with translation.override("zh-hans"), pytest.raises(services.RosterError) as refused:
        services.posting_create(
            actor=street_admin, user=newcomer, area=world.block, role=Role.GOVERNOR
        )
    message = " ".join(refused.value.messages)
    assert "已有在任治理员" in message and "更换" in message
    assert not Posting.objects.filter(user=newcomer).exists()
    with translation.override("zh-hans"), pytest.raises(services.RosterError) as refused:
        services.posting_create(
            actor=street_admin, user=newcomer, area=world.block, role=Role.SUPERVISOR
        )
    assert "已有在任监督员" in " ".join(refused.value.messages)


def test_replacing_keeps_the_history_and_writes_the_audit_log(world, street_admin):
    newcomer = UserFactory(full_name="李新")
    posting = services.governor_replace(actor=street_admin, block=world.block, user=newcomer)
    old = Posting.objects.get(user=world.governor, area=world.block)
    assert old.ended_on is not None and posting.is_active and posting.user == newcomer
    assert Posting.objects.filter(area=world.block, role=Role.GOVERNOR).count() == 2
    entries = AuditEntry.objects.filter(action=AuditEntry.Action.ROSTER_CHANGE, actor=street_admin)
    assert {e.reason for e in entries} == {"end", "replace"}
    replace = entries.get(reason="replace")
    assert replace.detail["replaced"] == "governor" and replace.detail["user"] == newcomer.username
    # The same person again: refused, nothing changes.
    with pytest.raises(services.RosterError):
        services.governor_replace(actor=street_admin, block=world.block, user=newcomer)
    assert Posting.objects.filter(area=world.block, role=Role.GOVERNOR).count() == 2


def test_only_street_admins_of_the_block_change_the_roster(world, street_admin, other_street_admin):
    for actor in (world.governor, world.dispatcher, world.leader, other_street_admin):
        with pytest.raises(PermissionDenied):
            services.governor_replace(actor=actor, block=world.block, user=UserFactory())
    ended = services.posting_end(
        actor=street_admin, posting=Posting.objects.get(user=world.assistant)
    )
    assert ended.ended_on is not None and Posting.objects.filter(pk=ended.pk).exists()
    with pytest.raises(services.RosterError):
        services.posting_end(actor=street_admin, posting=ended)


def test_a_role_goes_to_its_level_and_one_person_serves_several_blocks(world, street_admin):
    with pytest.raises(services.RosterError):
        services.posting_create(
            actor=street_admin, user=UserFactory(), area=world.community, role=Role.GOVERNOR
        )
    # 多格一员 (seed 001): the governor of one block assists in the next one.
    services.posting_create(
        actor=street_admin, user=world.governor, area=world.neighbour_block,
        role=Role.ASSISTANT, assistant_kind=Posting.AssistantKind.LIAISON_CADRE,
    )  # fmt: skip
    assert world.governor.postings.filter(ended_on__isnull=True).count() == 2


def test_the_roster_editor_replaces_a_governor_in_two_clicks(client, world, street_admin):
    login(client, street_admin)
    page = client.get(f"/areas/{world.block.code}/roster/").content.decode()
    # Click one opens "replace the governor", whose list starts with the block's own team.
    assert "更换区块治理员" in page
    assert page.index(world.assistant.get_full_name()) < page.index("更换监督员")
    # Click two appoints the assistant.
    response = client.post(
        f"/areas/{world.block.code}/roster/replace/",
        {"role": "governor", "user": world.assistant.pk},
    )
    assert response.status_code == 302
    governor = Posting.objects.get(area=world.block, role=Role.GOVERNOR, ended_on__isnull=True)
    assert governor.user == world.assistant
    # Promoted in their own block, the assistant is no longer also an assistant there.
    assert not Posting.objects.filter(
        area=world.block, user=world.assistant, role=Role.ASSISTANT, ended_on__isnull=True
    ).exists()
    page = client.get(response["Location"]).content.decode()
    assert world.governor.get_full_name() in page  # in the history, with an end date


def test_the_roster_editor_explains_the_violated_constraint(client, world, street_admin):
    login(client, street_admin)
    newcomer = UserFactory(full_name="王新")
    response = client.post(
        f"/areas/{world.block.code}/roster/",
        {"user": newcomer.pk, "role": "governor", "started_on": "2026-01-05"},
    )
    assert response.status_code == 200
    assert "已有在任治理员" in response.content.decode()
    assert not Posting.objects.filter(user=newcomer).exists()
    response = client.post(
        f"/areas/{world.block.code}/roster/",
        {"user": newcomer.pk, "role": "assistant", "assistant_kind": "resident_rep",
         "started_on": "2026-01-05"},
    )  # fmt: skip
    assert response.status_code == 302
    assert Posting.objects.get(user=newcomer).assistant_kind == "resident_rep"
    posting = Posting.objects.get(user=newcomer)
    client.post(f"/areas/{world.block.code}/roster/{posting.pk}/end/")
    posting.refresh_from_db()
    assert posting.ended_on is not None
    assert AuditEntry.objects.filter(object_type="posting", object_id=str(posting.pk)).count() == 2


def test_the_editor_does_not_offer_people_of_other_streets(client, world, street_admin):
    login(client, street_admin)
    page = client.get(f"/areas/{world.block.code}/roster/").content.decode()
    assert world.far_governor.username not in page
    response = client.post(
        f"/areas/{world.block.code}/roster/replace/",
        {"role": "governor", "user": world.far_governor.pk},
    )
    assert response.status_code == 302
    assert (
        Posting.objects.get(area=world.block, role=Role.GOVERNOR, ended_on__isnull=True).user
        == world.governor
    )
