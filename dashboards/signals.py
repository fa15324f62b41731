"""A change of a case marks its block-day for the summary roll-up, in the same transaction.

Every change of a case is on its timeline (DESIGN §6), so one receiver on the timeline
catches transitions, department parts, scores, extensions and suspensions alike.
"""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver


@receiver(post_save, sender="events.TimelineEntry", dispatch_uid="dashboard_mark_changed")
def mark_changed_case(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw:
        return
    from dashboards.rollup import mark_changed

    event = instance.event
    mark_changed(area_code=event.area_code, created_at=event.created_at)
