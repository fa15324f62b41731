"""The mixed workload of bench/load.py: governors logging and acting on cases, dispatchers,
department officers and leaders.

Each simulated user logs in once, through the real login form, when it arrives (users arrive
``-r`` a second, like staff starting a shift) and then works with its session, as a browser
does. Once every user of the level is in, the statistics are reset: what bench/load.py
reports is the steady state of ``LOAD_SECONDS`` seconds of work, and the arrival (with its
logins: PBKDF2 costs ~0.5 s of CPU each, by design) is reported apart, errors included.
"""

from __future__ import annotations

import json
import os
import random
import re
import time
from pathlib import Path

import gevent
from _setup import intake_form
from locust import between, events, task
from locust.contrib.fasthttp import FastHttpUser

PASSWORD = os.environ["DEMO_PASSWORD"]
SECONDS = int(os.environ.get("LOAD_SECONDS", "40"))
RESULT = os.environ.get("LOAD_RESULT", "")
CASE_LINK = re.compile(r'href="/events/([A-Z0-9]+-\d{8}-\d{4})/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
LOGIN_FORM = 'name="password"'  # a page showing it is the login form: the session is lost
CASE_LOCATION = re.compile(r"/events/([A-Z0-9]+-\d{8}-\d{4})/$")

_state = {"logged_in": 0, "measuring_since": None, "warmup": None}
# Who the users are: bench/load.py lists the demo district's governors, desks, officers and
# leaders, and each simulated user is the next of its kind (the demo logins without it).
_accounts = (
    json.loads(Path(os.environ["LOAD_ACCOUNTS"]).read_text()) if "LOAD_ACCOUNTS" in os.environ
    else {}
)  # fmt: skip
_turn: dict[str, int] = {}


def _next_account(kind: str, default: str) -> str:
    names = _accounts.get(kind) or [default]
    _turn[kind] = _turn.get(kind, -1) + 1
    return names[_turn[kind] % len(names)]


def _figures(stats) -> dict:
    total = stats.total
    return {
        "requests": total.num_requests,
        "failures": total.num_failures,
        "p50_ms": total.get_response_time_percentile(0.5) or 0,
        "p95_ms": total.get_response_time_percentile(0.95) or 0,
        "max_ms": round(total.max_response_time or 0),
    }


def _everyone_in(environment) -> None:
    """All users have logged in: keep the arrival's figures, measure from now on."""
    stats = environment.stats
    login = stats.get("login", "POST")
    _state["warmup"] = {
        **_figures(stats),
        "seconds": round(time.time() - stats.total.start_time, 1),
        "login_p95_ms": login.get_response_time_percentile(0.95) or 0,
        "login_max_ms": round(login.max_response_time or 0),
    }
    stats.reset_all()
    _state["measuring_since"] = time.time()
    gevent.spawn_later(SECONDS, environment.runner.quit)


@events.quitting.add_listener
def _write_result(environment, **_kwargs) -> None:
    if not RESULT:
        return
    since = _state["measuring_since"]
    steady = _figures(environment.stats)
    elapsed = (time.time() - since) if since else 0
    steady["requests_per_s"] = round(steady["requests"] / elapsed, 1) if elapsed else 0
    steady["seconds"] = round(elapsed, 1)
    by_page = {
        entry.name: {
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "p50_ms": entry.get_response_time_percentile(0.5) or 0,
            "p95_ms": entry.get_response_time_percentile(0.95) or 0,
        }
        for entry in environment.stats.entries.values()
    }
    steady["since"], steady["until"] = since, time.time()
    with open(RESULT, "w") as out:
        json.dump(
            {"complete": since is not None, "warmup": _state["warmup"], "steady": steady,
             "pages": by_page},
            out, indent=2, ensure_ascii=False,
        )  # fmt: skip


class Staff(FastHttpUser):
    abstract = True
    wait_time = between(1, 3)
    kind = ""
    username = ""

    def get(self, url: str, name: str):
        """A page; one that ends on the login form (a lost session) is an error."""
        with self.client.get(url, name=name, catch_response=True) as response:
            if response.status_code == 200 and LOGIN_FORM in (response.text or ""):
                response.failure("sent to the login page")
            return response

    def on_start(self):
        self.username = _next_account(self.kind, self.username)
        page = self.client.get("/login/", name="login page")
        token = CSRF.search(page.text or "")
        with self.client.post(
            "/login/",
            data={"username": self.username, "password": PASSWORD,
                  "csrfmiddlewaretoken": token.group(1) if token else ""},
            name="login", catch_response=True,
        ) as response:  # fmt: skip
            if response.status_code != 200 or LOGIN_FORM in (response.text or ""):
                response.failure("still on the login page")
        _state["logged_in"] += 1
        runner = self.environment.runner
        if _state["measuring_since"] is None and _state["logged_in"] >= runner.target_user_count:
            _everyone_in(self.environment)

    def post_form(self, url: str, page_html: str, data: dict, name: str):
        token = CSRF.search(page_html or "")
        data = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
        return self.client.post(url, data=data, name=name, allow_redirects=False)

    def open_a_case(self, html: str, name: str):
        numbers = CASE_LINK.findall(html or "")
        if numbers:
            self.get(f"/events/{random.choice(numbers)}/", name)


class Governor(Staff):
    kind = "governor"
    weight = 5
    username = "governor"

    @task(3)
    def workbench(self):
        page = self.get("/events/workbench/", "workbench")
        self.open_a_case(page.text, "case page")

    @task(2)
    def log_and_resolve_a_case(self):
        page = self.get("/events/workbench/", "workbench")
        html = page.text or ""
        form = intake_form(html)
        if form is None:
            return
        logged = self.post_form("/events/new/", html, form, "log a case")
        number = CASE_LOCATION.search(logged.headers.get("Location", "") or "")
        if number and random.random() < 0.5:
            # 一呼即应: the governor handles it on the spot and says what was done.
            case = self.get(f"/events/{number.group(1)}/", "case page")
            self.post_form(
                f"/events/{number.group(1)}/resolve/", case.text,
                {"note": "已现场清理", "expected_status": "in_block"}, "resolve a case",
            )  # fmt: skip


class Dispatcher(Staff):
    kind = "dispatcher"
    weight = 2
    username = "dispatcher"

    @task
    def console(self):
        page = self.get("/events/console/", "dispatch console")
        self.open_a_case(page.text, "case page")

    @task
    def deadlines(self):
        self.get("/events/deadlines/", "deadline board")


class Officer(Staff):
    kind = "officer"
    weight = 2
    username = "officer"

    @task
    def inbox(self):
        page = self.get("/events/inbox/?tab=in_hand", "department inbox")
        self.open_a_case(page.text, "case page")


class Leader(Staff):
    kind = "leader"
    weight = 1
    username = "leader"

    @task
    def cases(self):
        self.get("/events/?open=true", "case list")
