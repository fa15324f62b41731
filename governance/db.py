"""Reads from a PostgreSQL streaming replica (DESIGN §8), on when ``DATABASE_REPLICA_URL`` is set.

Everything goes to the primary (``default``) unless a request is marked, by
``ReplicaReadsMiddleware``, as one that may read from the replica: a GET or HEAD of a view named
in ``settings.REPLICA_READ_VIEWS`` (dashboards, lists, exports: pages whose figures may lag a
second behind), from a browser or app that has not written lately, while the replica is
reachable and not too far behind. Within such a request the router sends reads to
``replica`` until one of these stays on the primary:

- every write, and every read after the request's first write (read-your-writes in the
  request);
- every read inside a transaction (``atomic``): it may be about to write what it read;
- every request for ``REPLICA_PIN_SECONDS`` after a request of the same browser or app wrote
  (a POST, PUT, PATCH or DELETE, or a GET that wrote): the response sets a cookie, so the case
  list opened after logging a case shows it (read-your-writes in the session).

The user, their session and app tokens are always read from the primary, so a deactivated
account, an ended session or a revoked token is never honoured from a lagging copy.
Migrations run on the primary only; the replica receives them by streaming.
"""

from __future__ import annotations

import logging
import time
from contextvars import ContextVar
from dataclasses import dataclass

from django.conf import settings
from django.db import DEFAULT_DB_ALIAS, DatabaseError, connections

log = logging.getLogger(__name__)

REPLICA = "replica"
PIN_COOKIE = "primary_until"
# Writes that change nothing the replica's readers show: the session's "last seen", an app
# token's "last used" and the audit entry an export writes before reading its rows. They do
# not pin the browser or app.
UNPINNING_WRITES = frozenset({"sessions.Session", "governance.AuditEntry", "governance.ApiToken"})
# Who is asking is always read from the primary: an account deactivated, a session ended or
# an app token revoked a moment ago is not honoured from a lagging copy, and a token issued a
# moment ago works at once.
PRIMARY_READS = frozenset({"governance.User", "sessions.Session", "governance.ApiToken"})
HEALTH_CHECK_SECONDS = 5.0


@dataclass
class _Request:
    replica: bool = False  # reads may go to the replica now
    wrote: bool = False  # the request wrote something a later read must see


_current: ContextVar[_Request | None] = ContextVar("replica_reads", default=None)


class ReplicaRouter:
    def db_for_read(self, model, **hints):
        state = _current.get()
        if (
            state is not None
            and state.replica
            and model._meta.label not in PRIMARY_READS
            and not connections[DEFAULT_DB_ALIAS].in_atomic_block
        ):
            return REPLICA
        return DEFAULT_DB_ALIAS  # also for objects read from the replica earlier (no hint)

    def db_for_write(self, model, **hints):
        state = _current.get()
        if state is not None and model._meta.label not in UNPINNING_WRITES:
            state.replica, state.wrote = False, True
        return DEFAULT_DB_ALIAS

    def allow_relation(self, obj1, obj2, **hints):
        return True  # one database, two copies

    def allow_migrate(self, db, app_label, model_name=None, **hints):
        return db == DEFAULT_DB_ALIAS


_health = {"checked": -HEALTH_CHECK_SECONDS, "usable": False}


def replica_usable() -> bool:
    """Whether the replica answers and is at most ``REPLICA_MAX_LAG_SECONDS`` behind; asked at
    most every few seconds per process. A replica that is down or stuck sends every read to
    the primary instead of failing the page."""
    now = time.monotonic()
    if now - _health["checked"] < HEALTH_CHECK_SECONDS:
        return _health["usable"]
    _health["checked"] = now
    try:
        with connections[REPLICA].cursor() as cursor:
            # Caught up (all it received is replayed): no lag, however old its last commit.
            cursor.execute(
                "SELECT CASE WHEN pg_last_wal_receive_lsn() = pg_last_wal_replay_lsn() THEN 0"
                " ELSE COALESCE(EXTRACT(EPOCH FROM now() - pg_last_xact_replay_timestamp()), 0)"
                " END"
            )
            lag = float(cursor.fetchone()[0])
        usable = lag <= settings.REPLICA_MAX_LAG_SECONDS
        if not usable:
            log.warning("replica is %.0f s behind: reading from the primary", lag)
    except DatabaseError as exc:
        log.warning("replica unreachable, reading from the primary: %s", exc)
        connections[REPLICA].close()
        usable = False
    _health["usable"] = usable
    return usable


def replica_health_reset() -> None:
    """Forget the last check (tests, after starting or stopping a replica)."""
    _health["checked"] = -HEALTH_CHECK_SECONDS


class ReplicaReadsMiddleware:
    """Marks the requests that may read from the replica, and pins a browser or app that wrote
    to the primary for ``REPLICA_PIN_SECONDS`` (a cookie: forging it only costs the replica)."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        state = _Request()
        token = _current.set(state)
        try:
            response = self.get_response(request)
        finally:
            _current.reset(token)
        if state.wrote or request.method not in ("GET", "HEAD", "OPTIONS"):
            seconds = settings.REPLICA_PIN_SECONDS
            response.set_cookie(
                PIN_COOKIE, str(int(time.time()) + seconds), max_age=seconds, httponly=True,
                samesite="Lax", secure=settings.SESSION_COOKIE_SECURE,
            )  # fmt: skip
        return response

    def process_view(self, request, view_func, view_args, view_kwargs):
        if (
            request.method in ("GET", "HEAD")
            and request.resolver_match.view_name in settings.REPLICA_READ_VIEWS
            and not _pinned(request)
            and replica_usable()
        ):
            _current.get().replica = True


def _pinned(request) -> bool:
    try:
        return int(request.COOKIES.get(PIN_COOKIE, "0")) > time.time()
    except ValueError:
        return False
