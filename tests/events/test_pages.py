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
