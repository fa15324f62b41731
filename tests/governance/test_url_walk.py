"""The URL walk (issue 10): every URL pattern of the project, pages, API (with the router's
format-suffix variants), Open311 and the admin, asked by every persona, answers as the
declared table says (tests/governance/access_table.py). A new URL without an entry fails,
so nobody can add a page and forget to decide who may reach it.

One world is built for the whole module; every request runs in a savepoint that is rolled
back, so a write of one persona never changes what the next one sees, and "allowed" for a
write means the database was really written (and "denied" that it was not)."""

from __future__ import annotations

import io
import json
import re
from datetime import timedelta
from http.cookies import SimpleCookie
from types import SimpleNamespace
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection, transaction
from django.db.models import Q
from django.http import HttpResponse
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import URLResolver, get_resolver, reverse
from django.urls import path as route
from django.utils import timezone
from PIL import Image

from blocks.access import Scope
from blocks.models import Department, DepartmentMember, Posting, TerritoryImport
from events import hotline, services
from events.categories import load_default_categories
from events.deadlines import load_default_policies
from events.models import Category, ClockKind, DeadlinePolicy, DutyItem, Open311Client
from governance.middleware import CSP
from governance.notifications import notify
from liaison import services as liaison_services
from liaison.models import CadreLink, DeployedCadre, JointGroupMember, current_quarter
from tests.factories import UserFactory, area, post
from tests.governance.access_table import (
    ADMIN,
    ANON,
    DEFAULT_PARAMS,
    DEPT,
    DISP,
    FAR,
    GOV,
    LEADER,
    NEIGH,
    OTHER_DEPT,
    PERSONAS,
    TABLE,
    Entry,
)
from tests.governance.access_table_more import MORE
from tests.governance.walk_world_more import build_more

# Every URL's entry: the case workflow's (access_table) and the dashboard's and duty lists'.
TABLE = {**TABLE, **MORE}
Role = Posting.Role

# --- every URL pattern ----------------------------------------------------------------------


def _params_of(pattern) -> set[str]:
    # path(), re_path() and the routers' patterns all compile to a regex with named groups.
    regex = getattr(pattern, "regex", None)
    return set(regex.groupindex) if regex is not None else set()


def url_patterns() -> list[SimpleNamespace]:
    """Every pattern, with its table key, full route and path parameters (recursively)."""
    found: list[SimpleNamespace] = []

    def walk(patterns, route: str, namespace: str | None, params: set[str]):
        for p in patterns:
            if isinstance(p, URLResolver):
                ns = namespace
                if p.namespace:
                    ns = f"{namespace}:{p.namespace}" if namespace else p.namespace
                walk(p.url_patterns, route + str(p.pattern), ns, params | _params_of(p.pattern))
                continue
            full = route + str(p.pattern)
            if namespace == "admin":
                key, name = "admin", None  # the admin site is one entry: staff only
            elif p.name:
                name = f"{namespace}:{p.name}" if namespace else p.name
                key = name
            else:
                key, name = full, None
            found.append(
                SimpleNamespace(
                    key=key, name=name, route=full, view=p.callback,
                    params=params | _params_of(p.pattern),
                )
            )  # fmt: skip

    walk(get_resolver().url_patterns, "", None, set())
    unique: dict[str, SimpleNamespace] = {}
    for pattern in found:
        # The two routers both mount the API root: one is enough. The admin's hundred
        # patterns are one entry, asked once.
        unique.setdefault("admin" if pattern.key == "admin" else pattern.route, pattern)
    return list(unique.values())


PATTERNS = url_patterns()
HOW_TO_ADD = (
    "Add an entry for it to TABLE in tests/governance/access_table.py (its docstring says how: "
    "who may GET and POST it, as a named policy, and its path parameters)."
)


def missing_entries(patterns, table) -> str:
    missing = sorted({p.key for p in patterns if p.key not in table})
    return f"URL patterns without an access entry: {missing}. {HOW_TO_ADD}" if missing else ""


def test_every_url_pattern_has_an_entry_in_the_access_table():
    assert not missing_entries(PATTERNS, TABLE)


def test_a_new_url_without_an_entry_is_named_with_how_to_add_it():
    table = {k: v for k, v in TABLE.items() if k != "events:reveal_phone"}
    message = missing_entries(PATTERNS, table)
    assert "['events:reveal_phone']" in message and "access_table.py" in message


def test_the_table_names_no_url_that_is_gone():
    keys = {p.key for p in PATTERNS}
    stale = sorted(k for k, e in TABLE.items() if k not in keys and not e.debug_only)
    assert not stale, f"access_table.TABLE has entries for URLs that no longer exist: {stale}"


def test_the_walk_sees_the_whole_project():
    """The enumeration reaches into includes, routers, format suffixes and the admin: if it
    silently stopped doing so, the walk would prove nothing."""
    keys = {p.key for p in PATTERNS}
    assert {"events:detail", "public:track", "open311:request", "posting-end", "admin"} <= keys
    assert any("format" in p.params and p.key == "notification-list" for p in PATTERNS)
    assert len(PATTERNS) > 80


# --- the world --------------------------------------------------------------------------------


def build_world() -> SimpleNamespace:
    """A district with street S (block A, its neighbour B) and another street; cases of block A
    in several states; two departments; a notice, a change of a time limit, an import."""
    district = area("430302", "雨湖区")
    street = area("430302001", "雨湖路街道")
    area("430302002", "城正街街道")
    area("430302001001", "白石社区")
    block = area("430302001001001", "白石社区第1区块", households=350)
    neighbour_block = area("430302001001002", "白石社区第2区块", households=340)
    area("430302002001", "和平社区")
    far_block = area("430302002001001", "和平社区第1区块")
    users = {}
    for name, where, role in (
        (GOV, block, Role.GOVERNOR),
        (NEIGH, neighbour_block, Role.GOVERNOR),
        (FAR, far_block, Role.GOVERNOR),
        (DISP, street, Role.DISPATCHER),
        (LEADER, district, Role.LEADER),
    ):
        users[name] = UserFactory(username=f"walk-{name}", phone="13900001111")
        post(users[name], where, role)
    users[ADMIN] = UserFactory(username="walk-admin", is_staff=True, is_superuser=True)
    recruit = UserFactory(username="walk-recruit")  # posted nowhere yet: new staff
    load_default_categories(Category)
    load_default_policies(Category, DeadlinePolicy)
    category = Category.objects.get(code="city-street-vending")
    cgzf = Department.objects.create(district=district, code="cgzf", name="城管执法")
    zjj = Department.objects.create(district=district, code="zjj", name="住建")
    for name, department in ((DEPT, cgzf), (OTHER_DEPT, zjj)):
        users[name] = UserFactory(username=f"walk-{name}")
        DepartmentMember.objects.create(department=department, user=users[name])
    DutyItem.objects.create(
        district=district, number=1, matter="占道经营的查处", category_code=category.code,
        lead=cgzf,
    )  # fmt: skip

    def logged(text: str):
        return services.event_log(
            actor=None, block=block, category=category, description=text,
            reporter_phone=RESIDENT_PHONE, reporter_name=RESIDENT_NAME,
        )  # fmt: skip

    def whistled(text: str):
        event = logged(text)
        services.event_accept(actor=users[GOV], event_id=event.pk)
        return services.event_whistle(
            actor=users[GOV], event_id=event.pk, reason="law_enforcement", note=INTERNAL_NOTE
        )

    def dispatched(text: str):
        event = whistled(text)
        return services.event_dispatch(actor=users[DISP], event_id=event.pk, lead=cgzf)

    pending = logged("路边摊占道")
    image = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(image, format="JPEG")
    photographed = services.event_log(
        actor=users[GOV], block=block, category=category, description="占道照片",
        photos=[SimpleUploadedFile("p.jpg", image.getvalue(), content_type="image/jpeg")],
    )  # fmt: skip
    escalated = whistled("夜市占道经营")
    on_its_way = dispatched("早市占道经营")
    part = on_its_way.assignments.get(department=cgzf)
    clock = on_its_way.deadlines.get(kind=ClockKind.REPORT_IN, assignment=part)
    change = services.deadline_change_request(
        actor=users[DEPT], deadline_id=clock.pk, kind="extend", reason="等待联合执法",
        extra_working_days=2,
    )  # fmt: skip
    closed = dispatched("流动摊贩占道")
    closed_part = closed.assignments.get(department=cgzf)
    services.assignment_report_in(actor=users[DEPT], assignment_id=closed_part.pk)
    services.assignment_feedback(actor=users[DEPT], assignment_id=closed_part.pk, note="已劝离")
    closed = services.event_verify(actor=users[DISP], event_id=closed.pk)
    with transaction.atomic():
        notify(
            recipients=[users[GOV].pk], kind="test", title="新事件", dedupe_key="walk-notice",
            now=pending.created_at,
        )  # fmt: skip
    notice = users[GOV].notifications.get(kind="test")
    job = TerritoryImport.objects.create(
        created_by=users[ADMIN], area=street, file_name="areas.csv",
        status=TerritoryImport.Status.DONE,
    )  # fmt: skip
    Open311Client.objects.create(name="walk", api_key="walk-open311-key")
    links = build_links(users, district, street, block, category, cgzf)
    return SimpleNamespace(
        community=block.parent, neighbour_block=neighbour_block, links=links,
        district=district, street=street, block=block, category=category, cgzf=cgzf, zjj=zjj,
        users=users, recruit=recruit, pending=pending, escalated=escalated,
        dispatched=on_its_way, dispatched_part=part, clock_change=change, closed=closed,
        closed_part=closed_part, notice=notice, territory_import=job,
        pending_clock=pending.deadlines.get(kind=ClockKind.RESPOND),
        governor_posting=Posting.objects.get(user=users[GOV]),
        open311_key="walk-open311-key",
        photo_path=photographed.photos.get().thumbnail.name,
    )  # fmt: skip


def extend_world_for_api(world: SimpleNamespace) -> None:
    """The cases the events API's actions need besides build_world's (access_table.API_EVENTS):
    one accepted, one resolved, one whose clock stands suspended, a case to merge into, and a
    department's part already reported in."""
    users, block, category = world.users, world.block, world.category

    def logged(text: str):
        return services.event_log(
            actor=None, block=block, category=category, description=text,
            reporter_phone=RESIDENT_PHONE, reporter_name=RESIDENT_NAME,
        )  # fmt: skip

    def accepted(text: str):
        return services.event_accept(actor=users[GOV], event_id=logged(text).pk)

    processing = accepted("店外经营占道")
    resolved = services.event_resolve(
        actor=users[GOV], event_id=accepted("早点摊占道").pk, note="已劝离"
    )
    suspended = accepted("摊主联系不上")
    clock = suspended.deadlines.get(met_at__isnull=True, cancelled_at__isnull=True)
    change = services.deadline_change_request(
        actor=users[GOV], deadline_id=clock.pk, kind="suspend", reason="居民外出"
    )
    services.deadline_change_decide(actor=users[DISP], change_id=change.pk, approve=True)
    reported = services.event_dispatch(
        actor=users[DISP],
        event_id=services.event_whistle(
            actor=users[GOV], event_id=accepted("水果摊占道").pk, reason="law_enforcement"
        ).pk,
        lead=world.cgzf,
    ).assignments.get(department=world.cgzf)
    services.assignment_report_in(actor=users[DEPT], assignment_id=reported.pk)
    world.__dict__.update(
        processing=processing, resolved=resolved, suspended=suspended, suspended_clock=clock,
        merge_target=logged("同一路边摊占道"), reported_part=reported,
    )  # fmt: skip


def build_links(users, district, street, block, category, cgzf) -> SimpleNamespace:
    """The links between levels (liaison/), each object made by its own service: a cadre
    linked to block A with a visit and its open finding; a household leader (the resident's
    number) with a reported matter and a personal link; a party organisation and member; two
    wishes of the community (one given to the member, one taken); the community's five
    officials; its demand list; the street's problem lists (one published, a problem claimed
    by 城管, one open; one draft), its joint meeting and a ledger item led by 城管."""
    community, today = block.parent, timezone.localdate()
    year, quarter = current_quarter(today)
    gov, disp, officer = users[GOV], users[DISP], users[DEPT]
    cadre_user = UserFactory(username="walk-cadre", full_name="刘建国")
    cadre = DeployedCadre.objects.create(
        user=cadre_user, district=district, level=DeployedCadre.Level.DISTRICT, unit="区委组织部"
    )
    cadre_link = liaison_services.cadre_link(
        actor=disp, cadre=cadre, area=block, role=CadreLink.Role.LIAISON
    )
    visit = liaison_services.visit_record(
        actor=cadre_user, cadre=cadre, block=block, visited_on=today, households_visited=8,
        findings=[{"description": "3栋楼道灯坏了", "category_code": category.code}],
    )  # fmt: skip
    leader, token = liaison_services.household_leader_create(
        actor=gov, block=block, name="赵桂兰", phone=RESIDENT_PHONE, households=12, covers="3栋"
    )
    matter = liaison_services.household_matter_report(leader=leader, description="5栋门口积水")
    organisation = liaison_services.organisation_register(
        actor=gov, community=community, name="区税务局党支部"
    )
    member_user = UserFactory(username="walk-member", full_name="陈志强")
    member = liaison_services.member_register(
        actor=gov, community=community, name="陈志强", phone="13666660000",
        organisation=organisation, user=member_user,
    )  # fmt: skip
    wish, taken_wish = (
        liaison_services.wish_post(
            actor=gov, community=community, title=title, resident_name="孙奶奶",
            resident_phone=RESIDENT_PHONE,
        )
        for title in ("修理轮椅", "代买药品")
    )  # fmt: skip
    for each in (wish, taken_wish):
        liaison_services.wish_assign(actor=gov, wish_id=each.pk, member_id=member.pk)
    liaison_services.wish_take(actor=member_user, wish_id=taken_wish.pk)
    group = liaison_services.joint_group_set(
        actor=disp, community=community,
        members={p: {"name": f"官员{n}"} for n, p in enumerate(JointGroupMember.Position.values)},
    )  # fmt: skip
    demand = liaison_services.demand_list_open(
        actor=gov, community=community, year=year, quarter=quarter
    )
    liaison_services.demand_item_add(actor=gov, demand_list_id=demand.pk, text="老旧小区加装电梯")
    problems = liaison_services.problem_list_open(
        actor=disp, street=street, year=year, quarter=quarter
    )
    claimed, open_problem = (
        liaison_services.problem_add(actor=disp, problem_list_id=problems.pk, title=title)
        for title in ("加装电梯", "停车难")
    )  # fmt: skip
    liaison_services.problem_list_publish(actor=disp, problem_list_id=problems.pk)
    due = today + timedelta(days=30)
    service_item = liaison_services.service_claim(
        actor=officer, problem_id=claimed.pk, department=cgzf, responsible=officer, due_on=due
    )
    draft = liaison_services.problem_list_open(
        actor=disp, street=street, year=year - 1, quarter=quarter
    )
    liaison_services.problem_add(actor=disp, problem_list_id=draft.pk, title="菜市场秩序")
    ledger_item = liaison_services.ledger_enter(
        actor=disp, street=street, year=year, title="背街小巷改造", department=cgzf, target_on=due
    )
    meeting = liaison_services.meeting_record(
        actor=disp, street=street, held_on=today, title="季度联席会议", record="议定服务事项",
        service_item_ids=[service_item.pk], ledger_item_ids=[ledger_item.pk],
    )  # fmt: skip
    return SimpleNamespace(
        cadre=cadre, cadre_link=cadre_link, visit=visit, finding=visit.findings.get(),
        leader=leader, token=token, matter=matter, organisation=organisation, member=member,
        wish=wish, taken_wish=taken_wish, group=group,
        group_member=group.members.get(position=JointGroupMember.Position.STREET_LEADER),
        demand=demand, problems=problems, open_problem=open_problem, draft_problems=draft,
        service_item=service_item, ledger_item=ledger_item, meeting=meeting, today=today,
        due=due, year=year,
    )  # fmt: skip


@pytest.fixture(scope="module")
def walk_world(django_db_setup, django_db_blocker):
    """The world and one logged-in client per persona, for the whole module; rolled back at
    the end like any test's data."""
    with django_db_blocker.unblock(), transaction.atomic():
        cache.clear()
        world = build_world()
        extend_world_for_api(world)
        world.more = build_more(world)  # access_table_more.py's objects
        clients = {}
        for persona in PERSONAS:
            clients[persona] = Client()
            if persona != ANON:
                clients[persona].force_login(world.users[persona])
        yield SimpleNamespace(world=world, clients=clients)
        transaction.set_rollback(True)
        cache.clear()


@pytest.fixture
def walk(walk_world):
    """The module's world, with the governor's last hotline report in the cache: every test
    starts with an empty cache (tests/conftest.py), so it is put back for each."""
    governor = walk_world.world.users[GOV]
    cache.set(f"hotline-report:{governor.pk}", hotline.ImportReport(), timeout=3600)
    return walk_world


# --- asking -----------------------------------------------------------------------------------
# Every case of the world was reported from this number (not the forms' placeholder example).
RESIDENT_PHONE = "13577771234"
# What only those who may see the world's cases may read: the resident's name, and a note
# of the block to the street (staff notes stay inside: the public timeline leaves them out).
RESIDENT_NAME, INTERNAL_NOTE = "王秀英", "摊主系辖区低保户，执法时请注意方式"
OUTSIDERS = frozenset({NEIGH, FAR, OTHER_DEPT, ANON})
WRITE_SQL = re.compile(r'^\s*(INSERT\s+INTO|UPDATE|DELETE\s+FROM)\s+"?(\w+)"?', re.I)
# Sessions change on every request (last activity, messages): not a write of the product.
NOT_PRODUCT_WRITES = {"django_session"}
INLINE_SCRIPT = re.compile(
    r"<script(?![^>]*\bsrc=)(?![^>]*application/(?:ld\+)?json)[^>]*>"  # a script element
    r"|<[a-z][^>]*\s(?:on[a-z]+|hx-on[\w:-]*)\s*=[^>]*>"  # onclick=…, htmx's hx-on:…
    r"|\bhref\s*=\s*[\"']?javascript:",
    re.I,
)
# The policy forbids inline styles too: a style attribute or element would simply not apply.
INLINE_STYLE = re.compile(r"<style\b|<[a-z][^>]*\sstyle\s*=", re.I)
# The offline Swagger UI and the Django admin ship inline scripts of their own.
CSP_EXEMPT = ("/api/docs/", "/" + settings.ADMIN_URL)


def _fill(value, world):
    return value(world) if callable(value) else value


def paths_for(pattern, entry, world) -> list[str]:
    if entry.paths is not None:
        return entry.paths(world)
    kwargs = {
        name: str(_fill(entry.params.get(name, DEFAULT_PARAMS.get(name)), world))
        for name in pattern.params
    }
    missing = [name for name, value in kwargs.items() if value == "None"]
    assert not missing, (
        f"{pattern.key}: no value for path parameter(s) {missing}: add them to its entry's "
        "params in tests/governance/access_table.py"
    )
    return [reverse(pattern.name or pattern.view, kwargs=kwargs)]


def ask(client: Client, method: str, path: str, body: dict | None):
    """One request in a savepoint rolled back afterwards; returns the response and the tables
    it wrote. The client's cookies are put back too (a logout must not log the persona out)."""
    cookies = SimpleCookie()
    cookies.update(client.cookies)
    with CaptureQueriesContext(connection) as queries, transaction.atomic():
        if method == "GET":
            response = client.get(path)
        elif method == "POST":
            response = client.post(path, body or {})
            if response.status_code == 415:  # a JSON-only API endpoint (events/api.py)
                response = client.post(path, json.dumps(body or {}), "application/json")
        else:  # as an API client sends them
            response = client.generic(
                method, path, json.dumps(body or {}), content_type="application/json"
            )
        transaction.set_rollback(True)
    client.cookies = cookies
    written = set()
    for query in queries.captured_queries:
        match = WRITE_SQL.match(query["sql"])
        if match and match.group(2) not in NOT_PRODUCT_WRITES:
            written.add(match.group(2))
    return response, written


def is_denied(response) -> bool:
    if response.status_code in (401, 403, 404):
        return True
    location = urlsplit(response.get("Location", ""))
    logins = (reverse("login"), reverse("admin:login"))
    return response.status_code == 302 and location.path in logins and "next=" in location.query


def check_page(path: str, response) -> list[str]:
    """An HTML page that answers carries the Content-Security-Policy and no inline script
    or style."""
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return []
    problems = []
    if not path.startswith(CSP_EXEMPT) and response.get("Content-Security-Policy") != CSP:
        problems.append(f"{path}: no Content-Security-Policy header")
    if not path.startswith(CSP_EXEMPT):
        html = response.content.decode()
        inline = INLINE_SCRIPT.findall(html)
        if inline:
            problems.append(f"{path}: inline script {inline[0]}")
        styled = INLINE_STYLE.search(html)
        if styled:
            problems.append(f"{path}: inline style {html[styled.start() : styled.start() + 80]}")
    return problems


def test_the_page_check_spots_inline_scripts_and_a_missing_policy():
    def page(html: str, csp: str | None = CSP) -> HttpResponse:
        response = HttpResponse(html, content_type="text/html; charset=utf-8")
        if csp:
            response["Content-Security-Policy"] = csp
        return response

    clean = (
        '<script src="/static/js/app.js" defer></script><script type="application/json">{}</script>'
    )
    assert check_page("/events/", page(clean)) == []
    assert check_page("/events/", page("<p>x</p>", csp=None)) == [
        "/events/: no Content-Security-Policy header"
    ]
    for bad in ("<script>alert(1)</script>", '<button onclick="go()">', '<div hx-on:click="x()">',
                '<a href="javascript:void(0)">', '<div style="color:red">', "<style>p{}</style>"):  # fmt: skip
        assert check_page("/events/", page(bad)), bad


@pytest.mark.postgres
@pytest.mark.django_db
@pytest.mark.parametrize("pattern", PATTERNS, ids=[p.route for p in PATTERNS])
def test_url_answers_each_persona_as_the_table_says(walk, pattern):
    entry = TABLE.get(pattern.key)
    assert entry is not None, f"URL pattern {pattern.route!r} ({pattern.key}): {HOW_TO_ADD}"
    if entry.get is None and entry.post is None:
        pytest.fail(f"{pattern.key}: its entry allows neither GET nor POST to be walked")
    wrong = walk_pattern(walk, pattern, entry)
    assert not wrong, "\n".join(wrong)


def walk_pattern(walk, pattern, entry) -> list[str]:
    """Every way ``pattern`` answers otherwise than ``entry`` says, one line each."""
    world = walk.world
    wrong: list[str] = []
    for path in paths_for(pattern, entry, world):
        for method, allowed in (("GET", entry.get), ("POST", entry.post)):
            if allowed is None:
                continue
            url = f"{path}?{entry.query}" if method == "GET" and entry.query else path
            body = entry.body(world) if method == "POST" and entry.body else None
            for persona in PERSONAS:
                response, written = ask(walk.clients[persona], method, url, body)
                denied = is_denied(response)
                if body is not None and not denied and not written:
                    denied = True  # refused by the service (a message, not an error page)
                want = persona in allowed
                said = f"{response.status_code} {response.get('Location', '')}".strip()
                if want and denied:
                    wrong.append(f"{method} {url} as {persona}: denied ({said}), table allows")
                elif not want and not denied:
                    wrong.append(f"{method} {url} as {persona}: allowed ({said}), table denies")
                if denied and written:
                    wrong.append(f"{method} {url} as {persona}: denied but wrote {written}")
                if (
                    not denied
                    and method in entry.audited
                    and "governance_auditentry" not in written
                ):
                    wrong.append(f"{method} {url} as {persona}: not on the audit log")
                if not denied and method == "GET":
                    wrong.extend(check_page(path, response))
                content = b"" if response.streaming else response.content
                if RESIDENT_PHONE in content.decode(errors="replace") and not (
                    entry.reveals and not denied
                ):
                    wrong.append(f"{method} {url} as {persona}: shows the resident's phone whole")
                if persona in OUTSIDERS:
                    text = content.decode(errors="replace")
                    wrong.extend(
                        f"{method} {url} as {persona}: shows {secret!r} of a case not theirs"
                        for secret in (RESIDENT_NAME, INTERNAL_NOTE)
                        if secret in text
                    )
        # The admin writes by POST only (its entry is "staff only"); a format-suffix variant
        # is the same view as its plain URL, asked already.
        if entry.paths is None and "format" not in pattern.params:
            wrong.extend(other_methods_write_nothing(walk, path, entry))
    return wrong


def other_methods_write_nothing(walk, path: str, entry) -> list[str]:
    """PATCH and DELETE change nothing, even for the administrator, unless the entry declares
    them: a viewset that grew an update would otherwise write around the services (a view
    answering PATCH answers PUT too: DRF's update mixin and Django's View alike)."""
    wrong = []
    body = entry.body(walk.world) if entry.body else {}
    for method in ("PATCH", "DELETE"):
        if method in entry.other_methods:
            continue
        response, written = ask(walk.clients[ADMIN], method, path, body)
        if written:
            wrong.append(
                f"{method} {path} as admin wrote {written} ({response.status_code}): declare "
                "it in the entry's other_methods, or refuse the method"
            )
    return wrong


def _pattern(key: str) -> SimpleNamespace:
    return next(p for p in PATTERNS if p.key == key)


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_a_hole_in_the_scope(walk, monkeypatch):
    """Were the access module to let everyone see every area, the walk would say so."""
    monkeypatch.setattr(Scope, "area_q", lambda self, *args, **kwargs: Q())
    wrong = walk_pattern(walk, _pattern("events:detail"), TABLE["events:detail"])
    assert any("as neighbour: allowed (200)" in line for line in wrong), wrong
    assert any("as far_governor: allowed (200)" in line for line in wrong), wrong
    assert any(f"as neighbour: shows {RESIDENT_NAME!r}" in line for line in wrong), wrong
    # A whistled case's page carries the block's internal note: an outsider would read it.
    entry = Entry(get=TABLE["events:detail"].get, params={"number": lambda w: w.escalated.number})
    wrong = walk_pattern(walk, _pattern("events:detail"), entry)
    assert any(f"as far_governor: shows {INTERNAL_NOTE!r}" in line for line in wrong), wrong


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_a_write_by_a_read_only_leader(walk, monkeypatch):
    """Were a service to forget that leaders only read, the walk would say so."""
    monkeypatch.setattr(Scope, "is_read_only", property(lambda self: False))
    monkeypatch.setattr(Scope, "can_act_in_block", lambda self, code: self.covers(code))
    wrong = walk_pattern(walk, _pattern("events:action"), TABLE["events:action"])
    assert wrong == [
        f"POST /events/{walk.world.pending.number}/accept/ as leader: allowed (302 "
        f"/events/{walk.world.pending.number}/), table denies"
    ]


# --- focused cases of holes the walk found ----------------------------------------------------


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_a_phone_shown_whole(walk, monkeypatch):
    """Were the case page to forget the mask, the walk would say so for everyone who sees it."""
    monkeypatch.setattr(
        "events.views.selectors.reporter_phone_for", lambda scope, event: event.reporter_phone
    )
    wrong = walk_pattern(walk, _pattern("events:detail"), TABLE["events:detail"])
    assert {line.split(" as ")[1] for line in wrong} == {
        f"{p}: shows the resident's phone whole" for p in (GOV, DISP, LEADER, ADMIN)
    }


# --- focused cases of the holes the walk found ------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db
def test_only_the_streets_desk_opens_the_dispatch_screen(walk):
    """The walk found the dispatch screen open to everyone who sees the case (its governor,
    the leader): it is the desk's, or a community's where the district lets blocks dispatch."""
    path = f"/events/{walk.world.escalated.number}/dispatch/"
    for persona, status in ((GOV, 403), (LEADER, 403), (NEIGH, 404), (DISP, 200), (ADMIN, 200)):
        assert walk.clients[persona].get(path).status_code == status, persona


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_department_deciding_a_change_of_a_time_limit_gets_404_not_a_server_error(walk):
    """The walk found a 500: a department sees the case it was sent, but the service does not
    find the change for someone outside the case's area."""
    world = walk.world
    path = f"/events/{world.dispatched.number}/clock-changes/{world.clock_change.pk}/"
    response, written = ask(walk.clients[DEPT], "POST", path, {"approve": "1"})
    assert response.status_code == 404 and not written


@pytest.mark.postgres
@pytest.mark.django_db
def test_api_actions_answer_their_format_suffix(walk):
    """The walk found a 500 on every router action asked with ``.json``: the actions did not
    take the ``format`` argument DRF passes them."""
    client = walk.clients[GOV]
    assert client.get("/api/notifications/unread-count.json").json()["unread"] >= 1
    response = client.get("/api/blocks/locate.json", {"lat": 27.8, "lon": 112.9})
    assert response.status_code == 200 and response.json()["found"] is False
    response, written = ask(
        client, "POST", f"/api/notifications/{walk.world.notice.pk}/read.json", {}
    )
    assert response.status_code == 200 and written == {"governance_notification"}


@pytest.mark.postgres
@pytest.mark.django_db
def test_open311_tokens_share_the_tracking_pages_limit_on_guesses(walk, settings):
    """The walk showed /open311/v2/tokens/<code>.json answering "is this tracking code real?"
    without the hourly limit of the tracking pages: anyone could enumerate the codes, then
    read timelines and rate cases. Guesses now count against one shared limit."""
    settings.PUBLIC_LOOKUP_MISSES_PER_HOUR = 3
    cache.clear()
    client, code = Client(REMOTE_ADDR="10.7.7.7"), walk.world.pending.tracking_code
    try:
        assert client.get(f"/open311/v2/tokens/{code}.json").status_code == 200
        for guess in ("AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC"):
            assert client.get(f"/open311/v2/tokens/{guess}.json").status_code == 404
        # Over the limit: a real code answers 429 too (or hits would leak), on either door.
        assert client.get(f"/open311/v2/tokens/{code}.json").status_code == 429
        assert client.get(f"/r/t/{code}/").status_code == 429
        assert Client(REMOTE_ADDR="10.7.7.8").get(f"/r/t/{code}/").status_code == 200
    finally:
        cache.clear()


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_a_roster_change_left_off_the_audit_log(walk, monkeypatch):
    monkeypatch.setattr("blocks.services._audit_roster", lambda **kwargs: None)
    wrong = walk_pattern(walk, _pattern("posting-end"), TABLE["posting-end"])
    path = f"/api/postings/{walk.world.governor_posting.pk}/end/"
    assert wrong == [f"POST {path} as admin: not on the audit log"]


# A URL that writes on PATCH, mounted only by the test below (ROOT_URLCONF is this module).
def _patch_writes(request, pk):
    if request.method == "PATCH":
        Posting.objects.filter(pk=pk).update(note="patched")
    return HttpResponse("ok")


urlpatterns = [route("walk-patch/<int:pk>/", _patch_writes)]


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_an_undeclared_method_that_writes(walk, settings):
    """Were an endpoint to write on PATCH (a viewset that grew an update), the walk says so."""
    settings.ROOT_URLCONF = __name__
    path = f"/walk-patch/{walk.world.governor_posting.pk}/"
    wrong = other_methods_write_nothing(walk, path, TABLE["events:list"])
    assert wrong == [
        f"PATCH {path} as admin wrote {{'blocks_posting'}} (200): declare it in the entry's "
        "other_methods, or refuse the method"
    ]


@pytest.mark.postgres
@pytest.mark.django_db
def test_a_department_action_returns_to_our_site_only(walk):
    """The inbox's actions redirected to any ``next`` given, another site's too."""
    path = f"/events/parts/{walk.world.dispatched_part.pk}/report_in/"
    for target, expected in (("https://evil.example/", "/events/inbox/"),
                             ("/events/inbox/?tab=in_hand", "/events/inbox/?tab=in_hand")):  # fmt: skip
        response, written = ask(walk.clients[DEPT], "POST", path, {"next": target})
        assert response.status_code == 302 and response["Location"] == expected and written


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_a_community_object_shown_outside_its_community(walk, monkeypatch):
    """Were the links' selectors to forget the community, the walk would say so."""
    monkeypatch.setattr("liaison.selectors.community_q", lambda scope, field_name="area_code": Q())
    wrong = walk_pattern(walk, _pattern("wish-detail"), TABLE["wish-detail"])
    assert {line.split(" as ")[1] for line in wrong} == {
        f"{p}: allowed (200), table denies" for p in (FAR, DEPT, OTHER_DEPT)
    }


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_a_household_leaders_number_shown_whole(walk, monkeypatch):
    monkeypatch.setattr("liaison.api.mask_phone", lambda phone: phone)
    wrong = walk_pattern(
        walk, _pattern("household-leader-detail"), TABLE["household-leader-detail"]
    )
    assert {line.split(" as ")[1] for line in wrong} == {
        f"{p}: shows the resident's phone whole" for p in (GOV, DISP, LEADER, ADMIN)
    }
