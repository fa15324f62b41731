"""Departments moved to blocks and the duty lists to events (issue 16): state only, after every
foreign key to them points at their new home; no table or row is dropped."""

import django.db.models.deletion
from django.db import migrations, models


class Migration(migrations.Migration):

    dependencies = [
        ('dashboards', '0002_evaluation_department_in_blocks'),
        ('governance', '0011_webhook_department_in_blocks'),
        ('events', '0016_duty_lists_move_from_liaison'),
        ('blocks', '0005_departments_move_from_liaison'),
        ('liaison', '0002_links_between_levels'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.RemoveField(
                    model_name='dutyitem',
                    name='cooperating',
                ),
                migrations.AlterField(
                    model_name='ledgeritem',
                    name='department',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='ledger_items', to='blocks.department', verbose_name='lead department'),
                ),
                migrations.AlterField(
                    model_name='serviceitem',
                    name='department',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='service_items', to='blocks.department', verbose_name='department'),
                ),
                migrations.AlterField(
                    model_name='deployedcadre',
                    name='department',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='cadres', to='blocks.department', verbose_name='department'),
                ),
                migrations.RemoveField(
                    model_name='dutyitem',
                    name='lead',
                ),
                migrations.AlterField(
                    model_name='jointgroupmember',
                    name='department',
                    field=models.ForeignKey(blank=True, null=True, on_delete=django.db.models.deletion.PROTECT, related_name='+', to='blocks.department'),
                ),
                migrations.RemoveField(
                    model_name='departmentmember',
                    name='department',
                ),
                migrations.RemoveField(
                    model_name='departmentmember',
                    name='user',
                ),
                migrations.RemoveField(
                    model_name='dutyitem',
                    name='district',
                ),
                migrations.RemoveField(
                    model_name='streetdutyitem',
                    name='district',
                ),
                migrations.DeleteModel(
                    name='Department',
                ),
                migrations.DeleteModel(
                    name='DepartmentMember',
                ),
                migrations.DeleteModel(
                    name='DutyItem',
                ),
                migrations.DeleteModel(
                    name='StreetDutyItem',
                ),
            ],
            database_operations=[],
        ),
    ]
