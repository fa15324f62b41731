"""Assisted services (帮代办, issue 20; seeds 000 and 002): a category is a complaint or an
assisted service; a case may be booked for a time (预约服务). Loads the catalogue of 16
services (group "assist") and each service's time limit in both policy sets."""

from django.db import migrations, models


def forward(apps, schema_editor):
    from events.categories import load_assisted_services
    from events.deadlines import load_default_policies

    Category = apps.get_model("events", "Category")
    DeadlinePolicy = apps.get_model("events", "DeadlinePolicy")
    load_assisted_services(Category)
    load_default_policies(Category, DeadlinePolicy)


def backward(apps, schema_editor):
    DeadlinePolicy = apps.get_model("events", "DeadlinePolicy")
    DeadlinePolicy.objects.filter(category__kind="assisted_service").delete()
    # The services stay (cases may be filed under them); the field goes with the schema.


class Migration(migrations.Migration):
    dependencies = [("events", "0024_call_legal_action")]

    operations = [
        migrations.AddField(
            model_name="category",
            name="description",
            field=models.CharField(
                blank=True,
                help_text="What an assisted service covers and what the resident should have ready",
                max_length=300,
                verbose_name="description",
            ),
        ),
        migrations.AddField(
            model_name="category",
            name="kind",
            field=models.CharField(
                choices=[
                    ("complaint", "complaint or request"),
                    ("assisted_service", "assisted service"),
                ],
                default="complaint",
                max_length=16,
                verbose_name="kind",
            ),
        ),
        migrations.AddField(
            model_name="event",
            name="booked_at",
            field=models.DateTimeField(blank=True, null=True, verbose_name="booked for"),
        ),
        migrations.RunPython(forward, backward),
    ]
