"""Who may reach which URL: the declared table that tests/governance/test_url_walk.py checks
against every URL pattern of the project, with every persona (issue 10, DESIGN §6).

The walk builds one small world (see ``build_world`` in test_url_walk.py) and asks each URL
as each persona below. "Allowed" and "denied" mean:

- denied: 401, 403, 404, or a redirect to the login page (``/login/?next=…``); and for a
  POST with a ``body``, also "nothing was written" (the services refuse a read-only leader
  with a message, not always with a 403). A denied request that writes anything fails.
- allowed: anything else (200, a redirect elsewhere, a 400 for a harmless empty form…);
  and for a POST with a ``body``, something was written to the database. Every request is
  rolled back afterwards, so each persona sees the same world.

HOW TO ADD A URL (a new pattern without an entry fails the walk, naming itself):

1. Find its key: ``namespace:name`` as in ``{% url %}`` (e.g. ``events:detail``), the bare
   name for patterns outside a namespace (``api-token``), DRF router names too
   (``notification-list``; the ``.json`` format-suffix variant shares its entry). A
   pattern without a name is keyed by its route (``^media/(?P<path>.*)$``).
2. Add ``"key": Entry(get=POLICY, post=POLICY, params={...}, body=...)`` to ``TABLE``:
   - ``get`` / ``post``: who may do it, as a named policy below (or a set of personas,
     e.g. ``CASE_VIEWERS | {DEPT}``). ``None`` means "this method is not walked" (a
     POST-only view has ``get=None``).
   - ``params``: a value for each path parameter, as a function of the world ``w``
     (``lambda w: w.pending.number``); ``format`` and ``fmt`` default to ``json``.
   - ``body``: for a write, a VALID body (``lambda w: {...}``), so the walk can prove that
     the allowed personas really write and the others really do not. Leave it out for
     POSTs that write nothing worth proving (a login form, a language switch).
   - ``query``: a query string for GETs that need one.
   - ``reveals=True`` only for a URL whose purpose is to show a resident's number whole.
   - ``audited=POSTED`` (or ``VIEWED``): each allowed request must write an audit entry
     (changes of the roster or of permissions, reveals of personal data, exports).
   - ``other_methods={"PATCH"}``: an API endpoint that really updates (or deletes) with
     that method; the walk checks that no other PUT/PATCH/DELETE writes anything.
3. If the URL needs an object the world lacks, add it to ``build_world`` in the test.
4. Run ``pytest tests/governance/test_url_walk.py``.

Pending entries, to be added by the lead when the branches merge (the walk names each URL
still missing): the events API (``/api/events/…``) and the dashboard (``/dashboard/…``).
What to expect, from DESIGN §6 and the entries above:

- events API: a list is ``SIGNED_IN`` (each sees their scope); one case is like
  ``events:detail`` (``CASE_VIEWERS``, with ``params={"number": lambda w: w.pending.number}``
  or ``w.dispatched`` to include ``DEPT``); a transition POST is like ``events:action``
  (``CASE_ACTORS`` with a valid ``body``); nothing answers PATCH/DELETE.
- dashboard: leaders, street desks and administrators read numbers of their own areas; an
  area's page is ``BLOCK_VIEWERS``-like for block A and denies the neighbour and outsiders.
- liaison (declared below, with ``w.links``): a community's objects (wishes, members, demand
  lists, its five officials) are its block staff's (``GOV`` and ``NEIGH``: block B is in the
  same community) and its street's; a block's (visits, household leaders) only block A's;
  the street's lists go to the desk, a department sees what it claims or leads.

Keep the personas' meaning: a URL the table gives to ``NEIGH``, ``FAR`` or ``OTHER_DEPT`` for
an object of block A is a hole, not an entry to write (one of block A's community is
``NEIGH``'s too).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

# --- personas -------------------------------------------------------------------------------
GOV = "governor"  # governor of block A, where the world's cases are (in scope)
NEIGH = "neighbour"  # governor of block B, next door in the same community
FAR = "far_governor"  # governor of a block in another street
DISP = "dispatcher"  # the desk of street S, which holds block A
DEPT = "officer"  # officer of 城管, the department the dispatched case went to
OTHER_DEPT = "other_officer"  # officer of 住建, to which nothing was dispatched
LEADER = "leader"  # district leader: reads everything in the district, writes nothing
ADMIN = "admin"  # administrator (superuser, staff)
ANON = "anonymous"

PERSONAS = (GOV, NEIGH, FAR, DISP, DEPT, OTHER_DEPT, LEADER, ADMIN, ANON)
Policy = frozenset[str]

# --- named policies -------------------------------------------------------------------------
PUBLIC: Policy = frozenset(PERSONAS)
SIGNED_IN: Policy = PUBLIC - {ANON}
NOBODY: Policy = frozenset()
ADMIN_ONLY: Policy = frozenset({ADMIN})
# Block A itself (its card, team, roster history): its own staff, its street, the leader.
BLOCK_VIEWERS: Policy = frozenset({GOV, DISP, LEADER, ADMIN})
# A case in block A before any department is involved.
CASE_VIEWERS: Policy = BLOCK_VIEWERS
CASE_ACTORS: Policy = CASE_VIEWERS - {LEADER}
# The block's own staff: log a case, see residents' numbers while the block handles it.
BLOCK_HANDLERS: Policy = frozenset({GOV, ADMIN})
# The street's desk: dispatch, approve changes of time limits, score departments.
STREET_DESK: Policy = frozenset({DISP, ADMIN})
# People who work for a department: each sees its own inbox.
DEPARTMENT_STAFF: Policy = frozenset({DEPT, OTHER_DEPT})
# Staff posted to some block or street (hotline import).
POSTED_STAFF: Policy = frozenset({GOV, NEIGH, FAR, DISP, ADMIN})
# The links between levels (liaison/). A community has no posting of its own: its staff are
# the governors and assistants of its blocks (block A and B alike) and the street above it.
COMMUNITY_STAFF: Policy = frozenset({GOV, NEIGH, DISP, ADMIN})
COMMUNITY_READERS: Policy = COMMUNITY_STAFF | {LEADER}
# The street's own lists (problems, service items, meetings): its desk and the leader read.
STREET_READERS: Policy = frozenset({DISP, LEADER, ADMIN})
# Published problem lists are open to the district's departments, to claim from.
PROBLEM_READERS: Policy = STREET_READERS | DEPARTMENT_STAFF
# The ledger is public per street: its block staff and its lead department read it too.
LEDGER_READERS: Policy = STREET_READERS | {GOV, NEIGH, DEPT}
# What the claiming department (城管) and the street see of its service item.
SERVICE_READERS: Policy = STREET_READERS | {DEPT}


@dataclass(frozen=True)
class Entry:
    get: Policy | None = None
    post: Policy | None = None
    params: dict[str, Callable[[Any], Any] | str] = field(default_factory=dict)
    body: Callable[[Any], dict] | None = None
    query: str = ""
    # Paths to ask instead of reversing the pattern (the admin site, unnamed patterns).
    paths: Callable[[Any], list[str]] | None = None
    # Only mounted with DEBUG on (not during tests): not reported as stale.
    debug_only: bool = False
    # Answers a resident's phone number whole to those it allows (every other URL must show
    # it masked, whoever asks: the walk looks for the world's number in every answer).
    reveals: bool = False
    # Methods whose every allowed request must write an audit entry (roster and permission
    # changes, reveals, exports: issue 10).
    audited: frozenset[str] = frozenset()
    # PUT / PATCH / DELETE the URL writes with (none today): any other one that writes fails.
    other_methods: frozenset[str] = frozenset()
    note: str = ""


DEFAULT_PARAMS: dict[str, str] = {"format": "json", "fmt": "json"}
POSTED, VIEWED = frozenset({"POST"}), frozenset({"GET"})


# --- the events REST API (events/api.py): /api/events/, /api/assignments/, /api/hotline/ ----
# Kept apart from TABLE (merged into it at the end of this module). Every caller signs in
# (401 otherwise); a case or part outside the caller's scope is a 404, in scope but not theirs
# to act on a 403; the leader only reads. "The block's staff" includes its street's desk, as
# on the pages (Scope.can_act_in_block: events:action is CASE_ACTORS too); revealing a phone
# stays with the current handler. Extra objects: ``extend_world_for_api`` in the walk.
def _case(attr: str) -> dict[str, Callable[[Any], Any]]:
    return {"id": lambda w: getattr(w, attr).number}


def _part(attr: str) -> dict[str, Callable[[Any], Any]]:
    return {"pk": lambda w: getattr(w, attr).pk}


API_EVENTS: dict[str, Entry] = {
    "event-list": Entry(
        get=SIGNED_IN,
        post=CASE_ACTORS,
        body=lambda w: {
            "block": w.block.code,
            "category": w.category.code,
            "description": "楼道堆放杂物",
            "reporter_phone": "13812345678",
        },  # fmt: skip
        note="each reads their own scope; the block's staff or its street log",
    ),
    "event-detail": Entry(
        get=CASE_VIEWERS | {DEPT},
        params=_case("dispatched"),
        note="the department it was dispatched to reads it too",
    ),
    "event-accept": Entry(
        post=CASE_ACTORS, params=_case("pending"), body=lambda w: {"expected_status": "pending"}
    ),
    "event-resolve": Entry(
        post=CASE_ACTORS, params=_case("processing"), body=lambda w: {"note": "已清理"}
    ),
    "event-invalidate": Entry(
        post=CASE_ACTORS, params=_case("pending"), body=lambda w: {"reason": "重复来电"}
    ),
    "event-merge": Entry(
        post=CASE_ACTORS,
        params=_case("pending"),
        body=lambda w: {"into": w.merge_target.number},
    ),
    "event-whistle": Entry(
        post=CASE_ACTORS,
        params=_case("processing"),
        body=lambda w: {"reason": "law_enforcement"},
    ),
    # The walk's district takes no streets' whistles and its desk holds no case the street
    # whistled up, so nobody may take these two here; who may where the district is set up
    # so: tests/events/test_district_whistle.py (DESK_CASES) and tests/api/test_dispatch_api.py.
    "event-whistle-district": Entry(
        post=NOBODY, params=_case("escalated"), body=lambda w: {"note": "街道协调不动"}
    ),
    "event-send-back": Entry(
        post=NOBODY, params=_case("escalated"), body=lambda w: {"note": "街道可自行派单"}
    ),
    # Separation of duties (events.models.SEPARATION): the governor resolved the world's
    # cases, so the street's desk verifies them, sends them back and records the callback.
    "event-verify": Entry(post=STREET_DESK, params=_case("resolved"), body=lambda w: {}),
    "event-rework": Entry(
        post=STREET_DESK, params=_case("resolved"), body=lambda w: {"note": "仍有杂物"}
    ),
    "event-rate": Entry(
        post=STREET_DESK,
        params=_case("closed"),
        body=lambda w: {"satisfaction": "satisfied", "resolved": True},
        note="the desk records the resident's answer to the callback, never the block's team",
    ),
    "event-dispatch": Entry(
        post=STREET_DESK, params=_case("escalated"), body=lambda w: {"lead": w.cgzf.code}
    ),
    "event-comment": Entry(
        post=CASE_ACTORS | {DEPT},
        params=_case("dispatched"),
        body=lambda w: {"note": "已联系摊主"},
        note="the area's people but the read-only leader, and the department handling a "
        "part of the case",
    ),
    "event-evaluate": Entry(
        post=STREET_DESK,
        params=_case("closed"),
        body=lambda w: {
            "assignment": w.closed_part.pk,
            "response": 5,
            "handling": 4,
            "attitude": 5,
        },
    ),  # fmt: skip
    "event-reveal-phone": Entry(
        audited=POSTED,
        post=BLOCK_HANDLERS,
        params=_case("pending"),
        body=lambda w: {"reason": "回电居民"},
        reveals=True,
        note="the current handler only; the reveal is audited",
    ),
    "event-deadline-change": Entry(
        post=CASE_ACTORS,
        params=_case("pending"),
        body=lambda w: {
            "clock": w.pending_clock.pk,
            "kind": "extend",
            "reason": "居民外出",
            "extra_working_days": 2,
        },
        note="whoever handles that clock: the block's response clock here",
    ),  # fmt: skip
    "event-deadline-resume": Entry(
        post=CASE_ACTORS,
        params=_case("suspended"),
        body=lambda w: {"clock": w.suspended_clock.pk},
    ),
    "event-deadline-decide": Entry(
        post=STREET_DESK,
        params=_case("dispatched"),
        body=lambda w: {"change": w.clock_change.pk, "approve": True},
        note="never on one's own request",
    ),
    "assignment-list": Entry(get=SIGNED_IN, note="officers see their departments' parts only"),
    "assignment-detail": Entry(get=frozenset({DEPT}), params=_part("dispatched_part")),
    "assignment-report-in": Entry(
        post=frozenset({DEPT}), params=_part("dispatched_part"), body=lambda w: {}
    ),
    "assignment-feedback": Entry(
        post=frozenset({DEPT}), params=_part("reported_part"), body=lambda w: {"note": "已劝离"}
    ),
    "assignment-return": Entry(
        post=frozenset({DEPT}),
        params=_part("dispatched_part"),
        body=lambda w: {"reason": "not_our_duty", "note": "属住建职责"},
    ),
    # Reference data (events/reference_api.py): every signed-in person reads their own
    # districts' departments and the catalogue (a person posted nowhere gets empty lists).
    "api-departments": Entry(get=SIGNED_IN, note="the caller's districts' departments"),
    "api-categories": Entry(get=SIGNED_IN, note="the catalogue and the caller's duty lists"),
    "api-hotline-import": Entry(
        post=frozenset({GOV, DISP, ADMIN}),
        body=lambda w: {
            "rows": [
                {
                    "number": "12345-WALK-1",
                    "description": "夜间施工噪音",
                    "matter": w.category.code,
                    "block_code": w.block.code,
                    "phone": "13812345678",
                }
            ]
        },
        note="posted staff only, rows only into their own blocks (the neighbour's: refused)",
    ),  # fmt: skip
}


TABLE: dict[str, Entry] = {
    # --- accounts -------------------------------------------------------------------------
    "home": Entry(get=SIGNED_IN),
    "healthz": Entry(get=PUBLIC),
    "login": Entry(get=PUBLIC, post=PUBLIC),
    # Without a password just checked it sends back to /login/ (not "?next="): nothing shown.
    "login_code": Entry(get=PUBLIC, post=PUBLIC),
    "second_factor": Entry(get=SIGNED_IN, post=SIGNED_IN),
    "logout": Entry(post=PUBLIC),
    "logout_everywhere": Entry(post=SIGNED_IN),
    "password_change": Entry(get=SIGNED_IN, post=SIGNED_IN),
    "set_language": Entry(post=PUBLIC),
    # --- one's own notices (another person's notice is not there: 404) ----------------------
    "governance:notifications": Entry(get=SIGNED_IN),
    "governance:notification_badge": Entry(get=PUBLIC, note="286 for anonymous: stop polling"),
    "governance:notifications_read_all": Entry(post=SIGNED_IN),
    "governance:notification_read": Entry(
        post=frozenset({GOV}),
        params={"notification_id": lambda w: w.notice.pk},
        body=lambda w: {},
    ),
    "governance:audit_log": Entry(get=ADMIN_ONLY),
    # --- territory pages --------------------------------------------------------------------
    "blocks:area_browser": Entry(get=SIGNED_IN),
    "blocks:area_detail": Entry(get=BLOCK_VIEWERS, params={"code": lambda w: w.block.code}),
    "blocks:block_list": Entry(get=BLOCK_VIEWERS, params={"code": lambda w: w.block.code}),
    "blocks:roster_edit": Entry(
        audited=POSTED,
        get=ADMIN_ONLY,
        post=ADMIN_ONLY,
        params={"code": lambda w: w.block.code},
        body=lambda w: {
            "user": w.recruit.pk,
            "role": "assistant",
            "assistant_kind": "resident_rep",
            "started_on": "2026-01-05",
        },  # fmt: skip
        note="street administrators of the street too (tests/blocks/test_access.py)",
    ),
    "blocks:roster_replace": Entry(
        audited=POSTED,
        post=ADMIN_ONLY,
        params={"code": lambda w: w.block.code},
        body=lambda w: {"role": "governor", "user": w.recruit.pk},
    ),
    "blocks:roster_end": Entry(
        audited=POSTED,
        post=ADMIN_ONLY,
        params={"code": lambda w: w.block.code, "posting_id": lambda w: w.governor_posting.pk},
        body=lambda w: {},
    ),
    "blocks:import_start": Entry(
        get=ADMIN_ONLY, post=ADMIN_ONLY, params={"code": lambda w: w.street.code}
    ),
    "blocks:orphan_check": Entry(get=ADMIN_ONLY, params={"code": lambda w: w.street.code}),
    "blocks:import_detail": Entry(get=ADMIN_ONLY, params={"pk": lambda w: w.territory_import.pk}),
    "blocks:import_report": Entry(
        get=ADMIN_ONLY, params={"pk": lambda w: w.territory_import.pk, "fmt": "csv"}
    ),
    # --- cases: lists, intake, workbench ---------------------------------------------------
    "events:list": Entry(get=SIGNED_IN, note="each sees the cases of their own scope"),
    "events:export": Entry(
        get=SIGNED_IN, audited=VIEWED, note="masked; unmasked needs a permission"
    ),
    "events:workbench": Entry(get=SIGNED_IN),
    "events:workbench_queue": Entry(get=SIGNED_IN),
    "events:log": Entry(
        post=BLOCK_HANDLERS,
        body=lambda w: {
            "block": w.block.pk,
            "category": w.category.pk,
            "description": "楼道堆放杂物",
            "reporter_phone": "13812345678",
        },  # fmt: skip
    ),
    "events:similar": Entry(get=SIGNED_IN, query="block=0"),
    "events:deadline_board": Entry(get=SIGNED_IN),
    "events:hotline_import": Entry(get=POSTED_STAFF, post=POSTED_STAFF),
    "events:hotline_report": Entry(
        get=frozenset({GOV}), note="one's own last import report, kept for an hour"
    ),
    # --- one case -------------------------------------------------------------------------
    "events:detail": Entry(get=CASE_VIEWERS, params={"number": lambda w: w.pending.number}),
    "events:action": Entry(
        post=CASE_ACTORS,
        params={"number": lambda w: w.pending.number, "action": "accept"},
        body=lambda w: {"expected_status": "pending"},
    ),
    "events:reveal_phone": Entry(
        audited=POSTED,
        post=BLOCK_HANDLERS,
        params={"number": lambda w: w.pending.number},
        body=lambda w: {"reason": "回电居民"},
        reveals=True,
        note="the current handler only; the reveal is audited",
    ),
    "events:deadline_change": Entry(
        post=CASE_ACTORS,
        params={
            "number": lambda w: w.pending.number,
            "clock_id": lambda w: w.pending_clock.pk,
            "what": "extend",
        },
        body=lambda w: {"reason": "居民外出", "days": "2"},
    ),
    "events:deadline_decide": Entry(
        post=STREET_DESK,
        params={
            "number": lambda w: w.dispatched.number,
            "change_id": lambda w: w.clock_change.pk,
        },
        body=lambda w: {"approve": "1"},
    ),
    # --- the street's desk and the departments ---------------------------------------------
    "events:console": Entry(get=STREET_DESK),
    "events:bulk_dispatch": Entry(
        post=STREET_DESK, body=lambda w: {"numbers": [w.escalated.number]}
    ),
    "events:dispatch": Entry(
        get=STREET_DESK,
        post=STREET_DESK,
        params={"number": lambda w: w.escalated.number},
        body=lambda w: {"lead": w.cgzf.pk, "expected_status": "escalated"},
    ),
    "events:inbox": Entry(get=DEPARTMENT_STAFF),
    "events:part_action": Entry(
        post=frozenset({DEPT}),
        params={"part_id": lambda w: w.dispatched_part.pk, "action": "report_in"},
        body=lambda w: {},
    ),
    "events:evaluate": Entry(
        post=STREET_DESK,
        params={"part_id": lambda w: w.closed_part.pk},
        body=lambda w: {"response": "5", "handling": "4", "attitude": "5"},
    ),
    # --- residents, without an account -----------------------------------------------------
    "public:report": Entry(get=PUBLIC, post=PUBLIC),
    "public:area_options": Entry(get=PUBLIC, query="street=0"),
    "public:locate": Entry(get=PUBLIC, query="lat=27.8&lon=112.9"),
    "public:suggest": Entry(get=PUBLIC, query="address=白石"),
    "public:done": Entry(get=PUBLIC, params={"code": lambda w: w.pending.tracking_code}),
    "public:lookup": Entry(get=PUBLIC),
    "public:track": Entry(get=PUBLIC, params={"code": lambda w: w.pending.tracking_code}),
    "public:rate": Entry(
        post=PUBLIC,
        params={"code": lambda w: w.closed.tracking_code},
        body=lambda w: {"satisfaction": "satisfied", "resolved": "1"},
    ),
    # --- Open311 GeoReport v2: public by specification; posting needs an api_key ------------
    "open311:discovery": Entry(get=PUBLIC),
    "open311:services": Entry(get=PUBLIC),
    "open311:service": Entry(get=PUBLIC, params={"code": lambda w: w.category.code}),
    "open311:requests": Entry(
        get=PUBLIC,
        post=PUBLIC,
        body=lambda w: {
            "api_key": w.open311_key,
            "service_code": w.category.code,
            "description": "路灯不亮",
            "address_id": w.block.code,
        },  # fmt: skip
    ),
    "open311:request": Entry(get=PUBLIC, params={"request_id": lambda w: w.pending.number}),
    "open311:token": Entry(get=PUBLIC, params={"token": lambda w: w.pending.tracking_code}),
    # --- REST API ---------------------------------------------------------------------------
    "api-root": Entry(get=SIGNED_IN),
    "api-schema": Entry(get=PUBLIC, note="the schema and docs hold no data"),
    "api-docs": Entry(get=PUBLIC),
    "api-token": Entry(post=PUBLIC, note="username and password in, a token out"),
    "notification-list": Entry(get=SIGNED_IN),
    "notification-unread-count": Entry(get=SIGNED_IN),
    "notification-read-all": Entry(post=SIGNED_IN),
    "notification-read": Entry(
        post=frozenset({GOV}), params={"pk": lambda w: w.notice.pk}, body=lambda w: {}
    ),
    "area-list": Entry(get=SIGNED_IN, note="each sees their own areas"),
    "area-detail": Entry(get=BLOCK_VIEWERS, params={"code": lambda w: w.block.code}),
    "block-list": Entry(get=SIGNED_IN),
    "block-locate": Entry(get=SIGNED_IN, query="lat=27.8&lon=112.9"),
    "block-detail": Entry(get=BLOCK_VIEWERS, params={"code": lambda w: w.block.code}),
    "posting-list": Entry(
        audited=POSTED,
        get=SIGNED_IN,
        post=ADMIN_ONLY,
        body=lambda w: {
            "area": w.block.code,
            "user": w.recruit.username,
            "role": "assistant",
            "assistant_kind": "resident_rep",
        },  # fmt: skip
    ),
    "posting-detail": Entry(get=BLOCK_VIEWERS, params={"pk": lambda w: w.governor_posting.pk}),
    "posting-replace": Entry(
        audited=POSTED,
        post=ADMIN_ONLY,
        body=lambda w: {"area": w.block.code, "role": "governor", "user": w.recruit.username},
    ),
    "posting-end": Entry(
        audited=POSTED,
        post=ADMIN_ONLY,
        params={"pk": lambda w: w.governor_posting.pk},
        body=lambda w: {},
    ),
    # --- links between levels (liaison/): pages under /links/ -------------------------------
    # Lists answer everyone signed in, each with their own scope (like events:list).
    "liaison:hub": Entry(get=SIGNED_IN),
    "liaison:cadres": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {
            "cadre": w.links.cadre.pk,
            "area": w.neighbour_block.pk,
            "role": "service",
        },  # fmt: skip
    ),
    "liaison:cadre_unlink": Entry(
        post=STREET_DESK, params={"link_id": lambda w: w.links.cadre_link.pk}, body=lambda w: {}
    ),
    "liaison:coverage": Entry(
        get=POSTED_STAFF | {LEADER}, note="one's own area; a department has none (404)"
    ),
    "liaison:visits": Entry(
        get=SIGNED_IN,
        post=CASE_ACTORS,
        body=lambda w: {
            "block": w.block.pk,
            "cadre": w.links.cadre.pk,
            "kind": "households",
            "visited_on": w.links.today.isoformat(),
            "households_visited": "5",
            "participants": "0",
            "summary": "入户走访",
        },  # fmt: skip
        note="the linked cadre records their own (not a persona); block staff for them",
    ),
    "liaison:visit_detail": Entry(
        get=BLOCK_VIEWERS, params={"visit_id": lambda w: w.links.visit.pk}
    ),
    "liaison:finding_case": Entry(
        post=CASE_ACTORS,
        params={"finding_id": lambda w: w.links.finding.pk},
        body=lambda w: {f"f{w.links.finding.pk}-category": w.category.pk},
    ),
    "liaison:finding_close": Entry(
        post=CASE_ACTORS,
        params={"finding_id": lambda w: w.links.finding.pk},
        body=lambda w: {"solved": "1", "note": "当场更换灯泡"},
        note="and the cadre who found it",
    ),
    "liaison:household_leaders": Entry(
        get=SIGNED_IN,
        post=CASE_ACTORS,
        body=lambda w: {"block": w.block.pk, "name": "钱阿姨", "households": "15"},
    ),
    "liaison:household_leader_link": Entry(
        post=CASE_ACTORS, params={"leader_id": lambda w: w.links.leader.pk}, body=lambda w: {}
    ),
    "liaison:household_leader_end": Entry(
        post=CASE_ACTORS, params={"leader_id": lambda w: w.links.leader.pk}, body=lambda w: {}
    ),
    "liaison:household_matter_take_down": Entry(
        post=CASE_ACTORS,
        params={"leader_id": lambda w: w.links.leader.pk},
        body=lambda w: {"description": "电话反映：楼顶漏水"},
    ),
    "liaison:household_leader_reveal": Entry(
        audited=POSTED,
        post=CASE_ACTORS,
        params={"leader_id": lambda w: w.links.leader.pk},
        body=lambda w: {"reason": "回电联户长"},
        reveals=True,
    ),
    "liaison:household_matter_decide": Entry(
        post=CASE_ACTORS,
        params={"matter_id": lambda w: w.links.matter.pk, "what": "decline"},
        body=lambda w: {"reason": "已由物业处理"},
    ),
    "liaison:household_report": Entry(
        get=PUBLIC,
        post=PUBLIC,
        params={"token": lambda w: w.links.token},
        body=lambda w: {"description": "楼道堆放杂物"},
        note="the household leader's own link, no login; 20 reports an hour",
    ),
    "liaison:registrations": Entry(
        get=SIGNED_IN,
        post=COMMUNITY_STAFF,
        body=lambda w: {
            "community": w.community.pk,
            "kind": "organisation",
            "name": "区教育局党支部",
        },
    ),
    "liaison:wishes": Entry(
        get=SIGNED_IN,
        post=COMMUNITY_STAFF,
        body=lambda w: {
            "community": w.community.pk,
            "title": "换灯泡",
            "resident_name": "周爷爷",
        },  # fmt: skip
        note="a member sees the wishes given to them",
    ),
    "liaison:wish_detail": Entry(
        get=COMMUNITY_READERS,
        post=COMMUNITY_STAFF,
        params={"wish_id": lambda w: w.links.wish.pk},
        body=lambda w: {"action": "cancel", "note": "居民已自行解决"},
        note="the member takes and closes their own (not a persona)",
    ),
    "liaison:wish_reveal": Entry(
        audited=POSTED,
        post=COMMUNITY_STAFF,
        params={"wish_id": lambda w: w.links.wish.pk},
        body=lambda w: {"reason": "联系居民"},
        reveals=True,
        note="and the member, once they have taken the wish",
    ),
    "liaison:joint_groups": Entry(get=SIGNED_IN),
    "liaison:joint_group": Entry(
        get=COMMUNITY_READERS,
        post=STREET_DESK,
        params={"code": lambda w: w.community.code},
        body=lambda w: {
            f"{p}-name": f"新官员{n}"
            for n, p in enumerate(
                (
                    "district_leader",
                    "street_leader",
                    "department_leader",
                    "stationed_cadre",
                    "community_cadre",
                )
            )
        },  # fmt: skip
        note="the street names the five; block staff rate them (the API's evaluate)",
    ),
    "liaison:demand_lists": Entry(
        get=SIGNED_IN,
        post=COMMUNITY_STAFF,
        body=lambda w: {"community": w.community.pk, "year": "2020", "quarter": "1"},
    ),
    "liaison:demand_list": Entry(
        get=COMMUNITY_READERS,
        post=COMMUNITY_STAFF,
        params={"list_id": lambda w: w.links.demand.pk},
        body=lambda w: {"action": "submit"},
    ),
    "liaison:demand_list_export": Entry(
        get=COMMUNITY_READERS, audited=VIEWED, params={"list_id": lambda w: w.links.demand.pk}
    ),
    "liaison:problem_lists": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {"street": w.street.pk, "year": "2020", "quarter": "1"},
    ),
    "liaison:problem_list": Entry(
        get=PROBLEM_READERS,
        post=STREET_DESK,
        params={"list_id": lambda w: w.links.problems.pk},
        body=lambda w: {"action": "close"},
        note="departments claim (the API's claim)",
    ),
    "liaison:problem_list_export": Entry(
        get=PROBLEM_READERS, audited=VIEWED, params={"list_id": lambda w: w.links.problems.pk}
    ),
    "liaison:service_items": Entry(get=SIGNED_IN),
    "liaison:service_items_export": Entry(get=SIGNED_IN, audited=VIEWED),
    "liaison:service_item_action": Entry(
        post=frozenset({DEPT}),
        params={"item_id": lambda w: w.links.service_item.pk, "what": "progress"},
        body=lambda w: {"note": "已完成选址"},
    ),
    "liaison:meetings": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {
            "street": w.street.pk,
            "held_on": w.links.today.isoformat(),
            "title": "临时会议",
            "record": "议定事项",
        },  # fmt: skip
    ),
    "liaison:ledger": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {"street": w.street.pk, "year": str(w.links.year), "title": "口袋公园"},
    ),
    "liaison:ledger_export": Entry(get=SIGNED_IN, audited=VIEWED),
    "liaison:ledger_item": Entry(
        get=LEDGER_READERS,
        post=frozenset({DISP, DEPT, ADMIN}),
        params={"item_id": lambda w: w.links.ledger_item.pk},
        body=lambda w: {"action": "track", "progress": "40", "note": "已完成设计"},
        note="the street and the lead department track; the street closes (the API's close)",
    ),
    "liaison:public_ledger": Entry(get=PUBLIC, params={"street_code": lambda w: w.street.code}),
    # --- links between levels: the API ------------------------------------------------------
    "cadre-link-list": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {"cadre": "walk-cadre", "area": w.neighbour_block.code, "role": "service"},
    ),
    "cadre-link-detail": Entry(
        get=COMMUNITY_READERS,
        params={"pk": lambda w: w.links.cadre_link.pk},
        note="a block's cadres are the community's to know (the cadres page too)",
    ),
    "cadre-link-end": Entry(
        post=STREET_DESK, params={"pk": lambda w: w.links.cadre_link.pk}, body=lambda w: {}
    ),
    "visit-list": Entry(
        get=SIGNED_IN,
        post=CASE_ACTORS,
        body=lambda w: {
            "block": w.block.code,
            "cadre": "walk-cadre",
            "visited_on": w.links.today.isoformat(),
            "households_visited": "4",
        },  # fmt: skip
    ),
    "visit-detail": Entry(get=BLOCK_VIEWERS, params={"pk": lambda w: w.links.visit.pk}),
    "visit-finding-case": Entry(
        post=CASE_ACTORS,
        params={"finding_id": lambda w: w.links.finding.pk},
        body=lambda w: {"category": w.category.code},
    ),
    "visit-finding-close": Entry(
        post=CASE_ACTORS,
        params={"finding_id": lambda w: w.links.finding.pk},
        body=lambda w: {"solved": "true", "note": "当场更换灯泡"},
    ),
    "household-leader-list": Entry(
        get=SIGNED_IN,
        post=CASE_ACTORS,
        body=lambda w: {"block": w.block.code, "name": "钱阿姨", "households": "15"},
    ),
    "household-leader-detail": Entry(get=BLOCK_VIEWERS, params={"pk": lambda w: w.links.leader.pk}),
    "household-leader-new-link": Entry(
        post=CASE_ACTORS, params={"pk": lambda w: w.links.leader.pk}, body=lambda w: {}
    ),
    "household-leader-end": Entry(
        post=CASE_ACTORS, params={"pk": lambda w: w.links.leader.pk}, body=lambda w: {}
    ),
    "household-leader-matters": Entry(
        post=CASE_ACTORS,
        params={"pk": lambda w: w.links.leader.pk},
        body=lambda w: {"description": "电话反映：楼顶漏水"},
    ),
    "household-matter-list": Entry(get=SIGNED_IN),
    "household-matter-detail": Entry(get=BLOCK_VIEWERS, params={"pk": lambda w: w.links.matter.pk}),
    "household-matter-accept": Entry(
        post=CASE_ACTORS,
        params={"pk": lambda w: w.links.matter.pk},
        body=lambda w: {"category": w.category.code},
    ),
    "household-matter-decline": Entry(
        post=CASE_ACTORS,
        params={"pk": lambda w: w.links.matter.pk},
        body=lambda w: {"note": "已由物业处理"},
    ),
    "party-organisation-list": Entry(
        get=SIGNED_IN,
        post=COMMUNITY_STAFF,
        body=lambda w: {"community": w.community.code, "name": "区教育局党支部"},
    ),
    "party-organisation-detail": Entry(
        get=COMMUNITY_READERS, params={"pk": lambda w: w.links.organisation.pk}
    ),
    "party-member-list": Entry(
        get=SIGNED_IN,
        post=COMMUNITY_STAFF,
        body=lambda w: {"community": w.community.code, "name": "吴红梅"},
    ),
    "party-member-detail": Entry(get=COMMUNITY_READERS, params={"pk": lambda w: w.links.member.pk}),
    "wish-list": Entry(
        get=SIGNED_IN,
        post=COMMUNITY_STAFF,
        body=lambda w: {
            "community": w.community.code,
            "title": "换灯泡",
            "resident_name": "周爷爷",
        },
    ),
    "wish-detail": Entry(get=COMMUNITY_READERS, params={"pk": lambda w: w.links.wish.pk}),
    "wish-assign": Entry(
        post=COMMUNITY_STAFF,
        params={"pk": lambda w: w.links.wish.pk},
        body=lambda w: {"member": w.links.member.pk},
    ),
    "wish-take": Entry(
        post=COMMUNITY_STAFF,
        params={"pk": lambda w: w.links.wish.pk},
        body=lambda w: {},
        note="the member, or the community recording that they did",
    ),
    "wish-done": Entry(
        post=COMMUNITY_STAFF,
        params={"pk": lambda w: w.links.taken_wish.pk},
        body=lambda w: {"note": "已送药上门"},
    ),
    "wish-cancel": Entry(
        post=COMMUNITY_STAFF,
        params={"pk": lambda w: w.links.wish.pk},
        body=lambda w: {"note": "居民已自行解决"},
    ),
    "joint-group-list": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {
            "community": w.community.code,
            **{
                f"{p}.name": f"新官员{n}"
                for n, p in enumerate(
                    (
                        "district_leader",
                        "street_leader",
                        "department_leader",
                        "stationed_cadre",
                        "community_cadre",
                    )
                )
            },
        },  # fmt: skip
    ),
    "joint-group-detail": Entry(
        get=COMMUNITY_READERS, params={"area_code": lambda w: w.community.code}
    ),
    "joint-group-evaluate": Entry(
        post=frozenset({GOV, NEIGH}),
        params={"area_code": lambda w: w.community.code},
        body=lambda w: {
            "member": w.links.group_member.pk,
            "year": str(w.links.year),
            "direction": "upward",
            "score": "90",
        },  # fmt: skip
        note="upward: the community's block staff; downward: the street or the official",
    ),
    "demand-list-list": Entry(
        get=SIGNED_IN,
        post=COMMUNITY_STAFF,
        body=lambda w: {"area": w.community.code, "year": "2020", "quarter": "1"},
    ),
    "demand-list-detail": Entry(get=COMMUNITY_READERS, params={"pk": lambda w: w.links.demand.pk}),
    "demand-list-items": Entry(
        post=COMMUNITY_STAFF,
        params={"pk": lambda w: w.links.demand.pk},
        body=lambda w: {"text": "增设充电桩"},
    ),
    "demand-list-submit": Entry(
        post=COMMUNITY_STAFF, params={"pk": lambda w: w.links.demand.pk}, body=lambda w: {}
    ),
    "problem-list-list": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {"area": w.street.code, "year": "2020", "quarter": "1"},
    ),
    "problem-list-detail": Entry(get=PROBLEM_READERS, params={"pk": lambda w: w.links.problems.pk}),
    "problem-list-problems": Entry(
        post=STREET_DESK,
        params={"pk": lambda w: w.links.problems.pk},
        body=lambda w: {"title": "充电难"},
    ),
    "problem-list-publish": Entry(
        post=STREET_DESK, params={"pk": lambda w: w.links.draft_problems.pk}, body=lambda w: {}
    ),
    "problem-list-close": Entry(
        post=STREET_DESK, params={"pk": lambda w: w.links.problems.pk}, body=lambda w: {}
    ),
    "problem-list-claim": Entry(
        post=frozenset({DEPT}),
        params={"pk": lambda w: w.links.problems.pk},
        body=lambda w: {
            "problem": w.links.open_problem.pk,
            "department": w.cgzf.code,
            "responsible": "walk-officer",
            "due_on": w.links.due.isoformat(),
        },  # fmt: skip
        note="any department of the district claims for itself (住建 for 住建)",
    ),
    "service-item-list": Entry(get=SIGNED_IN),
    "service-item-detail": Entry(
        get=SERVICE_READERS, params={"pk": lambda w: w.links.service_item.pk}
    ),
    "service-item-progress": Entry(
        post=frozenset({DEPT}),
        params={"pk": lambda w: w.links.service_item.pk},
        body=lambda w: {"note": "已完成选址"},
    ),
    "service-item-done": Entry(
        post=frozenset({DEPT}),
        params={"pk": lambda w: w.links.service_item.pk},
        body=lambda w: {"note": "电梯已加装"},
    ),
    "joint-meeting-list": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {
            "street": w.street.code,
            "held_on": w.links.today.isoformat(),
            "title": "临时会议",
            "record": "议定事项",
        },  # fmt: skip
    ),
    "joint-meeting-detail": Entry(get=STREET_READERS, params={"pk": lambda w: w.links.meeting.pk}),
    "ledger-item-list": Entry(
        get=SIGNED_IN,
        post=STREET_DESK,
        body=lambda w: {"street": w.street.code, "year": str(w.links.year), "title": "口袋公园"},
    ),
    "ledger-item-detail": Entry(
        get=LEDGER_READERS, params={"pk": lambda w: w.links.ledger_item.pk}
    ),
    "ledger-item-track": Entry(
        post=frozenset({DISP, DEPT, ADMIN}),
        params={"pk": lambda w: w.links.ledger_item.pk},
        body=lambda w: {"progress": "40", "note": "已完成设计"},
    ),
    "ledger-item-close": Entry(
        post=STREET_DESK,
        params={"pk": lambda w: w.links.ledger_item.pk},
        body=lambda w: {"evidence": "竣工验收单"},
    ),
    # --- the Django admin: one entry, staff only -------------------------------------------
    "admin": Entry(
        get=ADMIN_ONLY,
        paths=lambda w: [
            "/admin/",
            "/admin/events/event/",
            f"/admin/events/event/{w.pending.pk}/change/",
            f"/admin/blocks/posting/{w.governor_posting.pk}/change/",
            "/admin/governance/user/",
        ],
    ),
    # --- development only -------------------------------------------------------------------
    "^media/(?P<path>.*)$": Entry(
        get=PUBLIC,
        params={"path": lambda w: w.photo_path},
        debug_only=True,
        note="DEBUG only; in production nginx serves uploads under unguessable names",
    ),
}

TABLE.update(API_EVENTS)
