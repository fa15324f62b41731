"""The communities' three lists beside the street's (issue 20): the kind column widens from
12 to 20 characters. Going back keeps it wide: the rows of the communities' lists stay, and
the older code reads them as rows of a list it does not know."""

from django.db import migrations, models


def widen(apps, schema_editor):
    # SQLite does not enforce a varchar's length; PostgreSQL does.
    if schema_editor.connection.vendor == "postgresql":
        schema_editor.execute(
            "ALTER TABLE liaison_streetdutyitem ALTER COLUMN kind TYPE varchar(20)"
        )


class Migration(migrations.Migration):
    dependencies = [
        ("events", "0019_supervise_action"),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name="streetdutyitem",
                    name="kind",
                    field=models.CharField(
                        choices=[
                            ("own", "the street's own duty"),
                            ("cooperation", "the street cooperates"),
                            ("community_self", "the community governs itself"),
                            ("community_assist", "the community assists the government"),
                            ("community_negative", "never to be put on a community"),
                        ],
                        max_length=20,
                        verbose_name="list",
                    ),
                ),
            ],
            database_operations=[migrations.RunPython(widen, migrations.RunPython.noop)],
        ),
    ]
