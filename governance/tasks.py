import logging

from celery import shared_task
from django.db import transaction

from governance.heartbeats import record_heartbeat
from governance.notifications import deliveries_relay, relay_limits

logger = logging.getLogger(__name__)


@shared_task(name="governance.tasks.heartbeat")
def heartbeat() -> None:
    """Sent by beat, run by a worker: its timestamp says a worker is consuming."""
    record_heartbeat(name="worker")


# Acknowledged on receipt, not after the run (the project's default is late): the message
# is only a kick, the rows are the queue, so a lost message loses nothing; while a message
# still unacked when Redis restarts was seen to make kombu's reconnect fail (AttributeError
# in restore_unacked, kombu 5.7) and the worker exit.
@shared_task(name="governance.tasks.deliver_outbox", acks_late=False)
def deliver_outbox() -> dict[str, int]:
    """The outbox relay, on its own queue and worker (governance/celery.py): kicked when a
    deadline scan commits, and run by beat as the safety net. The rows are the queue, so a
    lost message (a Redis restart) loses nothing: the next run finds every undelivered row.
    A run that stopped leasing at half its lease goes on in a fresh run at once."""
    result = deliveries_relay()
    if result["more"]:
        _kick()
    return result


def _kick() -> None:
    try:
        lease, _timeout, _batch = relay_limits()
        # A kick that waited half a lease in the queue is stale: beat's runs and newer kicks
        # cover it. Not retried: with the broker away, beat's next run sends the rows.
        deliver_outbox.apply_async(expires=lease.total_seconds() / 2, retry=False)
    except Exception:
        logger.warning("could not kick the outbox relay; beat's next run will send", exc_info=True)


def relay_soon() -> None:
    """Have the relay send what the caller's transaction wrote, right after it commits,
    instead of at beat's next tick (a breach's e-mail within seconds of the scan)."""
    transaction.on_commit(_kick)
