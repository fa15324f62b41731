"""Who else hears of a community's overdue and 督办 notices (issue 20).

The lower app offers the hook and never names the upper ones (STYLE §1, like
events/panels.py): liaison registers in ``AppConfig.ready`` the five officials of 五者同责
(seed 004) with an account. The roster's own readers of a community — 社区专员 (seed 001) and
first secretaries (seed 004) — are found here, from the postings.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable

from blocks.models import Area, Posting

COMMUNITY_LEN = Area.CODE_LENGTH[Area.Level.COMMUNITY]
# Posted at a community, they receive its overdue and 督办 notices.
COMMUNITY_WATCHERS = (Posting.Role.COMMUNITY_COMMISSIONER, Posting.Role.FIRST_SECRETARY)

# Each takes a community's code and returns the ids of users to tell.
_EXTRA: list[Callable[[str], Iterable[int]]] = []


def register_community_recipients(source: Callable[[str], Iterable[int]]) -> None:
    if source not in _EXTRA:
        _EXTRA.append(source)


def community_watchers(area_code: str) -> set[int]:
    """Who watches the community of ``area_code`` (a case's block or below): its
    commissioner, its first secretaries and what the apps above add."""
    community = area_code[:COMMUNITY_LEN]
    users = set(
        Posting.objects.filter(
            area__code=community, role__in=COMMUNITY_WATCHERS, ended_on__isnull=True
        ).values_list("user_id", flat=True)
    )
    for source in _EXTRA:
        users.update(source(community))
    return users
