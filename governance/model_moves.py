"""Moving a model to another app without touching its table (issue 16).

A move is state-only (``SeparateDatabaseAndState``; the model keeps its ``db_table``), and its
content type is renamed in the same migration, so that permissions granted on the model, admin
log entries and anything else keyed by content type follow it instead of going stale.
"""

from __future__ import annotations

from django.db import migrations


def move_content_types(old_app: str, new_app: str, models: dict[str, str]) -> migrations.RunPython:
    """``models`` maps each old model name to its new one (lower case, as content types are)."""

    def forward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for old, new in models.items():
            ContentType.objects.filter(app_label=old_app, model=old).update(
                app_label=new_app, model=new
            )

    def backward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for old, new in models.items():
            ContentType.objects.filter(app_label=new_app, model=new).update(
                app_label=old_app, model=old
            )

    return migrations.RunPython(forward, backward, elidable=False)
