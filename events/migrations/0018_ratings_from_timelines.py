"""Every rating becomes a record (issue 17): the ratings on the timelines (the RATE entries,
the legal record) are copied into ``Rating``, and each case's first and current rating are
set from them. A negative rating used to be erased from the case when it went to rework; it
now stays as the case's current rating until a later one replaces it (DESIGN §5)."""

from django.db import migrations

CHUNK = 2000


def forward(apps, schema_editor):
    Event = apps.get_model("events", "Event")
    Rating = apps.get_model("events", "Rating")
    TimelineEntry = apps.get_model("events", "TimelineEntry")
    entries = (
        TimelineEntry.objects.filter(action="rate")
        .order_by("event_id", "at", "id")
        .values_list("event_id", "actor_id", "at", "note", "data")
    )
    by_event: dict[int, list] = {}
    for event_id, actor_id, at, note, data in entries.iterator(chunk_size=CHUNK):
        satisfaction = (data or {}).get("satisfaction")
        if satisfaction not in ("satisfied", "basically_satisfied", "dissatisfied"):
            continue
        by_event.setdefault(event_id, []).append(
            Rating(
                event_id=event_id,
                # Timelines since the callback's source was recorded keep it (desk / hotline).
                source="resident" if actor_id is None else (data or {}).get("source") or "desk",
                satisfaction=satisfaction,
                resolved=bool((data or {}).get("resolved")),
                comment=(note or "")[:500],
                rated_by_id=actor_id,
                rated_at=at,
            )
        )
    ids = list(by_event)
    for start in range(0, len(ids), CHUNK):
        chunk = ids[start : start + CHUNK]
        Rating.objects.bulk_create([r for i in chunk for r in by_event[i]])
        events = list(Event.objects.filter(pk__in=chunk))
        for event in events:
            first, last = by_event[event.pk][0], by_event[event.pk][-1]
            event.first_satisfaction, event.first_resolved = first.satisfaction, first.resolved
            event.satisfaction, event.resolved_by_resident = last.satisfaction, last.resolved
            event.rating_comment, event.rated_at = last.comment, last.rated_at
        Event.objects.bulk_update(
            events,
            [
                "first_satisfaction",
                "first_resolved",
                "satisfaction",
                "resolved_by_resident",
                "rating_comment",
                "rated_at",
            ],
        )


def backward(apps, schema_editor):
    apps.get_model("events", "Rating").objects.all().delete()


class Migration(migrations.Migration):
    dependencies = [("events", "0017_ratings_and_supervision")]
    operations = [migrations.RunPython(forward, backward)]
