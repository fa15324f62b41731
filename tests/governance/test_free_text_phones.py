"""A phone number typed into free text — a case's description, a note, a comment, a visit's
finding, a household leader's matter, a need, the ledger — is masked in every output like
the reporter's own number (139****5678): the API, the pages, the exports (issue 19, DESIGN
§6). Only the current handler sees it whole, through the case's audited reveal.

Measured before: ``居民电话13912345678`` in a description was shown whole to the district's
leader, the street's desk and the block's supervisor, while Open311 masked the same text.
"""

from __future__ import annotations

import io

import pytest
from django.utils import timezone
from openpyxl import load_workbook
from rest_framework.test import APIClient

from events import services
from events.models import Event
from governance.models import AuditEntry, Delivery, Notification
from governance.notifications import notify
from governance.privacy import mask_phones_in_text, phones_in_text
from liaison import services as liaison_services
from tests.factories import PASSWORD
from tests.liaison.conftest import make_links

pytestmark = pytest.mark.django_db

PHONE, MASKED = "13912345678", "139****5678"
TEXT = f"居民电话{PHONE}，请回电"


# --- the one function --------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("text", "shown"),
    [
        ("居民电话13912345678", "居民电话139****5678"),
        ("打139 1234 5678或139-1234-5678", "打139****5678或139****5678"),
        ("+8613912345678 找王姐", "+86139****5678 找王姐"),
        ("座机0731-88886666", "座机073****6666"),
        ("两个号：13912345678、15800001111。", "两个号：139****5678、158****1111。"),
        # Not phones: a 15-digit grid code, a case number, a date, a short number.
        ("区块430302001001001", "区块430302001001001"),
        ("YH-20261201-0018 于2026-12-01", "YH-20261201-0018 于2026-12-01"),
        ("3栋1单元1201室，12345热线", "3栋1单元1201室，12345热线"),
        ("", ""),
    ],
)
def test_phone_numbers_in_text_are_masked_and_nothing_else(text, shown):
    assert mask_phones_in_text(text) == shown


def test_the_reveal_lists_each_number_once_whole():
    assert phones_in_text("打13912345678", None, "或139-1234-5678，座机0731 8888666") == [
        PHONE, "07318888666",
    ]  # fmt: skip


# --- a case with a number in every text, seen by those who do not handle it --------------------
def _api(user) -> APIClient:
    client = APIClient()
    client.default_format = "json"
    client.force_authenticate(user)
    return client


def _page(client, user):
    assert client.login(username=user.username, password=PASSWORD)
    return client


def _logged(world) -> Event:
    """In block A, handled by its governor, with the number in its description."""
    return services.event_log(
        actor=world.governor, block=world.block, category=world.category, description=TEXT,
        reporter_phone="13812345678",
    )  # fmt: skip


def _xlsx_text(response) -> str:
    content = b"".join(response.streaming_content) if response.streaming else response.content
    sheet = load_workbook(io.BytesIO(content)).active
    return "\n".join(str(c) for row in sheet.iter_rows(values_only=True) for c in row if c)


@pytest.fixture
def case(world, depts):
    """Logged with the number in its description, whistled, dispatched and answered with it
    in every note; a comment too."""
    event = _logged(world)
    services.event_comment(actor=world.governor, event_id=event.pk, note=f"已联系{PHONE}")
    services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="law_enforcement", note=f"摊主{PHONE}"
    )
    services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department, note=f"联系{PHONE}"
    )
    part = event.assignments.get()
    services.assignment_report_in(actor=depts.cgzf.officer, assignment_id=part.pk)
    services.assignment_feedback(
        actor=depts.cgzf.officer, assignment_id=part.pk, note=f"已劝离，当事人{PHONE}"
    )
    return Event.objects.get(pk=event.pk)


def test_leaders_desks_and_supervisors_see_a_number_in_a_description_masked(world, case):
    """The measurement of issue 19, over the API."""
    for user in (world.leader, world.dispatcher, world.supervisor):
        listed = _api(user).get("/api/events/")
        detail = _api(user).get(f"/api/events/{case.number}/")
        assert listed.status_code == detail.status_code == 200, user
        assert listed.json()["results"][0]["description"] == f"居民电话{MASKED}，请回电"
        body = detail.content.decode()
        assert PHONE not in body, (user, body)
        assert detail.json()["description"] == f"居民电话{MASKED}，请回电"
        notes = [entry["note"] for entry in detail.json()["timeline"]]
        # The comment, the whistle, the dispatch and the department's answer.
        assert sum(MASKED in note for note in notes) == 4, notes
        parts = detail.json()["assignments"][0]
        assert parts["dispatch_note"] == f"联系{MASKED}"
        assert parts["feedback_note"] == f"已劝离，当事人{MASKED}"


def test_a_department_sees_the_number_masked_in_its_inbox_and_notices(world, depts, case):
    officer = _api(depts.cgzf.officer)
    parts = officer.get("/api/assignments/")
    assert parts.status_code == 200 and PHONE not in parts.content.decode()
    assert parts.json()["results"][0]["description"] == f"居民电话{MASKED}，请回电"
    # The desk was told of the whistle with the description in the notice.
    notices = _api(world.dispatcher).get("/api/notifications/")
    assert notices.status_code == 200 and notices.json()["results"]
    assert PHONE not in notices.content.decode()
    assert any(MASKED in n["body"] for n in notices.json()["results"])


def test_the_case_pages_show_the_number_masked(client, world, depts, case):
    waiting = _logged(world)
    services.event_whistle(actor=world.governor, event_id=waiting.pk, reason="beyond_means")
    pages = {
        world.leader: [f"/events/{case.number}/"],
        world.supervisor: [f"/events/{case.number}/"],
        world.dispatcher: [
            f"/events/{case.number}/",
            "/events/console/",
            f"/events/{waiting.number}/dispatch/",
        ],
        depts.cgzf.officer: ["/events/inbox/?tab=feedback_given", f"/events/{case.number}/"],
    }
    for user, urls in pages.items():
        _page(client, user)
        for url in urls:
            response = client.get(url)
            body = response.content.decode()
            assert response.status_code == 200, (user, url)
            assert PHONE not in body, (user, url)
            assert MASKED in body, (user, url)
        client.logout()


def test_the_case_export_masks_numbers_in_descriptions(client, world, case):
    _page(client, world.dispatcher)
    response = client.get("/events/export.xlsx")
    assert response.status_code == 200
    cells = _xlsx_text(response).split("\n")
    assert f"居民电话{MASKED}，请回电" in cells
    assert not any(PHONE in c for c in cells)


# --- the links between levels ------------------------------------------------------------------
@pytest.fixture
def linked(world, depts):
    """A visit's finding, a household leader's matter (declined), a need, a wish, a problem
    with its service item, a meeting and a ledger item, each with the number in its text."""
    links = make_links(world, depts)
    visit = liaison_services.visit_record(
        actor=links.cadre_user, cadre=links.cadre, block=world.block, visited_on=links.today,
        summary=f"走访，联系人{PHONE}", findings=[{"description": TEXT}],
    )  # fmt: skip
    leader, _token = liaison_services.household_leader_create(
        actor=world.governor, block=world.block, name="赵桂兰", phone="13700001111",
        households=12,
    )  # fmt: skip
    matter = liaison_services.household_matter_report(leader=leader, description=TEXT)
    liaison_services.household_matter_decline(
        actor=world.governor, matter_id=matter.pk, reason=f"已电话{PHONE}说明"
    )
    demand = liaison_services.demand_list_open(
        actor=world.governor, community=world.community, year=2026, quarter=4
    )
    liaison_services.demand_item_add(actor=world.governor, demand_list_id=demand.pk, text=TEXT)
    wish = liaison_services.wish_post(
        actor=world.governor, community=world.community, title="修轮椅", description=TEXT,
        resident_name="孙奶奶",
    )  # fmt: skip
    ledger = liaison_services.ledger_enter(
        actor=world.dispatcher, street=world.street, year=2026, title="背街小巷改造",
        description=TEXT, department=depts.cgzf.department,
    )  # fmt: skip
    liaison_services.ledger_track(
        actor=world.dispatcher, item_id=ledger.pk, progress=30, note=f"施工方{PHONE}"
    )
    meeting = liaison_services.meeting_record(
        actor=world.dispatcher, street=world.street, held_on=links.today, title="联席会议",
        record=f"议定：{TEXT}",
    )  # fmt: skip
    return links.__dict__ | {
        "visit": visit, "demand": demand, "wish": wish, "ledger": ledger, "meeting": meeting,
    }  # fmt: skip


def test_the_links_api_masks_numbers_in_findings_matters_needs_and_the_ledger(world, linked):
    asked = {
        world.governor: ["/api/visits/", f"/api/visits/{linked['visit'].pk}/",
                         "/api/household-matters/", "/api/demand-lists/", "/api/wishes/"],
        world.dispatcher: ["/api/visits/", "/api/household-matters/", "/api/ledger-items/",
                           f"/api/ledger-items/{linked['ledger'].pk}/", "/api/joint-meetings/"],
        world.leader: ["/api/visits/", "/api/household-matters/", "/api/demand-lists/",
                       "/api/ledger-items/", "/api/wishes/", "/api/joint-meetings/"],
    }  # fmt: skip
    for user, urls in asked.items():
        for url in urls:
            response = _api(user).get(url)
            assert response.status_code == 200, (user, url)
            body = response.content.decode()
            assert PHONE not in body, (user, url, body)
            assert MASKED in body, (user, url)


def test_the_links_pages_and_exports_mask_numbers(client, world, linked):
    pages = {
        world.governor: [f"/links/visits/{linked['visit'].pk}/", "/links/households/",
                         f"/links/demand/{linked['demand'].pk}/",
                         f"/links/demand/{linked['demand'].pk}/export.xlsx",
                         f"/links/wishes/{linked['wish'].pk}/"],
        world.dispatcher: [f"/links/ledger/{linked['ledger'].pk}/", "/links/meetings/",
                           "/links/ledger/export.xlsx?year=2026"],
    }  # fmt: skip
    for user, urls in pages.items():
        _page(client, user)
        for url in urls:
            response = client.get(url)
            assert response.status_code == 200, (user, url)
            xlsx = url.split("?")[0].endswith(".xlsx")
            body = _xlsx_text(response) if xlsx else response.content.decode()
            assert PHONE not in body, (user, url)
            # The ledger's list carries its title and evidence, not its description.
            assert MASKED in body or "ledger/export" in url, (user, url)
        client.logout()


# --- the audited reveal ---------------------------------------------------------------------------
def test_the_handler_reveals_the_numbers_in_the_texts_and_it_is_audited(world, depts):
    event = _logged(world)
    services.event_comment(actor=world.governor, event_id=event.pk, note="又打15800001111")
    url = f"/api/events/{event.number}/reveal_phone/"
    assert _api(world.dispatcher).post(url, {"reason": "核实"}).status_code == 403
    shown = _api(world.governor).post(url, {"reason": "回电居民"})
    assert shown.status_code == 200
    assert shown.json() == {
        "reporter_phone": "13812345678", "phones_in_text": [PHONE, "15800001111"],
    }  # fmt: skip
    assert AuditEntry.objects.filter(
        action=AuditEntry.Action.REVEAL, object_id=event.number
    ).exists()


def test_the_case_page_reveal_shows_the_numbers_in_the_texts(client, world):
    event = _logged(world)
    _page(client, world.governor)
    page = client.get(f"/events/{event.number}/").content.decode()
    assert PHONE not in page and MASKED in page
    shown = client.post(f"/events/{event.number}/reveal/", {"reason": "回电居民"})
    assert shown.status_code == 200
    assert "13812345678" in shown.content.decode() and PHONE in shown.content.decode()


def test_a_notice_masks_a_number_on_the_page_in_the_e_mail_and_for_the_robot(world):
    """A notice quoting a note (a return, a rework) went out whole to every channel."""
    world.governor.email = "governor@example.gov.cn"
    world.governor.save()
    notify(
        recipients=[world.governor], kind="event_returned", dedupe_key="masked-notice",
        title="城管退回：请联系居民13912345678", body="居民电话 139-1234-5678，已多次投诉",
        now=timezone.now(), webhooks=["https://qyapi.example/robot"],
    )  # fmt: skip
    notice = Notification.objects.get(dedupe_key="masked-notice")
    sent = list(Delivery.objects.filter(dedupe_key__startswith="masked-notice"))
    assert sent and len(sent) == 2  # the e-mail and the robot
    for text in [notice.title, notice.body, *(d.title for d in sent), *(d.body for d in sent)]:
        assert "12345678" not in text and "1234-5678" not in text, text
    assert "139****5678" in notice.title
