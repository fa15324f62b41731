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
from blocks.access import scope_for
from blocks.models import Area, Posting
from governance import polls
from governance.audit import audit
from governance.models import AuditEntry

# Constraint name → the sentence a street administrator reads when it is violated.
CONSTRAINT_MESSAGES = {
    "posting_one_active_governor_per_block": gettext_lazy(
        "This block already has an active governor. A block has exactly one governor "
        "(the first 1 of 1+N+1): end the current posting or use “replace governor”."
    ),
    "posting_one_active_supervisor_per_block": gettext_lazy(
        "This block already has an active supervisor. End the current posting first, or use “replace supervisor”."
    ),
    "posting_no_duplicate_active": gettext_lazy("This person already holds this role here."),
}


class RosterError(ValidationError):
    """A roster change that the rules of the 1+N+1 team do not allow."""


def _constraint_message(error: IntegrityError, *, role: str = "") -> str:
    text = str(error)
    for name, message in CONSTRAINT_MESSAGES.items():
        if name in text:
            return str(message)
    # SQLite names the columns rather than the partial index: the role tells which rule.
    if "UNIQUE constraint failed: blocks_posting.area_id" in text:
        if role == Posting.Role.SUPERVISOR:
            return str(CONSTRAINT_MESSAGES["posting_one_active_supervisor_per_block"])
        return str(CONSTRAINT_MESSAGES["posting_one_active_governor_per_block"])
    if "UNIQUE constraint failed: blocks_posting.user_id" in text:
        return str(CONSTRAINT_MESSAGES["posting_no_duplicate_active"])
    raise error


def _check_role_level(
    *, role: str, area: Area, assistant_kind: str, legal_kind: str = "", pairing=None
) -> None:
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
    if (role == Posting.Role.LEGAL) != bool(legal_kind):
        raise RosterError(
            _("A legal team member is a %(kinds)s; other roles have no such kind.")
            % {"kinds": "/".join(str(label) for label in Posting.LegalKind.labels)}
        )
    if (role == Posting.Role.FIRST_SECRETARY) != (pairing is not None):
        raise RosterError(
            _("A %(role)s comes from the department paired with the community; other roles "
              "have no paired department.")
            % {"role": Posting.Role.FIRST_SECRETARY.label}
        )  # fmt: skip
    if pairing is not None and pairing.district.code != area.code[:6]:
        raise RosterError(_("The paired department must be one of this district's."))
    if area.closed_on is not None:
        raise RosterError(_("This area is closed; nobody can be posted to it."))


def _audit_roster(*, actor, posting: Posting, change: str, request=None, **detail) -> None:
    audit(
        action=AuditEntry.Action.ROSTER_CHANGE,
        actor=actor,
        request=request,
        object_type="posting",
        object_id=posting.pk,
        reason=change,
        detail={
            "change": change,
            "area": posting.area.code,
            "user": posting.user.username,
            "role": posting.role,
            "assistant_kind": posting.assistant_kind,
            "started_on": posting.started_on.isoformat(),
            "ended_on": posting.ended_on.isoformat() if posting.ended_on else None,
            **detail,
        },
    )


def _check_actor(actor, area: Area) -> None:
    if actor is not None and not scope_for(actor).can_edit_roster(area.code):
        raise PermissionDenied(_("You may not change the roster of this area."))


def posting_create(
    *,
    actor,
    user,
    area: Area,
    role: str,
    assistant_kind: str = "",
    legal_kind: str = "",
    pairing=None,
    started_on: date | None = None,
    note: str = "",
    request=None,
) -> Posting:
    """Post ``user`` to ``area`` in ``role``. ``actor=None`` is the system (imports, seeding)."""
    _check_actor(actor, area)
    _check_role_level(
        role=role, area=area, assistant_kind=assistant_kind, legal_kind=legal_kind,
        pairing=pairing,
    )  # fmt: skip
    try:
        with transaction.atomic():
            posting = Posting.objects.create(
                user=user,
                area=area,
                role=role,
                assistant_kind=assistant_kind,
                legal_kind=legal_kind,
                pairing=pairing,
                started_on=started_on or timezone.localdate(),
                note=note,
            )
            polls.bump([polls.roster_topic(user.pk)])  # their queue's poll takes the block in
            if actor is not None:
                _audit_roster(actor=actor, posting=posting, change="create", request=request)
            return posting
    except IntegrityError as error:
        raise RosterError(_constraint_message(error, role=role)) from error


def posting_end(*, actor, posting: Posting, ended_on: date | None = None, request=None) -> Posting:
    """End a posting (never deleted: the history of who held a block stays)."""
    _check_actor(actor, posting.area)
    ended_on = ended_on or timezone.localdate()
    with transaction.atomic():
        locked = (
            Posting.objects.select_for_update()
            .select_related("area", "user")
            .filter(pk=posting.pk, ended_on__isnull=True)
            .first()
        )
        if locked is None:
            raise RosterError(_("This posting has already ended."))
        locked.ended_on = max(ended_on, locked.started_on)
        locked.save(update_fields=["ended_on"])
        if actor is not None:
            _audit_roster(actor=actor, posting=locked, change="end", request=request)
    return locked


# The roles a block holds exactly one of: replacing is "end the current one, post the new".
SINGLE_HOLDER_ROLES = (Posting.Role.GOVERNOR, Posting.Role.SUPERVISOR)


def posting_replace(*, actor, block: Area, role: str, user, request=None) -> Posting:
    """End the block's active governor (or supervisor) posting, if any, and post ``user``.

    One transaction with the block row locked, so two street administrators replacing at
    once cannot leave a block with two governors or none: the second waits, then finds the
    new holder and replaces them in turn (or is told the person already holds the role).
    """
    if role not in SINGLE_HOLDER_ROLES:
        raise RosterError(_("Only a governor or a supervisor is replaced; add assistants."))
    _check_actor(actor, block)
    today = timezone.localdate()
    with transaction.atomic():
        Area.objects.select_for_update().filter(pk=block.pk).first()
        current = (
            Posting.objects.select_for_update()
            .select_related("area", "user")
            .filter(area=block, role=role, ended_on__isnull=True)
            .first()
        )
        if current is not None:
            if current.user_id == user.pk:
                raise RosterError(
                    _("%(name)s already holds this role in this block.")
                    % {"name": user.get_full_name() or user.username}
                )
            current.ended_on = max(today, current.started_on)
            current.save(update_fields=["ended_on"])
            if actor is not None:
                _audit_roster(
                    actor=actor,
                    posting=current,
                    change="end",
                    request=request,
                    replaced_by=user.username,
                )
        # An assistant promoted in their own block stops being an assistant there: the team
        # lists each person once (the 1+N+1 counts people, not postings).
        for promoted in (
            Posting.objects.select_for_update()
            .select_related("area", "user")
            .filter(area=block, user=user, role=Posting.Role.ASSISTANT, ended_on__isnull=True)
        ):
            promoted.ended_on = max(today, promoted.started_on)
            promoted.save(update_fields=["ended_on"])
            if actor is not None:
                _audit_roster(actor=actor, posting=promoted, change="end", request=request)
        posting = posting_create(actor=None, user=user, area=block, role=role)
        if actor is not None:
            _audit_roster(
                actor=actor,
                posting=posting,
                change="replace",
                request=request,
                replaced=current.user.username if current else None,
            )
    return posting


def governor_replace(*, actor, block: Area, user, request=None) -> Posting:
    """Put ``user`` in as the block's governor, ending the current one's posting."""
    return posting_replace(
        actor=actor, block=block, role=Posting.Role.GOVERNOR, user=user, request=request
    )


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
