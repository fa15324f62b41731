"""What each page costs, as a multiple of a bare page (DESIGN §9, issue 21): one gunicorn
worker with one thread, DEBUG off, PostgreSQL and Redis, the demo district, requests one after
another from one logged-in client per role.

    python bench/pages.py      # BENCH_PAGES_ROUNDS rounds (default 60) after 5 to warm up

The bare page (bench/benchsite.py, ``/bench/page/``) passes the same middleware with the same
session and renders a one-line template, with no query of its own; it is asked in every round
beside the pages, so that drift on a shared machine touches both. Each round asks every page
once, in the same order; the intake (``POST /api/events/`` with a token and an
Idempotency-Key of its own per request) runs after the pages, with the bare page again. The
database is a fresh copy of the demo district of its own (``<bench database>_pages``;
``BENCH_PAGES_REUSE=1`` keeps an earlier one). Polls are sent as
htmx sends them: with ``HX-Request``, to the address the last answer's element polls next
(its ``hx-get``, which carries the version it was answered at, governance/polls.py), so an
unchanged poll measures the 204 the browser gets. The status codes each page answered are
printed beside it.
"""

from __future__ import annotations

import json
import os
import re
import statistics
import sys
import time
import uuid

from _setup import fresh_database, report, serve_benchsite, setup_django, stop_server

ROUNDS = int(os.environ.get("BENCH_PAGES_ROUNDS", "60"))
WARMUP = 5
PORT = int(os.environ.get("BENCH_PAGES_PORT", "8014"))
PASSWORD = "Bench-Password-2026"
DISTRICT = "430302"  # the demo district
BLOCK = "430302001001001"  # the demo governor's block
# Targets (DESIGN §9): an unchanged poll ≤ 1.5× the bare page, pages ≤ 6×, intake ≤ 10×, the
# district dashboard ≤ 20× (at 1 M cases; here the demo's few hundred).
POLL, PAGE, INTAKE, DASHBOARD = 1.5, 6.0, 10.0, 20.0


def prepare() -> dict:
    """Seed the demo district; the bench's people log in with the bench password. Returns the
    case whose page is measured (the governor's case with the longest timeline)."""
    from django.contrib.auth import get_user_model
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db.models import Count

    from events.models import Event

    call_command("seed_demo", verbosity=0, stdout=open(os.devnull, "w"))  # noqa: SIM115
    call_command("collectstatic", verbosity=0, interactive=False)
    get_user_model().objects.filter(
        username__in=["governor", "dispatcher", "officer", "leader"]
    ).update(must_change_password=False, is_active=True)
    cache.clear()  # sessions and rate limits of an earlier run live in the cache
    case = (
        Event.objects.filter(block__code=BLOCK)
        .annotate(entries=Count("timeline"))
        .order_by("-entries", "-created_at")
        .first()
    )
    return {"case": case.number}


def logged_in(base: str, username: str):
    """A browser's session: the login form, its CSRF token and cookie, as a person logs in."""
    import requests

    client = requests.Session()
    form = client.get(f"{base}/login/", timeout=30)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', form.text).group(1)
    answer = client.post(
        f"{base}/login/",
        data={"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token},
        headers={"Referer": f"{base}/login/"},
        timeout=30,
        allow_redirects=False,
    )
    if answer.status_code != 302 or "/login/" in answer.headers.get("Location", ""):
        sys.exit(f"{username} could not log in ({answer.status_code})")
    return client


def api_token(base: str, username: str) -> str:
    import requests

    answer = requests.post(
        f"{base}/api/auth/token/",
        json={"username": username, "password": PASSWORD},
        timeout=30,
    )
    answer.raise_for_status()
    return answer.json()["token"]


class Measure:
    """One line of the table: who asks what, and its target as a multiple of the bare page."""

    def __init__(self, name, client, method, path, target, *, poll=False, body=None):
        self.name, self.client, self.method, self.path = name, client, method, path
        self.target, self.poll, self.body = target, poll, body
        self.seconds: list[float] = []
        self.statuses: dict[int, int] = {}

    def ask(self, base: str, *, record: bool) -> None:
        headers = {}
        if self.poll:
            headers = {"HX-Request": "true"}
        body = None
        if self.body is not None:
            body, extra = self.body()
            headers.update(extra)
        started = time.perf_counter()
        answer = self.client.request(
            self.method, base + self.path, data=body, headers=headers, timeout=60,
            allow_redirects=False,
        )  # fmt: skip
        elapsed = time.perf_counter() - started
        if answer.status_code >= 400 or answer.status_code in (301, 302):
            sys.exit(f"{self.name}: {self.method} {self.path} answered {answer.status_code}")
        if self.poll and answer.status_code == 200:
            # As htmx does: the swapped-in element polls its own address next.
            found = re.search(r'hx-get="([^"]+)"', answer.text)
            if found:
                self.path = found.group(1).replace("&amp;", "&")
        if record:
            self.seconds.append(elapsed)
            self.statuses[answer.status_code] = self.statuses.get(answer.status_code, 0) + 1

    def median_ms(self) -> float:
        return statistics.median(self.seconds) * 1000

    def p95_ms(self) -> float:
        ordered = sorted(self.seconds)
        return ordered[min(len(ordered) - 1, int(len(ordered) * 0.95))] * 1000


def main() -> None:
    url = fresh_database("pages")
    env = dict(os.environ)
    env.update(
        BENCH_DATABASE_URL=url, DATABASE_URL=url,
        REDIS_URL=os.environ.get("REDIS_URL", "redis://127.0.0.1:6379/7"),
        DEMO_PASSWORD=PASSWORD, DEBUG="0", ALLOWED_HOSTS="127.0.0.1",
        API_USER_RATE="1000000/min",  # the bench is a client that never pauses, on purpose
    )  # fmt: skip
    os.environ.update(env)
    setup_django()
    facts = prepare()
    base = f"http://127.0.0.1:{PORT}"
    server = serve_benchsite(PORT, env, "--workers", "1", "--threads", "1", "--max-requests", "0")
    try:
        import requests

        governor, dispatcher = logged_in(base, "governor"), logged_in(base, "dispatcher")
        officer, leader = logged_in(base, "officer"), logged_in(base, "leader")
        token = api_token(base, "governor")
        app = requests.Session()  # an app: a token, no session

        def intake_body():
            body = json.dumps({
                "block": BLOCK, "category": "city-street-vending",
                "description": "东门有人占道摆摊，堵住了人行道", "reporter_phone": "13812345678",
                "building": "3栋",
            })  # fmt: skip
            return body, {
                "Authorization": f"Token {token}",
                "Content-Type": "application/json",
                "Idempotency-Key": uuid.uuid4().hex,
            }

        bare = Measure("bare page", governor, "GET", "/bench/page/", None)
        pages = [
            Measure("workbench", governor, "GET", "/events/workbench/", PAGE),
            Measure("workbench queue poll", governor, "GET", "/events/workbench/queue/", POLL,
                    poll=True),
            Measure("bell poll", governor, "GET", "/notifications/unread/", POLL, poll=True),
            Measure("case page", governor, "GET", f"/events/{facts['case']}/", PAGE),
            Measure("console", dispatcher, "GET", "/events/console/", PAGE),
            Measure("inbox", officer, "GET", "/events/inbox/", PAGE),
            Measure("deadline board", dispatcher, "GET", "/events/deadlines/", PAGE),
            Measure("district dashboard", leader, "GET", f"/dashboard/{DISTRICT}/", DASHBOARD),
        ]  # fmt: skip
        intake = Measure("intake (POST /api/events/)", app, "POST", "/api/events/", INTAKE,
                         body=intake_body)  # fmt: skip
        # The pages first, then the intake: each case logged lands in the governor's queue,
        # which the pages would otherwise read growing round by round. The bare page is
        # asked in every round of both.
        for phase in ([bare, *pages], [bare, intake]):
            for round_ in range(WARMUP + ROUNDS):
                for measure in phase:
                    measure.ask(base, record=round_ >= WARMUP)
        measures = [bare, *pages, intake]
        print_table(measures, bare)
        figures = {"rounds": ROUNDS, "bare_page_median_ms": round(bare.median_ms(), 2)}
        for measure in measures[1:]:
            key = re.sub(r"[^a-z]+", "_", measure.name.split(" (")[0].lower()).strip("_")
            ratio = measure.median_ms() / bare.median_ms()
            figures[f"{key}_median_ms"] = round(measure.median_ms(), 1)
            figures[f"{key}_p95_ms"] = round(measure.p95_ms(), 1)
            figures[f"{key}_vs_bare"] = round(ratio, 2)
            figures[f"{key}_target"] = measure.target
            figures[f"{key}_met"] = ratio <= measure.target
            figures[f"{key}_statuses"] = measure.statuses
        report("pages", figures)
    finally:
        stop_server(server)


def print_table(measures, bare) -> None:
    width = max(len(m.name) for m in measures)
    print(f"{'page':<{width}}  median ms  p95 ms  × bare  target  result  statuses")
    for m in measures:
        ratio = m.median_ms() / bare.median_ms()
        target = f"≤{m.target:g}×" if m.target else ""
        result = "" if m.target is None else ("pass" if ratio <= m.target else "MISS")
        statuses = ",".join(f"{code}:{n}" for code, n in sorted(m.statuses.items()))
        print(
            f"{m.name:<{width}}  {m.median_ms():9.1f}  {m.p95_ms():6.1f}  {ratio:6.2f}"
            f"  {target:>6}  {result:>6}  {statuses}"
        )


if __name__ == "__main__":
    main()
