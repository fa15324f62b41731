"""The Celery application: tasks are discovered per app; the beat schedule lives here, in code."""

import os

from celery import Celery
from celery.beat import PersistentScheduler
from celery.schedules import crontab

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")

app = Celery("governance")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()

# The outbox relay has a queue of its own, consumed by its own worker (`celery worker -Q
# outbox`, the Procfiles' "relay"): a mail server or robot that hangs holds the relay's
# processes only, never the deadline scan's. A worker started without -Q consumes the
# default queue alone (Celery snapshots it before any route creates this one).
OUTBOX_QUEUE = "outbox"
app.conf.task_routes = {"governance.tasks.deliver_outbox": {"queue": OUTBOX_QUEUE}}


def _heartbeat_interval() -> float:
    from django.conf import settings

    return float(settings.HEARTBEAT_SECONDS)


def _rollup_interval() -> float:
    from django.conf import settings

    return float(getattr(settings, "STATS_ROLLUP_SECONDS", 30))


def _scan_interval() -> float:
    from django.conf import settings

    return float(settings.DEADLINE_SCAN_SECONDS)


# Every periodic task is safe to run twice at once (two beats, overlapping runs): each one
# claims its rows in the database. Expiry drops a run that waited longer than its period.
app.conf.beat_schedule = {
    "heartbeat": {
        "task": "governance.tasks.heartbeat",
        "schedule": _heartbeat_interval(),
        "options": {"expires": _heartbeat_interval()},
    },
    "enforce-deadlines": {
        "task": "events.tasks.enforce_deadlines",
        "schedule": _scan_interval(),
        "options": {"expires": _scan_interval()},
    },
    # 督办: a red card whose date passed with its case still open is told again, once
    # (events/supervision.py claims each card like the deadline scan claims a clock).
    "supervision-due": {
        "task": "events.tasks.supervision_due",
        "schedule": _scan_interval(),
        "options": {"expires": _scan_interval()},
    },
    # E-mail and group-robot deliveries written by the scan (and by the workflow) are
    # sent from the outbox table; leases keep two overlapping relays from sending twice.
    # A scan that claims something also kicks the relay as it commits (events.enforcement);
    # this tick is the safety net: workflow notices, retries, a lost kick.
    "deliver-outbox": {
        "task": "governance.tasks.deliver_outbox",
        "schedule": _scan_interval(),
        "options": {"expires": _scan_interval()},
    },
    # Each morning: service items due or overdue, ledger items past their target (liaison).
    "remind-links": {
        "task": "liaison.tasks.remind_links",
        "schedule": crontab(hour=8, minute=0),
        "options": {"expires": 3600},
    },
    # Idempotency-Keys answer retries for 24 h; older ones are only clutter.
    "prune-idempotency-keys": {
        "task": "events.tasks.prune_idempotency_keys",
        "schedule": crontab(hour=3, minute=30),
        "options": {"expires": 3600},
    },
    # The dashboards' summary tables: a page is at most this stale (DESIGN §9: ≤ 60 s).
    "rollup-stats": {
        "task": "dashboards.tasks.rollup_stats",
        "schedule": _rollup_interval(),
        "options": {"expires": _rollup_interval()},
    },
}


class RecordingScheduler(PersistentScheduler):
    """The beat scheduler, which also records that beat itself is alive.

    The heartbeat task proves a worker runs what beat sends; this proves beat ticks even
    when no worker is there to run anything, so /healthz can tell which of the two is down.
    """

    def tick(self, *args, **kwargs):
        from governance.heartbeats import record_heartbeat

        try:
            record_heartbeat(name="beat")
        except Exception:  # the database may be briefly away; beat must keep ticking
            self.logger.exception("could not record the beat heartbeat")
        return min(super().tick(*args, **kwargs), _heartbeat_interval())

    # Module-level attribute name that `celery beat -S` expects.


app.conf.beat_scheduler = "governance.celery:RecordingScheduler"
