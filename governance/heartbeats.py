"""Liveness of the background processes, read by /healthz."""

from datetime import datetime

from django.conf import settings
from django.utils import timezone

from governance.models import Heartbeat


def record_heartbeat(*, name: str, now: datetime | None = None) -> None:
    Heartbeat.objects.update_or_create(name=name, defaults={"seen_at": now or timezone.now()})


def heartbeat_states(*, now: datetime | None = None) -> dict[str, dict]:
    now = now or timezone.now()
    seen = dict(Heartbeat.objects.values_list("name", "seen_at"))
    states = {}
    for name in (Heartbeat.WORKER, Heartbeat.BEAT):
        seen_at = seen.get(name)
        alive = seen_at is not None and now - seen_at <= settings.HEARTBEAT_STALE_AFTER
        states[name] = {
            "ok": alive,
            "last_seen": seen_at.isoformat() if seen_at else None,
        }
    return states
