"""Personal data encrypted at rest, and the append-only audit log."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core.management import call_command
from django.db import DatabaseError, connection, transaction
from django.utils import timezone

from governance import crypto
from governance.audit import audit
from governance.models import AuditEntry

pytestmark = pytest.mark.django_db


def test_phone_numbers_are_encrypted_in_the_database(world):
    from events import services

    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x",
        reporter_phone="13812345678",
    )  # fmt: skip
    with connection.cursor() as cursor:
        cursor.execute("SELECT reporter_phone FROM events_event WHERE id = %s", [event.pk])
        stored = cursor.fetchone()[0]
    assert "13812345678" not in stored and stored.startswith(crypto.TOKEN_PREFIX)
    event.refresh_from_db()
    assert event.reporter_phone == "13812345678"
    assert event.reporter_phone_index == crypto.blind_index("138 1234 5678")


def test_rotation_keeps_old_values_readable(settings):
    token = crypto.encrypt("13812345678")
    from cryptography.fernet import Fernet

    settings.FIELD_ENCRYPTION_KEYS = [
        Fernet.generate_key().decode(),
        *settings.FIELD_ENCRYPTION_KEYS,
    ]
    crypto._fernet.cache_clear()
    try:
        assert crypto.decrypt(token) == "13812345678"
        rotated = crypto.rotate(token)
        assert rotated != token and crypto.decrypt(rotated) == "13812345678"
    finally:
        crypto._fernet.cache_clear()


def test_the_audit_log_cannot_be_changed_through_the_application():
    entry = audit(
        action=AuditEntry.Action.REVEAL, object_type="event", object_id="YH-1", reason="x"
    )
    with pytest.raises(TypeError):
        entry.save()
    with pytest.raises(TypeError):
        AuditEntry.objects.filter(pk=entry.pk).update(reason="y")
    with pytest.raises(TypeError):
        AuditEntry.objects.all().delete()


@pytest.mark.postgres
def test_the_database_refuses_changes_and_only_pruning_deletes_old_entries():
    with time_machine.travel(timezone.now() - timedelta(days=200)):
        old = audit(action=AuditEntry.Action.LOGIN, username="wang")
    recent = audit(action=AuditEntry.Action.LOGIN, username="li")
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE governance_auditentry SET username = 'x' WHERE id = %s", [old.pk])
    with pytest.raises(DatabaseError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("DELETE FROM governance_auditentry WHERE id = %s", [old.pk])
    # Entries older than 180 days go; younger ones stay.
    call_command("prune_audit")
    assert list(AuditEntry.objects.values_list("pk", flat=True)) == [recent.pk]


def test_rotate_field_keys_re_encrypts_with_the_new_key(world, settings):
    from cryptography.fernet import Fernet

    from events import services

    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x",
        reporter_phone="13812345678",
    )  # fmt: skip
    old_keys = list(settings.FIELD_ENCRYPTION_KEYS)
    new_key = Fernet.generate_key().decode()
    settings.FIELD_ENCRYPTION_KEYS = [new_key, *old_keys]
    crypto._fernet.cache_clear()
    try:
        call_command("rotate_field_keys")
        settings.FIELD_ENCRYPTION_KEYS = [new_key]  # the old key is gone now
        crypto._fernet.cache_clear()
        event.refresh_from_db()
        assert event.reporter_phone == "13812345678"
        assert event.reporter_phone_index == crypto.blind_index("13812345678")
    finally:
        settings.FIELD_ENCRYPTION_KEYS = old_keys
        crypto._fernet.cache_clear()


def test_rotate_field_keys_finds_every_encrypted_column():
    from governance.management.commands.rotate_field_keys import encrypted_columns

    assert set(encrypted_columns()) >= {
        ("events_event", "reporter_phone", "reporter_phone_index"),
        ("liaison_householdleader", "phone", None),
        ("liaison_partymember", "phone", None),
        ("liaison_wish", "resident_phone", None),
    }
