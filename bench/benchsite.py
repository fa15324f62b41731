"""The product's settings and URLs plus two bare views, served by the same gunicorn, database,
middleware and session as the product's pages, so that a ratio to them measures our own code,
not the stack: a bare Django JSON view for bench/intake.py, and a bare page (a one-line
template, no query of its own) for bench/pages.py (DESIGN §9).

With ``BENCH_CPU_TALLY_DIR`` set (bench/district.py), ``CpuTallyMiddleware`` comes first and
tallies the CPU each request cost, polls apart from pages, so that the polls' share of the web
server's CPU is measured rather than inferred.

This module is the settings module, the URLconf and the WSGI module at once. The settings
file is run by path, not imported: importing ``governance.settings`` would first run
``governance/__init__.py``, whose Celery app reads the settings — this very module, still
half-loaded. The URLs and the WSGI application are made on first use (PEP 562), once Django
is set up.
"""

import atexit
import json
import os
import runpy
import threading
import time
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
TALLY_DIR = os.environ.get("BENCH_CPU_TALLY_DIR", "")
if TALLY_DIR:
    MIDDLEWARE = ["benchsite.CpuTallyMiddleware", *MIDDLEWARE]  # noqa: F821
TALLY_FLUSH_SECONDS = 2.0


class CpuTallyMiddleware:
    """The CPU time of each request's thread (``time.thread_time``: gthread workers serve
    several requests at once, so process time would mix them), added up per kind — ``poll
    <status>`` (the paths a page polls on a timer), ``write`` (POST) or ``page`` — in this worker's
    memory. Every TALLY_FLUSH_SECONDS, and when the worker exits (max_requests recycles it),
    the running totals are appended with a timestamp to ``<TALLY_DIR>/<pid>.jsonl``, so the
    bench can take the difference over its steady state. No Redis or database call per
    request: that would add to the poll's own cost. What gunicorn does outside Django
    (accepting, parsing, writing) is not counted here; the bench compares the sum with the
    process group's CPU."""

    def __init__(self, get_response):
        from governance.security import SessionPolicyMiddleware

        self.get_response = get_response
        self.polls = SessionPolicyMiddleware.BACKGROUND  # the product's own list of polls
        self.lock = threading.Lock()
        self.totals: dict[str, list[float]] = {}
        self.flushed_at = 0.0
        self.exit_hook = False

    def __call__(self, request):
        started = time.thread_time()
        response = self.get_response(request)
        spent = time.thread_time() - started
        if request.path.startswith(self.polls):
            kind = f"poll {response.status_code}"  # an unchanged poll (204) apart
        else:
            kind = "write" if request.method == "POST" else "page"
        with self.lock:
            seconds_and_count = self.totals.setdefault(kind, [0.0, 0])
            seconds_and_count[0] += spent
            seconds_and_count[1] += 1
            due = time.time() - self.flushed_at >= TALLY_FLUSH_SECONDS
            if due:
                self.flushed_at = time.time()
        if due:
            self.flush()
        return response

    def flush(self) -> None:
        if not self.exit_hook:  # in the worker, not in the master it was forked from
            self.exit_hook = True
            atexit.register(self.flush)
        with self.lock:
            line = json.dumps({"t": time.time(), "totals": self.totals})
        with open(Path(TALLY_DIR) / f"{os.getpid()}.jsonl", "a") as out:
            out.write(line + "\n")


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
