from celery import shared_task

from governance.heartbeats import record_heartbeat


@shared_task(name="governance.tasks.heartbeat")
def heartbeat() -> None:
    """Sent by beat, run by a worker: its timestamp says a worker is consuming."""
    record_heartbeat(name="worker")
