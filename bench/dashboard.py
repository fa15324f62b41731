"""The leaders' dashboard at 10 k and 1 M cases: the district's dashboard page (this month
and this year), its chart data, a block's dashboard and /api/stats/summary/ — time (median
of 5) and queries per request — plus the summary roll-up's cost.

    BENCH_DATABASE_URL=postgres://…/gov_dash_bench python bench/dashboard.py   # BENCH_EVENTS=1000000
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
    "district_month": "/dashboard/430302/?period=month",
    "district_year": "/dashboard/430302/?period=year&measure=on_time_rate",
    "district_year_data": "/dashboard/430302/data.json?period=year",
    "street_quarter": "/dashboard/430302001/?period=quarter",
    "block_year": "/dashboard/430302001001001/?period=year",
    "api_summary_year": "/api/stats/summary/?area=430302&from={year}-01-01&to={today}",
}


def measure(client) -> dict:
    from django.db import connection
    from django.test.utils import CaptureQueriesContext
    from django.utils import timezone

    today = timezone.localdate()
    figures = {}
    for name, url in PAGES.items():
        url = url.format(year=today.year, today=today.isoformat())
        assert client.get(url).status_code == 200, name  # warm caches and connections
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


def rollup_figures(rng) -> dict:
    """Rebuild from scratch, then an incremental run over 100 changed block-days."""
    from django.utils import timezone

    from dashboards import rollup
    from dashboards.models import DirtyCell, StatCell

    started = time.perf_counter()
    rows = rollup.rebuild()
    rebuild = time.perf_counter() - started
    cells = list(
        StatCell.objects.filter(level="block", grain="d", dim="").values_list("area_code", "bucket")
    )
    DirtyCell.objects.bulk_create(
        [DirtyCell(area_code=c, day=d) for c, d in rng.sample(cells, min(100, len(cells)))]
    )
    started = time.perf_counter()
    rollup.rollup(now=timezone.now())
    incremental = time.perf_counter() - started
    return {
        "summary_rows": rows,
        "rebuild_seconds": round(rebuild, 1),
        "rollup_100_block_days_ms": round(incremental * 1000, 1),
    }


def main() -> None:
    setup_django()
    from django.core.management import call_command
    from django.db import connection
    from django.test import Client

    from blocks.models import Area
    from demo.bulk import generate_events
    from governance.models import User

    with connection.cursor() as c:
        c.execute(
            "TRUNCATE events_event, events_deadline, events_timelineentry, "
            "governance_statcell, governance_dirtycell CASCADE"
        )
    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    district = Area.objects.get(code="430302")
    rng = random.Random(7)
    client = Client()
    client.force_login(User.objects.get(username="leader"))

    generate_events(district=district, count=SMALL, rng=rng)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    figures = {f"10k_{k}": v for k, v in rollup_figures(rng).items()}
    figures.update({f"10k_{k}": v for k, v in measure(client).items()})
    started = time.perf_counter()
    generate_events(district=district, count=LARGE - SMALL, rng=rng)
    figures["load_seconds"] = round(time.perf_counter() - started)
    with connection.cursor() as c:
        c.execute("ANALYZE")
    label = f"{LARGE // 1000}k" if LARGE < 1_000_000 else f"{LARGE // 1_000_000}m"
    figures.update({f"{label}_{k}": v for k, v in rollup_figures(rng).items()})
    with connection.cursor() as c:
        c.execute("ANALYZE governance_statcell")
    figures.update({f"{label}_{k}": v for k, v in measure(client).items()})
    for name in PAGES:
        small, large = figures[f"10k_{name}_ms"], figures[f"{label}_{name}_ms"]
        figures[f"{name}_ratio"] = round(large / small, 2) if small else None
    report("dashboard", figures)


if __name__ == "__main__":
    main()
