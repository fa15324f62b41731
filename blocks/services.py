"""Writes to the territory and the roster. Every write checks who acts and where."""

from __future__ import annotations

from collections.abc import Collection
from datetime import date

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blocks import divisions
from blocks.models import Area, Posting
from governance.access import scope_for

# Constraint name → the sentence a street administrator reads when it is violated.
CONSTRAINT_MESSAGES = {
    "posting_one_active_governor_per_block": gettext_lazy(
        "This block already has an active governor. A block has exactly one governor "
        "(the first 1 of 1+N+1): end the current posting or use “replace governor”."
    ),
    "posting_one_active_supervisor_per_block": gettext_lazy(
        "This block already has an active supervisor. End the current posting first."
    ),
    "posting_no_duplicate_active": gettext_lazy("This person already holds this role here."),
}


class RosterError(ValidationError):
    """A roster change that the rules of the 1+N+1 team do not allow."""


def _constraint_message(error: IntegrityError) -> str:
    text = str(error)
    for name, message in CONSTRAINT_MESSAGES.items():
        if name in text:
            return str(message)
    # SQLite names the columns rather than the partial index; the governor rule is the
    # one a user can hit there through the forms.
    if "UNIQUE constraint failed: blocks_posting.area_id" in text:
        return str(CONSTRAINT_MESSAGES["posting_one_active_governor_per_block"])
    raise error


def _check_role_level(*, role: str, area: Area, assistant_kind: str) -> None:
    allowed = Posting.ROLE_LEVELS[Posting.Role(role)]
    if area.level not in allowed:
        raise RosterError(
            _("A %(role)s is posted to a %(levels)s, not to a %(level)s.")
            % {
                "role": Posting.Role(role).label,
                "levels": "/".join(str(Area.Level(level).label) for level in sorted(allowed)),
                "level": area.get_level_display(),
            }
        )
    if (role == Posting.Role.ASSISTANT) != bool(assistant_kind):
        raise RosterError(_("An assistant needs a kind; other roles have none."))
    if area.closed_on is not None:
        raise RosterError(_("This area is closed; nobody can be posted to it."))


def posting_create(
    *,
    actor,
    user,
    area: Area,
    role: str,
    assistant_kind: str = "",
    started_on: date | None = None,
    note: str = "",
) -> Posting:
    """Post ``user`` to ``area`` in ``role``. ``actor=None`` is the system (imports, seeding)."""
    if actor is not None and not scope_for(actor).can_edit_roster(area.code):
        raise PermissionDenied(_("You may not change the roster of this area."))
    _check_role_level(role=role, area=area, assistant_kind=assistant_kind)
    try:
        with transaction.atomic():
            return Posting.objects.create(
                user=user,
                area=area,
                role=role,
                assistant_kind=assistant_kind,
                started_on=started_on or timezone.localdate(),
                note=note,
            )
    except IntegrityError as error:
        raise RosterError(_constraint_message(error)) from error


def posting_end(*, actor, posting: Posting, ended_on: date | None = None) -> Posting:
    if actor is not None and not scope_for(actor).can_edit_roster(posting.area.code):
        raise PermissionDenied(_("You may not change the roster of this area."))
    ended_on = ended_on or timezone.localdate()
    updated = Posting.objects.filter(pk=posting.pk, ended_on__isnull=True).update(
        ended_on=max(ended_on, posting.started_on)
    )
    if not updated:
        raise RosterError(_("This posting has already ended."))
    posting.refresh_from_db()
    return posting


@transaction.atomic
def governor_replace(*, actor, block: Area, user) -> Posting:
    """End the block's active governor posting (if any) and post ``user`` in their place.

    Done in one transaction with the block's current governor row locked, so two street
    administrators replacing at once cannot leave a block with two governors or none.
    """
    if actor is not None and not scope_for(actor).can_edit_roster(block.code):
        raise PermissionDenied(_("You may not change the roster of this area."))
    today = timezone.localdate()
    current = (
        Posting.objects.select_for_update()
        .filter(area=block, role=Posting.Role.GOVERNOR, ended_on__isnull=True)
        .first()
    )
    if current is not None:
        if current.user_id == user.pk:
            raise RosterError(_("This person is already the governor of this block."))
        current.ended_on = max(today, current.started_on)
        current.save(update_fields=["ended_on"])
    return posting_create(actor=None, user=user, area=block, role=Posting.Role.GOVERNOR)


def import_divisions(
    *, district_code: str, street_codes: Collection[str] | None = None
) -> tuple[Area, int]:
    """Load a district and its streets (all, or those named) from the offline 民政部 data.

    Idempotent. Returns the district and the number of areas created. Names are refreshed
    when the official table renamed a unit; codes never change.
    """
    district_div = divisions.division(district_code)
    if district_div is None or len(district_code) != 6:
        raise ValidationError(
            _("%(code)s is not a district code in the official division data (as of %(as_of)s).")
            % {"code": district_code, "as_of": divisions.data_as_of()}
        )
    created = 0
    with transaction.atomic():
        district, was_created = Area.objects.update_or_create(
            code=district_code,
            defaults={"name": district_div.name, "level": Area.Level.DISTRICT, "parent": None},
        )
        created += was_created
        for street in divisions.child_divisions(district_code):
            if street_codes is not None and street.code not in street_codes:
                continue
            _obj, was_created = Area.objects.update_or_create(
                code=street.code,
                defaults={"name": street.name, "level": Area.Level.STREET, "parent": district},
            )
            created += was_created
    return district, created
