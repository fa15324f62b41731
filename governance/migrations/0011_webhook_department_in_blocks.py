"""A robot's department is the same table, now under blocks (issue 16): state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('blocks', '0005_departments_move_from_liaison'),
        ('governance', '0010_dashboard_tables_move_to_dashboards'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='webhooktarget',
                    name='department',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.CASCADE, related_name='webhooks', to='blocks.department', verbose_name='department'),
                ),
            ],
            database_operations=[],
        ),
    ]
