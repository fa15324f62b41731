from celery import shared_task
from django.conf import settings

from events.enforcement import enforce_deadlines as scan
from events.idempotency import prune_expired
from events.supervision import supervision_due_scan


@shared_task(name="events.tasks.enforce_deadlines")
def enforce_deadlines() -> dict[str, int]:
    """Run by beat every DEADLINE_SCAN_SECONDS; safe to run twice at once."""
    return scan(batch=settings.DEADLINE_SCAN_BATCH)


@shared_task(name="events.tasks.supervision_due")
def supervision_due() -> int:
    """Run by beat with the deadline scan: red cards (挂牌督办) whose date passed, told once."""
    return supervision_due_scan()


@shared_task(name="events.tasks.prune_idempotency_keys")
def prune_idempotency_keys() -> int:
    """Run by beat each night: Idempotency-Keys are kept 24 h, then forgotten."""
    return prune_expired()
