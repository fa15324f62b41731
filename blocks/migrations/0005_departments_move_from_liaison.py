"""Departments and their members now belong to blocks (issue 16: a user's scope reads them):
state only, the tables liaison_department and liaison_departmentmember keep their rows."""

import django.db.models.deletion
from django.conf import settings
from django.db import migrations, models

from governance.model_moves import move_content_types


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('liaison', '0002_links_between_levels'),
        ('blocks', '0004_territory_import'),
        migrations.swappable_dependency(settings.AUTH_USER_MODEL),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.CreateModel(
                    name='Department',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('code', models.SlugField(max_length=40, verbose_name='code')),
                        ('name', models.CharField(max_length=60, verbose_name='name')),
                        ('short_name', models.CharField(blank=True, max_length=20, verbose_name='short name')),
                        ('is_active', models.BooleanField(default=True, verbose_name='active')),
                        ('district', models.ForeignKey(limit_choices_to={'level': 'district'}, on_delete=django.db.models.deletion.PROTECT, related_name='departments', to='blocks.area', verbose_name='district')),
                    ],
                    options={
                        'verbose_name': 'department',
                        'verbose_name_plural': 'departments',
                        'db_table': 'liaison_department',
                        'ordering': ['district', 'code'],
                    },
                ),
                migrations.CreateModel(
                    name='DepartmentMember',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('role', models.CharField(choices=[('officer', 'officer'), ('liaison_officer', 'liaison officer'), ('head', 'head')], default='officer', max_length=16, verbose_name='role')),
                        ('started_on', models.DateField(auto_now_add=True, verbose_name='started on')),
                        ('ended_on', models.DateField(blank=True, null=True, verbose_name='ended on')),
                        ('department', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='members', to='blocks.department', verbose_name='department')),
                        ('user', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='department_memberships', to=settings.AUTH_USER_MODEL, verbose_name='person')),
                    ],
                    options={
                        'verbose_name': 'department member',
                        'verbose_name_plural': 'department members',
                        'db_table': 'liaison_departmentmember',
                    },
                ),
                migrations.AddConstraint(
                    model_name='department',
                    constraint=models.UniqueConstraint(fields=('district', 'code'), name='department_code_unique'),
                ),
                migrations.AddConstraint(
                    model_name='departmentmember',
                    constraint=models.UniqueConstraint(condition=models.Q(('ended_on__isnull', True)), fields=('department', 'user'), name='department_member_once'),
                ),
            ],
            database_operations=[],
        ),
        move_content_types("liaison", "blocks", {"department": "department", "departmentmember": "departmentmember"}),
    ]
