"""A household leader's matter follows its case (issue 17): the case is made when the leader
reports, and whoever acts on it — from the household leaders' page or on the case page —
answers the leader through the case's timeline, the one record of what happened."""

from __future__ import annotations

from django.db.models.signals import post_save
from django.dispatch import receiver

SETTLING = {
    "accept": "accepted",
    "whistle": "accepted",
    "invalidate": "declined",
    "merge": "declined",
}


@receiver(post_save, sender="events.TimelineEntry", dispatch_uid="liaison_household_matter")
def settle_household_matter(sender, instance, created: bool, raw: bool = False, **kwargs) -> None:
    if not created or raw or instance.action not in SETTLING:
        return
    from liaison.models import HouseholdMatter
    from liaison.services import household_matter_settle

    matter = (
        HouseholdMatter.objects.select_for_update()
        .filter(event_id=instance.event_id, state=HouseholdMatter.State.REPORTED)
        .first()
    )
    if matter is not None:
        household_matter_settle(
            matter, state=SETTLING[instance.action], actor=instance.actor, now=instance.at,
            reason=instance.note,
        )  # fmt: skip
