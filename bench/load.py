"""Mixed load of 20, 100 and 200 concurrent users against gunicorn + PostgreSQL + Redis on
this machine (DESIGN §9: no errors, throughput at 200 ≥ 80 % of the best level).

    python bench/load.py       # BENCH_LOAD_SECONDS per level (default 40)
"""

from __future__ import annotations

import csv
import os
import signal
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

from _setup import RESULTS, ROOT, database_url, report, setup_django

LEVELS = [20, 100, 200]
SECONDS = int(os.environ.get("BENCH_LOAD_SECONDS", "40"))
PORT = 8011
BIN = Path(sys.executable).parent


def main() -> None:
    password = "Bench-Password-2026"
    env = dict(os.environ)
    env.update(
        DATABASE_URL=database_url(),
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/5"),
        DEMO_PASSWORD=password, DEBUG="0", ALLOWED_HOSTS="127.0.0.1",
    )  # fmt: skip
    os.environ.update(env)
    setup_django()
    from django.core.management import call_command

    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("collectstatic", verbosity=0, interactive=False)
    server = subprocess.Popen(
        [str(BIN / "gunicorn"), "governance.wsgi", "--config", "deploy/gunicorn.conf.py",
         "--bind", f"127.0.0.1:{PORT}", "--workers", "4", "--threads", "4", "--access-logfile", "/dev/null"],
        cwd=ROOT, env=env, start_new_session=True,
    )  # fmt: skip
    try:
        for _ in range(60):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{PORT}/login/", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        figures = {}
        for users in LEVELS:
            prefix = RESULTS / f"load-{users}"
            subprocess.run(
                [str(BIN / "locust"), "-f", "bench/locustfile.py", "--headless", "-u", str(users),
                 "-r", str(max(users // 5, 1)), "--run-time", f"{SECONDS}s",
                 "--host", f"http://127.0.0.1:{PORT}", "--csv", str(prefix), "--only-summary"],
                cwd=ROOT, env=env, check=False, capture_output=True,
            )  # fmt: skip
            with open(f"{prefix}_stats.csv") as f:
                total = next(r for r in csv.DictReader(f) if r["Name"] == "Aggregated")
            figures[f"users_{users}_requests_per_s"] = round(float(total["Requests/s"]), 1)
            figures[f"users_{users}_failures"] = int(total["Failure Count"])
            figures[f"users_{users}_p50_ms"] = float(total["50%"])
            figures[f"users_{users}_p95_ms"] = float(total["95%"])
        best = max(figures[f"users_{u}_requests_per_s"] for u in LEVELS)
        figures["throughput_200_vs_best"] = round(figures["users_200_requests_per_s"] / best, 2)
        report("load", figures)
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)


if __name__ == "__main__":
    main()
