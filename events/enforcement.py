"""The deadline scan (DESIGN §4): warnings at 80 %, breaches at 100 %, each exactly once.

Like healthchecks' ``sendalerts``: the due times are stored on the clock rows, a partial
index finds the open ones, and each warning or breach is *claimed* with a conditional
UPDATE (``… WHERE warned_at IS NULL``) in the same transaction that writes its
notifications to the outbox. Two beats, two overlapping scans or a worker killed mid-scan
can therefore neither lose nor repeat a notice: an unclaimed row is found by the next scan,
a claimed one never again. On PostgreSQL rows are also picked with SKIP LOCKED, so
concurrent scans share the work instead of queueing behind each other.
"""

from __future__ import annotations

import logging
from datetime import datetime

from django.db import connection, transaction
from django.db.models import QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks.models import DepartmentMember, Posting
from events.models import ClockKind, Deadline, DistrictSettings, HandlerLevel, Status
from events.recipients import community_watchers
from governance import polls
from governance.models import WebhookTarget
from governance.notifications import notify
from governance.tasks import relay_soon

logger = logging.getLogger(__name__)
BATCH = 500
BLOCK_CLOCKS = (ClockKind.RESPOND, ClockKind.RATE)


def _open() -> QuerySet[Deadline]:
    return Deadline.objects.filter(
        met_at__isnull=True, cancelled_at__isnull=True, paused_at__isnull=True
    )


def _people(area_code: str, roles) -> list[int]:
    return list(
        Posting.objects.filter(
            area__code=area_code, role__in=roles, ended_on__isnull=True
        ).values_list("user_id", flat=True)
    )


def _recipients(clock: Deadline, breached: bool) -> tuple[list[int], list[str]]:
    """Who hears of a clock: its owner and the block's supervisor; on a breach also the
    next level up (DESIGN §4). Returns users and group-robot URLs."""
    event = clock.event
    block_code, street_code, district_code = (
        event.area_code,
        event.area_code[:9],
        event.area_code[:6],
    )
    block_team = _people(block_code, [Posting.Role.GOVERNOR, Posting.Role.ASSISTANT])
    supervisors = _people(block_code, [Posting.Role.SUPERVISOR])
    desk = _people(street_code, [Posting.Role.DISPATCHER])
    # 街呼区应: once the street whistled the case up, the district's desk dispatches it and
    # hears of its dispatch and departments' clocks; the district's leaders are next up.
    with_district = event.whistled_to_district_at is not None
    dispatching_desk = _people(district_code, [Posting.Role.DISPATCHER]) if with_district else desk
    users: list[int] = list(supervisors)
    hooks = WebhookTarget.objects.filter(is_active=True)
    webhooks: list[str] = []
    if clock.assignment_id:
        members = DepartmentMember.objects.filter(
            department_id=clock.assignment.department_id, ended_on__isnull=True
        )
        users += list(members.values_list("user_id", flat=True))
        if breached:
            users += dispatching_desk
            webhooks += list(
                hooks.filter(department_id=clock.assignment.department_id).values_list(
                    "url", flat=True
                )
            )
    elif clock.kind == ClockKind.DISPATCH:
        users += dispatching_desk
        if breached:
            users += _people(district_code, [Posting.Role.LEADER])
            if not with_district:
                users += _people(street_code, [Posting.Role.LEADER])
    elif event.handler_level == HandlerLevel.BLOCK or clock.kind in BLOCK_CLOCKS:
        users += [event.handler_id] if event.handler_id else block_team
        if breached:
            users += desk
    else:
        # The street handles it (e.g. verifying a department's feedback): the desk owns
        # the clock, so the next level up is the street's leaders.
        users += desk
        if breached:
            users += _people(street_code, [Posting.Role.LEADER])
    if breached:
        webhooks += list(hooks.filter(area_code=street_code).values_list("url", flat=True))
        # Those who watch the community hear of its breaches: 社区专员, first secretaries,
        # the five officials of 五者同责 (issue 20; seeds 001, 004).
        users += community_watchers(event.area_code)
    return [u for u in users if u], webhooks


def _tell(clock: Deadline, breached: bool, now: datetime) -> None:
    event = clock.event
    part = f" · {clock.assignment.department}" if clock.assignment_id else ""
    values = {"number": event.number, "clock": clock.get_kind_display(), "part": part}
    title = (
        _("Overdue: case %(number)s, %(clock)s%(part)s") % values
        if breached
        else _("Due soon: case %(number)s, %(clock)s%(part)s") % values
    )
    users, webhooks = _recipients(clock, breached)
    notify(
        recipients=users,
        kind="deadline_breach" if breached else "deadline_warning",
        title=title,
        body=event.description[:200],
        link=reverse("events:detail", kwargs={"number": event.number}),
        dedupe_key=f"deadline:{clock.pk}:{'breach' if breached else 'warning'}",
        payload={"clock": clock.pk, "due_at": clock.due_at.isoformat()},
        webhooks=webhooks,
        now=now,
    )


def _auto_whistle(clock: Deadline, now: datetime) -> None:
    """A block that missed its 15 minutes whistles by itself, where the district says so."""
    from events.services import event_whistle

    event = clock.event
    if clock.kind != ClockKind.RESPOND or event.status != Status.PENDING:
        return
    if not DistrictSettings.objects.filter(
        district__code=event.area_code[:6], auto_whistle_on_breach=True
    ).exists():
        return
    event_whistle(
        actor=None, event_id=event.pk, reason="other", system=True, now=now,
        note=_("The block did not answer within its time limit; whistled automatically."),
    )  # fmt: skip


def _claim(*, breach: bool, now: datetime, batch: int) -> int:
    """Claim due warnings or breaches batch by batch; returns how many this scan claimed."""
    if breach:
        due = _open().filter(breached_at__isnull=True, due_at__lte=now).order_by("due_at")
        field = "breached_at"
    else:
        due = (
            _open()
            .filter(warned_at__isnull=True, breached_at__isnull=True, warn_at__lte=now)
            .order_by("warn_at")
        )
        field = "warned_at"
    claimed = 0
    while True:
        with transaction.atomic():
            picked = due.select_related("event", "event__block", "assignment__department")
            if connection.vendor == "postgresql":
                picked = picked.select_for_update(skip_locked=True, of=("self",))
            rows = list(picked[:batch])
            claimed_before = claimed
            changed_areas: set[str] = set()
            for clock in rows:
                won = Deadline.objects.filter(
                    pk=clock.pk, met_at__isnull=True, cancelled_at__isnull=True,
                    **{f"{field}__isnull": True},
                ).update(**{field: now})  # fmt: skip
                if not won:
                    continue  # another scan got there first
                claimed += 1
                changed_areas.add(clock.event.area_code)
                _tell(clock, breach, now)
                if breach:
                    _auto_whistle(clock, now)
            # A claimed clock turns its card yellow or red in the queues of its block: their
            # polls answer anew once this batch commits (issue 21).
            polls.bump(topic for code in changed_areas for topic in polls.area_topics(code))
            if claimed > claimed_before:
                # The relay sends these notices' e-mails and robot messages as soon as this
                # batch commits, not at beat's next tick (DESIGN §4: within 15 s of due).
                relay_soon()
        if len(rows) < batch:
            return claimed


def enforce_deadlines(*, now: datetime | None = None, batch: int = BATCH) -> dict[str, int]:
    """One scan. Breaches first, so a clock overdue at once is not also warned after."""
    now = now or timezone.now()
    result = {
        "breached": _claim(breach=True, now=now, batch=batch),
        "warned": _claim(breach=False, now=now, batch=batch),
    }
    if result["breached"] or result["warned"]:
        logger.info("deadline scan at %s: %s", now.isoformat(), result)
    return result
