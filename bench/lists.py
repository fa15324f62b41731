"""List pages at 10 k and 1 M cases: the governor's workbench, the street's dispatch console
and the district leader's case list — time (median of 5) and queries per request.

    python bench/lists.py            # BENCH_EVENTS=1000000 by default; BENCH_DATABASE_URL
"""

from __future__ import annotations

import os
import random
import statistics
import time

from _setup import report, setup_django

SMALL = 10_000
LARGE = int(os.environ.get("BENCH_EVENTS", "1000000"))
PAGES = {
    "workbench": ("governor", "/events/workbench/"),
    "dispatch_console": ("dispatcher", "/events/console/?tab=in_progress"),
    "case_list": ("leader", "/events/"),
    "case_list_filtered": ("leader", "/events/?priority=red&open=true"),
}


def measure(client_for) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    figures = {}
    for name, (user, url) in PAGES.items():
        client = client_for(user)
        client.get(url)  # warm caches and connections
        times, queries = [], 0
        for _ in range(5):
            with CaptureQueriesContext(connection) as captured:
                start = time.perf_counter()
                response = client.get(url)
                times.append(time.perf_counter() - start)
            assert response.status_code == 200, (name, response.status_code)
            queries = len(captured)
        figures[f"{name}_ms"] = round(statistics.median(times) * 1000, 1)
        figures[f"{name}_queries"] = queries
    return figures


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from blocks.models import Area
    from demo.bulk import generate_events
    from governance.models import User

    with connection.cursor() as c:
        c.execute("TRUNCATE events_event, events_deadline, events_timelineentry CASCADE")
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    district = Area.objects.get(code="430302")
    rng = random.Random(9)

    def client_for(username: str) -> Client:
        client = Client()
        client.force_login(User.objects.get(username=username))
        return client

    generate_events(district=district, count=SMALL, rng=rng)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    figures = {f"10k_{k}": v for k, v in measure(client_for).items()}
    started = time.perf_counter()
    generate_events(district=district, count=LARGE - SMALL, rng=rng)
    figures["load_seconds"] = round(time.perf_counter() - started)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    label = f"{LARGE // 1000}k" if LARGE < 1_000_000 else f"{LARGE // 1_000_000}m"
    figures.update({f"{label}_{k}": v for k, v in measure(client_for).items()})
    report("lists", figures)


if __name__ == "__main__":
    main()
