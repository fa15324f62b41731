"""Moving a model to another app without touching its table (issue 16).

A move is state-only (``SeparateDatabaseAndState``; the model keeps its ``db_table``), and its
content type is renamed in the same migration, so that permissions granted on the model, admin
log entries and anything else keyed by content type follow it instead of going stale. Where the
model's name changes too, its permissions' codenames follow (``view_old`` → ``view_new``), or
Django would make new ones and the grants would stay on the old.
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
        _rename_codenames(apps, new_app, models)

    def backward(apps, schema_editor):
        ContentType = apps.get_model("contenttypes", "ContentType")
        for old, new in models.items():
            ContentType.objects.filter(app_label=new_app, model=new).update(
                app_label=old_app, model=old
            )
        _rename_codenames(apps, old_app, {new: old for old, new in models.items()})

    return migrations.RunPython(forward, backward, elidable=False)


def rename_permissions(app: str, models: dict[str, str]) -> migrations.RunPython:
    """Beside a ``RenameModel``: its permissions' codenames follow the new name."""

    def forward(apps, schema_editor):
        _rename_codenames(apps, app, models)

    def backward(apps, schema_editor):
        _rename_codenames(apps, app, {new: old for old, new in models.items()})

    return migrations.RunPython(forward, backward, elidable=False)


def _rename_codenames(apps, app_label: str, models: dict[str, str]) -> None:
    Permission = apps.get_model("auth", "Permission")
    for old, new in models.items():
        if old == new:
            continue
        # The content type may be renamed before or after this runs (RenameModel's is).
        for permission in Permission.objects.filter(
            content_type__app_label=app_label,
            content_type__model__in=[old, new],
            codename__endswith=f"_{old}",
        ):
            action = permission.codename.removesuffix(f"_{old}")
            permission.codename = f"{action}_{new}"
            permission.save(update_fields=["codename"])
