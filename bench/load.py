"""Mixed load of 20, 100 and 200 concurrent users against gunicorn + PostgreSQL + Redis on
this machine (DESIGN §9: no errors, throughput at 200 ≥ 80 % of the best level).

    python bench/load.py       # BENCH_LOAD_SECONDS of steady state per level (default 40)

gunicorn runs with the production config (deploy/gunicorn.conf.py) on BENCH_LOAD_PORT
(8013), against a database of its own (``<bench database>_load``), created afresh from the
demo data on every run so that runs compare. The workload is bench/locustfile.py: users
arrive BENCH_LOAD_SPAWN_RATE a second and log in once each; the figures are those of the
steady state once all are in, and the arrival is reported apart (its errors too).
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _setup import RESULTS, ROOT, CpuMeter, demo_staff, fresh_database, report, setup_django

LEVELS = [20, 100, 200]
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "40"))
SPAWN_RATE = float(os.environ.get("BENCH_LOAD_SPAWN_RATE", "2"))
PORT = int(os.environ.get("BENCH_LOAD_PORT", "8013"))
BIN = Path(sys.executable).parent


def demo_accounts(password: str) -> dict[str, list[str]]:
    """The demo district's own people, so that 200 users are 200 people: each governor in
    their own block (a queue of their own), the streets' desks, the departments' officers
    and the leaders. They all get the bench password (one hash: hashing 350 would take
    minutes and measure nothing)."""
    from django.contrib.auth import get_user_model
    from django.contrib.auth.hashers import make_password

    accounts = demo_staff()
    everyone = {name for names in accounts.values() for name in names}
    get_user_model().objects.filter(username__in=everyone).update(
        password=make_password(password), must_change_password=False, is_active=True
    )
    return accounts


def main() -> None:
    password = "Bench-Password-2026"
    url = fresh_database("load")
    env = dict(os.environ)
    env.update(
        BENCH_DATABASE_URL=url, DATABASE_URL=url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"),
        DEMO_PASSWORD=password, DEBUG="0", ALLOWED_HOSTS="127.0.0.1",
    )  # fmt: skip
    os.environ.update(env)
    setup_django()
    from django.core.cache import cache
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("collectstatic", verbosity=0, interactive=False)
    cache.clear()  # sessions of an earlier run live in the cache
    accounts = RESULTS / "load-accounts.json"
    RESULTS.mkdir(parents=True, exist_ok=True)
    accounts.write_text(json.dumps(demo_accounts(password)))
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "governance.wsgi", "--config", "deploy/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{PORT}", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        meter = CpuMeter(os.getpgid(server.pid))
        meter.start()
        figures: dict = {}
        for users in LEVELS:
            result = RESULTS / f"load-{users}.json"
            result.unlink(missing_ok=True)
            arrival = users / SPAWN_RATE
            subprocess.run(
                [str(BIN / "locust"), "-f", "bench/locustfile.py", "--headless",
                 "-u", str(users), "-r", str(SPAWN_RATE),
                 # a cap only: the locustfile stops SECONDS after the last user is in
                 "--run-time", f"{int(arrival * 3 + SECONDS + 120)}s",
                 "--host", f"http://127.0.0.1:{PORT}", "--only-summary"],
                cwd=ROOT, env={**env, "LOAD_SECONDS": str(SECONDS), "LOAD_RESULT": str(result),
                               "LOAD_ACCOUNTS": str(accounts)},
                check=False, capture_output=True,
            )  # fmt: skip
            run = json.loads(result.read_text())
            steady, warmup = run["steady"], run["warmup"] or {}
            prefix = f"users_{users}_"
            figures[prefix + "requests_per_s"] = steady["requests_per_s"]
            figures[prefix + "failures"] = steady["failures"]
            figures[prefix + "p50_ms"] = steady["p50_ms"]
            figures[prefix + "p95_ms"] = steady["p95_ms"]
            figures[prefix + "arrival_failures"] = warmup.get("failures", "incomplete")
            figures[prefix + "login_p95_ms"] = warmup.get("login_p95_ms", 0)
            figures[prefix + "complete"] = run["complete"]
            seconds, server_cpu, machine_cpu = meter.between(steady["since"] or 0, steady["until"])
            if seconds:
                cores = os.cpu_count() or 1
                # CPU of our web server per request (PostgreSQL's share not counted), the
                # cores it had, and how busy the machine was (PostgreSQL, locust and any
                # other work on it included).
                figures[prefix + "server_cpu_ms_per_request"] = round(
                    server_cpu / max(steady["requests"] * seconds / steady["seconds"], 1) * 1000, 1
                )
                figures[prefix + "server_cores"] = round(server_cpu / seconds, 2)
                figures[prefix + "machine_busy_percent"] = round(
                    machine_cpu / seconds / cores * 100
                )
        best = max(figures[f"users_{u}_requests_per_s"] for u in LEVELS)
        figures["throughput_200_vs_best"] = round(figures["users_200_requests_per_s"] / best, 2)
        report("load", figures)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
