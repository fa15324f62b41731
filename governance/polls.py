"""Polls that cost next to nothing when nothing changed (DESIGN §9, issue 21).

Every page polls the bell and the workbench polls its queue every 30 s: a district's 2,700
staff make ~180 polls a second, nearly all of which would answer what the page already shows.
So each thing a poll shows has a *topic* with a change version in Redis:

- ``bell:<user id>``: the user's unread notices (written by ``governance.notifications``);
- ``area:<code>``: the cases of an area (every timeline entry, claimed clock, supervision
  card of a case bumps the topics of its block *and of each area above it*, so a poll may
  watch a block, a community, a street, a district or — ``area:`` — everything);
- ``roster:<user id>``: the user's postings (their queue is the set of their blocks).

``bump(topics)`` increments the versions at once *and* again when the writing transaction
commits: the second increment is what makes a change visible to polls (an answer computed
between the two, from the rows as they were, is dropped by it); the first one makes the
change show to reads inside the writing transaction itself, and costs at worst one
needless re-render when the write rolls back. A poll view that answers content
first reads the versions of its topics (``remember``: one MGET), then the data, and puts the
version in the poll's own address (``?v=…``, see ``poll_url``); the topics go into the
session. The next poll is answered by ``governance.security.UnchangedPollMiddleware`` from
the session (a Redis read with the cached_db engine) and one MGET: unchanged → ``204``
(htmx swaps nothing), with no database query, no user loaded and nothing rendered.

Reading the versions *before* the data is what makes this safe: a change committed between
the two is shown now or, at worst, shown again at the next poll — never missed.

Why a version in the address and a 204, not an ETag and a 304: a 304 to an XMLHttpRequest
reaches htmx as a 200 with the cached body, which htmx swaps in again every 30 s, and it needs
pages with residents' data kept in the browser's HTTP cache; a 204 leaves the DOM and the
cache alone.

Without Redis (the one-command SQLite demo, whose cache is in-process memory that the worker
and beat do not share) there are no versions: every poll answers content — correct, not
cheap. The same holds for a moment after Redis lost its data (the ``epoch`` key is gone).
"""

from __future__ import annotations

import hashlib
import logging
import secrets
from collections.abc import Iterable
from functools import partial

from django.conf import settings
from django.contrib.auth import SESSION_KEY
from django.core.cache import caches
from django.core.cache.backends.redis import RedisCache
from django.db import transaction
from django.http import HttpRequest, HttpResponse

logger = logging.getLogger(__name__)

# Lengths of the area codes (行政区划代码: district 6, street 9, community 12; a block adds 3,
# a compound and a building 3 more): blocks.models.Area.CODE_LENGTH, which this ground layer
# cannot import (tests/governance/test_polls.py holds the two equal).
AREA_CODE_LENGTHS = (6, 9, 12, 15, 18, 21)
# Where a session keeps, by poll address, the topics its last answer watched.
SESSION_POLLS = "polls"
EPOCH = "epoch"
PREFIX = "poll:"
# How often the pages poll, in seconds (a test may shorten it).
DEFAULT_SECONDS = 30


def interval() -> int:
    return int(getattr(settings, "POLL_SECONDS", DEFAULT_SECONDS))


def bell_topic(user_id: int) -> str:
    return f"bell:{user_id}"


def roster_topic(user_id: int) -> str:
    return f"roster:{user_id}"


def area_topic(code: str) -> str:
    return f"area:{code}"


def area_topics(code: str) -> list[str]:
    """The topics a change in area ``code`` bumps: its own and every area's above it."""
    return [area_topic("")] + [area_topic(code[:n]) for n in AREA_CODE_LENGTHS if n <= len(code)]


def _client():
    """The cache's Redis connection, or None when the cache is not Redis (no versions)."""
    cache = caches["default"]
    if not isinstance(cache, RedisCache):
        return None
    return cache._cache.get_client(write=True)


def _key(name: str) -> str:
    # Django's cache prefix and version, so the keys live beside the cache's own.
    return caches["default"].make_key(PREFIX + name)


def bump(topics: Iterable[str]) -> None:
    """Increment the versions of ``topics`` now and once the current transaction commits
    (see above). A Redis error is logged, never raised into the write."""
    names = list(dict.fromkeys(topics))
    if names and _client() is not None:
        try:
            _increment(names)
        except Exception:  # noqa: BLE001 - the write goes on; its commit bumps again
            logger.warning("poll versions not bumped", exc_info=True)
        transaction.on_commit(partial(_increment, names), robust=True)


def _increment(names: list[str]) -> None:
    pipe = _client().pipeline(transaction=False)
    for name in names:
        pipe.incr(_key(name))
    pipe.execute()


def version(topics: list[str], *, start: bool = False) -> str | None:
    """One string for the current versions of ``topics`` (one MGET), or None when there are
    none to trust: no Redis, Redis unreachable, or its data lost (no epoch). ``start`` sets
    a new epoch when there is none, so that the answers from now on can be trusted."""
    client = _client()
    if client is None:
        return None
    keys = [_key(EPOCH), *(_key(t) for t in topics)]
    try:
        values = client.mget(keys)
        if values[0] is None and start:
            client.set(keys[0], secrets.token_hex(8), nx=True)
            values = client.mget(keys)
    except Exception:  # noqa: BLE001 - a poll without Redis answers content, never an error
        logger.warning("poll versions unavailable", exc_info=True)
        return None
    if values[0] is None:
        return None
    text = "\n".join([*topics, *(v.decode() if v else "0" for v in values)])
    return hashlib.blake2b(text.encode(), digest_size=8).hexdigest()


def remember(request: HttpRequest, *, path: str, topics: list[str]) -> str:
    """Call *before* reading what the poll at ``path`` shows: keeps ``topics`` in the session
    for that poll and returns the version to put in its address ("" without versions)."""
    current = version(topics, start=True)
    stored = request.session.get(SESSION_POLLS, {})
    if stored.get(path) != topics:  # the session is written only when the topics change
        request.session[SESSION_POLLS] = {**stored, path: topics}
    return current or ""


def poll_url(path: str, current: str) -> str:
    """The address the next poll asks: with the version it was answered at, if any."""
    return f"{path}?v={current}" if current else path


def unchanged(request: HttpRequest) -> bool:
    """Whether this poll shows what the page already has: the session holds a signed-in
    user and the topics of this address, and their version is the one the poll sends.
    Reads the session and Redis only; never the database, never the user."""
    sent = request.GET.get("v")
    if not sent:
        return False
    session = request.session
    if session.get(SESSION_KEY) is None:
        return False
    topics = session.get(SESSION_POLLS, {}).get(request.path)
    return topics is not None and version(topics) == sent


def unchanged_response() -> HttpResponse:
    """No content: htmx leaves the element as it is and polls again."""
    return HttpResponse(status=204)
