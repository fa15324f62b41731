from celery import shared_task
from django.utils.translation import gettext as _

from blocks import imports


@shared_task(name="blocks.tasks.import_territory")
def import_territory(import_id: int) -> str:
    """Run one territory import; safe to run twice (a finished import is left alone)."""
    try:
        return imports.import_run(import_id=import_id).status
    except Exception:
        imports.import_fail(
            import_id=import_id, message=_("The import broke off; nothing was imported.")
        )
        raise
