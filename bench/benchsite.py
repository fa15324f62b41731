"""The product's settings and URLs plus one bare Django JSON view, for bench/intake.py: the
bare view is served by the same gunicorn, database and middleware as the intake API, so
the ratio between the two measures our own code, not the stack.

This module is the settings module, the URLconf and the WSGI module at once. The settings
file is run by path, not imported: importing ``governance.settings`` would first run
``governance/__init__.py``, whose Celery app reads the settings — this very module, still
half-loaded. The URLs and the WSGI application are made on first use (PEP 562), once Django
is set up.
"""

import runpy
from pathlib import Path

from django.db import connection
from django.http import JsonResponse

_SETTINGS = Path(__file__).resolve().parents[1] / "governance" / "settings.py"
globals().update(
    {name: value for name, value in runpy.run_path(str(_SETTINGS)).items() if name.isupper()}
)  # the product's settings, unchanged
ROOT_URLCONF = "benchsite"


def bare(request):
    """A Django view at its barest that still touches the database once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"ok": True})


def __getattr__(name):
    if name == "urlpatterns":
        from django.urls import include, path

        return [path("bench/bare/", bare), path("", include("governance.urls"))]
    if name == "application":
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()
    raise AttributeError(name)
