"""Assisted services (帮代办, GLOSSARY ``assisted_service``; issue 20).

雨湖's "街社一体" service centre does 16 high-frequency matters on residents' behalf within a
15-minute service circle (seed 000); 霞浦 residents book a service from their phone (预约服务,
seed 002). A request for one IS a case of the block: its matter is a category of kind
``assisted_service`` (the catalogue, group "assist", ``events.categories.ASSISTED_SERVICES``),
so it has the workflow, clocks, timeline, scoping, notices, ratings and API of any case:

* who asks: a resident on ``/r/`` (预约服务 / 帮我办), a household leader on their report link,
  or block staff at the workbench intake; all through ``services.event_log``;
* its clocks: the block's 15 minutes to answer (一呼即应) as any request, and the service's own
  limit to get it done (a ``DeadlinePolicy`` row of its category, which outranks the colour's);
  booked for a time (``Event.booked_at``), that limit counts from the booked time
  (``deadlines.clock_start_time``);
* it closes like any case (the block resolves it with a note of what it did on the
  resident's behalf; the supervisor or the desk verifies; the resident or the desk rates it);
* it is counted apart from complaints (``events.stats``: ``assisted_*``).
"""

from __future__ import annotations

from django.db.models import QuerySet
from django.utils.translation import gettext as _

from events.deadlines import Duration, limits_for
from events.models import Category, CategoryKind, ClockKind, Event


def assisted_services() -> QuerySet[Category]:
    """The catalogue: the active assisted services (matters, not their group), in order."""
    return (
        Category.objects.filter(
            kind=CategoryKind.ASSISTED_SERVICE, is_active=True, parent__isnull=False
        )
        .select_related("parent")
        .order_by("parent__sort_order", "sort_order", "code")
    )


def service_limit(service: Category, *, district_code: str) -> Duration | None:
    """The time the block has to get ``service`` done in a district (its resolve limit)."""
    probe = Event(area_code=district_code, category=service, priority=service.default_priority)
    return limits_for(probe).get(ClockKind.RESOLVE)


def describe_limit(duration: Duration | None) -> str:
    if duration is None:
        return ""
    if duration.working_days:
        return _("%(n)s working days") % {"n": duration.working_days}
    if duration.minutes % 60 == 0:
        return _("%(n)s hours") % {"n": duration.minutes // 60}
    return _("%(n)s minutes") % {"n": duration.minutes}
