"""Reads from a PostgreSQL streaming replica (DESIGN §8, issue 21; governance/db.py), against a
real standby: pg_basebackup of the test's own PostgreSQL cluster, started on another port of
this machine, streaming from the primary, stopped and deleted at the end whatever happens.

The primary must trust replication connections from 127.0.0.1 (`.ci/run` makes sure of it);
without that, or without the PostgreSQL server binaries, the test is skipped with the reason,
and fails under REQUIRE_SERVICES=1 (CI).
"""

from __future__ import annotations

import contextlib
import os
import pwd
import shutil
import signal
import socket
import subprocess
import tempfile
import time
from glob import glob
from pathlib import Path
from types import SimpleNamespace

import psycopg
import pytest
from django.db import connections
from django.db.utils import load_backend
from django.test import Client

from events import services
from governance.db import REPLICA, replica_health_reset
from tests.factories import PASSWORD

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"
# The settings a standby must hold at least as high as its primary, or it refuses to start.
AT_LEAST_PRIMARY = (
    "max_connections",
    "max_worker_processes",
    "max_wal_senders",
    "max_prepared_transactions",
    "max_locks_per_transaction",
)


def _cannot(reason: str):
    if REQUIRE_SERVICES:
        pytest.fail(f"REQUIRE_SERVICES=1 but the replica test cannot run: {reason}", pytrace=False)
    pytest.skip(reason)


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def _run(cmd, *, user, cwd, timeout):
    """Run as the PostgreSQL user when we are root (PostgreSQL refuses to run as root)."""
    return subprocess.run(
        cmd, cwd=cwd, user=user, group=user, extra_groups=[] if user else None,
        capture_output=True, text=True, timeout=timeout,
    )  # fmt: skip


@pytest.fixture(scope="module")
def standby(django_db_setup, django_db_blocker):
    """A hot standby of the test cluster (the test database exists by now), on a free port."""
    with django_db_blocker.unblock():
        primary = dict(connections["default"].settings_dict)
    if primary["HOST"] not in ("127.0.0.1", "localhost", ""):
        _cannot(f"the primary must run on this machine, not {primary['HOST']}")
    conninfo = {
        "host": primary["HOST"] or "127.0.0.1",
        "port": primary["PORT"] or 5432,
        "user": primary["USER"],
        "password": primary["PASSWORD"] or None,
        "dbname": primary["NAME"],
    }
    with psycopg.connect(**conninfo, autocommit=True) as conn:
        version = conn.execute("SHOW server_version_num").fetchone()[0]
        at_least = {name: conn.execute(f"SHOW {name}").fetchone()[0] for name in AT_LEAST_PRIMARY}
    binaries = glob(f"/usr/lib/postgresql/{int(version) // 10000}/bin")
    if not binaries:
        _cannot(f"no PostgreSQL {int(version) // 10000} server binaries under /usr/lib/postgresql")
    bin_dir = Path(binaries[0])
    user = "postgres" if os.geteuid() == 0 else None
    base = Path(tempfile.mkdtemp(prefix="standby-"))
    data = base / "data"
    server = None
    try:
        if user:
            owner = pwd.getpwnam(user)
            os.chown(base, owner.pw_uid, owner.pw_gid)
        backup = _run(
            [str(bin_dir / "pg_basebackup"), "-h", conninfo["host"], "-p", str(conninfo["port"]),
             "-U", conninfo["user"], "-D", str(data), "-R", "-X", "stream",
             "--checkpoint=fast", "--no-sync"],
            user=user, cwd=base, timeout=600,
        )  # fmt: skip
        if backup.returncode:
            _cannot(
                f"pg_basebackup failed (is replication from 127.0.0.1 trusted?): {backup.stderr}"
            )
        # Debian keeps the configuration outside the data directory: give the copy its own.
        for name, text in (
            ("postgresql.conf", "fsync = off\nshared_buffers = 32MB\n"),
            ("pg_hba.conf", "local all all trust\nhost all all 127.0.0.1/32 trust\n"),
            ("pg_ident.conf", ""),
        ):
            (data / name).write_text(text)
            if user:
                os.chown(data / name, owner.pw_uid, owner.pw_gid)
        port = _free_port()
        options = {
            "port": port, "listen_addresses": "127.0.0.1", "unix_socket_directories": str(base),
            "hot_standby": "on", "logging_collector": "off", **at_least,
        }  # fmt: skip
        log = (base / "standby.log").open("w")
        server = subprocess.Popen(
            [str(bin_dir / "postgres"), "-D", str(data)]
            + [arg for key, value in options.items() for arg in ("-c", f"{key}={value}")],
            cwd=base, user=user, group=user, extra_groups=[] if user else None,
            stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
        )  # fmt: skip
        replica = {**conninfo, "host": "127.0.0.1", "port": port}
        # Until consistent, it replays what the primary wrote during the copy: on a busy
        # machine (another bulk load), minutes of it.
        deadline = time.monotonic() + 600
        while True:
            if server.poll() is not None:
                pytest.fail(f"the standby exited: {(base / 'standby.log').read_text()[-2000:]}")
            try:
                with psycopg.connect(**replica, connect_timeout=2) as conn:
                    assert conn.execute("SELECT pg_is_in_recovery()").fetchone()[0]
                break
            except psycopg.OperationalError:
                if time.monotonic() > deadline:
                    lines = (base / "standby.log").read_text().splitlines()
                    pytest.fail("no standby after 600 s:\n" + "\n".join(lines[:20] + lines[-5:]))
                time.sleep(0.3)
        yield SimpleNamespace(port=port, primary=conninfo, replica=replica)
    finally:
        if server is not None and server.poll() is None:
            os.killpg(server.pid, signal.SIGINT)  # fast shutdown
            try:
                server.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(server.pid, signal.SIGKILL)
                server.wait(timeout=10)
        shutil.rmtree(base, ignore_errors=True)


def _replayed(standby, timeout: float = 300) -> None:
    """Wait until the standby has replayed everything the primary has written so far."""
    with psycopg.connect(**standby.primary, autocommit=True) as conn:
        lsn = conn.execute("SELECT pg_current_wal_lsn()").fetchone()[0]
    deadline = time.monotonic() + timeout
    with psycopg.connect(**standby.replica, autocommit=True) as conn:
        while not conn.execute("SELECT pg_last_wal_replay_lsn() >= %s::pg_lsn", [lsn]).fetchone()[
            0
        ]:
            assert time.monotonic() < deadline, "the standby did not catch up in time"
            time.sleep(0.1)


def _replay(standby, *, paused: bool) -> None:
    with psycopg.connect(**standby.replica, autocommit=True) as conn:
        conn.execute("SELECT pg_wal_replay_pause()" if paused else "SELECT pg_wal_replay_resume()")


@contextlib.contextmanager
def _replica_alias(settings, port):
    """The ``replica`` alias, router and middleware, as DATABASE_REPLICA_URL sets them."""
    conf = {**connections["default"].settings_dict, "HOST": "127.0.0.1", "PORT": port}
    conf["OPTIONS"] = {**conf["OPTIONS"], "connect_timeout": 3}
    # A connection made at run time, as Django's tests allow (not in settings.DATABASES, so
    # the test runner neither creates nor flushes a database for it).
    connections[REPLICA] = load_backend(conf["ENGINE"]).DatabaseWrapper(conf, REPLICA)
    settings.DATABASE_ROUTERS = ["governance.db.ReplicaRouter"]
    settings.MIDDLEWARE = [*settings.MIDDLEWARE, "governance.db.ReplicaReadsMiddleware"]
    settings.REPLICA_MAX_LAG_SECONDS = 3600  # a paused standby is behind on purpose
    replica_health_reset()
    try:
        yield
    finally:
        connections[REPLICA].close()
        del connections[REPLICA]
        replica_health_reset()


@contextlib.contextmanager
def _queries():
    """The SQL each alias ran, as ``{alias: [sql, …]}``."""
    ran = {"default": [], REPLICA: []}

    def recorder(alias):
        def record(execute, sql, params, many, context):
            ran[alias].append(sql)
            return execute(sql, params, many, context)

        return record

    with contextlib.ExitStack() as stack:
        for alias in ran:
            stack.enter_context(connections[alias].execute_wrapper(recorder(alias)))
        yield ran


def _on(queries, table):
    return [sql for sql in queries if f'"{table}"' in sql]


def _login(user) -> Client:
    client = Client()
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _log(world, description):
    return services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description=description, reporter_phone="13812345678",
    )  # fmt: skip


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_the_dashboard_is_read_from_the_standby(standby, world, settings):
    _log(world, "路灯不亮")
    _replayed(standby)
    with _replica_alias(settings, standby.port):
        leader = _login(world.leader)
        with _queries() as ran:
            page = leader.get(f"/dashboard/{world.district.code}/")
        assert page.status_code == 200
        # Every read of the cases and the summary went to the standby, none to the primary.
        assert _on(ran[REPLICA], "events_event") or _on(ran[REPLICA], "dashboards_statcell")
        assert not [sql for sql in ran["default"] if "events_" in sql or "dashboards_" in sql], ran[
            "default"
        ]
        with connections[REPLICA].cursor() as cursor:
            cursor.execute("SELECT pg_is_in_recovery(), inet_server_port()")
            assert cursor.fetchone() == (True, standby.port)


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_after_a_write_the_writer_reads_the_primary_and_others_the_standby(
    standby, world, settings
):
    seen_by_all = _log(world, "井盖松动")
    _replayed(standby)
    with _replica_alias(settings, standby.port):
        governor, leader = _login(world.governor), _login(world.leader)
        _replay(standby, paused=True)  # from now on the standby falls behind
        try:
            logged = governor.post(
                "/events/new/",
                {
                    "block": world.block.pk, "category": world.category.pk,
                    "reporter_phone": "13812345678", "description": "小区门口有人占道摆摊",
                    "building": "3栋",
                },
            )  # fmt: skip
            assert logged.status_code == 302, logged.content.decode()[:500]
            number = logged["Location"].rstrip("/").rsplit("/", 1)[1]
            with _queries() as ran:
                # The writer's case page and case list, right after the write: the primary.
                assert number in governor.get(logged["Location"]).content.decode()
                mine = governor.get("/events/").content.decode()
            assert number in mine and seen_by_all.number in mine
            assert not ran[REPLICA], ran[REPLICA]
            with _queries() as ran:
                # The leader wrote nothing: the list comes from the standby, which has not
                # replayed the new case yet.
                theirs = leader.get("/events/").content.decode()
            assert seen_by_all.number in theirs and number not in theirs
            assert _on(ran[REPLICA], "events_event")
            assert not _on(ran["default"], "events_event")
            # Who asks is read from the primary: an app's token issued a moment ago works at
            # once on an endpoint that reads the standby.
            issued = Client().post(
                "/api/auth/token/",
                {"username": world.leader.username, "password": PASSWORD},
                content_type="application/json",
            )
            assert issued.status_code in (200, 201), issued.content
            with _queries() as ran:
                summary = Client().get(
                    "/api/stats/summary/", HTTP_AUTHORIZATION=f"Token {issued.json()['token']}"
                )
            assert summary.status_code == 200, summary.content
            assert ran[REPLICA]
        finally:
            _replay(standby, paused=False)
        _replayed(standby)
        assert number in leader.get("/events/").content.decode()


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_a_standby_that_is_down_sends_reads_to_the_primary(world, settings):
    event = _log(world, "垃圾没人清")
    with _replica_alias(settings, _free_port()):  # nothing listens there
        page = _login(world.leader).get("/events/")
    assert page.status_code == 200 and event.number in page.content.decode()


def test_every_view_read_from_the_replica_exists():
    """A view renamed or removed must leave REPLICA_READ_VIEWS too (no silent primary read)."""
    from django.conf import settings
    from django.urls import URLPattern, URLResolver, get_resolver

    def names(patterns, namespace=""):
        for pattern in patterns:
            if isinstance(pattern, URLResolver):
                inner = f"{namespace}{pattern.namespace}:" if pattern.namespace else namespace
                yield from names(pattern.url_patterns, inner)
            elif isinstance(pattern, URLPattern) and pattern.name:
                yield namespace + pattern.name

    missing = settings.REPLICA_READ_VIEWS - set(names(get_resolver().url_patterns))
    assert not missing, f"no such view: {sorted(missing)}"
