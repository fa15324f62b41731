"""The leaders' dashboard at 10 k cases and at each larger size asked for: the district's
dashboard page (this month and this year), its chart data, a block's dashboard and
/api/stats/summary/ — time (median of 5) and queries per request — plus the summary's full
rebuild and an incremental roll-up at each size; each page's multiple of its time at 10 k
(DESIGN §9: 10 M within 1.5×), and the district dashboard's multiple of a bare page asked
by the same client in the same run (issue 21: ≤ 20× at 1 M).

    BENCH_DATABASE_URL=postgres://…/gov_dash_bench python bench/dashboard.py
    BENCH_EVENTS=1000000,10000000 python bench/dashboard.py   # 10 k, 1 M and 10 M in one run

The cases are topped up from one size to the next (``demo.bulk``: 10 M takes some twenty
minutes on two quiet cores) and the summary is rebuilt from scratch at each size, as after
any bulk load. The bare page is bench/benchsite.py's (the product's middleware and the
leader's session, a one-line template, no query of its own), asked in-process like the
pages here, so the multiple is of our code over Django's request path (bench/pages.py
measures the same multiple over HTTP, one gunicorn worker, with the demo's few cases).
"""

from __future__ import annotations

import os
import random
import statistics
import time

from _setup import report, setup_django

SMALL = 10_000
SIZES = [int(n) for n in os.environ.get("BENCH_EVENTS", "1000000").split(",")]
BARE = "/bench/page/"
PAGES = {
    "district_month": "/dashboard/430302/?period=month",
    "district_year": "/dashboard/430302/?period=year&measure=on_time_rate",
    "district_year_data": "/dashboard/430302/data.json?period=year",
    "street_quarter": "/dashboard/430302001/?period=quarter",
    "block_year": "/dashboard/430302001001001/?period=year",
    "api_summary_year": "/api/stats/summary/?area=430302&from={year}-01-01&to={today}",
}
# The pages whose multiple of the bare page is printed (the district dashboard, as a leader
# opens it: this month; and this year).
AGAINST_BARE = ("district_month", "district_year")


def label_of(size: int) -> str:
    return f"{size // 1000}k" if size < 1_000_000 else f"{size // 1_000_000}m"


def once(client, url: str) -> tuple[float, int]:
    """Seconds of one request, and its queries."""
    from django.db import connection, reset_queries
    from django.test.utils import CaptureQueriesContext

    # The log of queries holds 9,000 (DEBUG is on here, so a load or rebuild fills it): a
    # full one would count none.
    reset_queries()
    with CaptureQueriesContext(connection) as captured:
        start = time.perf_counter()
        response = client.get(url)
        spent = time.perf_counter() - start
    assert response.status_code == 200, (url, response.status_code)
    return spent, len(captured)


def measure(client) -> dict:
    """Each page's median of 5 and its queries; the bare page is asked before each of them,
    so that drift on a shared machine touches both."""
    from django.utils import timezone

    today = timezone.localdate()
    figures: dict = {"load_average": os.getloadavg()[0]}
    bare = []
    for name, url in PAGES.items():
        url = url.format(year=today.year, today=today.isoformat())
        once(client, BARE), once(client, url)  # warm caches and connections
        times = []
        for _ in range(5):
            bare.append(once(client, BARE)[0])
            spent, figures[f"{name}_queries"] = once(client, url)
            times.append(spent)
        figures[f"{name}_ms"] = round(statistics.median(times) * 1000, 1)
    figures["bare_page_ms"] = round(statistics.median(bare) * 1000, 1)
    figures["bare_page_queries"] = once(client, BARE)[1]
    for name in AGAINST_BARE:
        figures[f"{name}_x_bare"] = round(figures[f"{name}_ms"] / figures["bare_page_ms"], 1)
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
    # The bench's own site: the product's settings and URLs plus the bare page.
    os.environ["DJANGO_SETTINGS_MODULE"] = "benchsite"
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

    figures: dict = {}
    loaded = 0
    for size in [SMALL, *SIZES]:
        label = label_of(size)
        started = time.perf_counter()
        generate_events(district=district, count=size - loaded, rng=rng)
        figures[f"{label}_load_seconds"] = round(time.perf_counter() - started, 1)
        loaded = size
        with connection.cursor() as c:
            c.execute("ANALYZE")
        figures.update({f"{label}_{k}": v for k, v in rollup_figures(rng).items()})
        with connection.cursor() as c:
            c.execute("ANALYZE governance_statcell")
        figures.update({f"{label}_{k}": v for k, v in measure(client).items()})
        if size == SMALL:
            continue
        for name in PAGES:
            small, large = figures[f"10k_{name}_ms"], figures[f"{label}_{name}_ms"]
            figures[f"{label}_{name}_ratio"] = round(large / small, 2) if small else None
    report("dashboard", figures)


if __name__ == "__main__":
    main()
