"""The five officials' yearly evaluation is JointGroupEvaluation: a name apart from the
street's rating of departments (dashboards.StreetDepartmentEvaluation). The table is renamed
with the model; its rows, constraints, content type and granted permissions stay."""

from django.db import migrations

from governance.model_moves import rename_permissions


class Migration(migrations.Migration):
    dependencies = [
        ("liaison", "0003_departments_and_duty_lists_move_out"),
        ("auth", "0012_alter_user_first_name_max_length"),
    ]

    operations = [
        migrations.RenameModel(old_name="TwoWayEvaluation", new_name="JointGroupEvaluation"),
        rename_permissions("liaison", {"twowayevaluation": "jointgroupevaluation"}),
    ]
