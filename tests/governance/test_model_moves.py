"""Models moved between apps keep every table and row (issue 16).

The demo district is seeded, the database is taken back to the migrations as they were before
the moves (dashboards' tables in governance, departments and duty lists in liaison), where the
old models read every row, and then migrated forward again, where the new ones do. The moves
are state-only, so the rows are the same rows all along; the content types move with the
models, so a permission granted on one still holds after the move.
"""

from __future__ import annotations

from datetime import date

import pytest
from django.apps import apps
from django.contrib.auth.models import Permission
from django.core.management import call_command
from django.db import connection
from django.db.migrations.executor import MigrationExecutor

from blocks.models import Area
from dashboards.models import ReportJob, ScoringSettings
from events.categories import load_default_categories
from events.deadlines import load_default_policies
from events.models import Category, DeadlinePolicy
from governance.models import User

pytestmark = [pytest.mark.django_db(transaction=True), pytest.mark.postgres]

# The last migration of each app before the moves; dashboards did not exist.
BEFORE = [
    ("governance", "0009_dashboard_summary_tables"),
    ("blocks", "0004_territory_import"),
    ("events", "0015_send_back_action"),
    ("liaison", "0002_links_between_levels"),
    ("dashboards", None),
]
# (app before, model before) → (app now, model now), each keeping its table.
MOVED = {
    ("governance", "StatCell"): ("dashboards", "StatCell"),
    ("governance", "DirtyCell"): ("dashboards", "DirtyCell"),
    ("governance", "RollupState"): ("dashboards", "RollupState"),
    ("governance", "ScoringSettings"): ("dashboards", "ScoringSettings"),
    ("governance", "ReportJob"): ("dashboards", "ReportJob"),
    ("governance", "TwoWayEvaluation"): ("dashboards", "StreetDepartmentEvaluation"),
    ("liaison", "Department"): ("blocks", "Department"),
    ("liaison", "DepartmentMember"): ("blocks", "DepartmentMember"),
    ("liaison", "DutyItem"): ("events", "DutyItem"),
    ("liaison", "StreetDutyItem"): ("events", "StreetDutyItem"),
    ("liaison", "TwoWayEvaluation"): ("liaison", "JointGroupEvaluation"),
}

# Tables of reference data that data migrations after the moves add to (and take back).
REFERENCE_DATA = {"events_deadlinepolicy", "events_category"}
# Tables created after the moves whose rows a data migration rebuilds from older tables.
REBUILT = {"events_rating"}

# The one table renamed with its model (its rows kept): today's name → the name it had.
RENAMED_TABLES = {"liaison_jointgroupevaluation": "liaison_twowayevaluation"}


def row_counts() -> dict[str, int]:
    with connection.cursor() as cursor:
        counts = {}
        for table in connection.introspection.table_names(cursor):
            if table == "django_migrations":  # the one table the migrating itself writes
                continue
            cursor.execute(f'SELECT count(*) FROM "{table}"')
            counts[table] = cursor.fetchone()[0]
    return counts


def migrate(targets) -> MigrationExecutor:
    executor = MigrationExecutor(connection)
    executor.migrate(targets)
    return MigrationExecutor(connection)  # a fresh loader sees what is applied now


def check_before_the_moves(executor: MigrationExecutor, seeded: dict[str, int]) -> set[str]:
    """Every row is there under the old models; returns the tables the old state has."""
    old = executor.loader.project_state(
        [node for node in BEFORE if node[1] is not None]
    ).apps  # fmt: skip
    # Tables that later migrations create are not there yet; every other table is, whole.
    counts, expected = row_counts(), {RENAMED_TABLES.get(t, t): n for t, n in seeded.items()}
    old_tables = {m._meta.db_table for m in old.get_models(include_auto_created=True)}
    assert not (set(expected) - set(counts)) & old_tables
    # Reference rows that later data migrations add (time limits, categories) go back with
    # them; every other table keeps every row.
    assert {t: n for t, n in counts.items() if t not in REFERENCE_DATA} == {
        t: n for t, n in expected.items() if t in counts and t not in REFERENCE_DATA
    }
    for (app, model), _now in MOVED.items():
        table = old.get_model(app, model)._meta.db_table
        today = {v: k for k, v in RENAMED_TABLES.items()}.get(table, table)
        assert old.get_model(app, model).objects.count() == seeded[today], (app, model)
    assert set(
        Permission.objects.filter(user__username="watcher").values_list(
            "content_type__app_label", "codename"
        )
    ) == {
        ("governance", "view_statcell"),
        ("liaison", "change_department"),
        ("governance", "change_twowayevaluation"),
        ("liaison", "view_twowayevaluation"),
    }
    return old_tables


def test_moved_models_keep_their_tables_rows_and_permissions():
    # Transactional tests flush what the data migrations loaded; put it back as they do.
    load_default_categories(Category)
    load_default_policies(Category, DeadlinePolicy)
    call_command("seed_demo", verbosity=0)
    call_command("rollup_stats", verbosity=0)
    # What the demo does not make: a district's scoring settings and a leader's report.
    ScoringSettings.objects.create(district=Area.objects.get(code="430302"))
    ReportJob.objects.create(
        created_by=User.objects.get(username="leader"), area_code="430302", month=date(2026, 11, 1)
    )
    watcher = User.objects.create(username="watcher")
    watcher.user_permissions.add(
        Permission.objects.get(codename="view_statcell"),
        Permission.objects.get(codename="change_department"),
        Permission.objects.get(codename="change_streetdepartmentevaluation"),
        Permission.objects.get(codename="view_jointgroupevaluation"),
    )
    seeded = row_counts()
    moved_tables = {
        "governance_statcell", "governance_reportjob", "governance_scoringsettings",
        "liaison_department", "liaison_departmentmember", "liaison_dutyitem",
        "liaison_dutyitem_cooperating", "liaison_streetdutyitem",
    }  # fmt: skip
    empty = {table for table in moved_tables if not seeded.get(table)}
    assert not empty, f"the demo should fill every moved table: {empty}"

    # Back to the migrations as they were: the old models read every row.
    old_tables: set[str] = set()
    try:
        executor = migrate(BEFORE)
        old_tables = check_before_the_moves(executor, seeded)
    finally:  # whatever happened, the next test finds today's database
        executor = migrate(MigrationExecutor(connection).loader.graph.leaf_nodes())

    # Forward to today's migrations: the same rows, read by the models where they live now.
    assert not executor.migration_plan(executor.loader.graph.leaf_nodes())
    # Every table that was there before the moves has its rows again, and so has a later
    # table that a data migration rebuilds (the ratings, from the timelines). Tables created
    # after the moves lose their rows on the way back (they did not exist), and the roll-up's
    # queue of changed block-days is refilled by a later migration: neither is compared.
    after = row_counts()
    kept = {t for t in seeded if RENAMED_TABLES.get(t, t) in old_tables} | REBUILT
    kept -= {"governance_dirtycell"}
    assert {t: after[t] for t in kept} == {t: seeded[t] for t in kept}
    for app_now, model_now in MOVED.values():
        current = apps.get_model(app_now, model_now)
        if current._meta.db_table in kept:
            assert current.objects.count() == seeded[current._meta.db_table], (app_now, model_now)
    watcher = User.objects.get(username="watcher")
    assert watcher.has_perm("dashboards.view_statcell")
    assert watcher.has_perm("blocks.change_department")
    assert watcher.has_perm("dashboards.change_streetdepartmentevaluation")
    assert watcher.has_perm("liaison.view_jointgroupevaluation")
