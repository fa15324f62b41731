from django.db import migrations


def load(apps, schema_editor):
    from events.deadlines import load_default_policies

    load_default_policies(apps.get_model("events", "Category"), apps.get_model("events", "DeadlinePolicy"))


class Migration(migrations.Migration):
    dependencies = [("events", "0004_deadline_policies_and_calendar")]

    operations = [migrations.RunPython(load, migrations.RunPython.noop)]
