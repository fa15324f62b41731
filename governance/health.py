"""GET /healthz: is every part of the product up? 200 when all are, 503 otherwise."""

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


def check_calendar() -> dict:
    """Working days of a year nobody has entered fall back to Monday–Friday: say so, loudly,
    but it does not stop the service (DESIGN §4)."""
    from events.deadlines import calendar_gaps

    gaps = calendar_gaps()
    if not gaps:
        return {"ok": True}
    return {
        "ok": True,
        "warning": (
            f"no official working-day calendar for {', '.join(map(str, gaps))}: weekends only "
            "until an administrator enters the holidays (admin › working-day overrides)"
        ),
        "uncovered_years": gaps,
    }


@never_cache
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    database = check_database()
    checks = {"database": database, "broker": check_broker()}
    if database["ok"]:
        checks.update(heartbeat_states())
        checks["calendar"] = check_calendar()
    else:
        checks.update(
            {name: {"ok": False, "error": "database down"} for name in ("worker", "beat")}
        )
    ok = all(part["ok"] for part in checks.values())
    return JsonResponse({"ok": ok, **checks}, status=200 if ok else 503)
