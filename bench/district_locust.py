"""The workload of bench/district.py: a district's whole staff signed in (DESIGN §9).

Every simulated user is a browser with a session made beforehand by bench/district.py (its
cookie is in the plan, ``DISTRICT_PLAN``): no login is part of the run. It opens its landing
page once (``/`` and the redirect to its work), and from then on does what htmx does on
that page: the bell asks for its count at once (``load``) and every 30 s, the workbench's
queue every ``poll_seconds``, each to the address the last 200 answer's element names (its
``hx-get``, with the version) and with ``HX-Request: true``. A 204 leaves the element as it
is; a 200 swaps in a new one, which polls its own address next.

- ``Poller`` (``fixed_count``: the plan's pollers) only polls, as a page left open does.
- ``Active`` (the plan's active users) clicks every 10–30 s on today's mix (bench/
  locustfile.py): governors log cases and resolve half of them on the spot and read their
  workbench and cases; desks read the console, cases, the deadline board and the case list;
  officers their inbox and cases; leaders the dashboard and the case list. Between clicks
  the open page polls like any other.

Users arrive evenly over the first RAMP seconds (bench/district.py sets the spawn rate), so
their polls are not synchronised. Once everyone has landed the statistics are reset; the
run stops ``DISTRICT_SECONDS`` later and writes ``DISTRICT_RESULT``. Request names say what
each is: ``poll: …``, ``page: …`` or ``write: …``.
"""

from __future__ import annotations

import json
import os
import random
import re
import resource
import time
from collections import Counter
from html import unescape
from http.cookiejar import Cookie
from pathlib import Path

import gevent
from _setup import intake_form
from locust import constant, events, task
from locust.contrib.fasthttp import FastHttpUser

PLAN = json.loads(Path(os.environ["DISTRICT_PLAN"]).read_text())
SECONDS = int(os.environ.get("DISTRICT_SECONDS", "120"))
RESULT = os.environ["DISTRICT_RESULT"]
CLICK_SECONDS = (10, 30)  # a person's pace
LANDING_ATTEMPTS, RELOAD_SECONDS = 10, 5
HTMX_STOP_POLLING = 286  # governance.security
LOGIN_FORM = 'name="password"'  # a page showing it is the login form: the session is lost
POLLING_TAG = re.compile(r'<[^>]*\bhx-trigger="[^"]*\bevery \d+s[^"]*"[^>]*>')
ATTRIBUTE = re.compile(r'([\w-]+)="([^"]*)"')
EVERY = re.compile(r"\bevery (\d+)s")
CASE_LINK = re.compile(r'href="/events/([A-Z0-9]+-\d{8}-\d{4})/"')
CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
CASE_LOCATION = re.compile(r"/events/([A-Z0-9]+-\d{8}-\d{4})/$")

_state: dict = {"without_page": 0, "landed": 0, "since": None, "warmup": None, "cpu_at_since": 0.0}
_statuses: Counter = Counter()  # the polls' answers in the steady state, by status code
_turn: Counter = Counter()


def _cpu_seconds() -> float:
    usage = resource.getrusage(resource.RUSAGE_SELF)
    return usage.ru_utime + usage.ru_stime


def _summary(stats) -> dict:
    return {
        "requests": stats.total.num_requests,
        "failures": stats.total.num_failures,
        "errors": {str(e.error): e.occurrences for e in stats.errors.values()},
    }


def _landed(environment) -> None:
    """One more user has opened its landing page; once all have, measure from now on."""
    _state["landed"] += 1
    if _state["since"] is not None or _state["landed"] < environment.runner.target_user_count:
        return
    stats = environment.stats
    _state["warmup"] = {**_summary(stats), "seconds": round(time.time() - stats.total.start_time)}
    stats.reset_all()
    _statuses.clear()
    _state["since"], _state["cpu_at_since"] = time.time(), _cpu_seconds()
    _state["loadavg_at_since"] = Path("/proc/loadavg").read_text().split()[:3]
    gevent.spawn_later(SECONDS, environment.runner.quit)


@events.quitting.add_listener
def _write_result(environment, **_kwargs) -> None:
    since, until = _state["since"], time.time()
    entries = {
        entry.name: {
            "method": entry.method,
            "requests": entry.num_requests,
            "failures": entry.num_failures,
            "response_times": entry.response_times,  # {ms, rounded as locust does: count}
        }
        for entry in environment.stats.entries.values()
    }
    result = {
        "complete": since is not None,
        "since": since,
        "until": until,
        "landed": _state["landed"],
        "without_page": _state["without_page"],  # every attempt at the landing page failed
        "warmup": _state["warmup"],
        "steady": _summary(environment.stats),
        "entries": entries,
        "poll_statuses": dict(_statuses),
        "locust_cpu_seconds": round(_cpu_seconds() - _state["cpu_at_since"], 2) if since else 0,
        "loadavg_at_since": _state.get("loadavg_at_since"),
        "loadavg_at_until": Path("/proc/loadavg").read_text().split()[:3],
    }
    Path(RESULT).write_text(json.dumps(result, indent=1, ensure_ascii=False))


class Browser(FastHttpUser):
    """A signed-in browser: the session cookie from the plan, and the page's polls."""

    abstract = True
    wait_time = constant(0)  # the pace is the page's own: polls and the person's clicks
    plan_key = ""

    def on_start(self):
        accounts = PLAN[self.plan_key]
        self.account = accounts[_turn[self.plan_key] % len(accounts)]
        _turn[self.plan_key] += 1
        self.client.cookiejar.set_cookie(_cookie(PLAN["cookie_name"], self.account["session"]))
        self.polls: dict[str, dict] = {}  # the open page's polling elements, by id
        self.landing = ""
        for _attempt in range(LANDING_ATTEMPTS):
            if self.land():
                break
            gevent.sleep(RELOAD_SECONDS)  # a page that failed to load: the person reloads
        else:
            _state["without_page"] += 1
        _landed(self.environment)

    def land(self) -> bool:
        """``/`` and the page it leads to; whether that page came."""
        with self.client.get(
            "/", name="page: / (landing redirect)", allow_redirects=False, catch_response=True
        ) as response:
            location = (response.headers or {}).get("Location", "")
            if response.status_code != 302 or "/login/" in location:
                response.failure(f"answered {response.status_code} {location}")
                return False
        if self.open(location, "landing page"):
            self.landing = self.here  # past the dashboard's redirect to the district's own
            return True
        return False

    def open(self, url: str, name: str) -> str:
        """A page view (following a redirect to another page, as a browser does), and then
        what htmx does on the new page. Returns the page."""
        html = ""
        for _hop in range(3):
            with self.client.get(
                url, name=f"page: {name}", catch_response=True, allow_redirects=False
            ) as response:
                location = (response.headers or {}).get("Location", "")
                if response.status_code == 302 and "/login/" not in location:
                    url = location
                    continue
                if response.status_code != 200:
                    response.failure(f"answered {response.status_code}")
                elif LOGIN_FORM in (response.text or ""):
                    response.failure("sent to the login page")
                else:
                    html = response.text
                break
        self.here = url
        self.polls = {}
        for tag in POLLING_TAG.findall(html):
            attributes = dict(ATTRIBUTE.findall(tag))
            every = int(EVERY.search(attributes["hx-trigger"]).group(1))
            key = attributes.get("id", attributes["hx-get"])
            self.polls[key] = {"url": unescape(attributes["hx-get"]), "every": every,
                               "due": time.time() + every}  # fmt: skip
            if re.search(r"(^|,\s*)load\b", attributes["hx-trigger"]):
                self.polls[key]["due"] = time.time()
                self.poll(key)
        return html

    def poll(self, key: str) -> None:
        element = self.polls[key]
        # htmx's timer runs on from when it fired, not from the answer; a tick that comes
        # while the element's request is still out is dropped. A swapped-in element (a 200)
        # starts a timer of its own.
        due = element["due"] + element["every"]
        with self.client.get(
            element["url"], name=f"poll: {key}", headers={"HX-Request": "true"},
            catch_response=True, allow_redirects=False,
        ) as response:  # fmt: skip
            status = response.status_code
            if _state["since"] is not None:
                _statuses[status] += 1
            if status == 200:
                # htmx swaps the answer in (outerHTML): the new element polls on its own.
                found = POLLING_TAG.search(response.text or "")
                if found is None:  # an answer that stops the polling: not what a poll is for
                    response.failure("the answer does not poll again")
                    del self.polls[key]
                    return
                attributes = dict(ATTRIBUTE.findall(found.group(0)))
                element["url"] = unescape(attributes["hx-get"])
                element["every"] = int(EVERY.search(attributes["hx-trigger"]).group(1))
                due = time.time() + element["every"]
            elif status == HTMX_STOP_POLLING:  # htmx stops: the session has ended
                response.failure(f"answered {status}")
                del self.polls[key]
                return
            elif status != 204:  # htmx swaps nothing and polls again when due
                response.failure(f"answered {status}")
        while due <= time.time():
            due += element["every"]
        element["due"] = due

    def stay(self, seconds: float) -> None:
        """The page stays open for ``seconds``: its elements poll when they are due."""
        until = time.time() + seconds
        while True:
            key = min(self.polls, key=lambda k: self.polls[k]["due"], default=None)
            due = self.polls[key]["due"] if key else until
            if due >= until:
                gevent.sleep(max(0.0, until - time.time()))
                return
            gevent.sleep(max(0.0, due - time.time()))
            self.poll(key)


def _cookie(name: str, value: str) -> Cookie:
    return Cookie(
        version=0, name=name, value=value, port=None, port_specified=False,
        domain="127.0.0.1", domain_specified=False, domain_initial_dot=False,
        path="/", path_specified=True, secure=False, expires=None, discard=True,
        comment=None, comment_url=None, rest={},
    )  # fmt: skip


class Poller(Browser):
    """A page left open: it only polls."""

    plan_key = "pollers"
    fixed_count = len(PLAN["pollers"])

    @task
    def page_open(self):
        self.stay(60)


class Active(Browser):
    """A person at work: a click every 10–30 s, the page polling in between."""

    plan_key = "active"
    fixed_count = len(PLAN["active"])

    @task
    def click(self):
        getattr(self, self.account["kind"])()
        self.stay(random.uniform(*CLICK_SECONDS))

    def open_a_case(self, html: str) -> None:
        numbers = CASE_LINK.findall(html or "")
        if numbers:
            self.open(f"/events/{random.choice(numbers)}/", "case page")

    def post_form(self, url: str, page_html: str, data: dict, name: str):
        token = CSRF.search(page_html or "")
        data = {**data, "csrfmiddlewaretoken": token.group(1) if token else ""}
        with self.client.post(
            url, data=data, name=f"write: {name}", allow_redirects=False, catch_response=True
        ) as response:
            if response.status_code != 302:
                response.failure(f"answered {response.status_code}")
            return response

    def governor(self):
        html = self.open("/events/workbench/", "workbench")
        if random.random() < 0.6:
            self.open_a_case(html)
            return
        form = intake_form(html)
        if form is None:
            return
        logged = self.post_form("/events/new/", html, form, "log a case")
        number = CASE_LOCATION.search((logged.headers or {}).get("Location", ""))
        if number is None:
            return
        case = self.open(f"/events/{number.group(1)}/", "case page")  # where the form leads
        if random.random() < 0.5:
            # 一呼即应: handled on the spot; the browser follows to the case page again.
            self.post_form(
                f"/events/{number.group(1)}/resolve/", case,
                {"note": "已现场清理", "expected_status": "in_block"}, "resolve a case",
            )  # fmt: skip
            self.open(f"/events/{number.group(1)}/", "case page")

    def dispatcher(self):
        choice = random.random()
        if choice < 0.5:
            self.open_a_case(self.open("/events/console/", "dispatch console"))
        elif choice < 0.75:
            self.open("/events/deadlines/", "deadline board")
        else:
            self.open("/events/?open=true", "case list")

    def officer(self):
        self.open_a_case(self.open("/events/inbox/?tab=in_hand", "department inbox"))

    def leader(self):
        if random.random() < 0.5:
            self.open(
                self.landing or "/dashboard/", "dashboard"
            )  # the leader's landing: the district's
        else:
            self.open("/events/?open=true", "case list")
