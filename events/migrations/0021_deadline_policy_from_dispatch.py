from django.db import migrations, models


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0020_community_lists"),
    ]

    operations = [
        migrations.AddField(
            model_name="deadlinepolicy",
            name="from_dispatch",
            field=models.BooleanField(
                default=False,
                help_text=(
                    "A department's resolve clock counts from when the case was dispatched to "
                    "it, not from its report-in (a rework's clock counts from the rework)."
                ),
                verbose_name="counted from dispatch",
            ),
        ),
        migrations.AddConstraint(
            model_name="deadlinepolicy",
            constraint=models.CheckConstraint(
                condition=models.Q(("from_dispatch", False), ("kind", "resolve"), _connector="OR"),
                name="deadline_policy_from_dispatch_resolve_only",
                violation_error_message="Only a resolve clock can count from dispatch.",
            ),
        ),
    ]
