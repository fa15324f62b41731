"""Intake throughput: logging a case through the API (token auth, Idempotency-Key, the
workflow service with its timeline, clock and outbox rows) next to a bare Django JSON view
served by the same gunicorn and PostgreSQL in the same run (DESIGN §9: intake ≥ 0.5× bare).

    python bench/intake.py      # BENCH_INTAKE_SECONDS per measure (default 20), BENCH_CLIENTS (16)
"""

from __future__ import annotations

import http.client
import json
import os
import statistics
import threading
import time
import urllib.request
import uuid

from _setup import CpuMeter, database_url, report, serve_benchsite, setup_django, stop_server

SECONDS = float(os.environ.get("BENCH_INTAKE_SECONDS", "20"))
CLIENTS = int(os.environ.get("BENCH_CLIENTS", "16"))
PORT = 8012
PASSWORD = "Bench-Password-2026"


def hammer(make_request, seconds: float) -> dict:
    """``CLIENTS`` keep-alive connections sending requests back to back for ``seconds``."""
    latencies: list[float] = []
    errors: list[int] = []
    lock = threading.Lock()
    stop_at = time.monotonic() + seconds

    def client():
        conn = http.client.HTTPConnection("127.0.0.1", PORT, timeout=30)
        mine, bad = [], []
        while time.monotonic() < stop_at:
            method, url, body, headers = make_request()
            started = time.perf_counter()
            conn.request(method, url, body=body, headers=headers)
            response = conn.getresponse()
            response.read()
            mine.append(time.perf_counter() - started)
            if response.status >= 300:
                bad.append(response.status)
        conn.close()
        with lock:
            latencies.extend(mine)
            errors.extend(bad)

    threads = [threading.Thread(target=client) for _ in range(CLIENTS)]
    started = time.monotonic()
    for t in threads:
        t.start()
    for t in threads:
        t.join()
    elapsed = time.monotonic() - started
    latencies.sort()
    return {
        "requests_per_s": round(len(latencies) / elapsed, 1),
        "p50_ms": round(statistics.median(latencies) * 1000, 1),
        "p95_ms": round(latencies[int(len(latencies) * 0.95)] * 1000, 1),
        "errors": len(errors),
        "error_statuses": sorted(set(errors)),
    }


def main() -> None:
    url = database_url()
    env = dict(os.environ)
    env.update(
        BENCH_DATABASE_URL=url, DATABASE_URL=url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/6"),
        DEMO_PASSWORD=PASSWORD, DEBUG="0", ALLOWED_HOSTS="127.0.0.1",
        # The API's per-user throttle protects production from a runaway app; the bench is
        # that app on purpose.
        API_USER_RATE="1000000/min",
    )  # fmt: skip
    os.environ.update(env)
    setup_django()
    from django.core.management import call_command

    from blocks.models import Area
    from events.models import Category

    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    block = Area.objects.get(code="430302001001001")  # the demo governor's block
    category = Category.objects.get(code="city-street-vending")

    server = serve_benchsite(PORT, env)
    try:
        token_request = urllib.request.Request(
            f"http://127.0.0.1:{PORT}/api/auth/token/",
            data=json.dumps({"username": "governor", "password": PASSWORD}).encode(),
            headers={"Content-Type": "application/json"},
        )
        token = json.load(urllib.request.urlopen(token_request))["token"]

        def bare():
            return "GET", "/bench/bare/", None, {}

        def intake():
            body = json.dumps({
                "block": block.code, "category": category.code,
                "description": "东门有人占道摆摊，堵住了人行道", "reporter_phone": "13812345678",
                "building": "3栋",
            })  # fmt: skip
            return (
                "POST",
                "/api/events/",
                body,
                {
                    "Authorization": f"Token {token}",
                    "Content-Type": "application/json",
                    "Idempotency-Key": uuid.uuid4().hex,
                },
            )

        meter = CpuMeter(os.getpgid(server.pid))
        meter.start()

        def measured(name, make_request) -> dict:
            """The figures of ``name``, and what one request cost the web server's CPU and
            the whole machine's (the bench client and PostgreSQL included)."""
            since = time.time()
            figures = hammer(make_request, SECONDS)
            seconds, server_cpu, machine_cpu = meter.between(since, time.time())
            done = figures["requests_per_s"] * seconds
            if done:
                figures["server_cpu_ms_per_request"] = round(server_cpu / done * 1000, 1)
                figures["machine_cpu_ms_per_request"] = round(machine_cpu / done * 1000, 1)
            return {f"{name}_{k}": v for k, v in figures.items()}

        hammer(bare, 3)  # warm every worker
        figures = measured("bare", bare)
        figures.update(measured("intake", intake))
        figures["intake_vs_bare"] = round(
            figures["intake_requests_per_s"] / figures["bare_requests_per_s"], 2
        )
        figures["clients"] = CLIENTS
        report("intake", figures)
    finally:
        stop_server(server)


if __name__ == "__main__":
    main()
