"""五者同责 that acts (issue 20, seed 004): the five officials of a community who have an
account read its cases and hear of its overdue and 督办 notices. Registered with the lower
apps' hooks in ``LiaisonConfig.ready`` (blocks.access, events.recipients)."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone

from events import stats
from events.deadlines import SHANGHAI
from events.models import Event
from liaison.models import JointGroupMember


def officials_reads(user) -> list[tuple[str, str]]:
    """The communities whose five officials include ``user``: (code, name) pairs."""
    return list(
        JointGroupMember.objects.filter(user=user, group__community__closed_on__isnull=True)
        .values_list("group__area_code", "group__community__name")
        .order_by("group__area_code")
    )


def officials_of(community_code: str) -> list[int]:
    """The five officials of a community who have an account."""
    return list(
        JointGroupMember.objects.filter(
            group__area_code=community_code, user__isnull=False, user__is_active=True
        ).values_list("user_id", flat=True)
    )


def community_results(community_code: str, year: int, *, now: datetime | None = None) -> dict:
    """The community's results for a year beside the five's scores (issue 20, seed 004:
    their evaluation follows the community's results): cases logged in the year (China
    time), closed, the on-time rate and the satisfaction rate (plain formula), all from
    events.stats like every number."""
    now = now or timezone.now()
    start = datetime(year, 1, 1, tzinfo=SHANGHAI)
    end = datetime(year + 1, 1, 1, tzinfo=SHANGHAI)
    events = Event.objects.filter(
        area_code__startswith=community_code, created_at__gte=start, created_at__lt=end
    )
    counts = stats.event_counts(events, now=min(now, end))
    return {
        "cases": counts["new"],
        "closed": counts["closed"],
        "on_time": stats.on_time_rate(counts),
        "satisfaction": stats.satisfaction_rate(counts),
    }
