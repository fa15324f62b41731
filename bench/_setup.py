"""Shared set-up of the benchmarks: a PostgreSQL database of their own, migrated, and a
small territory to hang rows on. Benchmarks print their figures; they assert nothing."""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import threading
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/governance_bench"


def setup_django() -> None:
    """Point Django at the bench database, create and migrate it: BENCH_DATABASE_URL, else
    ``<DATABASE_URL>_bench`` when DATABASE_URL is PostgreSQL (so two checkouts don't share
    one), else ``governance_bench``."""
    url = database_url()
    os.environ["BENCH_DATABASE_URL"] = os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
    sys.path.insert(0, str(ROOT))
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_url() -> str:
    """The bench database's URL (see setup_django)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    main = os.environ.get("DATABASE_URL", "")
    if main.startswith(("postgres://", "postgresql://")):
        return main.split("?", 1)[0] + "_bench"
    return DEFAULT_URL


def fresh_database(kind: str) -> str:
    """The URL of the scenario ``kind``'s own database (``BENCH_<KIND>_DATABASE_URL``, else
    ``<bench database>_<kind>``), dropped first so that runs compare (unless
    ``BENCH_<KIND>_REUSE=1``: kept while investigating)."""
    prefix = f"BENCH_{kind.upper()}_"
    url = os.environ.get(prefix + "DATABASE_URL") or database_url().split("?", 1)[0] + f"_{kind}"
    import psycopg

    name, admin_url = url.rsplit("/", 1)[1], url.rsplit("/", 1)[0] + "/postgres"
    if os.environ.get(prefix + "REUSE") != "1":
        with psycopg.connect(admin_url, autocommit=True) as conn:
            conn.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
    return url


def demo_staff() -> dict[str, list[str]]:
    """Usernames of the demo district's own people by the work the load benchmarks give
    them: each block's governor (a queue of their own), the streets' dispatch desks, the
    departments' officers and the district's leaders."""
    from blocks.models import Area, DepartmentMember, Posting

    def posted(role: str, level: str) -> list[str]:
        rows = Posting.objects.filter(
            role=role, ended_on__isnull=True, area__level=level, area__closed_on__isnull=True
        ).order_by("area__code", "pk")
        return list(dict.fromkeys(rows.values_list("user__username", flat=True)))

    return {
        "governor": posted(Posting.Role.GOVERNOR, Area.Level.BLOCK),
        "dispatcher": posted(Posting.Role.DISPATCHER, Area.Level.STREET),
        "officer": list(
            dict.fromkeys(
                DepartmentMember.objects.filter(ended_on__isnull=True)
                .order_by("department__code", "pk")
                .values_list("user__username", flat=True)
            )
        ),
        "leader": posted(Posting.Role.LEADER, Area.Level.DISTRICT),
    }


def serve_benchsite(port: int, env: dict, *args: str, log=None) -> subprocess.Popen:
    """gunicorn with the production config (deploy/gunicorn.conf.py, ``args`` on top) serving
    bench/benchsite.py on ``port``, in a process group of its own (for CpuMeter and
    stop_server), once it answers. Exits if it does not start, or if what answered was
    another server left on the port."""
    import requests

    server = subprocess.Popen(
        [str(Path(sys.executable).parent / "gunicorn"), "benchsite",
         "--config", str(ROOT / "deploy/gunicorn.conf.py"), "--bind", f"127.0.0.1:{port}",
         "--no-control-socket", "--access-logfile", "/dev/null", *args],
        cwd=ROOT / "bench", stdout=log, stderr=log, start_new_session=True,
        env={**env, "PYTHONPATH": f"{ROOT}:{ROOT / 'bench'}",
             "DJANGO_SETTINGS_MODULE": "benchsite"},
    )  # fmt: skip
    for _ in range(120):
        if server.poll() is not None:
            break
        try:
            requests.get(f"http://127.0.0.1:{port}/login/", timeout=10)
            break
        except requests.RequestException:
            time.sleep(0.5)
    if server.poll() is not None:
        sys.exit(f"gunicorn exited ({server.returncode}): is port {port} in use?")
    return server


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=60)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait(timeout=10)


def report(name: str, figures: dict) -> None:
    """One line per measure, and a JSON file under bench/results/."""
    for key, value in figures.items():
        print(f"{name}.{key}: {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))


TICK = os.sysconf("SC_CLK_TCK")


def cpu_sample(group: int) -> tuple[float, dict[int, float], float]:
    """(time, CPU seconds of each of the server's processes, CPU seconds of the machine)."""
    mine = {}
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                fields = (entry / "stat").read_text().rsplit(")", 1)[1].split()
            except OSError:
                continue
            if int(fields[2]) == group:  # the process group gunicorn was started in
                mine[int(entry.name)] = (int(fields[11]) + int(fields[12])) / TICK
    jiffies = [int(v) for v in Path("/proc/stat").read_text().split()[1:9]]
    return time.time(), mine, (sum(jiffies) - jiffies[3] - jiffies[4]) / TICK


class CpuMeter(threading.Thread):
    """Samples, once a second, the CPU the web server used and the CPU the machine used, so
    that each level says what a request costs the server and how busy the machine was."""

    def __init__(self, group: int):
        super().__init__(daemon=True)
        self.group, self.samples, self.stopped = group, [], threading.Event()

    def run(self):
        while not self.stopped.wait(1):
            self.samples.append(cpu_sample(self.group))

    def between(self, since: float, until: float) -> tuple[float, float, float]:
        inside = [s for s in self.samples if since <= s[0] <= until]
        if len(inside) < 2:
            return 0, 0, 0
        # Per process and second, so that a worker recycled by max_requests (its time gone
        # with it) and its fresh successor both count right.
        server = sum(
            max(0.0, cpu - before[1].get(pid, 0.0))
            for before, after in zip(inside, inside[1:], strict=False)
            for pid, cpu in after[1].items()
        )
        return inside[-1][0] - inside[0][0], server, inside[-1][2] - inside[0][2]


BLOCK_FIELD = re.compile(r'name="block" id="id_block" value="(\d+)"')
MATTER_OPTION = re.compile(r'<option value="(\d+)"')


def intake_form(html: str) -> dict | None:
    """What a governor types into the workbench's intake form (the locust workloads): their
    block, a matter picked from the list, a phone, what and where. None: no form there."""
    import random

    block, matters = BLOCK_FIELD.search(html or ""), MATTER_OPTION.findall(html or "")
    if not block or not matters:
        return None
    return {"block": block.group(1), "category": random.choice(matters),
            "reporter_phone": "13800138000", "description": "压测：楼道堆放杂物", "building": "1栋"}  # fmt: skip
