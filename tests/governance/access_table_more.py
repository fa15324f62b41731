"""More entries of the URL walk's table (tests/governance/access_table.py, whose docstring says
how to write one): the leaders' dashboard (``/dashboard/``, ``/api/stats/summary/``) and the
duty lists' import (``/duties/``). Kept in their own file so that branches adding URLs at the
same time do not collide; ``access_table.TABLE`` takes them in at its end.

The objects they need beyond the walk's world are made by ``build_more``
(tests/governance/walk_world_more.py), reached as ``w.more``."""

from __future__ import annotations

from django.utils import timezone

from tests.governance.access_table import (
    ADMIN,
    BLOCK_HANDLERS,
    BLOCK_VIEWERS,
    CASE_ACTORS,
    COMMUNITY_READERS,
    DEPT,
    DISP,
    GOV,
    LEADER,
    POSTED,
    POSTED_STAFF,
    SIGNED_IN,
    Entry,
    _case,
)

# The numbers of an area are read by whoever's scope covers it (dashboards/
# selectors.visible_area): for block A its governor, its street's desk, the district's leader
# and the administrator; the neighbour, a block of another street and the departments get 404.
AREA_NUMBERS = BLOCK_VIEWERS
# Everyone posted to an area (and the leader) has a dashboard of their own; a department's
# officer has none (404).
AREA_STAFF = POSTED_STAFF | {LEADER}
# The duty lists are the district's: its administrators import them, administrators of its
# streets read them (liaison/imports.may_read). No persona but the superuser is an
# administrator: a street's desk (dispatcher) does not read them.
DUTY_ADMINS = frozenset({ADMIN})


class Upload(str):
    """A file for a POST body the walk can send again and again (each persona re-reads it)
    and that the walk's PATCH/DELETE can send as JSON (it is a ``str``: its name)."""

    content: bytes

    def __new__(cls, name: str, content: bytes) -> Upload:
        upload = super().__new__(cls, name)
        upload.content = content
        return upload

    @property
    def name(self) -> str:
        return str(self)

    def read(self, *args) -> bytes:
        return self.content


def _block(w) -> str:
    return w.block.code


MORE: dict[str, Entry] = {
    # --- the leaders' dashboard -----------------------------------------------------------
    "dashboard:home": Entry(get=AREA_STAFF, note="redirects to one's own area; admin: a district"),
    "dashboard:area": Entry(get=AREA_NUMBERS, params={"code": _block}),
    "dashboard:big_screen": Entry(get=AREA_NUMBERS, params={"code": _block}),
    "dashboard:data": Entry(get=AREA_NUMBERS, params={"code": _block}),
    "dashboard:report": Entry(get=AREA_NUMBERS, params={"code": _block}, query="month=2026-11"),
    # An export (issue 10): read-only leaders may export too, and every export is audited.
    "dashboard:report_xlsx": Entry(
        post=AREA_NUMBERS,
        audited=POSTED,
        params={"code": _block},
        body=lambda w: {"month": "2026-11"},
    ),
    # A report job is its starter's only (the governor started the world's): 404 to others.
    "dashboard:report_job": Entry(
        get=frozenset({GOV}), params={"pk": lambda w: w.more.report_job.pk}
    ),
    "dashboard:report_download": Entry(
        get=frozenset({GOV}), params={"pk": lambda w: w.more.report_job.pk}
    ),
    # 重建汇总 (issue 21): system and district administrators (of the personas, the superuser).
    "dashboard:rebuild": Entry(
        get=frozenset({ADMIN}),
        post=frozenset({ADMIN}),
        audited=POSTED,
        params={"code": lambda w: w.district.code},
        body=lambda w: {},
    ),
    # 双向评价: a page for everyone signed in (empty but for a street's desk and a
    # department that worked together this month); a score is given by the street's desk
    # for its street (the body), or by the department for itself.
    "dashboard:evaluations": Entry(
        get=SIGNED_IN,
        post=frozenset({DISP, ADMIN}),
        body=lambda w: {
            "month": f"{timezone.localdate():%Y-%m}",
            "direction": "street_to_department",
            "street": w.street.code,
            "department": w.cgzf.pk,
            "score": 90,
        },
    ),  # fmt: skip
    # IsAuthenticated, then the asked area must be inside the scope (404 otherwise).
    "api-stats-summary": Entry(
        get=AREA_NUMBERS, query="area=430302001001001&from=2026-11-01&to=2026-11-30"
    ),
    # --- the duty lists' import (liaison/import_views.py) ---------------------------------
    "duties:home": Entry(get=DUTY_ADMINS, note="redirects to the user's district; 404 to others"),
    # An empty list: the header and one made-up example row, no data of any district.
    "duties:template": Entry(get=SIGNED_IN, params={"kind": "own"}),
    # One's own last report, kept in the cache by user: without one, a redirect to /duties/
    # with a message (which is a 404 for those who read no list). Nobody reads another's.
    "duties:report": Entry(get=SIGNED_IN, note="only one's own report exists for one"),
    "duties:import": Entry(
        get=DUTY_ADMINS,
        post=DUTY_ADMINS,
        audited=POSTED,
        params={"code": lambda w: w.district.code},
        # The template's example row is a valid "own duties" list of one item.
        body=lambda w: {"kind": "own", "file": Upload("own.xlsx", w.more.own_list)},
    ),
    # --- 准入 (liaison/admissions.py): the department pushes down; the community's staff,
    # its street, the leader and the pushing department read; the district's administrators
    # (here the superuser) decide. Another department and another street see nothing.
    "liaison:admissions": Entry(
        get=SIGNED_IN,
        post=frozenset({DEPT, ADMIN}),
        body=lambda w: {"department": w.cgzf.pk, "area": w.street.pk, "matter": "消防宣传"},
    ),
    "liaison:admission_detail": Entry(
        get=COMMUNITY_READERS | {DEPT},
        post=frozenset({ADMIN}),
        params={"admission_id": lambda w: w.more.admission_waiting.pk},
        body=lambda w: {"action": "approve", "note": "同意"},
    ),
    "task-admission-list": Entry(
        get=SIGNED_IN,
        post=frozenset({DEPT, ADMIN}),
        body=lambda w: {"department": "cgzf", "area": w.street.code, "matter": "消防宣传"},
    ),
    "task-admission-detail": Entry(
        get=COMMUNITY_READERS | {DEPT}, params={"pk": lambda w: w.more.admission_waiting.pk}
    ),
    "task-admission-ask-approval": Entry(
        post=frozenset({DEPT, ADMIN}),
        params={"pk": lambda w: w.more.admission_refused.pk},
        body=lambda w: {"basis": "中央部署"},
    ),
    "task-admission-decide": Entry(
        post=frozenset({ADMIN}),
        params={"pk": lambda w: w.more.admission_waiting.pk},
        body=lambda w: {"approve": True},
    ),
    "duties:download": Entry(
        get=DUTY_ADMINS, params={"code": lambda w: w.district.code, "kind": "duty"}
    ),
    # --- 帮代办 (events/assisted_api.py, issue 20): the catalogue is for everyone signed in;
    # a request is a case, asked for like one (POST /api/events/'s rules: block A's staff).
    "api-assisted-services": Entry(get=SIGNED_IN, note="the catalogue of assisted services"),
    "assisted-request-list": Entry(
        get=SIGNED_IN,
        post=CASE_ACTORS,
        body=lambda w: {
            "block": w.block.code,
            "service": "assist-elderly-card",
            "reporter_phone": "13812345678",
        },
    ),
    # 三官一律 (issue 20): block A's staff call its legal team onto an open case; the street's
    # desk, the leader and the neighbours may not (events/legal.py).
    # 督办 (events/supervision.py): the district's leader (the one write a leader has) and
    # the administrator; a street's leader and the block's supervisor are not walk personas
    # (tests/events/test_supervision.py covers them). Everyone else may not.
    "events:supervise": Entry(
        post=frozenset({LEADER, ADMIN}),
        params={"number": lambda w: w.pending.number},
        body=lambda w: {"card": "yellow", "note": "请尽快办理"},
    ),
    "event-supervise": Entry(
        post=frozenset({LEADER, ADMIN}),
        params=_case("pending"),
        body=lambda w: {"card": "yellow", "note": "请尽快办理"},
    ),
    "event-call-legal": Entry(
        post=BLOCK_HANDLERS, params=_case("pending"), body=lambda w: {"note": "请民警到场调解"}
    ),
}
