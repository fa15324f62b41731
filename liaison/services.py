"""Writes of the links between levels (issue 8). Each one checks the actor against the
roster scope, locks what two people could change at once, writes, and leaves an activity
entry, all in one transaction (STYLE §3).

The one call upward: a cadre's finding or a household leader's matter becomes a case
through ``events.services.event_log``, so a case made from here follows exactly the rules,
clocks and timeline of any other case.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable, Sequence
from datetime import date, datetime, timedelta

from django.core.exceptions import PermissionDenied, ValidationError
from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.db.models import Max
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks.access import BLOCK_ACTING_ROLES, STREET_ACTING_ROLES, scope_for
from blocks.models import Area, Department, DepartmentMember, Posting
from governance.errors import DomainError, StateConflict
from governance.notifications import notifications_settle, notify
from liaison import selectors
from liaison.models import (
    ActivityEntry,
    CadreLink,
    DemandItem,
    DemandList,
    DeployedCadre,
    HouseholdLeader,
    HouseholdMatter,
    JointGroup,
    JointGroupEvaluation,
    JointGroupMember,
    JointMeeting,
    LedgerEntry,
    LedgerItem,
    LinkSettings,
    PartyMember,
    PartyOrganisation,
    Problem,
    ProblemList,
    QuarterState,
    ServiceItem,
    Visit,
    VisitFinding,
    Wish,
)


# --- helpers ------------------------------------------------------------------------------
def _log(*, actor, verb: str, obj, now: datetime, note: str = "", area_code: str = "") -> None:
    ActivityEntry.objects.create(
        at=now,
        actor=actor if getattr(actor, "pk", None) else None,
        verb=verb,
        object_type=obj._meta.model_name,
        object_id=obj.pk,
        area_code=area_code or getattr(obj, "area_code", ""),
        note=note[:2000],
    )


def _deny(message: str) -> None:
    raise PermissionDenied(message)


def _in_area(code: str, level: str, message: str) -> None:
    if len(code) != Area.CODE_LENGTH[level]:
        raise ValidationError(message)


def _block_team_ids(block_code: str) -> list[int]:
    return list(
        Posting.objects.filter(
            area__code=block_code,
            role__in=BLOCK_ACTING_ROLES,
            ended_on__isnull=True,
        ).values_list("user_id", flat=True)
    )


def _required(text: str, message: str) -> str:
    text = (text or "").strip()
    if not text:
        raise ValidationError(message)
    return text


def _case_from(
    *, actor, block: Area, category, description: str, priority: str | None, building: str,
    reporter_name: str = "", reporter_phone: str = "", channel: str | None = None,
    booked_at: datetime | None = None, now: datetime | None = None,
):  # fmt: skip
    """Log a case through the events service (its own rules decide whether the actor may)."""
    from events import services as event_services

    if category is None:
        raise ValidationError(_("Choose the category of the case."))
    return event_services.event_log(
        actor=actor, block=block, category=category, description=description,
        priority=priority or None, building=building, reporter_name=reporter_name,
        reporter_phone=reporter_phone, channel=channel, booked_at=booked_at, now=now,
    )  # fmt: skip


# --- deployed cadres and their visits (三级干部进区块, seed 000) ---------------------------
def cadre_link(
    *, actor, cadre: DeployedCadre, area: Area, role: str, started_on: date | None = None,
    now: datetime | None = None,
) -> CadreLink:  # fmt: skip
    """The street links a cadre to one of its blocks (or, a commissioner, to a community)."""
    now = now or timezone.now()
    if area.level not in (Area.Level.BLOCK, Area.Level.COMMUNITY) or not area.is_open:
        raise ValidationError(_("Choose an open block or community."))
    if not scope_for(actor).can_act_in_street(area.code):
        _deny(_("Only the street's staff link cadres to its blocks."))
    if role not in CadreLink.Role.values:
        raise ValidationError(_("Choose the cadre's role."))
    with transaction.atomic():
        DeployedCadre.objects.select_for_update().get(pk=cadre.pk)
        if CadreLink.objects.filter(cadre=cadre, area=area, ended_on__isnull=True).exists():
            raise StateConflict(_("This cadre is already linked here."))
        link = CadreLink.objects.create(
            cadre=cadre, area=area, area_code=area.code, role=role,
            started_on=started_on or timezone.localdate(now), created_by=actor,
        )  # fmt: skip
        _log(actor=actor, verb="link", obj=link, now=now, note=f"{cadre} → {area.name}")
    return link


def cadre_unlink(*, actor, link_id: int, now: datetime | None = None) -> CadreLink:
    now = now or timezone.now()
    with transaction.atomic():
        link = CadreLink.objects.select_for_update().get(pk=link_id)
        if not scope_for(actor).can_act_in_street(link.area_code):
            _deny(_("Only the street's staff link cadres to its blocks."))
        if link.ended_on is not None:
            raise StateConflict(_("This link has already ended."))
        link.ended_on = timezone.localdate(now)
        link.save(update_fields=["ended_on"])
        _log(actor=actor, verb="unlink", obj=link, now=now)
    return link


def visit_record(
    *, actor, cadre: DeployedCadre, block: Area, visited_on: date, kind: str = Visit.Kind.HOUSEHOLDS,
    households_visited: int = 0, participants: int = 0, summary: str = "",
    findings: Sequence[dict] = (), now: datetime | None = None,
) -> Visit:  # fmt: skip
    """A cadre records a visit to a block they are linked to; block staff may record it for
    them (a cadre who rang in). Findings wait for the block, which is told at once."""
    now = now or timezone.now()
    if block.level != Area.Level.BLOCK:
        raise ValidationError(_("Choose a block."))
    own = cadre.user_id == getattr(actor, "pk", None) and cadre.is_active
    if not own and not scope_for(actor).can_act_in_block(block.code):
        _deny(_("You may not record visits for this block."))
    # Whoever records it, the visit is of a cadre linked to the block (or its community).
    if not cadre.is_active or not selectors.cadre_blocks(cadre=cadre).filter(pk=block.pk).exists():
        _deny(
            _("You are not linked to this block.")
            if own
            else _("This cadre is not linked to this block.")
        )
    if visited_on > timezone.localdate(now):
        raise ValidationError(_("A visit cannot be in the future."))
    if kind not in Visit.Kind.values:
        raise ValidationError(_("Choose the kind of visit."))
    rows = [f for f in findings if (f.get("description") or "").strip()]
    with transaction.atomic():
        visit = Visit.objects.create(
            cadre=cadre, block=block, area_code=block.code, kind=kind, visited_on=visited_on,
            households_visited=households_visited, participants=participants,
            summary=summary.strip(), recorded_by=actor, recorded_at=now,
        )  # fmt: skip
        for row in rows:
            VisitFinding.objects.create(
                visit=visit, area_code=block.code, description=row["description"].strip(),
                category_code=row.get("category_code") or "", building=row.get("building") or "",
            )  # fmt: skip
        _log(actor=actor, verb="record", obj=visit, now=now, note=f"{len(rows)}")
        if rows:
            notify(
                recipients=_block_team_ids(block.code),
                kind="visit_findings",
                title=_("%(cadre)s found %(n)s matter(s) in %(block)s")
                % {"cadre": cadre.user.get_full_name(), "n": len(rows), "block": block.name},
                body="\n".join(r["description"][:80] for r in rows),
                link=reverse("liaison:visit_detail", args=[visit.pk]),
                dedupe_key=f"visit_findings:{visit.pk}",
                now=now,
            )
    return visit


def _lock_open_finding(actor, finding_id: int) -> VisitFinding:
    finding = (
        VisitFinding.objects.select_for_update(of=("self",))
        .select_related("visit__block", "visit__cadre__user")
        .get(pk=finding_id)
    )
    scope = scope_for(actor)
    own = finding.visit.cadre.user_id == getattr(actor, "pk", None)
    if not own and not scope.covers(finding.area_code):
        raise VisitFinding.DoesNotExist
    if finding.state != VisitFinding.State.OPEN:
        raise StateConflict(
            _("This matter is already “%(state)s”.") % {"state": finding.get_state_display()}
        )
    return finding


def finding_to_case(
    *, actor, finding_id: int, category, priority: str | None = None, now: datetime | None = None
):
    """One click: the finding becomes a case of its block, logged by whoever clicks (the
    block's staff, or a cadre who also serves on the block's team). Done twice at once, one
    click makes the case and the other is told it is already done."""
    now = now or timezone.now()
    with transaction.atomic():
        finding = _lock_open_finding(actor, finding_id)
        visit = finding.visit
        description = _("%(matter)s\n(Found on a visit by %(cadre)s on %(day)s)") % {
            "matter": finding.description,
            "cadre": visit.cadre.user.get_full_name(),
            "day": visit.visited_on.isoformat(),
        }
        from events.models import Channel

        # 巡查: found on rounds by staff, not raised by a resident on the phone.
        event = _case_from(
            actor=actor, block=visit.block, category=category, description=description,
            priority=priority, building=finding.building, channel=Channel.PATROL,
        )  # fmt: skip
        finding.state = VisitFinding.State.CASE
        finding.event = event
        finding.handled_by = actor
        finding.handled_at = now
        finding.save(update_fields=["state", "event", "handled_by", "handled_at"])
        _log(actor=actor, verb="to_case", obj=finding, now=now, note=event.number)
    return event


def finding_close(
    *, actor, finding_id: int, solved: bool, note: str, now: datetime | None = None
) -> VisitFinding:
    """Solved on the spot by the cadre (当场化解), or not a matter for a case: with a note."""
    now = now or timezone.now()
    note = _required(note, _("Say what was done or why it is not a case."))
    with transaction.atomic():
        finding = _lock_open_finding(actor, finding_id)
        own = finding.visit.cadre.user_id == getattr(actor, "pk", None)
        if not own and not scope_for(actor).can_act_in_block(finding.area_code):
            _deny(_("You may not answer this matter."))
        finding.state = VisitFinding.State.SOLVED if solved else VisitFinding.State.DISMISSED
        finding.handled_by, finding.handled_at, finding.handling_note = actor, now, note[:300]
        finding.save(update_fields=["state", "handled_by", "handled_at", "handling_note"])
        _log(actor=actor, verb=finding.state, obj=finding, now=now, note=note)
    return finding


# --- household leaders (联户长, seed 003) ----------------------------------------------------
def _new_token(leader: HouseholdLeader, now: datetime) -> str:
    token = secrets.token_urlsafe(24)
    leader.token_hash = selectors.token_hash(token)
    leader.token_issued_at = now
    return token


def household_leader_create(
    *, actor, block: Area, name: str, phone: str = "", households: int, covers: str = "",
    now: datetime | None = None,
) -> tuple[HouseholdLeader, str]:  # fmt: skip
    """The block's staff register a household leader; the leader's personal report link is
    returned once (only its hash is kept)."""
    now = now or timezone.now()
    if block.level != Area.Level.BLOCK or not block.is_open:
        raise ValidationError(_("Choose an open block."))
    if not scope_for(actor).can_act_in_block(block.code):
        _deny(_("You may not manage household leaders of this block."))
    # The district's range (seed 003: 10–30 by default), within the model's 5–50.
    lo, hi = LinkSettings.household_range(block.code[:6])
    if not lo <= households <= hi:
        raise ValidationError(
            _("A household leader links %(lo)s to %(hi)s households.") % {"lo": lo, "hi": hi}
        )
    leader = HouseholdLeader(
        block=block, area_code=block.code, name=_required(name, _("Give the name.")),
        phone=phone.strip(), households=households, covers=covers.strip(), created_by=actor,
        created_at=now,
    )  # fmt: skip
    token = _new_token(leader, now)
    with transaction.atomic():
        leader.save()
        _log(actor=actor, verb="create", obj=leader, now=now)
    return leader, token


def household_leader_new_link(*, actor, leader_id: int, now: datetime | None = None) -> str:
    """A new report link; the old one stops working (a lost phone, a leader replaced)."""
    now = now or timezone.now()
    with transaction.atomic():
        leader = HouseholdLeader.objects.select_for_update().get(pk=leader_id)
        if not scope_for(actor).can_act_in_block(leader.area_code):
            raise HouseholdLeader.DoesNotExist
        if not leader.is_active:
            raise StateConflict(_("This household leader has stepped down."))
        token = _new_token(leader, now)
        leader.save(update_fields=["token_hash", "token_issued_at"])
        _log(actor=actor, verb="new_link", obj=leader, now=now)
    return token


def household_leader_end(*, actor, leader_id: int, now: datetime | None = None) -> HouseholdLeader:
    now = now or timezone.now()
    with transaction.atomic():
        leader = HouseholdLeader.objects.select_for_update().get(pk=leader_id)
        if not scope_for(actor).can_act_in_block(leader.area_code):
            raise HouseholdLeader.DoesNotExist
        leader.is_active = False
        leader.token_hash = ""
        leader.save(update_fields=["is_active", "token_hash"])
        _log(actor=actor, verb="end", obj=leader, now=now)
    return leader


# A household leader names no matter: the case starts under "other matters" and the block
# sets the right one when it accepts it.
UNSORTED_MATTER = "other-misc"


def household_matter_report(
    *, leader: HouseholdLeader, description: str, building: str = "", actor=None,
    service=None, booked_at: datetime | None = None, now: datetime | None = None,
) -> HouseholdMatter:  # fmt: skip
    """A household leader reports a matter: through their own link (``actor=None``: the
    view found the leader by the link's token), or by phone to block staff who take it
    down (``actor``: attributed to them).

    The leader speaks for their households, so the matter is a resident's request and
    becomes a case at once, logged at the report's time in the household leader's channel:
    its 15-minute respond clock (一呼即应, seed 002) runs from the report and warns and
    breaches like any other, and the block's team is told to answer within 15 minutes. The
    block accepts it (setting its matter) or declines it (the case is marked invalid).

    ``service``: the leader asks for an assisted service (帮代办, issue 20), optionally
    ``booked_at`` a time: the case is logged under the service at once."""
    from events.models import Category, Channel

    now = now or timezone.now()
    if not leader.is_active:
        raise PermissionDenied(_("This household leader has stepped down."))
    if actor is not None and not scope_for(actor).can_act_in_block(leader.area_code):
        _deny(_("You may not take down matters for this block."))
    description = _required(description, _("Describe the matter."))
    with transaction.atomic():
        event = _case_from(
            actor=None, block=leader.block,
            category=service or Category.objects.get(code=UNSORTED_MATTER), booked_at=booked_at,
            description=_("%(matter)s\n(Reported by household leader %(name)s)")
            % {"matter": description[:1900], "name": leader.name},
            priority=None, building=building.strip()[:60], reporter_name=leader.name,
            reporter_phone=leader.phone, channel=Channel.HOUSEHOLD_LEADER, now=now,
        )  # fmt: skip
        matter = HouseholdMatter.objects.create(
            leader=leader, area_code=leader.area_code, description=description[:2000],
            building=building.strip()[:60],
            channel=HouseholdMatter.Channel.STAFF if actor else HouseholdMatter.Channel.LINK,
            recorded_by=actor, reported_at=now, event=event,
        )  # fmt: skip
        _log(actor=actor, verb="report", obj=matter, now=now, note=event.number)
    return matter


def _lock_reported_matter(actor, matter_id: int) -> HouseholdMatter:
    matter = (
        HouseholdMatter.objects.select_for_update(of=("self",))
        .select_related("leader__block", "event")
        .get(pk=matter_id)
    )
    if not scope_for(actor).can_act_in_block(matter.area_code):
        if scope_for(actor).covers(matter.area_code):
            _deny(_("Only the block's staff accept household leaders' matters."))
        raise HouseholdMatter.DoesNotExist
    if matter.state != HouseholdMatter.State.REPORTED:
        raise StateConflict(
            _("This matter is already “%(state)s”.") % {"state": matter.get_state_display()}
        )
    return matter


def household_matter_accept(
    *, actor, matter_id: int, category, priority: str | None = None, now: datetime | None = None
):
    """The block accepts the matter's case, setting its matter (and colour): it answers
    the leader, in time or late, and handles it like any case. Accepting it on the case
    page does the same (``liaison.signals`` keeps the matter in step)."""
    from events import services as event_services
    from events.models import Channel

    now = now or timezone.now()
    if category is None:
        raise ValidationError(_("Choose the category of the case."))
    with transaction.atomic():
        matter = _lock_reported_matter(actor, matter_id)
        event = matter.event or _case_from(  # a matter reported before cases were made at once
            actor=None, block=matter.leader.block, category=category, description=matter.description,
            priority=priority, building=matter.building, reporter_name=matter.leader.name,
            reporter_phone=matter.leader.phone, channel=Channel.HOUSEHOLD_LEADER,
            now=matter.reported_at,
        )  # fmt: skip
        if not matter.event_id:
            matter.event = event
            matter.save(update_fields=["event"])
        if event.category_id != category.pk or priority:
            event_services.event_recategorize(
                actor=actor, event_id=event.pk, category=category, priority=priority, now=now
            )
        event = event_services.event_accept(actor=actor, event_id=event.pk, now=now)
        # "New case: answer within 15 minutes" went to the team as it was logged: answered.
        notifications_settle(link=reverse("events:detail", args=[event.number]), now=now)
    return event


def household_matter_decline(
    *, actor, matter_id: int, reason: str, now: datetime | None = None
) -> HouseholdMatter:
    """Not a matter for the block: its case is marked invalid with the reason (never
    counted), which the leader sees."""
    from events import services as event_services

    now = now or timezone.now()
    reason = _required(reason, _("Give the reason."))
    with transaction.atomic():
        matter = _lock_reported_matter(actor, matter_id)
        if matter.event_id:
            event_services.event_invalidate(
                actor=actor, event_id=matter.event_id, reason=reason, now=now
            )
            notifications_settle(link=reverse("events:detail", args=[matter.event.number]), now=now)
            matter.refresh_from_db()
        else:
            household_matter_settle(matter, state=HouseholdMatter.State.DECLINED, actor=actor,
                                    now=now, reason=reason)  # fmt: skip
    return matter


def household_matter_settle(matter, *, state: str, actor, now: datetime, reason: str = "") -> None:
    """The matter follows its case: accepted (or whistled up) → accepted; invalid or merged
    → declined with the reason. Called by ``liaison.signals`` from the case's timeline."""
    matter.state = state
    matter.decided_by, matter.decided_at = actor, now
    matter.decline_reason = reason[:300] if state == HouseholdMatter.State.DECLINED else ""
    matter.save(update_fields=["state", "decided_by", "decided_at", "decline_reason"])
    verb = "accept" if state == HouseholdMatter.State.ACCEPTED else "decline"
    _log(actor=actor, verb=verb, obj=matter, now=now, note=reason or matter.event.number)


# --- dual registration (双报到) and wishes (微心愿) ------------------------------------------
def _community_check(actor, community: Area) -> None:
    if community.level != Area.Level.COMMUNITY or not community.is_open:
        raise ValidationError(_("Choose an open community."))
    if not selectors.serves_community(scope_for(actor), community.code):
        _deny(_("You do not work for this community."))


def organisation_register(
    *, actor, community: Area, name: str, contact_name: str = "",
    registered_on: date | None = None, now: datetime | None = None,
) -> PartyOrganisation:  # fmt: skip
    now = now or timezone.now()
    _community_check(actor, community)
    try:
        with transaction.atomic():
            org = PartyOrganisation.objects.create(
                community=community, area_code=community.code,
                name=_required(name, _("Give the name.")), contact_name=contact_name.strip(),
                registered_on=registered_on or timezone.localdate(now), registered_by=actor,
            )  # fmt: skip
            _log(actor=actor, verb="register", obj=org, now=now)
    except IntegrityError:
        raise StateConflict(_("This organisation is already registered here.")) from None
    return org


def member_register(
    *, actor, community: Area, name: str, phone: str = "",
    organisation: PartyOrganisation | None = None, user=None,
    registered_on: date | None = None, now: datetime | None = None,
) -> PartyMember:  # fmt: skip
    now = now or timezone.now()
    _community_check(actor, community)
    if organisation is not None and organisation.community_id != community.pk:
        # The member's own unit registers where it sits; the member where they live. Both
        # are 双报到, but a member is linked to a unit registered with the same community.
        raise ValidationError(_("That organisation is registered with another community."))
    try:
        with transaction.atomic():
            member = PartyMember.objects.create(
                community=community, area_code=community.code,
                name=_required(name, _("Give the name.")), phone=phone.strip(),
                organisation=organisation, user=user,
                registered_on=registered_on or timezone.localdate(now), registered_by=actor,
            )  # fmt: skip
            _log(actor=actor, verb="register", obj=member, now=now)
    except IntegrityError:
        raise StateConflict(_("This person is already registered here.")) from None
    return member


def wish_post(
    *, actor, community: Area, title: str, resident_name: str, description: str = "",
    resident_phone: str = "", now: datetime | None = None,
) -> Wish:  # fmt: skip
    """群众点单: block or community staff post a resident's small wish."""
    now = now or timezone.now()
    _community_check(actor, community)
    with transaction.atomic():
        wish = Wish.objects.create(
            community=community, area_code=community.code,
            title=_required(title, _("Say what the wish is."))[:100],
            description=description.strip(),
            resident_name=_required(resident_name, _("Give the resident's name.")),
            resident_phone=resident_phone.strip(), posted_by=actor, posted_at=now,
        )  # fmt: skip
        _log(actor=actor, verb="post", obj=wish, now=now)
    return wish


def _lock_wish(actor, wish_id: int) -> Wish:
    wish = Wish.objects.select_for_update(of=("self",)).select_related("member").get(pk=wish_id)
    scope = scope_for(actor)
    mine = wish.member is not None and wish.member.user_id == getattr(actor, "pk", None)
    if not mine and not selectors.sees_community(scope, wish.area_code):
        raise Wish.DoesNotExist
    return wish


def _wish_state(wish: Wish, *states: str) -> None:
    if wish.state not in states:
        raise StateConflict(
            _("This wish is now “%(state)s”.") % {"state": wish.get_state_display()}
        )


def wish_assign(*, actor, wish_id: int, member_id: int, now: datetime | None = None) -> Wish:
    """社区派单: the community gives the wish to one of its registered members."""
    now = now or timezone.now()
    with transaction.atomic():
        wish = _lock_wish(actor, wish_id)
        if not selectors.serves_community(scope_for(actor), wish.area_code):
            _deny(_("Only the community assigns wishes."))
        _wish_state(wish, Wish.State.POSTED, Wish.State.ASSIGNED)
        member = PartyMember.objects.filter(
            pk=member_id, community_id=wish.community_id, is_active=True
        ).first()
        if member is None:
            raise ValidationError(_("Choose a member registered with this community."))
        wish.member, wish.state, wish.assigned_at = member, Wish.State.ASSIGNED, now
        wish.save(update_fields=["member", "state", "assigned_at"])
        _log(actor=actor, verb="assign", obj=wish, now=now, note=member.name)
        if member.user_id:
            notify(
                recipients=[member.user_id], kind="wish_assigned",
                title=_("A wish for you: %(title)s") % {"title": wish.title},
                link=reverse("liaison:wish_detail", args=[wish.pk]),
                dedupe_key=f"wish_assigned:{wish.pk}:{member.pk}:{now.timestamp()}", now=now,
            )  # fmt: skip
    return wish


def _member_or_community(actor, wish: Wish) -> None:
    mine = wish.member is not None and wish.member.user_id == getattr(actor, "pk", None)
    if not mine and not selectors.serves_community(scope_for(actor), wish.area_code):
        _deny(_("Only the member it was given to, or the community for them, may do this."))


def wish_take(*, actor, wish_id: int, now: datetime | None = None) -> Wish:
    """党员接单: the member takes it (or the community records that they did)."""
    now = now or timezone.now()
    with transaction.atomic():
        wish = _lock_wish(actor, wish_id)
        _member_or_community(actor, wish)
        _wish_state(wish, Wish.State.ASSIGNED)
        wish.state, wish.taken_at = Wish.State.TAKEN, now
        wish.save(update_fields=["state", "taken_at"])
        _log(actor=actor, verb="take", obj=wish, now=now)
    return wish


def wish_done(*, actor, wish_id: int, note: str, now: datetime | None = None) -> Wish:
    now = now or timezone.now()
    note = _required(note, _("Say how the wish was fulfilled."))
    with transaction.atomic():
        wish = _lock_wish(actor, wish_id)
        _member_or_community(actor, wish)
        _wish_state(wish, Wish.State.TAKEN)
        wish.state, wish.done_at, wish.done_note = Wish.State.DONE, now, note[:500]
        wish.save(update_fields=["state", "done_at", "done_note"])
        _log(actor=actor, verb="done", obj=wish, now=now, note=note)
    return wish


def wish_cancel(*, actor, wish_id: int, reason: str, now: datetime | None = None) -> Wish:
    now = now or timezone.now()
    reason = _required(reason, _("Give the reason."))
    with transaction.atomic():
        wish = _lock_wish(actor, wish_id)
        if not selectors.serves_community(scope_for(actor), wish.area_code):
            _deny(_("Only the community cancels wishes."))
        _wish_state(wish, Wish.State.POSTED, Wish.State.ASSIGNED)
        wish.state = Wish.State.CANCELLED
        wish.save(update_fields=["state"])
        _log(actor=actor, verb="cancel", obj=wish, now=now, note=reason)
    return wish


# --- joint responsibility (五者同责) and two-way evaluation (seed 004) ----------------------
def joint_group_set(
    *, actor, community: Area, members: dict[str, dict], note: str = "",
    now: datetime | None = None,
) -> JointGroup:  # fmt: skip
    """The street names the five officials of a community (replacing whoever held a post)."""
    now = now or timezone.now()
    if community.level != Area.Level.COMMUNITY:
        raise ValidationError(_("Choose a community."))
    if not scope_for(actor).can_act_in_street(community.code):
        _deny(_("Only the street names the five responsible officials."))
    missing = [p for p in JointGroupMember.Position.values if not members.get(p, {}).get("name")]
    if missing:
        raise ValidationError(_("Name all five officials."))
    with transaction.atomic():
        group, _created = JointGroup.objects.select_for_update().get_or_create(
            community=community, defaults={"area_code": community.code, "note": note}
        )
        if note:
            group.note = note
            group.save(update_fields=["note"])
        for position in JointGroupMember.Position.values:
            row = members[position]
            JointGroupMember.objects.update_or_create(
                group=group, position=position,
                defaults={
                    "name": row["name"].strip(), "title": (row.get("title") or "").strip(),
                    "user": row.get("user"), "department": row.get("department"),
                },
            )  # fmt: skip
        _log(actor=actor, verb="set", obj=group, now=now)
    return group


def joint_group_evaluate(
    *, actor, member_id: int, year: int, direction: str, score: int, comment: str = "",
    now: datetime | None = None,
) -> JointGroupEvaluation:  # fmt: skip
    """Upward: the community's staff rate an official. Downward: the official (or the
    street for them) rates the community's work. Once per official, year and direction."""
    now = now or timezone.now()
    if not 0 <= score <= 100:
        raise ValidationError(_("A score is from 0 to 100."))
    if direction not in JointGroupEvaluation.Direction.values:
        raise ValidationError(_("Choose the direction."))
    with transaction.atomic():
        member = (
            JointGroupMember.objects.select_for_update(of=("self",))
            .select_related("group")
            .get(pk=member_id)
        )
        scope = scope_for(actor)
        code = member.group.area_code
        if direction == JointGroupEvaluation.Direction.UPWARD:
            allowed = selectors.rates_officials(scope, code)
        else:
            allowed = member.user_id == getattr(actor, "pk", None) or scope.can_act_in_street(code)
        if not allowed:
            _deny(_("You may not give this evaluation."))
        if JointGroupEvaluation.objects.filter(
            member=member, year=year, direction=direction
        ).exists():
            raise StateConflict(_("This evaluation has already been given."))
        evaluation = JointGroupEvaluation.objects.create(
            member=member, year=year, direction=direction, score=score, comment=comment.strip(),
            evaluated_by=actor, evaluated_at=now,
        )  # fmt: skip
        _log(actor=actor, verb=f"evaluate_{direction}", obj=member.group, now=now,
             note=f"{member.get_position_display()} {year}: {score}")  # fmt: skip
    return evaluation


# --- the quarterly loop (需求清单 → 问题清单 → 服务清单, seed 002) -----------------------------
def demand_list_open(
    *, actor, community: Area, year: int, quarter: int, now: datetime | None = None
) -> DemandList:
    now = now or timezone.now()
    _community_check(actor, community)
    if quarter not in (1, 2, 3, 4):
        raise ValidationError(_("Choose a quarter."))
    demand_list, created = DemandList.objects.get_or_create(
        community=community, year=year, quarter=quarter, defaults={"area_code": community.code}
    )
    if created:
        _log(actor=actor, verb="open", obj=demand_list, now=now)
    return demand_list


def _lock_demand_list(actor, list_id: int) -> DemandList:
    demand_list = DemandList.objects.select_for_update().get(pk=list_id)
    scope = scope_for(actor)
    if not selectors.sees_community(scope, demand_list.area_code):
        raise DemandList.DoesNotExist
    if not selectors.serves_community(scope, demand_list.area_code):
        _deny(_("You do not work for this community."))
    if demand_list.state != QuarterState.DRAFT:
        raise StateConflict(_("This list has been submitted."))
    return demand_list


def demand_item_add(
    *, actor, demand_list_id: int, text: str = "", event=None, finding: VisitFinding | None = None,
    source: str | None = None, now: datetime | None = None,
) -> DemandItem:  # fmt: skip
    """Add a need: picked from a case or a visit finding of the community, or typed in."""
    now = now or timezone.now()
    with transaction.atomic():
        demand_list = _lock_demand_list(actor, demand_list_id)
        if event is not None:
            if not event.area_code.startswith(demand_list.area_code):
                raise ValidationError(_("That case is not in this community."))
            source, text = DemandItem.Source.CASE, text or event.description
            if demand_list.items.filter(event=event).exists():
                raise StateConflict(_("This case is already on the list."))
        elif finding is not None:
            if not finding.area_code.startswith(demand_list.area_code):
                raise ValidationError(_("That finding is not in this community."))
            source, text = DemandItem.Source.VISIT, text or finding.description
        item = DemandItem.objects.create(
            demand_list=demand_list, text=_required(text, _("Describe the need."))[:1000],
            source=source or DemandItem.Source.OTHER, event=event, finding=finding,
            created_by=actor, created_at=now,
        )  # fmt: skip
        _log(actor=actor, verb="add_item", obj=demand_list, now=now, note=item.text[:200])
    return item


def demand_item_remove(*, actor, item_id: int, now: datetime | None = None) -> None:
    now = now or timezone.now()
    with transaction.atomic():
        item = DemandItem.objects.get(pk=item_id)
        demand_list = _lock_demand_list(actor, item.demand_list_id)
        _log(actor=actor, verb="remove_item", obj=demand_list, now=now, note=item.text[:200])
        item.delete()


def demand_list_submit(*, actor, demand_list_id: int, now: datetime | None = None) -> DemandList:
    now = now or timezone.now()
    with transaction.atomic():
        demand_list = _lock_demand_list(actor, demand_list_id)
        if not demand_list.items.exists():
            raise ValidationError(_("Add at least one need before submitting."))
        demand_list.state, demand_list.submitted_at = QuarterState.SUBMITTED, now
        demand_list.save(update_fields=["state", "submitted_at"])
        _log(actor=actor, verb="submit", obj=demand_list, now=now)
    return demand_list


def _street_check(actor, code: str) -> None:
    if not scope_for(actor).can_act_in_street(code):
        _deny(_("Only the street's staff do this."))


def problem_list_open(
    *, actor, street: Area, year: int, quarter: int, now: datetime | None = None
) -> ProblemList:
    now = now or timezone.now()
    if street.level != Area.Level.STREET:
        raise ValidationError(_("Choose a street."))
    _street_check(actor, street.code)
    if quarter not in (1, 2, 3, 4):
        raise ValidationError(_("Choose a quarter."))
    problem_list, created = ProblemList.objects.get_or_create(
        street=street, year=year, quarter=quarter, defaults={"area_code": street.code}
    )
    if created:
        _log(actor=actor, verb="open", obj=problem_list, now=now)
    return problem_list


def _lock_problem_list(actor, list_id: int, *states: str) -> ProblemList:
    problem_list = ProblemList.objects.select_for_update().get(pk=list_id)
    if not scope_for(actor).covers(problem_list.area_code):
        raise ProblemList.DoesNotExist
    _street_check(actor, problem_list.area_code)
    if problem_list.state not in states:
        raise StateConflict(
            _("This list is now “%(state)s”.") % {"state": problem_list.get_state_display()}
        )
    return problem_list


def problem_add(
    *, actor, problem_list_id: int, title: str, description: str = "",
    demand_item_ids: Iterable[int] = (), now: datetime | None = None,
) -> Problem:  # fmt: skip
    """The street groups its communities' needs into one problem (归纳共性需求)."""
    now = now or timezone.now()
    with transaction.atomic():
        problem_list = _lock_problem_list(
            actor, problem_list_id, ProblemList.State.DRAFT, ProblemList.State.PUBLISHED
        )
        ids = set(demand_item_ids)
        items = list(
            selectors.submitted_demand_items(problem_list=problem_list)
            .select_for_update(of=("self",))
            .filter(pk__in=ids)
        )
        if len(items) != len(ids):
            raise StateConflict(_("Some of those needs are grouped already or not submitted."))
        number = (problem_list.problems.aggregate(n=Max("number"))["n"] or 0) + 1
        problem = Problem.objects.create(
            problem_list=problem_list, number=number,
            title=_required(title, _("Name the problem."))[:120], description=description.strip(),
        )  # fmt: skip
        DemandItem.objects.filter(pk__in=[i.pk for i in items]).update(problem=problem)
        _log(actor=actor, verb="add_problem", obj=problem_list, now=now, note=problem.title)
    return problem


def problem_list_publish(
    *, actor, problem_list_id: int, now: datetime | None = None
) -> ProblemList:
    """Open the list to the district's departments for claiming; they are told."""
    now = now or timezone.now()
    with transaction.atomic():
        problem_list = _lock_problem_list(actor, problem_list_id, ProblemList.State.DRAFT)
        if not problem_list.problems.exists():
            raise ValidationError(_("Add at least one problem before publishing."))
        problem_list.state, problem_list.published_at = ProblemList.State.PUBLISHED, now
        problem_list.save(update_fields=["state", "published_at"])
        _log(actor=actor, verb="publish", obj=problem_list, now=now)
        recipients = DepartmentMember.objects.filter(
            department__district__code=problem_list.area_code[:6],
            department__is_active=True, ended_on__isnull=True,
            role__in=[DepartmentMember.Role.HEAD, DepartmentMember.Role.LIAISON_OFFICER],
        ).values_list("user_id", flat=True)  # fmt: skip
        notify(
            recipients=set(recipients), kind="problem_list",
            title=_("%(list)s: problems open for claiming") % {"list": problem_list},
            link=reverse("liaison:problem_list", args=[problem_list.pk]),
            dedupe_key=f"problem_list:{problem_list.pk}", now=now,
        )  # fmt: skip
    return problem_list


def problem_list_close(*, actor, problem_list_id: int, now: datetime | None = None) -> ProblemList:
    now = now or timezone.now()
    with transaction.atomic():
        problem_list = _lock_problem_list(actor, problem_list_id, ProblemList.State.PUBLISHED)
        problem_list.state = ProblemList.State.CLOSED
        problem_list.save(update_fields=["state"])
        _log(actor=actor, verb="close", obj=problem_list, now=now)
    return problem_list


def service_claim(
    *, actor, problem_id: int, department: Department, responsible, due_on: date,
    now: datetime | None = None,
) -> ServiceItem:  # fmt: skip
    """A department claims a problem: it becomes its service item, with a responsible
    person and a deadline. At most three a quarter per street list (seed 002: 1 to 3);
    two departments claiming the same problem at once: one wins."""
    now = now or timezone.now()
    if not scope_for(actor).can_act_for_department(department.pk):
        _deny(_("You do not work for this department."))
    if due_on < timezone.localdate(now):
        raise ValidationError(_("The deadline cannot be in the past."))
    if not DepartmentMember.objects.filter(
        department=department, user=responsible, ended_on__isnull=True
    ).exists():
        raise ValidationError(_("The responsible person must work for the department."))
    with transaction.atomic():
        problem = Problem.objects.select_related("problem_list").get(pk=problem_id)
        # The list row serialises claims on it: the count of three cannot be raced.
        problem_list = ProblemList.objects.select_for_update().get(pk=problem.problem_list_id)
        if problem_list.area_code[:6] != department.district.code:
            raise Problem.DoesNotExist
        if problem_list.state != ProblemList.State.PUBLISHED:
            raise StateConflict(_("This list is not open for claiming."))
        if ServiceItem.objects.filter(problem=problem).exists():
            raise StateConflict(_("Another department has claimed this problem."))
        claimed = ServiceItem.objects.filter(
            problem__problem_list=problem_list, department=department
        ).count()
        if claimed >= ServiceItem.MAX_CLAIMS_PER_QUARTER:
            raise DomainError(
                _("A department claims at most %(n)s problems a quarter.")
                % {"n": ServiceItem.MAX_CLAIMS_PER_QUARTER},
                code="claim_limit",
            )
        item = ServiceItem.objects.create(
            problem=problem, area_code=problem_list.area_code, department=department,
            responsible=responsible, due_on=due_on, claimed_by=actor, claimed_at=now,
        )  # fmt: skip
        _log(actor=actor, verb="claim", obj=item, now=now, note=str(department))
    return item


def _lock_service_item(actor, item_id: int) -> ServiceItem:
    item = ServiceItem.objects.select_for_update().get(pk=item_id)
    if not scope_for(actor).can_act_for_department(item.department_id):
        if scope_for(actor).covers(item.area_code):
            _deny(_("Only the department that claimed it reports on it."))
        raise ServiceItem.DoesNotExist
    if item.state == ServiceItem.State.DONE:
        raise StateConflict(_("This item is already done."))
    return item


def service_progress(*, actor, item_id: int, note: str, now: datetime | None = None) -> ServiceItem:
    now = now or timezone.now()
    note = _required(note, _("Say what has been done."))
    with transaction.atomic():
        item = _lock_service_item(actor, item_id)
        item.state, item.progress_note = ServiceItem.State.IN_PROGRESS, note[:500]
        item.save(update_fields=["state", "progress_note"])
        _log(actor=actor, verb="progress", obj=item, now=now, note=note)
    return item


def service_done(*, actor, item_id: int, result: str, now: datetime | None = None) -> ServiceItem:
    now = now or timezone.now()
    result = _required(result, _("Say what was done."))
    with transaction.atomic():
        item = _lock_service_item(actor, item_id)
        item.state, item.result, item.done_at = ServiceItem.State.DONE, result, now
        item.save(update_fields=["state", "result", "done_at"])
        _log(actor=actor, verb="done", obj=item, now=now, note=result)
    return item


def meeting_record(
    *, actor, street: Area, held_on: date, title: str, record: str, attendees: str = "",
    service_item_ids: Iterable[int] = (), ledger_item_ids: Iterable[int] = (),
    now: datetime | None = None,
) -> JointMeeting:  # fmt: skip
    """The quarterly joint meeting's record, linked to the items it decided."""
    now = now or timezone.now()
    if street.level != Area.Level.STREET:
        raise ValidationError(_("Choose a street."))
    _street_check(actor, street.code)
    if held_on > timezone.localdate(now):
        raise ValidationError(_("Record a meeting after it is held."))
    service_ids, ledger_ids = set(service_item_ids), set(ledger_item_ids)
    items = list(ServiceItem.objects.filter(pk__in=service_ids, area_code=street.code))
    ledger = list(LedgerItem.objects.filter(pk__in=ledger_ids, area_code=street.code))
    if len(items) != len(service_ids) or len(ledger) != len(ledger_ids):
        raise ValidationError(_("A meeting decides only its own street's items."))
    year, quarter = held_on.year, (held_on.month - 1) // 3 + 1
    with transaction.atomic():
        meeting = JointMeeting.objects.create(
            street=street, area_code=street.code, year=year, quarter=quarter, held_on=held_on,
            title=_required(title, _("Give the title.")), record=_required(record, _("Write the record.")),
            attendees=attendees.strip(), recorded_by=actor, recorded_at=now,
        )  # fmt: skip
        meeting.decided_items.set(items)
        meeting.decided_ledger_items.set(ledger)
        _log(actor=actor, verb="record", obj=meeting, now=now)
    return meeting


# --- the livelihood ledger (民生实事账本: 入账、记账、销账, seed 002) -------------------------
def ledger_enter(
    *, actor, street: Area, year: int, title: str, description: str = "",
    department: Department | None = None, target_on: date | None = None,
    now: datetime | None = None,
) -> LedgerItem:  # fmt: skip
    now = now or timezone.now()
    if street.level != Area.Level.STREET:
        raise ValidationError(_("Choose a street."))
    _street_check(actor, street.code)
    if department is not None and department.district.code != street.code[:6]:
        raise ValidationError(_("Choose a department of this district."))
    with transaction.atomic():
        # Numbers run per street and year, without gaps: the street row orders the entries.
        Area.objects.select_for_update().get(pk=street.pk)
        number = (
            LedgerItem.objects.filter(street=street, year=year).aggregate(n=Max("number"))["n"] or 0
        ) + 1
        item = LedgerItem.objects.create(
            street=street, area_code=street.code, year=year, number=number,
            title=_required(title, _("Name the matter."))[:120], description=description.strip(),
            department=department, target_on=target_on, entered_by=actor, entered_at=now,
            updated_at=now,
        )  # fmt: skip
        _log(actor=actor, verb="enter", obj=item, now=now)
    return item


def _lock_ledger_item(actor, item_id: int, *, street_only: bool) -> LedgerItem:
    item = LedgerItem.objects.select_for_update().get(pk=item_id)
    scope = scope_for(actor)
    street = scope.can_act_in_street(item.area_code)
    department = item.department_id is not None and scope.can_act_for_department(item.department_id)
    if not street and not (department and not street_only):
        if scope.covers(item.area_code) or department:
            _deny(_("Only the street closes a ledger item."))
        raise LedgerItem.DoesNotExist
    if item.state == LedgerItem.State.CLOSED:
        raise StateConflict(_("This item is closed."))
    return item


def ledger_track(
    *, actor, item_id: int, progress: int, note: str, public_note: str = "",
    now: datetime | None = None,
) -> LedgerEntry:  # fmt: skip
    """动态记账: the street or the lead department records progress."""
    now = now or timezone.now()
    note = _required(note, _("Say what has been done."))
    if not 0 <= progress < 100:
        raise ValidationError(_("Progress is from 0 to 99 %; closing the item makes it 100 %."))
    with transaction.atomic():
        item = _lock_ledger_item(actor, item_id, street_only=False)
        entry = LedgerEntry.objects.create(
            item=item, at=now, progress=progress, note=note, public_note=public_note.strip(),
            by=actor,
        )  # fmt: skip
        item.progress, item.state, item.updated_at = progress, LedgerItem.State.IN_PROGRESS, now
        item.save(update_fields=["progress", "state", "updated_at"])
        _log(actor=actor, verb="track", obj=item, now=now, note=f"{progress}%")
    return entry


EVIDENCE_EXTENSIONS = (".jpg", ".jpeg", ".png", ".webp", ".pdf")
EVIDENCE_MAX_BYTES = 10 * 1024 * 1024


def _check_evidence(upload: UploadedFile) -> None:
    # Served back from the media folder: only photos and PDFs, never HTML or scripts.
    if not upload.name.lower().endswith(EVIDENCE_EXTENSIONS) or upload.size > EVIDENCE_MAX_BYTES:
        raise ValidationError(_("Evidence is a photo or a PDF of at most 10 MB."))


def ledger_close(
    *, actor, item_id: int, evidence: str, evidence_file: UploadedFile | None = None,
    public_note: str = "", now: datetime | None = None,
) -> LedgerItem:  # fmt: skip
    """解决销账: the street closes the item with its evidence."""
    now = now or timezone.now()
    evidence = _required(evidence, _("Give the evidence that it is done."))
    if evidence_file is not None:
        _check_evidence(evidence_file)
    with transaction.atomic():
        item = _lock_ledger_item(actor, item_id, street_only=True)
        item.state, item.progress, item.closed_at, item.updated_at = (
            LedgerItem.State.CLOSED, 100, now, now,
        )  # fmt: skip
        item.evidence = evidence
        fields = ["state", "progress", "closed_at", "updated_at", "evidence"]
        if evidence_file is not None:
            item.evidence_file = evidence_file
            fields.append("evidence_file")
        item.save(update_fields=fields)
        LedgerEntry.objects.create(
            item=item, at=now, progress=100, note=evidence, public_note=public_note.strip(),
            by=actor,
        )  # fmt: skip
        _log(actor=actor, verb="close", obj=item, now=now)
    return item


# --- reminders (run daily: ``manage.py remind_links`` or the Celery task) ---------------------
REMIND_DAYS_BEFORE = 3


def links_remind(*, now: datetime | None = None) -> dict[str, int]:
    """Tell each department of its service items due within three days or overdue, and each
    street of its ledger items past their target. One notice per item and day (the outbox
    dedupes), so running it twice, or twice at once, sends nothing twice."""
    now = now or timezone.now()
    today = timezone.localdate(now)
    sent = {"service_items": 0, "ledger_items": 0}
    items = (
        ServiceItem.objects.filter(due_on__lte=today + timedelta(days=REMIND_DAYS_BEFORE))
        .exclude(state=ServiceItem.State.DONE)
        .select_related("problem", "department")
    )
    for item in items:
        overdue = item.due_on < today
        title = (
            _("Overdue since %(day)s: %(problem)s") if overdue else _("Due on %(day)s: %(problem)s")
        ) % {"day": item.due_on.isoformat(), "problem": item.problem.title}
        with transaction.atomic():
            notify(
                recipients={item.responsible_id, item.claimed_by_id}, kind="service_item_due",
                title=title, link=reverse("liaison:service_items"),
                dedupe_key=f"service_item_due:{item.pk}:{today.isoformat()}", now=now,
            )  # fmt: skip
        sent["service_items"] += 1
    late = LedgerItem.objects.filter(target_on__lt=today).exclude(state=LedgerItem.State.CLOSED)
    for item in late:
        desk = Posting.objects.filter(
            area__code=item.area_code, ended_on__isnull=True,
            role__in=STREET_ACTING_ROLES,
        ).values_list("user_id", flat=True)  # fmt: skip
        with transaction.atomic():
            notify(
                recipients=set(desk), kind="ledger_item_late",
                title=_("Ledger item past its target date: %(title)s") % {"title": item.title},
                link=reverse("liaison:ledger_item", args=[item.pk]),
                dedupe_key=f"ledger_item_late:{item.pk}:{today.isoformat()}", now=now,
            )  # fmt: skip
        sent["ledger_items"] += 1
    return sent
