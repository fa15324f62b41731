"""An evaluation's department is the same table, now under blocks (issue 16): state only."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('blocks', '0005_departments_move_from_liaison'),
        ('dashboards', '0001_initial'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='streetdepartmentevaluation',
                    name='department',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='blocks.department', verbose_name='department'),
                ),
            ],
            database_operations=[],
        ),
    ]
