"""The dashboards' tables now belong to the dashboards app (issue 16): state only, the tables
and their rows stay where they are (dashboards/migrations/0001 takes them over)."""

from django.db import migrations


class Migration(migrations.Migration):

    dependencies = [
        ('governance', '0009_dashboard_summary_tables'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.DeleteModel(
                    name='DirtyCell',
                ),
                migrations.RemoveField(
                    model_name='reportjob',
                    name='created_by',
                ),
                migrations.DeleteModel(
                    name='RollupState',
                ),
                migrations.RemoveField(
                    model_name='scoringsettings',
                    name='district',
                ),
                migrations.DeleteModel(
                    name='StatCell',
                ),
                migrations.RemoveField(
                    model_name='twowayevaluation',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='twowayevaluation',
                    name='evaluated_by',
                ),
                migrations.RemoveField(
                    model_name='twowayevaluation',
                    name='street',
                ),
                migrations.DeleteModel(
                    name='ReportJob',
                ),
                migrations.DeleteModel(
                    name='ScoringSettings',
                ),
                migrations.DeleteModel(
                    name='TwoWayEvaluation',
                ),
            ],
            database_operations=[],
        ),
    ]
