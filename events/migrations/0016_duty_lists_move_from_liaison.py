"""The duty lists now belong to events, which dispatches by them (issue 16): state only, the
tables liaison_dutyitem, liaison_dutyitem_cooperating and liaison_streetdutyitem keep their rows;
an assignment's department is the same table under blocks."""

import django.db.models.deletion
from django.db import migrations, models

from governance.model_moves import move_content_types


class Migration(migrations.Migration):

    dependencies = [
        ('contenttypes', '0002_remove_content_type_name'),
        ('auth', '0012_alter_user_first_name_max_length'),
        ('liaison', '0002_links_between_levels'),
        ('blocks', '0005_departments_move_from_liaison'),
        ('events', '0015_send_back_action'),
    ]

    operations = [
        migrations.SeparateDatabaseAndState(
            state_operations=[
                migrations.AlterField(
                    model_name='assignment',
                    name='department',
                    field=models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='assignments', to='blocks.department', verbose_name='department'),
                ),
                migrations.CreateModel(
                    name='StreetDutyItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('kind', models.CharField(choices=[('own', "the street's own duty"), ('cooperation', 'the street cooperates')], max_length=12, verbose_name='list')),
                        ('number', models.PositiveSmallIntegerField(verbose_name='item number')),
                        ('matter', models.CharField(max_length=200, verbose_name='matter')),
                        ('category_code', models.SlugField(blank=True, max_length=40, verbose_name='category code')),
                        ('district', models.ForeignKey(limit_choices_to={'level': 'district'}, on_delete=django.db.models.deletion.PROTECT, related_name='street_duty_items', to='blocks.area', verbose_name='district')),
                    ],
                    options={
                        'verbose_name': 'street duty item',
                        'verbose_name_plural': 'street duty lists',
                        'db_table': 'liaison_streetdutyitem',
                        'ordering': ['district', 'kind', 'number'],
                    },
                ),
                migrations.CreateModel(
                    name='DutyItem',
                    fields=[
                        ('id', models.BigAutoField(auto_created=True, primary_key=True, serialize=False, verbose_name='ID')),
                        ('number', models.PositiveSmallIntegerField(verbose_name='item number')),
                        ('matter', models.CharField(max_length=200, verbose_name='matter')),
                        ('category_code', models.SlugField(blank=True, help_text='The case category this matter covers, if any', max_length=40, verbose_name='category code')),
                        ('note', models.CharField(blank=True, max_length=200, verbose_name='note')),
                        ('cooperating', models.ManyToManyField(blank=True, related_name='cooperating_duties', to='blocks.department', verbose_name='cooperating')),
                        ('district', models.ForeignKey(limit_choices_to={'level': 'district'}, on_delete=django.db.models.deletion.PROTECT, related_name='duty_items', to='blocks.area', verbose_name='district')),
                        ('lead', models.ForeignKey(on_delete=django.db.models.deletion.PROTECT, related_name='lead_duties', to='blocks.department', verbose_name='lead department')),
                    ],
                    options={
                        'verbose_name': 'duty list item',
                        'verbose_name_plural': 'duty list',
                        'db_table': 'liaison_dutyitem',
                        'ordering': ['district', 'number'],
                        'constraints': [models.UniqueConstraint(condition=models.Q(('category_code', ''), _negated=True), fields=('district', 'category_code'), name='duty_item_category_once'), models.UniqueConstraint(fields=('district', 'number'), name='duty_item_number_once')],
                    },
                ),
            ],
            database_operations=[],
        ),
        move_content_types("liaison", "events", {"dutyitem": "dutyitem", "streetdutyitem": "streetdutyitem"}),
    ]
