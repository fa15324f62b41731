"""What a user's roster decides, remembered between requests (issue 21: lean pages).

Every page asks who the user is before anything else: their postings and areas, their
departments, the communities they read as one of the five officials, whether they are a
deployed cadre or a registered party member (the scope, ``blocks.access.scope_for``, and the
links' menu). That is five queries and ~2.5 ms of every page, for facts that change a few
times a year per person.

So each web process remembers those answers per user, keyed by one change version in Redis
(``identities``, governance/polls.py) that every save or delete of a posting, a department
membership, an area, a joint-group member, a cadre or a party member bumps — at once *and*
again when the writing transaction commits (``polls.bump``), so that an answer computed from
the old rows between the two is dropped too. One MGET per request (which the page pays once, ~0.1 ms)
replaces the five queries. The memo is also dropped after ``TTL`` seconds, whatever happens,
so a change made behind the ORM's back (a bulk insert) lives at most that long. Without
Redis (the SQLite demo) nothing is remembered: every request reads the rows, as before.

Only plain, immutable values are remembered (the frozen ``Scope``, booleans), never model
instances: a request must not change what another one reads.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable
from typing import TypeVar

from governance import polls

TOPIC = "identities"
TTL = 300.0
# A district's staff is ~3,000 people with a few answers each; a process that has seen more
# users than this starts again (cheaper than an LRU's bookkeeping on every page).
MAX_ENTRIES = 20_000

T = TypeVar("T")
_memo: dict[tuple, tuple[float, object]] = {}
_lock = threading.Lock()
_UNREAD = object()


def changed(**_signal_kwargs) -> None:
    """A roster fact changed: forget every remembered answer (a signal receiver)."""
    polls.bump([TOPIC])  # now, and again once the write is visible (governance/polls.py)


def _version(user) -> str | None:
    """The roster's version, read once per request: the request's user object lives as
    long as the request does."""
    version = getattr(user, "_identity_version", _UNREAD)
    if version is _UNREAD:
        version = polls.version([TOPIC], start=True)
        user._identity_version = version
    return version


def remembered(user, name: str, compute: Callable[[], T]) -> T:
    """``compute()``'s answer for ``user``, remembered while their roster is unchanged."""
    version = _version(user)
    if version is None:
        return compute()
    return _remember((user.pk, bool(user.is_superuser), name, version), compute)


def remembered_for_everyone(user, key: tuple, compute: Callable[[], T]) -> T:
    """``compute()``'s answer for anybody (e.g. a community's five officials, rendered),
    remembered while the roster is unchanged; ``user`` is who asks now (the version is
    read once per request)."""
    version = _version(user)
    if version is None:
        return compute()
    return _remember(("*", *key, version), compute)


def _remember(key: tuple, compute: Callable[[], T]) -> T:
    found = _memo.get(key)
    now = time.monotonic()
    if found is not None and found[0] > now:
        return found[1]  # type: ignore[return-value]
    value = compute()
    with _lock:
        if len(_memo) >= MAX_ENTRIES:
            _memo.clear()
        _memo[key] = (now + TTL, value)
    return value


def forget() -> None:
    """Drop every remembered answer of this process (tests that rewrite the roster
    outside the ORM)."""
    with _lock:
        _memo.clear()
