"""Counts of issue 20: assisted services (帮代办), counted apart from complaints (requests,
done, done on time, rated, satisfied); every other count now leaves them out.

Summary rows are derived data: every block-day that has a row is marked changed, so the
roll-up recomputes it with the new counts (a read meanwhile computes it from the cases).
"""

from django.db import migrations, models


def mark_every_block_day(apps, schema_editor):
    StatCell = apps.get_model("dashboards", "StatCell")
    DirtyCell = apps.get_model("dashboards", "DirtyCell")
    days = (
        StatCell.objects.filter(level="block", grain="d", dim="")
        .values_list("area_code", "bucket")
        .distinct()
    )
    DirtyCell.objects.bulk_create(
        (DirtyCell(area_code=code, day=day) for code, day in days.iterator()), batch_size=5000
    )


def _count(name):
    return migrations.AddField(
        model_name="statcell", name=name, field=models.BigIntegerField(default=0)
    )


class Migration(migrations.Migration):
    dependencies = [
        ("dashboards", "0005_block_response_supervision_counts"),
        ("events", "0025_assisted_services"),
    ]

    operations = [
        _count("assisted_requests"),
        _count("assisted_closed"),
        _count("assisted_closed_on_time"),
        _count("assisted_rated"),
        _count("assisted_satisfied"),
        _count("assisted_basically_satisfied"),
        migrations.RunPython(mark_every_block_day, migrations.RunPython.noop),
    ]
