"""Takes over the summary tables, scoring settings, street–department evaluations and report
jobs that governance/migrations/0001–0009 created: state only, every table keeps its name and
rows (``Meta.db_table``); their content types (and so any permission granted on them) move too."""

import django.core.validators
import django.db.models.deletion
import django.utils.timezone
from django.conf import settings
from django.db import migrations, models

from governance.model_moves import move_content_types


class Migration(migrations.Migration):

    initial = True

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('governance', '0010_dashboard_tables_move_to_dashboards'),
        ('blocks', '0004_territory_import'),
        ('liaison', '0002_links_between_levels'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='DirtyCell',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('area_code', models.CharField(max_length=21)),
                        ('day', models.DateField()),
                    ],
                    options={
                        'verbose_name': 'changed summary cell',
                        'verbose_name_plural': 'changed summary cells',
                        'db_table': 'governance_dirtycell',
                    },
                ),
                migrations.CreateModel(
                    name='RollupState',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('name', models.CharField(default='stats', max_length=20, unique=True)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('cells', models.PositiveIntegerField(default=0)),
                    ],
                    options={
                        'db_table': 'governance_rollupstate',
                    },
                ),
                migrations.CreateModel(
                    name='ReportJob',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('area_code', models.CharField(max_length=21)),
                        ('month', models.DateField()),
                        ('status', models.CharField(choices=[('queued', 'queued'), ('running', 'building'), ('done', 'ready'), ('failed', 'failed')], default='queued', max_length=8)),
                        ('steps', models.PositiveSmallIntegerField(default=5)),
                        ('done_steps', models.PositiveSmallIntegerField(default=0)),
                        ('content', models.BinaryField(blank=True, null=True)),
                        ('error', models.CharField(blank=True, max_length=300)),
                        ('created_at', models.DateTimeField(default=django.utils.timezone.now)),
                        ('finished_at', models.DateTimeField(blank=True, null=True)),
                        ('created_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                    ],
                    options={
                        'verbose_name': 'report job',
                        'verbose_name_plural': 'report jobs',
                        'db_table': 'governance_reportjob',
                    },
                ),
                migrations.CreateModel(
                    name='StatCell',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('new', models.BigIntegerField(default=0)),
                        ('invalid', models.BigIntegerField(default=0)),
                        ('merged', models.BigIntegerField(default=0)),
                        ('open', models.BigIntegerField(default=0)),
                        ('overdue', models.BigIntegerField(default=0)),
                        ('closed', models.BigIntegerField(default=0)),
                        ('accepted', models.BigIntegerField(default=0)),
                        ('resolved', models.BigIntegerField(default=0)),
                        ('resolved_on_time', models.BigIntegerField(default=0)),
                        ('rated', models.BigIntegerField(default=0)),
                        ('rated_resolved', models.BigIntegerField(default=0)),
                        ('satisfied', models.BigIntegerField(default=0)),
                        ('basically_satisfied', models.BigIntegerField(default=0)),
                        ('dissatisfied', models.BigIntegerField(default=0)),
                        ('ever_resolved', models.BigIntegerField(default=0)),
                        ('reworked', models.BigIntegerField(default=0)),
                        ('whistled', models.BigIntegerField(default=0)),
                        ('dispatched', models.BigIntegerField(default=0)),
                        ('dispatched_on_time', models.BigIntegerField(default=0)),
                        ('dispatched_never_returned', models.BigIntegerField(default=0)),
                        ('extended', models.BigIntegerField(default=0)),
                        ('parts_dispatched', models.BigIntegerField(default=0)),
                        ('parts_reported_on_time', models.BigIntegerField(default=0)),
                        ('parts_returned', models.BigIntegerField(default=0)),
                        ('response_seconds', models.BigIntegerField(default=0)),
                        ('resolve_seconds', models.BigIntegerField(default=0)),
                        ('parts_reported_in', models.BigIntegerField(default=0)),
                        ('report_in_seconds', models.BigIntegerField(default=0)),
                        ('evaluations', models.BigIntegerField(default=0)),
                        ('evaluation_points', models.BigIntegerField(default=0)),
                        ('area_code', models.CharField(max_length=21)),
                        ('level', models.CharField(max_length=12)),
                        ('parent_code', models.CharField(blank=True, max_length=21)),
                        ('grain', models.CharField(choices=[('d', 'day'), ('m', 'month')], max_length=1)),
                        ('bucket', models.DateField()),
                        ('dim', models.CharField(blank=True, choices=[('', 'total'), ('category', 'category'), ('channel', 'channel'), ('priority', 'colour'), ('department', 'department')], max_length=12)),
                        ('key', models.CharField(blank=True, max_length=40)),
                        ('next_due_at', models.DateTimeField(blank=True, null=True)),
                    ],
                    options={
                        'verbose_name': 'dashboard summary row',
                        'verbose_name_plural': 'dashboard summary rows',
                        'db_table': 'governance_statcell',
                        'indexes': [models.Index(fields=['parent_code', 'grain', 'bucket', 'dim'], name='statcell_parent_idx'), models.Index(fields=['level', 'dim', 'grain', 'area_code', 'bucket'], name='statcell_level_prefix_idx', opclasses=['varchar_pattern_ops', 'varchar_pattern_ops', 'varchar_pattern_ops', 'varchar_pattern_ops', 'date_ops']), models.Index(fields=['level', 'grain', 'bucket', 'area_code'], name='statcell_day_prefix_idx', opclasses=['varchar_pattern_ops', 'varchar_pattern_ops', 'date_ops', 'varchar_pattern_ops']), models.Index(condition=models.Q(('next_due_at__isnull', False)), fields=['next_due_at'], name='statcell_next_due_idx')],
                        'constraints': [models.UniqueConstraint(fields=('area_code', 'grain', 'bucket', 'dim', 'key'), name='statcell_unique')],
                    },
                ),
                migrations.CreateModel(
                    name='ScoringSettings',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('response_weight', models.FloatField(default=1.0, verbose_name='weight of the response rate')),
                        ('resolution_weight', models.FloatField(default=1.0, verbose_name='weight of the resolution rate')),
                        ('satisfaction_weight', models.FloatField(default=1.0, verbose_name='weight of the satisfaction rate')),
                        ('street_share', models.FloatField(default=0.3, help_text='At least 0.3 (seed 001: streets weigh at least 30 %)', validators=[django.core.validators.MinValueValidator(0.3), django.core.validators.MaxValueValidator(1.0)], verbose_name="street's share of a department's score")),
                        ('basically_satisfied_factor', models.FloatField(default=1.0, validators=[django.core.validators.MinValueValidator(0.0), django.core.validators.MaxValueValidator(1.0)], verbose_name='factor of “basically satisfied”')),
                        ('district', models.OneToOneField(limit_choices_to={'level': 'district'}, on_delete=django.db.models.deletion.PROTECT, related_name='scoring_settings', to='blocks.area', verbose_name='district')),
                    ],
                    options={
                        'verbose_name': 'scoring settings',
                        'verbose_name_plural': 'scoring settings',
                        'db_table': 'governance_scoringsettings',
                        'constraints': [models.CheckConstraint(condition=models.Q(('street_share__gte', 0.3), ('street_share__lte', 1.0)), name='scoring_street_share_at_least_30')],
                    },
                ),
                migrations.CreateModel(
                    name='StreetDepartmentEvaluation',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('direction', models.CharField(choices=[('street_to_department', 'street rates department'), ('department_to_street', 'department rates street')], max_length=24, verbose_name='direction')),
                        ('period_start', models.DateField(verbose_name='period from')),
                        ('period_end', models.DateField(verbose_name='period to')),
                        ('score', models.PositiveSmallIntegerField(validators=[django.core.validators.MinValueValidator(0), django.core.validators.MaxValueValidator(100)], verbose_name='score')),
                        ('comment', models.CharField(blank=True, max_length=300, verbose_name='comment')),
                        ('evaluated_at', models.DateTimeField(default=django.utils.timezone.now, verbose_name='evaluated at')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to='liaison.department', verbose_name='department')),
                        ('evaluated_by', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='+', to=settings.AUTH_USER_MODEL)),
                        ('street', models.ForeignKey(limit_choices_to={'level': 'street'}, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='blocks.area', verbose_name='street')),
                    ],
                    options={
                        'verbose_name': 'street–department evaluation',
                        'verbose_name_plural': 'street–department evaluations',
                        'db_table': 'governance_twowayevaluation',
                        'ordering': ['-period_end'],
                        'constraints': [models.UniqueConstraint(fields=('direction', 'street', 'department', 'period_start', 'period_end'), name='two_way_once_per_period'), models.CheckConstraint(condition=models.Q(('score__lte', 100)), name='two_way_score_0_100')],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types(
            "governance",
            "dashboards",
            {
                "statcell": "statcell",
                "dirtycell": "dirtycell",
                "rollupstate": "rollupstate",
                "scoringsettings": "scoringsettings",
                "reportjob": "reportjob",
                "twowayevaluation": "streetdepartmentevaluation",
            },
        ),
    ]
