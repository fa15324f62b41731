"""`make run` on a bare machine: migrate and seed into a fresh VAR_DIR, then web, worker and beat
under honcho with SQLite and the embedded filesystem broker (no DATABASE_URL, no broker URL).

Slow-ish (about a minute: the demo district takes ~25 s to seed, the first heartbeat ~10 s) but
part of every run: it is the first thing a new user types.
"""

from __future__ import annotations

import http.cookiejar
import json
import re
import signal
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request

import pytest

from tests.procs import (
    HONCHO,
    ROOT,
    bare_env,
    children_started,
    free_port,
    group_alive,
    kill_groups,
    wait_for,
)

DEMO_PASSWORD = "Demo-Check-2026-xyz"
HEALTHY_WITHIN = 90  # seconds from honcho's start; the issue asks for one minute on a real machine
DEMO_ACCOUNTS = (
    "admin",
    "leader",
    "streetadmin",
    "dispatcher",
    "governor",
    "supervisor",
    "officer",
    "officer2",
)


def manage(env, *args: str) -> str:
    done = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=ROOT,
        env=env,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, f"manage.py {' '.join(args)} failed:\n{done.stdout}\n{done.stderr}"
    return done.stdout


def get(opener, url: str) -> tuple[int, str, str]:
    try:
        with opener.open(url, timeout=5) as response:
            return response.status, response.geturl(), response.read().decode()
    except urllib.error.HTTPError as error:
        return error.code, url, error.read().decode()


@pytest.fixture
def bare_machine(tmp_path):
    env = bare_env(tmp_path / "var", DEMO_PASSWORD=DEMO_PASSWORD)
    manage(env, "migrate", "--noinput")
    seeded = manage(env, "seed_demo")
    return env, seeded


def test_make_run_serves_the_login_page_and_healthz_ok_with_sqlite_and_embedded_broker(
    bare_machine, tmp_path
):
    env, seeded = bare_machine
    # The demo accounts are printed, with their password, for the new user to log in.
    assert f"password: {DEMO_PASSWORD}" in seeded
    for username in DEMO_ACCOUNTS:
        assert re.search(rf"^\s+{username}\s", seeded, re.M), f"{username} not printed:\n{seeded}"

    port = free_port()
    base = f"http://127.0.0.1:{port}"
    env.update(HOST="127.0.0.1", PORT=str(port), WEB_PORT=str(port))  # as `make run` sets them
    log = tmp_path / "honcho.log"
    with open(log, "wb") as out:
        honcho = subprocess.Popen(
            [HONCHO, "-f", "Procfile.dev", "start"],
            cwd=ROOT,
            env=env,
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    started = time.monotonic()
    opener = urllib.request.build_opener(
        urllib.request.HTTPCookieProcessor(http.cookiejar.CookieJar())
    )
    children: dict[str, int] = {}
    try:

        def healthy():
            assert honcho.poll() is None, f"honcho exited:\n{log.read_text()[-3000:]}"
            try:
                status, _, body = get(opener, f"{base}/healthz")
            except OSError:
                return None  # the web server is not listening yet
            state = json.loads(body)
            return state if status == 200 and state["ok"] else None

        try:
            state = wait_for(healthy, timeout=HEALTHY_WITHIN, every=0.5)
        except AssertionError:
            raise AssertionError(
                f"/healthz not ok within {HEALTHY_WITHIN} s:\n{log.read_text()[-4000:]}"
            ) from None
        took = time.monotonic() - started
        assert state["database"]["vendor"] == "sqlite"
        assert state["broker"]["transport"] == "filesystem"
        assert state["worker"]["ok"] and state["beat"]["ok"]
        children = children_started(log)
        assert set(children) == {"web.1", "worker.1", "relay.1", "beat.1", "banner.1"}, (
            log.read_text()[-2000:]
        )
        # Once all are up the logins are printed again, below the start-up lines (issue 18).
        banner = wait_for(
            lambda: re.search(r"Ready: .*?member ", log.read_text(errors="replace"), re.S),
            timeout=15,
        )[0]
        assert f"Open {base}/" in banner and f"password: {DEMO_PASSWORD}" in banner
        for username in DEMO_ACCOUNTS:
            assert re.search(rf"\|\s+{username}\s", banner), f"{username} not in:\n{banner}"

        # The login page, in Chinese; a demo account logs in and lands on its work.
        status, _, html = get(opener, f"{base}/login/")
        assert status == 200 and "<title>登录 · 区块治理平台</title>" in html
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', html)[1]
        form = {"csrfmiddlewaretoken": token, "username": "governor", "password": DEMO_PASSWORD}
        try:
            with opener.open(
                f"{base}/login/", data=urllib.parse.urlencode(form).encode(), timeout=10
            ) as response:
                landed, page = response.geturl(), response.read().decode()
        except urllib.error.HTTPError as error:
            raise AssertionError(
                f"logging in as governor: {error.code} at {error.url}\n{log.read_text()[-4000:]}"
            ) from None
        assert landed == f"{base}/events/workbench/", landed
        assert "工作台" in page

        # A few more beats: worker and beat keep working side by side on one SQLite file,
        # and nothing they log is an error (a lock timeout, a task nobody defines, …).
        wait_for(
            lambda: len(re.findall(r"heartbeat\[[^]]+\] succeeded", log.read_text())) >= 2,
            timeout=40,
        )
        running = log.read_text(errors="replace")
        problems = [
            line
            for line in running.splitlines()
            # Not even our own polling while worker and beat were starting (issue 18).
            if re.search(r"ERROR|CRITICAL|Traceback|database is locked", line)
        ]
        assert not problems, "\n".join(problems[:20])
        print(f"/healthz ok {took:.1f} s after honcho started")
    finally:
        # Ctrl-C, as a user stops `make run`: honcho stops all three.
        if honcho.poll() is None:
            honcho.send_signal(signal.SIGINT)
        try:
            honcho.wait(timeout=30)
        except subprocess.TimeoutExpired:
            honcho.kill()
            honcho.wait()
        children = children or children_started(log)
        leftovers = {name: group_alive(pid) for name, pid in children.items() if group_alive(pid)}
        kill_groups(list(children.values()))
    assert not leftovers, f"still running after Ctrl-C: {leftovers}"
    with pytest.raises(OSError):
        get(opener, f"{base}/healthz")
