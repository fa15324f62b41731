"""Start the real background processes (Celery worker and beat) against the test database,
or the whole of `make run` (web, worker, beat under honcho) on a bare machine."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

from django.db import connection

ROOT = Path(__file__).resolve().parents[1]
CELERY = str(Path(sys.executable).with_name("celery"))


def test_database_url() -> str:
    """A URL for the database the test run is using (pytest-django's test_… database)."""
    s = connection.settings_dict
    auth = s["USER"] + (f":{s['PASSWORD']}" if s.get("PASSWORD") else "")
    return f"postgres://{auth}@{s['HOST'] or '127.0.0.1'}:{s['PORT'] or 5432}/{s['NAME']}"


def process_env(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = dict(os.environ)
    env.update(
        DATABASE_URL=test_database_url(),
        CELERY_BROKER_URL=os.environ["REDIS_URL"],
        VAR_DIR=str(tmp_path),
        PYTHONUNBUFFERED="1",
    )
    env.update(extra)
    return env


def start_celery(role: str, tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    return _start(role, role, tmp_path, *args, **env)


def start_relay(tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    """The outbox relay as the Procfile runs it: a worker of the "outbox" queue alone, with a
    node name and a log (relay.log) of its own beside the worker's."""
    return _start(
        "relay", "worker", tmp_path, "--queues", "outbox", "--hostname", "relay@%h", *args, **env
    )


def _start(name: str, role: str, tmp_path: Path, *args: str, **env: str) -> subprocess.Popen:
    log = open(tmp_path / f"{name}.log", "ab")  # noqa: SIM115 - closed with the process
    return subprocess.Popen(
        [CELERY, "-A", "governance", role, "--loglevel", "INFO", *args],
        cwd=ROOT,
        env=process_env(tmp_path, **env),
        stdout=log,
        stderr=subprocess.STDOUT,
        start_new_session=True,
    )


def stop(proc: subprocess.Popen, sig: int = signal.SIGTERM) -> None:
    if proc.poll() is None:
        os.killpg(proc.pid, sig)
        try:
            proc.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(proc.pid, signal.SIGKILL)
            proc.wait()


def wait_for(predicate: Callable[[], object], timeout: float, every: float = 0.25):
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        value = predicate()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"not true within {timeout} s: {predicate}")


# --- The bare machine of `make run`: SQLite and the embedded filesystem broker, no servers ----

HONCHO = str(Path(sys.executable).with_name("honcho"))
# Settings that would point the processes at a server, or at the test run's own files.
SERVER_VARIABLES = ("DATABASE_URL", "REDIS_URL", "CELERY_BROKER_URL", "CELERY_RESULT_BACKEND")


def bare_env(var_dir: Path, **extra: str) -> dict[str, str]:
    """The environment of a fresh machine: no database or broker server, everything in var_dir."""
    env = {k: v for k, v in os.environ.items() if k not in SERVER_VARIABLES}
    env.pop("MEDIA_ROOT", None)
    env.pop("DJANGO_ALLOW_ASYNC_UNSAFE", None)
    env.update(VAR_DIR=str(var_dir), PYTHONUNBUFFERED="1", **extra)
    return env


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def children_started(log: Path) -> dict[str, int]:
    """``{"web.1": pid, …}`` from honcho's "web.1 started (pid=123)" lines."""
    text = log.read_text(errors="replace") if log.exists() else ""
    return {m[1]: int(m[2]) for m in re.finditer(r"(\S+) started \(pid=(\d+)\)", text)}


def group_alive(pgid: int) -> list[int]:
    """The live (not zombie) processes of process group ``pgid``: honcho starts each of its
    processes in a group of its own, so this is that process and everything it forked."""
    members = []
    for stat in Path("/proc").glob("[0-9]*/stat"):
        try:
            fields = stat.read_text().rsplit(") ", 1)[1].split()
        except (OSError, IndexError):
            continue  # gone while we looked
        if fields[0] != "Z" and int(fields[2]) == pgid:
            members.append(int(stat.parent.name))
    return members


def kill_groups(pids: list[int]) -> None:
    """Last resort for processes that outlived their manager: kill each one's process group."""
    for pid in pids:
        if group_alive(pid):
            with contextlib.suppress(ProcessLookupError, PermissionError):
                os.killpg(pid, signal.SIGKILL)
