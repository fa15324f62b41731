"""A whole district's staff on one machine (DESIGN §9, issue 21): the demo district's staff
signed in — BENCH_DISTRICT_POLLERS (2,700) whose pages only poll as the browser does, plus
BENCH_DISTRICT_ACTIVE (300) at work on today's mix at a person's pace (a click every 10–30 s,
their pages' polls included) — against gunicorn with deploy/gunicorn.conf.py on this machine.

    python bench/district.py   # BENCH_DISTRICT_SECONDS of steady state (default 120: 4 polls)

Targets: no errors; page views p95 ≤ 1 s; polls ≤ 20 % of the web server's CPU. Printed
beside them: polls/s, page views/s, the polls' p50/p95 and share answered 204, the cores the
web server used, how busy the machine was, the load average and the machine.

- A fresh copy of the demo district (``<bench database>_district``), DEBUG off, PostgreSQL
  and Redis (the cache, the sessions and the polls' versions: governance/polls.py).
- Who: the district's own accounts. The active users are bench/locustfile.py's mix (weights
  5:2:2:1 over governors, street desks, officers and leaders; a kind with fewer accounts than
  sessions has several sessions per account, as bench/load.py does); the pollers are the
  other accounts, every kind in proportion. Everyone is signed in *before* the run through
  the product's own login (``django.test.Client.force_login``: ``login()`` and its
  ``user_logged_in`` receivers, which start the session's absolute timeout), in this process
  with the server's database, Redis and secret key; a sample of the sessions is tried
  against the server before the run.
- The workload is bench/district_locust.py (one locust process, gevent): users arrive evenly
  over RAMP seconds, each opens its landing page once, then polls (and the active click);
  the figures are the steady state once everyone has landed.
- The polls' share of the server's CPU is measured, not inferred: benchsite's
  ``CpuTallyMiddleware`` adds each request's thread CPU time to a tally per kind in each
  worker; the sum is set beside the process group's CPU (``_setup.CpuMeter``).

Exits non-zero only when the bench itself breaks, never on a missed target.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections import Counter
from pathlib import Path

from _setup import (
    RESULTS,
    ROOT,
    CpuMeter,
    demo_staff,
    fresh_database,
    report,
    serve_benchsite,
    setup_django,
    stop_server,
)  # fmt: skip

POLLERS = int(os.environ.get("BENCH_DISTRICT_POLLERS", "2700"))
ACTIVE = int(os.environ.get("BENCH_DISTRICT_ACTIVE", "300"))
SECONDS = int(os.environ.get("BENCH_DISTRICT_SECONDS", "120"))
PORT = int(os.environ.get("BENCH_DISTRICT_PORT", "8031"))
RAMP = int(os.environ.get("BENCH_DISTRICT_RAMP", "30"))  # users arrive evenly over it: polls spread
MIX = {"governor": 5, "dispatcher": 2, "officer": 2, "leader": 1}  # bench/locustfile.py's
PAGE_P95_MS, POLL_CPU_SHARE = 1000, 0.20  # DESIGN §9
LOCUST_BUSY = 0.8  # a locust process past this share of its one core delays its own requests
BIN = Path(sys.executable).parent


def plan_sessions() -> dict:
    """Who is who, each with a session made through the product's login."""
    from django.conf import settings
    from django.contrib.auth import get_user_model
    from django.test import Client

    from liaison.landing import landing

    staff = list(get_user_model().objects.filter(is_active=True).order_by("username"))
    by_name = {user.username: user for user in staff}
    lands_on = Counter(landing(user)[0] for user in staff)
    kinds = demo_staff()
    counts = {kind: ACTIVE * weight // sum(MIX.values()) for kind, weight in MIX.items()}
    counts["governor"] += ACTIVE - sum(counts.values())
    active = [
        (kind, kinds[kind][i % len(kinds[kind])]) for kind in MIX for i in range(counts[kind])
    ]
    taken = {name for _kind, name in active}
    others = [user for user in staff if user.username not in taken]
    # Evenly spaced over the accounts sorted by name, so every kind keeps its share.
    step = max(len(others) / POLLERS, 1.0) if POLLERS else 0
    pollers = [others[int(i * step)] for i in range(min(POLLERS, len(others)))]

    def session(user) -> str:
        client = Client()
        client.force_login(user)
        return client.cookies[settings.SESSION_COOKIE_NAME].value

    started = time.perf_counter()
    plan = {
        "cookie_name": settings.SESSION_COOKIE_NAME,
        "pollers": [{"user": u.username, "session": session(u)} for u in pollers],
        "active": [
            {"kind": kind, "user": name, "session": session(by_name[name])} for kind, name in active
        ],
    }
    plan["facts"] = {
        "accounts": len(staff),
        "accounts_by_landing": dict(lands_on.most_common()),
        "pollers_wanted": POLLERS,
        "pollers_short_by": max(0, POLLERS - len(pollers)),
        "active_sessions_by_kind": {
            kind: f"{counts[kind]} sessions on {len(set(kinds[kind][: counts[kind]]))} accounts"
            for kind in MIX
        },
        "signing_in_seconds": round(time.perf_counter() - started, 1),
    }
    return plan


def check_sessions(base: str, plan: dict) -> None:
    """A few of the sessions, tried against the server: ``/`` must lead to work, not to the
    login page."""
    import requests

    sample = [plan["pollers"][0], plan["pollers"][-1]] if plan["pollers"] else []
    sample += list({a["kind"]: a for a in plan["active"]}.values())
    for account in sample:
        answer = requests.get(
            f"{base}/", cookies={plan["cookie_name"]: account["session"]},
            allow_redirects=False, timeout=60,
        )  # fmt: skip
        location = answer.headers.get("Location", "")
        if answer.status_code != 302 or "/login/" in location:
            sys.exit(f"the session of {account['user']} does not work: / → {answer.status_code} "
                     f"{location}")  # fmt: skip


def tally_between(tally: Path, since: float, until: float) -> dict[str, list[float]]:
    """CPU seconds and requests per kind over [since, until], from the workers' running
    totals (a worker started after ``since`` counts from zero)."""
    out: dict[str, list[float]] = {}
    for path in tally.glob("*.jsonl"):
        lines = [json.loads(line) for line in path.read_text().splitlines() if line]

        def at(moment: float, lines=lines) -> dict:
            before = [line["totals"] for line in lines if line["t"] <= moment]
            return before[-1] if before else {}

        start, end = at(since), at(until)
        for kind, (seconds, count) in end.items():
            first = start.get(kind, [0.0, 0])
            total = out.setdefault(kind, [0.0, 0])
            total[0] += seconds - first[0]
            total[1] += count - first[1]
    return out


def merged(entries: dict, prefix: str) -> tuple[int, dict[int, int]]:
    times: Counter = Counter()
    for name, entry in entries.items():
        if name.startswith(prefix):
            times.update({int(ms): n for ms, n in entry["response_times"].items()})
    return sum(times.values()), times


def percentile(times: dict[int, int], share: float) -> int:
    total, seen = sum(times.values()), 0
    for ms in sorted(times):
        seen += times[ms]
        if seen >= share * total:
            return ms
    return 0


def machine() -> dict:
    memory = Path("/proc/meminfo").read_text().split("\n", 1)[0].split()[1]
    return {"machine_cores": os.cpu_count(), "machine_ram_gib": round(int(memory) / 2**20, 1)}


def main() -> None:
    url = fresh_database("district")
    env = dict(os.environ)
    env.update(
        BENCH_DATABASE_URL=url, DATABASE_URL=url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/11"),
        DEBUG="0", ALLOWED_HOSTS="127.0.0.1",
    )  # fmt: skip
    os.environ.update(env)
    setup_django()
    from django.core.cache import cache
    from django.core.management import call_command

    if os.environ.get("BENCH_DISTRICT_REUSE") != "1":
        call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("collectstatic", verbosity=0, interactive=False)
    cache.clear()  # sessions and poll versions of an earlier run live in the cache
    plan = plan_sessions()
    RESULTS.mkdir(parents=True, exist_ok=True)
    plan_file, result_file = RESULTS / "district-plan.json", RESULTS / "district-run.json"
    plan_file.write_text(json.dumps(plan))
    result_file.unlink(missing_ok=True)
    tally = Path(tempfile.mkdtemp(prefix="district-cpu-"))
    base = f"http://127.0.0.1:{PORT}"
    with open(RESULTS / "district-server.log", "w") as server_log:
        server = serve_benchsite(PORT, {**env, "BENCH_CPU_TALLY_DIR": str(tally)}, log=server_log)
        # The rest of a deployment on the same machine: a worker with beat (the dashboards'
        # roll-up every 30 s keeps the live delta a dashboard reads small, the deadline
        # scans, the notices), as Procfile runs them, in a process group of their own.
        workers = subprocess.Popen(
            [str(BIN / "celery"), "-A", "governance", "worker", "--beat", "--concurrency", "2",
             "--loglevel", "WARNING"],
            cwd=ROOT, env=env, stdout=server_log, stderr=subprocess.STDOUT,
            start_new_session=True,
        )  # fmt: skip
        try:
            check_sessions(base, plan)
            meter = CpuMeter(os.getpgid(server.pid))
            meter.start()
            users = len(plan["pollers"]) + len(plan["active"])
            with open(RESULTS / "district-locust.log", "w") as locust_log:
                subprocess.run(
                    [str(BIN / "locust"), "-f", "bench/district_locust.py", "--headless",
                     "-u", str(users), "-r", f"{users / RAMP:.2f}",
                     # a cap only: the locustfile stops SECONDS after the last user landed
                     "--run-time", f"{RAMP * 20 + SECONDS + 120}s",
                     "--host", base, "--only-summary", "--loglevel", "WARNING"],
                    cwd=ROOT, stdout=locust_log, stderr=subprocess.STDOUT, check=False,
                    env={**env, "DISTRICT_PLAN": str(plan_file), "DISTRICT_RESULT": str(result_file),
                         "DISTRICT_SECONDS": str(SECONDS)},
                )  # fmt: skip
            meter.stopped.set()
        finally:
            stop_server(server)
            stop_server(workers)
    run = json.loads(result_file.read_text()) if result_file.exists() else {"complete": False}
    cpu_by_kind = tally_between(tally, run.get("since") or 0, run.get("until") or 0)
    shutil.rmtree(tally, ignore_errors=True)
    if not run["complete"]:
        sys.exit(
            f"not every user landed ({run.get('landed')} of {users}): see {RESULTS}/district-*.log"
        )
    locust_warned = "CPU usage" in (RESULTS / "district-locust.log").read_text()
    figures = summarise(plan, run, meter, cpu_by_kind)
    figures["locust_cpu_warning"] = locust_warned
    print_table(run)
    report("district", figures)


def summarise(plan: dict, run: dict, meter: CpuMeter, tally: dict) -> dict:
    seconds = run["until"] - run["since"]
    entries = run["entries"]
    polls, poll_times = merged(entries, "poll: ")
    pages, page_times = merged(entries, "page: ")
    writes, write_times = merged(entries, "write: ")
    statuses = run["poll_statuses"]
    _, server_cpu, machine_cpu = meter.between(run["since"], run["until"])
    cores = os.cpu_count() or 1
    poll_cpu = sum(seconds for kind, (seconds, _n) in tally.items() if kind.startswith("poll"))
    poll_count = sum(n for kind, (_s, n) in tally.items() if kind.startswith("poll"))
    unchanged_cpu, unchanged_count = tally.get("poll 204", [0.0, 0])
    page_cpu, page_count = tally.get("page", [0.0, 0])
    write_cpu, write_count = tally.get("write", [0.0, 0])
    django_cpu = poll_cpu + page_cpu + write_cpu
    share = poll_cpu / django_cpu if django_cpu else 0
    failures = run["steady"]["failures"]
    page_p95 = percentile(page_times, 0.95)
    return {
        **machine(),
        "loadavg_at_start": " ".join(run["loadavg_at_since"] or []),
        "loadavg_at_end": " ".join(run["loadavg_at_until"]),
        **plan["facts"],
        "pollers": len(plan["pollers"]),
        "active": len(plan["active"]),
        "arrival_seconds": run["warmup"]["seconds"],
        "arrival_failures": run["warmup"]["failures"],
        "users_without_a_page": run["without_page"],
        "steady_seconds": round(seconds, 1),
        "errors": failures,
        "error_kinds": run["steady"]["errors"],
        "polls_per_s": round(polls / seconds, 1),
        "page_views_per_s": round(pages / seconds, 2),
        "writes_per_s": round(writes / seconds, 2),
        "poll_p50_ms": percentile(poll_times, 0.5),
        "poll_p95_ms": percentile(poll_times, 0.95),
        "poll_204_share": round(statuses.get("204", 0) / max(sum(statuses.values()), 1), 3),
        "poll_statuses": statuses,
        "page_view_p50_ms": percentile(page_times, 0.5),
        "page_view_p95_ms": page_p95,
        "write_p95_ms": percentile(write_times, 0.95),
        # The web server's CPU: its process group (CpuMeter), and what Django's request
        # threads spent, by kind (benchsite.CpuTallyMiddleware); the difference is
        # gunicorn's own work (connections, parsing) and the master.
        "server_cpu_seconds": round(server_cpu, 1),
        "server_cores": round(server_cpu / seconds, 2),
        "machine_busy_percent": round(machine_cpu / seconds / cores * 100),
        "django_cpu_seconds": round(django_cpu, 1),
        "django_share_of_server_cpu": round(django_cpu / server_cpu, 2) if server_cpu else 0,
        "poll_cpu_seconds": round(poll_cpu, 1),
        "poll_cpu_ms_each": round(poll_cpu / max(poll_count, 1) * 1000, 2),
        "unchanged_poll_cpu_ms_each": round(unchanged_cpu / max(unchanged_count, 1) * 1000, 2),
        "unchanged_polls_share_of_poll_cpu": round(unchanged_cpu / poll_cpu, 2) if poll_cpu else 0,
        "page_view_cpu_ms_each": round(page_cpu / max(page_count, 1) * 1000, 1),
        "write_cpu_ms_each": round(write_cpu / max(write_count, 1) * 1000, 1),
        "poll_share_of_django_cpu": round(share, 3),
        "poll_share_of_server_cpu": round(poll_cpu / server_cpu, 3) if server_cpu else 0,
        "locust_cores": round(run["locust_cpu_seconds"] / seconds, 2),
        "locust_cpu_bound": run["locust_cpu_seconds"] / seconds > LOCUST_BUSY,
        "target_errors_met": failures == 0,
        "target_page_view_p95_met": page_p95 <= PAGE_P95_MS,
        "target_poll_cpu_met": share <= POLL_CPU_SHARE,
    }


def print_table(run: dict) -> None:
    seconds = run["until"] - run["since"]
    names = sorted(run["entries"])
    width = max(len(name) for name in names)
    print(f"{'request':<{width}}  per s  p50 ms  p95 ms  failures")
    for name in names:
        entry = run["entries"][name]
        times = {int(ms): n for ms, n in entry["response_times"].items()}
        print(
            f"{name:<{width}}  {entry['requests'] / seconds:5.1f}  {percentile(times, 0.5):6d}"
            f"  {percentile(times, 0.95):6d}  {entry['failures']:8d}"
        )


if __name__ == "__main__":
    main()
