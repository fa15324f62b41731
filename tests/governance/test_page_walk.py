"""The page walk (issue 18): every HTML page of the project, as each persona that may read it,
in Chinese (no language cookie: Simplified Chinese is the default), shows the user words, not
the machine's. It fails on

- a raw glossary key in the visible text: a status, colour, channel, role, clock kind, part
  state… (every TextChoices value of the project's models) or a measure's name
  (``events.stats.MEASURES``), as a whole word;
- an ISO timestamp (``2026-12-05T18:33``) in the visible text;
- an untranslated string: the English msgid of a translated message of two words or more.

Visible text is the HTML without script and style, tags stripped, attributes ignored except
those users read (``title``, ``placeholder``, ``aria-label``, ``alt``).

The pages come from the URL walk's table (tests/governance/test_url_walk.py, its world and
its personas; the cadre and the party member of the world's links read every page open to
the signed-in), plus the tabs and levels a list or dashboard shows (``EXTRA``). API, admin,
Open311 and downloads are not pages."""

from __future__ import annotations

import re
from html.parser import HTMLParser
from pathlib import Path

import polib
import pytest
from django.apps import apps
from django.conf import settings
from django.db import models
from django.test import Client

from dashboards.selectors import PERIODS
from events.dispatch_views import CONSOLE_TABS
from events.stats import MEASURES
from tests.governance import test_url_walk as url_walk
from tests.governance.access_table import (
    ADMIN,
    ANON,
    DEPT,
    DISP,
    GOV,
    LEADER,
    OTHER_DEPT,
    PERSONAS,
    SIGNED_IN,
)
from tests.governance.test_url_walk import PATTERNS, TABLE, ask, paths_for

# The URL walk's world and personas' clients, built once for this module too.
walk_world = url_walk.walk_world

# The world's cadre (下沉干部) and party member (双报到) have no entry in the table: they read
# what every signed-in user may.
CADRE, MEMBER = "cadre", "member"
SIGNED_IN_ONLY = (CADRE, MEMBER)

# --- what is a page ---------------------------------------------------------------------------
NOT_PAGES = re.compile(
    r"^(api/|open311/|media/|\^media/)|export|xlsx|download|template|/data/$|healthz|"
    + re.escape(settings.ADMIN_URL)
)


def is_page(pattern) -> bool:
    entry = TABLE.get(pattern.key)
    return (
        entry is not None
        and entry.get is not None
        and pattern.key != "admin"
        and "format" not in pattern.params
        and not NOT_PAGES.search(pattern.route)
    )


PAGES = [p for p in PATTERNS if is_page(p)]

# The inbox's tabs (the console's are events.dispatch_views.CONSOLE_TABS).
INBOX_TABS = ("to_report_in", "in_hand", "feedback_given", "closed", "returned")


def extra_urls(world) -> list[tuple[str, str, frozenset[str]]]:
    """(key, url, readers) of the tabs, filters and levels a plain URL does not show."""
    desk = frozenset({DISP, ADMIN})
    numbers = frozenset({DISP, LEADER, ADMIN})
    urls = [("events:console", f"/events/console/?tab={tab}", desk) for tab in CONSOLE_TABS]
    urls += [
        ("events:inbox", f"/events/inbox/?tab={tab}", frozenset({DEPT, OTHER_DEPT}))
        for tab in INBOX_TABS
    ]
    urls += [
        ("events:list", f"/events/?{query}", SIGNED_IN)
        for query in ("overdue=1", "open=1", "status=escalated", "measure=new")
    ]
    for code in (world.district.code, world.street.code, world.block.parent.code):
        urls += [
            ("dashboard:area", f"/dashboard/{code}/?period={key}", numbers) for key, _ in PERIODS
        ]
        urls.append(("dashboard:big_screen", f"/dashboard/{code}/screen/", numbers))
        urls.append(("dashboard:report", f"/dashboard/{code}/report/?month=2026-11", numbers))
    urls += [
        ("events:detail", f"/events/{event.number}/", frozenset({DISP, LEADER, ADMIN, GOV}))
        for event in (world.escalated, world.dispatched, world.closed, world.resolved)
    ]
    urls.append(("events:detail", f"/events/{world.dispatched.number}/", frozenset({DEPT})))
    return urls


# --- visible text -------------------------------------------------------------------------------
SEEN_ATTRIBUTES = ("title", "placeholder", "aria-label", "alt")
# Not prose: scripts, styles, and what a page shows as a machine's token to type or read
# (a file's column name, a code): <code>, <kbd>, <samp>.
UNREAD = ("script", "style", "code", "kbd", "samp")


class _Text(HTMLParser):
    def __init__(self):
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.hidden = 0

    def handle_starttag(self, tag, attrs):
        if tag in UNREAD:
            self.hidden += 1
        self.parts.extend(value for name, value in attrs if name in SEEN_ATTRIBUTES and value)

    def handle_startendtag(self, tag, attrs):
        self.parts.extend(value for name, value in attrs if name in SEEN_ATTRIBUTES and value)

    def handle_endtag(self, tag):
        if tag in UNREAD and self.hidden:
            self.hidden -= 1

    def handle_data(self, data):
        if not self.hidden:
            self.parts.append(data)


def visible_text(html: str) -> str:
    parser = _Text()
    parser.feed(html)
    parser.close()
    return re.sub(r"\s+", " ", " ".join(parser.parts)).strip()


# --- what users must not read ------------------------------------------------------------------
def glossary_keys() -> set[str]:
    """Every choice value of the project's models, and every measure's name."""
    ours = {
        config.name for config in apps.get_app_configs() if not config.name.startswith("django")
    }
    keys = set(MEASURES)

    def collect(cls):
        for sub in cls.__subclasses__():
            if sub.__module__.split(".")[0] in ours:
                keys.update(str(value) for value in sub.values)
            collect(sub)

    collect(models.TextChoices)
    return {key for key in keys if re.fullmatch(r"[a-z][a-z0-9_]+", key)}


# A key is a whole word: not part of a longer token (a username like walk-governor, a path, a
# file name, an e-mail address).
_EDGE = r"A-Za-z0-9_\-/.@"
ISO_TIME = re.compile(r"\d{4}-\d\d-\d\dT\d\d:\d\d")
# English a translator has not seen yet (a message not in the catalogue at all): three English
# words in a row.
ENGLISH_RUN = re.compile(rf"(?<![{_EDGE}])[A-Za-z][a-z']+(?:,? [A-Za-z][a-z']*){{2,}}(?![{_EDGE}])")


def key_pattern(keys) -> re.Pattern:
    alternatives = "|".join(sorted(map(re.escape, keys), key=len, reverse=True))
    return re.compile(rf"(?<![{_EDGE}])(?:{alternatives})(?![{_EDGE}])")


def english_messages(po_path: Path) -> list[str]:
    """The msgids translated into something else, of two English words or more, without
    placeholders (those are never shown verbatim)."""
    found = []
    for entry in polib.pofile(str(po_path)):
        text = entry.msgid
        if entry.obsolete or not entry.msgstr or entry.msgstr == text or "%" in text:
            continue
        if "{" in text or "<" in text or len(re.findall(r"[A-Za-z]{2,}", text)) < 2:
            continue
        found.append(text)
    return found


PO = Path(settings.BASE_DIR) / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


class Checker:
    def __init__(self, keys, english):
        self.keys = key_pattern(keys)
        self.english = sorted(set(english), key=len, reverse=True)

    def problems(self, html: str) -> list[str]:
        text = visible_text(html)
        found, english_spans = [], []

        def around(start: int, end: int) -> str:
            return text[max(0, start - 30) : end + 30]

        def inside_english(start: int, end: int) -> bool:
            return any(a <= start and end <= b for a, b in english_spans)

        for message in self.english:
            at = text.find(message)
            # "Log in" inside "Log in again" is the longer message's finding, not two.
            if at >= 0 and not inside_english(at, at + len(message)):
                english_spans.append((at, at + len(message)))
                found.append(f"untranslated {message!r} in …{around(at, at + len(message))}…")
        for match in ENGLISH_RUN.finditer(text):
            if not inside_english(*match.span()):
                english_spans.append(match.span())
                found.append(f"English {match.group()!r} in …{around(*match.span())}…")
        for match in self.keys.finditer(text):
            if not inside_english(*match.span()):
                found.append(f"raw key {match.group()!r} in …{around(*match.span())}…")
        for match in ISO_TIME.finditer(text):
            found.append(f"ISO time {match.group()!r} in …{around(*match.span())}…")
        return found


@pytest.fixture(scope="module")
def checker():
    return Checker(glossary_keys(), english_messages(PO))


# --- the checker itself ------------------------------------------------------------------------
def test_visible_text_is_what_a_user_reads():
    html = (
        '<p title="Case status">状态 <span data-status="in_block">在区块</span></p>'
        "<script>const s = 'in_block';</script><style>.in_block{}</style>"
        '<input placeholder="Search cases"><img alt="map" src="/x_in_block.png">'
        '<time datetime="2026-12-05T18:33:05+08:00">12月5日 18:33</time>'
    )
    assert visible_text(html) == "Case status 状态 在区块 Search cases map 12月5日 18:33"


def test_the_checker_finds_raw_keys_iso_times_and_english():
    checker = Checker({"in_block", "report_in_rate", "red"}, ["Log in", "Log in again"])
    assert checker.problems("<td>in_block</td><td>红</td>") == [
        "raw key 'in_block' in …in_block 红…"
    ]
    assert checker.problems("<th>report_in_rate</th>") == [
        "raw key 'report_in_rate' in …report_in_rate…"
    ]
    assert checker.problems("<p>2026-12-05T18:33:05</p>") == [
        "ISO time '2026-12-05T18:33' in …2026-12-05T18:33:05…"
    ]
    assert checker.problems("<a>Log in again</a>") == [
        "untranslated 'Log in again' in …Log in again…"
    ]
    # A message no translator has seen yet: three English words in a row.
    assert checker.problems("<button>吹哨Call the legal team</button>") == [
        "English 'Call the legal team' in …吹哨Call the legal team…"
    ]
    # Whole words only: a username, a path, a file, a Chinese sentence around no key; and a
    # file's column name shown as code.
    clean = (
        "<p>walk-red 登录 /events/in_block/ in_block.png 红色预警 12月5日 18:33 YH-20261205-0001</p>"
        "<td><code>户数</code> / <code>in_block</code></td><td>法官 judge walk-police</td>"
    )
    assert checker.problems(clean) == []


def test_the_glossary_keys_are_the_models_choices_and_the_measures():
    keys = glossary_keys()
    assert {"in_block", "awaiting_verification", "report_in_rate", "block_response_rate"} <= keys
    assert {"governor", "dispatcher", "reported_in", "hotline", "red"} <= keys


def test_the_english_messages_are_the_translated_ones_of_two_words_or_more():
    english = english_messages(PO)
    assert "Log in" in english or "Sign in" in english
    assert "active" not in english  # one word: a name or code could read like it
    assert not [m for m in english if "%" in m]


# --- the walk ----------------------------------------------------------------------------------
def readers(entry) -> list[str]:
    allowed = [p for p in PERSONAS if p in entry.get]
    if set(SIGNED_IN) <= set(entry.get):
        allowed += SIGNED_IN_ONLY
    return allowed


@pytest.fixture(scope="module")
def clients(walk_world, django_db_blocker):
    with django_db_blocker.unblock():
        extra = {}
        links = walk_world.world.links
        for name, user in ((CADRE, links.cadre.user), (MEMBER, links.member.user)):
            extra[name] = Client()
            extra[name].force_login(user)
    return {**walk_world.clients, **extra}


def read(clients, persona: str, url: str, checker, findings: dict) -> None:
    """Ask ``url`` as ``persona``; add each problem to ``findings`` (problem → personas)."""
    response, _written = ask(clients[persona], "GET", url, None)
    if response.status_code != 200 or "text/html" not in response.get("Content-Type", ""):
        return
    for problem in checker.problems(response.content.decode(errors="replace")):
        findings.setdefault((url, problem), []).append(persona)


@pytest.mark.postgres
@pytest.mark.django_db
def test_every_page_speaks_chinese_to_every_persona(walk_world, clients, checker):
    world = walk_world.world
    asked, findings = 0, {}
    for pattern in PAGES:
        entry = TABLE[pattern.key]
        for path in paths_for(pattern, entry, world):
            url = f"{path}?{entry.query}" if entry.query else path
            for persona in readers(entry):
                asked += 1
                read(clients, persona, url, checker, findings)
    for _key, url, allowed in extra_urls(world):
        for persona in sorted(allowed):
            asked += 1
            read(clients, persona, url, checker, findings)
    lines = [f"{url} as {', '.join(who)}: {problem}" for (url, problem), who in findings.items()]
    print(f"{asked} pages asked, {len(lines)} findings", *lines, sep="\n")
    assert asked > 300
    assert not lines, "\n".join(lines)


def test_the_walk_reads_the_pages_of_every_persona():
    """The walk reaches the landing pages of each role, not just the public ones."""
    keys = {p.key for p in PAGES}
    assert {
        "events:workbench", "events:console", "events:inbox", "events:list", "events:detail",
        "events:deadline_board", "dashboard:area", "blocks:area_browser", "liaison:visits",
        "liaison:wishes", "governance:notifications", "governance:audit_log", "public:track",
    } <= keys  # fmt: skip
    assert not {"admin", "events:export", "liaison:ledger_export"} & keys
    assert ANON in readers(TABLE["public:report"])
    assert CADRE in readers(TABLE["events:workbench"])


@pytest.mark.postgres
@pytest.mark.django_db
def test_the_walk_catches_a_page_left_in_english(walk_world, checker):
    """Were the pages not translated (here: the English switch), the walk would say so, with
    the English words and the raw keys they sit among."""
    client = walk_world.clients[GOV]
    findings: dict = {}
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    try:
        read({GOV: client}, GOV, "/events/workbench/", checker, findings)
        read({GOV: client}, GOV, f"/events/{walk_world.world.pending.number}/", checker, findings)
    finally:
        del client.cookies[settings.LANGUAGE_COOKIE_NAME]
    problems = [problem for _url, problem in findings]
    assert any(p.startswith("untranslated ") for p in problems), problems
    assert any(p.startswith("English ") for p in problems), problems
