"""GET /healthz: is every part of the product up? 200 when all are, 503 otherwise."""

import logging
import threading
from collections.abc import Callable
from datetime import datetime

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
from django.utils import timezone
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET
from kombu import Connection

from governance.heartbeats import heartbeat_states


def check_database() -> dict:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as exc:  # any failure means "down"; the reason is shown to operators
        return {"ok": False, "error": str(exc)[:200]}
    return {"ok": True, "vendor": connection.vendor}


def check_broker() -> dict:
    url = settings.CELERY_BROKER_URL
    try:
        with Connection(
            url, transport_options=settings.CELERY_BROKER_TRANSPORT_OPTIONS, connect_timeout=2
        ) as conn:
            conn.ensure_connection(max_retries=1, timeout=2)
    except Exception as exc:
        return {"ok": False, "transport": url.split("://", 1)[0], "error": str(exc)[:200]}
    return {"ok": True, "transport": url.split("://", 1)[0]}


# Checks that apps above the ground add (``AppConfig.ready``): name → a function returning
# ``{"ok": bool, …}``. They read the database, so they run only while it is up.
PROBES: dict[str, Callable[[], dict]] = {}


def register_probe(name: str, probe: Callable[[], dict]) -> None:
    PROBES[name] = probe


logger = logging.getLogger(__name__)


class ProcessState:
    """What this web process last said about the parts, so that it speaks on a change only.

    Until the first time everything is up (at most two heartbeat-staleness periods after the
    process started) a part that is down is warming up: `make run` starts web, worker and
    beat together, and its start-up banner polls /healthz until they are up. That is said
    once, at INFO. After it, a part going down is a WARNING, once, naming the parts; and
    coming back is INFO. Per poll nothing is logged: Django's "Service Unavailable" ERROR
    for every 503 is turned off for this view (``_has_been_logged``), since a 503 here is
    the probe's answer to "is everything up?", not a failure of the request."""

    def __init__(self) -> None:
        self.started_at: datetime = timezone.now()
        self.was_up = False
        self.failing: tuple[str, ...] | None = None
        self.lock = threading.Lock()

    def warming_up(self, now: datetime) -> bool:
        return not self.was_up and now - self.started_at < 2 * settings.HEARTBEAT_STALE_AFTER

    def saw(self, failing: tuple[str, ...]) -> None:
        with self.lock:
            if failing == self.failing:
                return
            self.failing = failing
            if not failing:
                self.was_up = True
                logger.info("healthz: all parts up")
            elif self.warming_up(timezone.now()):
                logger.info("healthz: starting, waiting for %s", ", ".join(failing))
            else:
                logger.warning("healthz: down: %s", ", ".join(failing))


STATE = ProcessState()


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    checks = {"database": database, "broker": check_broker()}
    if database["ok"]:
        checks.update(heartbeat_states())
        checks.update({name: probe() for name, probe in PROBES.items()})
    else:
        checks.update(
            {name: {"ok": False, "error": "database down"} for name in ("worker", "beat")}
        )
    failing = tuple(name for name, part in checks.items() if not part["ok"])
    STATE.saw(failing)
    response = JsonResponse({"ok": not failing, **checks}, status=503 if failing else 200)
    response._has_been_logged = True  # said above, once per change (ProcessState)
    return response
