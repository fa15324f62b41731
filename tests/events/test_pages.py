"""The staff pages of cases: workbench, intake, case page and its buttons, lists, export."""

from __future__ import annotations

import io

import pytest
from openpyxl import load_workbook
from PIL import Image

from events import services
from events.models import Event, Photo, Status
from governance.models import AuditEntry
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def jpeg(name="p.jpg", size=(800, 600)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (200, 30, 30)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def intake(world, **extra):
    data = {
        "block": world.block.pk,
        "reporter_phone": "13812345678",
        "category": world.category.pk,
        "description": "小区门口有人占道摆摊",
        "building": "3栋",
    }
    data.update(extra)
    return data


def test_governor_logs_a_case_with_a_photo(client, world):
    login(client, world.governor)
    page = client.get("/events/workbench/")
    assert page.status_code == 200
    response = client.post("/events/new/", intake(world, photos=[jpeg()]))
    assert response.status_code == 302
    event = Event.objects.get()
    assert response["Location"] == f"/events/{event.number}/"
    assert event.status == Status.IN_BLOCK and event.handler == world.governor
    photo = event.photos.get()
    with Image.open(photo.thumbnail.path) as thumb:
        assert max(thumb.size) <= 320
    detail = client.get(response["Location"]).content.decode()
    assert event.number in detail and "138****5678" in detail and "13812345678" not in detail
    # The handler reveals the number with a reason; the reveal is on the audit log.
    assert client.post(f"/events/{event.number}/reveal/", {"reason": ""}).status_code == 400
    shown = client.post(f"/events/{event.number}/reveal/", {"reason": "回电居民"})
    assert shown.content.decode().strip() == "13812345678"
    entry = AuditEntry.objects.get(action="reveal")
    assert (entry.actor, entry.object_id, entry.reason) == (
        world.governor,
        event.number,
        "回电居民",
    )


def test_a_wrong_photo_is_refused_in_chinese_and_nothing_is_saved(client, world):
    login(client, world.governor)
    fake = io.BytesIO(b"MZ\x90\x00 not a picture at all")
    fake.name = "photo.jpg"
    response = client.post("/events/new/", intake(world, photos=[jpeg(), fake]))
    assert response.status_code == 400
    assert "不是" in response.content.decode()
    assert Event.objects.count() == 0 and Photo.objects.count() == 0


def test_an_oversized_photo_is_refused(client, world, settings):
    settings.PHOTO_MAX_BYTES = 1000
    login(client, world.governor)
    response = client.post("/events/new/", intake(world, photos=[jpeg(size=(1200, 900))]))
    assert response.status_code == 400
    assert "MB" in response.content.decode()
    assert Event.objects.count() == 0


def test_others_see_the_phone_masked_and_out_of_scope_is_404(client, world):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="x",
        reporter_phone="13812345678",
    )  # fmt: skip
    login(client, world.leader)
    html = client.get(f"/events/{event.number}/").content.decode()
    assert "138****5678" in html and "13812345678" not in html
    assert 'data-action="accept"' not in html  # read-only: no buttons
    assert client.post(f"/events/{event.number}/reveal/", {"reason": "看看"}).status_code == 403
    client.logout()
    login(client, world.neighbour)
    assert client.get(f"/events/{event.number}/").status_code == 404
    assert client.post(f"/events/{event.number}/reveal/", {"reason": "看看"}).status_code == 404
    assert client.post(f"/events/{event.number}/resolve/", {"note": "x"}).status_code == 404


def test_buttons_follow_the_declaration(client, world):
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮"
    )
    login(client, world.governor)
    html = client.get(f"/events/{event.number}/").content.decode()
    assert 'data-action="accept"' in html and 'data-action="resolve"' not in html
    client.post(f"/events/{event.number}/accept/", {"expected_status": "pending"})
    html = client.get(f"/events/{event.number}/").content.decode()
    assert 'data-action="resolve"' in html and 'data-action="accept"' not in html


def test_stale_double_submit_shows_the_conflict_message(client, world):
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮"
    )
    login(client, world.governor)
    client.post(f"/events/{event.number}/accept/", {"expected_status": "pending"})
    response = client.post(
        f"/events/{event.number}/accept/", {"expected_status": "pending"}, follow=True
    )
    assert "该事件已被他人处理" in response.content.decode()
    assert Event.objects.get().timeline.filter(action="accept").count() == 1


def test_list_filters_and_export_masks_phones(client, world):
    for text, category in (("摆摊", world.category), ("井盖", world.red_category)):
        services.event_log(
            actor=world.governor, block=world.block, category=category, description=text,
            reporter_phone="13812345678",
        )  # fmt: skip
    login(client, world.governor)
    html = client.get("/events/", {"priority": "red"}).content.decode()
    assert "井盖" not in html or "摆摊" not in html
    response = client.get("/events/export.xlsx", {"priority": "red"})
    assert response.status_code == 200
    assert AuditEntry.objects.filter(action="export", actor=world.governor).count() == 1
    assert client.get("/events/export.xlsx", {"unmasked": "1"}).status_code == 403
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    assert len(rows) == 2  # header + the red one
    assert "138****5678" in rows[1] and "13812345678" not in rows[1]


def test_similar_cases_are_hinted_while_logging(client, world):
    services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="小区门口有人占道摆摊卖水果",
    )  # fmt: skip
    login(client, world.governor)
    html = client.get(
        "/events/similar/",
        {
            "block": world.block.pk,
            "category": world.category.pk,
            "description": "门口有人摆摊卖水果",
        },
    ).content.decode()
    assert "YH-" in html
    client.logout()
    login(client, world.neighbour)  # the neighbour's scope has none of these
    html = client.get(
        "/events/similar/", {"block": world.block.pk, "description": "门口有人摆摊卖水果"}
    ).content.decode()
    assert "YH-" not in html


def test_other_pages_can_open_the_form_filled_in(client, world):
    login(client, world.governor)
    html = client.get(
        "/events/workbench/", {"description": "走访发现楼道堆物", "category": world.category.pk}
    ).content.decode()
    assert "走访发现楼道堆物</textarea>" in html
    assert f'value="{world.category.pk}" selected' in html


@pytest.mark.parametrize(
    ("username", "url"),
    [("governor", "/events/workbench/"), ("dispatcher", "/events/console/?tab=in_progress"),
     ("leader", "/events/"), ("dispatcher", "/events/deadlines/")],
)  # fmt: skip
def test_list_pages_cost_the_same_queries_whatever_the_number_of_cases(
    client, world, username, url
):
    import random

    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    from demo.bulk import generate_events

    client.force_login(getattr(world, username))

    def queries() -> int:
        client.get(url)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    generate_events(district=world.district, count=10, rng=random.Random(1))
    few = queries()
    generate_events(district=world.district, count=60, rng=random.Random(2))
    assert queries() == few


# --- issue 18: the next step, whose clock, cooperating departments -----------------------
class _Page:
    """A parsed page (the standard library's parser; no lxml here): elements by id or by
    attribute, their text, and their ancestors."""

    VOID = {"area", "br", "col", "embed", "hr", "img", "input", "link", "meta", "source", "wbr"}

    def __init__(self, html):
        from html.parser import HTMLParser
        from xml.etree.ElementTree import Element, SubElement

        self.root = Element("root")
        stack, page = [self.root], self

        class Parser(HTMLParser):
            def handle_starttag(self, tag, attrs):
                element = SubElement(stack[-1], tag, {k: v or "" for k, v in attrs})
                if tag not in page.VOID:
                    stack.append(element)

            def handle_endtag(self, tag):
                if any(e.tag == tag for e in stack[1:]):
                    while stack.pop().tag != tag:
                        pass

            def handle_data(self, data):
                last = stack[-1]
                if len(last):
                    last[-1].tail = (last[-1].tail or "") + data
                else:
                    last.text = (last.text or "") + data

        Parser().feed(html.decode() if isinstance(html, bytes) else html)
        self.parents = {child: parent for parent in self.root.iter() for child in parent}

    def all(self, path, within=None):
        return (within if within is not None else self.root).findall(path)

    def one(self, path, within=None):
        found = self.all(path, within)
        assert found, path
        return found[0]

    def ancestors(self, element):
        while element in self.parents:
            element = self.parents[element]
            yield element

    @staticmethod
    def text(element):
        return " ".join("".join(element.itertext()).split())


def _parse(html) -> _Page:
    return _Page(html)


DESTRUCTIVE = ("invalidate", "merge", "rework", "send_back", "return")


def _offers(page):
    """The case page's offers: the actions of its primary buttons, and each destructive form
    with whether it sits behind a confirm step (<details>) and requires a reason."""
    primary = []
    next_step = page.all('.//*[@id="next-step"]')
    for element in page.all(".//*[@data-action]", next_step[0]) if next_step else []:
        buttons = page.all(".//button", element) + page.all(".//a[@class]", element)
        if any("primary" in b.get("class", "").split() for b in buttons):
            primary.append(element.get("data-action"))
    destructive = {}
    for form in page.all(".//form[@data-action]"):
        action = form.get("data-action")
        if action in DESTRUCTIVE:
            destructive[action] = (
                any(a.tag == "details" for a in page.ancestors(form)),
                any(e.get("required") is not None and e.tag in ("textarea", "input", "select")
                    for e in form.iter()),
            )  # fmt: skip
    return primary, destructive


def _whistled(world, depts=None):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="菜市场外围摆摊堵住人行道",
    )  # fmt: skip
    return services.event_whistle(actor=world.governor, event_id=event.pk, reason="law_enforcement")


def _dispatched(world, depts):
    event = _whistled(world)
    return services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department,
        cooperating=[depts.scjg.department],
    )  # fmt: skip


def test_after_a_whistle_the_governor_sees_on_whom_it_waits_and_no_red_destructive_button(
    client, world
):
    event = _whistled(world)
    login(client, world.governor)
    html = client.get(f"/events/{event.number}/").content.decode()
    primary, destructive = _offers(_parse(html))
    assert primary == []  # nothing is theirs to do: no big button at all
    assert destructive["invalidate"] == (True, True)  # behind a confirm step, with a reason
    waiting = _Page.text(_parse(html).one('.//*[@id="waiting-on"]'))
    assert "街道派单台" in waiting and "派单" in waiting
    assert event.whistled_at.astimezone().strftime("%m-%d %H:%M") in waiting
    # 承办 names the desk that holds it, not the governor who whistled it.
    assert "区块治理员 (街道)" not in html


def test_the_desk_s_primary_button_is_dispatch(client, world):
    event = _whistled(world)
    login(client, world.dispatcher)
    primary, destructive = _offers(_parse(client.get(f"/events/{event.number}/").content))
    assert primary == ["dispatch"]
    assert all(confirmed and reason for confirmed, reason in destructive.values())


def test_an_officer_opens_a_case_dispatched_to_them_and_reports_in_from_it(client, world, depts):
    event = _dispatched(world, depts)
    login(client, depts.scjg.officer)
    response = client.get(f"/events/{event.number}/")
    assert response.status_code == 200
    page = _parse(response.content)
    primary, destructive = _offers(page)
    assert primary == ["report_in"]
    assert destructive["return"] == (True, True)
    # Both departments named with their state and clock, the cooperating one too.
    parts = page.text(page.one('.//*[@id="departments"]'))
    assert "城管执法" in parts and "市场监管" in parts and "待报到" in parts
    response = client.post(
        page.one('.//form[@data-action="report_in"]').get("action"),
        {"next": f"/events/{event.number}/"},
    )
    assert response["Location"] == f"/events/{event.number}/"
    page = _parse(client.get(f"/events/{event.number}/").content)
    assert "办理中" in page.text(page.one('.//*[@id="departments"]'))
    assert _offers(page)[0] == ["feedback"]


def test_after_verification_rework_is_never_the_big_button(client, world):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="路灯不亮"
    )
    services.event_resolve(actor=world.governor, event_id=event.pk, note="已修好")
    for user in (world.supervisor, world.dispatcher):
        login(client, user)
        primary, destructive = _offers(_parse(client.get(f"/events/{event.number}/").content))
        assert primary == ["verify"] and destructive["rework"] == (True, True)
    services.event_verify(actor=world.supervisor, event_id=event.pk)
    for user in (world.supervisor, world.governor, world.dispatcher):
        login(client, user)
        primary, destructive = _offers(_parse(client.get(f"/events/{event.number}/").content))
        assert primary in ([], ["rate"]), user
        assert all(confirmed and reason for confirmed, reason in destructive.values())


def test_every_clock_names_who_must_act(client, world, depts):
    from datetime import timedelta

    from django.utils import timezone

    from events.models import Deadline

    waiting = _whistled(world)  # the street desk's dispatch clock
    dispatched = _dispatched(world, depts)  # two departments' report-in clocks
    Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True).update(
        due_at=timezone.now() - timedelta(minutes=5), warn_at=timezone.now() - timedelta(hours=1)
    )
    login(client, world.dispatcher)
    board = _parse(client.get("/events/deadlines/").content)
    overdue = board.one('.//section[@id="overdue"]')
    owners = {
        (board.text(row.find(".//a")), board.text(row.find(".//*[@data-owner]")))
        for row in board.all(".//*[@data-clock]", overdue)
    }
    assert owners == {
        (waiting.number, "街道派单台"),
        (dispatched.number, "城管执法"),
        (dispatched.number, "市场监管"),
    }
    assert world.governor.get_full_name() not in board.text(overdue)
    # The console's 部门办理中 tab names each department, its state, and who lags.
    tab = _parse(client.get("/events/console/", {"tab": "in_progress"}).content)
    row = tab.one(f'.//*[@data-number="{dispatched.number}"]')
    assert all(word in tab.text(row) for word in ("城管执法", "市场监管", "待报到", "已超时"))
    assert tab.all(".//*[@data-laggard]", row)


def test_the_governor_s_queue_separates_mine_from_waiting_on_others(client, world):
    mine = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="路灯不亮"
    )
    waiting = _whistled(world)
    login(client, world.governor)
    page = _parse(client.get("/events/workbench/").content)
    mine_list, others = page.one('.//*[@id="queue-mine"]'), page.one('.//*[@id="queue-others"]')
    assert page.all(f'.//*[@data-number="{mine.number}"]', mine_list)
    assert not page.all(f'.//*[@data-number="{waiting.number}"]', mine_list)
    row = page.one(f'.//*[@data-number="{waiting.number}"]', others)
    assert "街道派单台" in page.text(row)


def test_the_officer_s_tabs_tell_feedback_given_from_case_closed(client, world, depts):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="占道"
    )
    event = services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="law_enforcement"
    )
    services.event_dispatch(actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department)
    part = event.assignments.get()
    services.assignment_report_in(actor=depts.cgzf.officer, assignment_id=part.pk)
    services.assignment_feedback(actor=depts.cgzf.officer, assignment_id=part.pk, note="已清理")
    login(client, depts.cgzf.officer)

    def tab_of_case():
        page = _parse(client.get("/events/inbox/").content)
        labels = [page.text(a).split()[0] for a in page.all('.//nav[@class="tabs"]/a')]
        assert labels[:4] == ["待报到", "办理中", "已反馈", "已结案"]
        found = []
        for name in ("to_report_in", "in_hand", "feedback_given", "closed"):
            tab = _parse(client.get("/events/inbox/", {"tab": name}).content)
            if tab.all(f'.//*[@data-number="{event.number}"]'):
                found.append(name)
        return found

    assert tab_of_case() == ["feedback_given"]
    services.event_verify(actor=world.dispatcher, event_id=event.pk)
    assert tab_of_case() == ["closed"]


def test_pages_show_no_raw_keys_iso_times_or_codes(client, world, depts):
    """What a street office reads: local times, glossary words, names — never
    "430302001001001 · new", "2026-12-05T18:33:05" or "awaiting_verification"."""
    import re

    from events.models import Status

    dispatched = _dispatched(world, depts)
    whistled = _whistled(world)
    raw = re.compile(
        r"\d{4}-\d\d-\d\dT\d\d:\d\d|\b\d+ s\b|"
        + "|".join(rf"\b{s}\b" for s in Status.values if "_" in s)
    )
    walks = {
        world.leader: [f"/events/?area={world.block.code}&measure=new", "/events/deadlines/"],
        world.governor: ["/events/workbench/", f"/events/{whistled.number}/", "/events/"],
        world.dispatcher: [
            "/events/console/", "/events/console/?tab=in_progress",
            f"/events/{dispatched.number}/", "/events/deadlines/",
        ],
        depts.scjg.officer: ["/events/inbox/", f"/events/{dispatched.number}/"],
    }  # fmt: skip
    for user, urls in walks.items():
        login(client, user)
        for url in urls:
            page = _parse(client.get(url).content)
            text = page.text(page.one(".//main"))
            assert not raw.findall(text), (user.username, url, raw.findall(text))
        client.logout()
    login(client, world.leader)
    page = _parse(client.get("/events/", {"area": world.block.code, "measure": "new"}).content)
    banner = page.text(page.one(".//*[@data-counted-set]"))
    assert world.block.name in banner and world.block.code not in banner and " new" not in banner
