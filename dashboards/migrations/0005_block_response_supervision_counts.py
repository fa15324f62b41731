"""Counts of issue 17: residents' requests and the block's answer to them (15分钟响应率,
平均响应时长 over those only), cases under 督办 and those closed in time. The old
``response_seconds`` summed every accepted case (staff-logged ones as 0 minutes) and goes.

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
        ("dashboards", "0004_first_ratings"),
    ]

    operations = [
        migrations.RemoveField(model_name="statcell", name="response_seconds"),
        _count("resident_requests"),
        _count("resident_accepted"),
        _count("resident_accepted_in_time"),
        _count("supervised"),
        _count("supervised_on_time"),
        _count("resident_response_seconds"),
        migrations.AlterField(
            model_name="scoringsettings",
            name="response_weight",
            field=models.FloatField(default=1.0, verbose_name="weight of the report-in rate"),
        ),
        migrations.RunPython(mark_every_block_day, migrations.RunPython.noop),
    ]
