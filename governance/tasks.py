from celery import shared_task

from governance.heartbeats import record_heartbeat
from governance.notifications import deliveries_relay


@shared_task(name="governance.tasks.heartbeat")
def heartbeat() -> None:
    """Sent by beat, run by a worker: its timestamp says a worker is consuming."""
    record_heartbeat(name="worker")


@shared_task(name="governance.tasks.deliver_outbox")
def deliver_outbox() -> dict[str, int]:
    """Run by beat with the deadline scan; the rows are the queue, so a lost message (a
    Redis restart) loses nothing: the next run finds every undelivered row again."""
    return deliveries_relay()
