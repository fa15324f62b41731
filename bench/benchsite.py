"""The product's settings and URLs plus two bare views, served by the same gunicorn, database,
middleware and session as the product's pages, so that a ratio to them measures our own code,
not the stack: a bare Django JSON view for bench/intake.py, and a bare page (a one-line
template, no query of its own) for bench/pages.py (DESIGN §9).

This module is the settings module, the URLconf and the WSGI module at once. The settings
file is run by path, not imported: importing ``governance.settings`` would first run
``governance/__init__.py``, whose Celery app reads the settings — this very module, still
half-loaded. The URLs and the WSGI application are made on first use (PEP 562), once Django
is set up.
"""

import runpy
from pathlib import Path

from django.db import connection
from django.http import HttpResponse, JsonResponse
from django.template import loader

_SETTINGS = Path(__file__).resolve().parents[1] / "governance" / "settings.py"
globals().update(
    {name: value for name, value in runpy.run_path(str(_SETTINGS)).items() if name.isupper()}
)  # the product's settings, unchanged
ROOT_URLCONF = "benchsite"
TEMPLATES[0]["DIRS"] = [*TEMPLATES[0]["DIRS"], Path(__file__).resolve().parent / "templates"]  # noqa: F821


def bare(request):
    """A Django view at its barest that still touches the database once."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
        cursor.fetchone()
    return JsonResponse({"ok": True})


def bare_page(request):
    """A page at its barest: the product's middleware and the visitor's session (the user is
    read as on every page), then a one-line template, without the context processors."""
    return HttpResponse(loader.get_template("bench/bare.html").render({"user": request.user}))


def __getattr__(name):
    if name == "urlpatterns":
        from django.urls import include, path

        return [
            path("bench/bare/", bare),
            path("bench/page/", bare_page),
            path("", include("governance.urls")),
        ]
    if name == "application":
        from django.core.wsgi import get_wsgi_application

        return get_wsgi_application()
    raise AttributeError(name)
