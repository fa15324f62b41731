"""GET /healthz: is every part of the product up? 200 when all are, 503 otherwise."""

from collections.abc import Callable

from django.conf import settings
from django.db import connection
from django.http import HttpRequest, JsonResponse
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
    ok = all(part["ok"] for part in checks.values())
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)
