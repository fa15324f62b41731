"""Residents' own pages without an account: report, track, rate (issue 4, DESIGN §1, §6)."""

from __future__ import annotations

import importlib.util
import io
import re

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from PIL import Image

from events import services
from events.models import Channel, Event, Photo, Satisfaction, Status

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def _fresh_limits():
    # The rate-limit counters live in the cache, which outlives a test.
    cache.clear()
    yield
    cache.clear()


def jpeg(name="p.jpg", size=(640, 480)):
    buffer = io.BytesIO()
    Image.new("RGB", size, (30, 120, 200)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def report_data(world, **extra):
    data = {
        "street": world.street.pk,
        "community": world.community.pk,
        "block": world.block.pk,
        "category": world.category.pk,
        "description": "小区东门有人占道摆摊，堵住了消防通道",
        "reporter_phone": "138 1234 5678",
        "reporter_name": "李阿姨",
        "address": "白石社区3栋东门",
    }
    data.update(extra)
    return data


def upload(name="p.jpg"):
    return SimpleUploadedFile(name, jpeg(name).getvalue(), content_type="image/jpeg")


def closed_case(world, **extra) -> Event:
    """A resident's report taken through the block to closed, by the services."""
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮",
        reporter_phone="13812345678", **extra,
    )  # fmt: skip
    services.event_accept(actor=world.governor, event_id=event.pk)
    services.event_resolve(
        actor=world.governor, event_id=event.pk, note="已更换灯泡，联系人13900001111",
        photos=[upload("after.jpg")],
    )  # fmt: skip
    services.event_verify(actor=world.supervisor, event_id=event.pk)
    event.refresh_from_db()
    assert event.status == Status.CLOSED
    return event


# --- reporting --------------------------------------------------------------------------
def test_the_report_page_works_without_an_account(client, world):
    page = client.get("/r/")
    assert page.status_code == 200
    html = page.content.decode()
    assert 'name="csrfmiddlewaretoken"' in html
    assert world.street.name in html  # the first of the chained selects
    assert "<script>" not in html  # CSP: script-src 'self', no inline scripts
    assert "public_report.js" in html


def test_a_resident_reports_without_an_account(client, world):
    response = client.post("/r/", report_data(world, photos=[jpeg()]))
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.status == Status.PENDING
    assert event.channel == Channel.SELF_REPORT
    assert event.created_by is None and event.handler is None
    assert event.block == world.block and event.category == world.category
    assert event.reporter_phone == "13812345678"  # normalised
    assert event.address == "白石社区3栋东门"
    assert event.photos.get().stage == Photo.Stage.REPORT
    assert re.fullmatch(r"[A-Z2-9]{10}", event.tracking_code)
    assert response["Location"] == f"/r/done/{event.tracking_code}/"

    done = client.get(response["Location"])
    assert done.status_code == 200
    html = done.content.decode()
    assert event.tracking_code in html
    assert f"/r/t/{event.tracking_code}/" in html


def test_csrf_stays_on_for_the_public_form(world):
    from django.test import Client

    response = Client(enforce_csrf_checks=True).post("/r/", report_data(world))
    assert response.status_code == 403
    assert Event.objects.count() == 0


@pytest.mark.parametrize(
    ("change", "field_text"),
    [
        ({"reporter_phone": ""}, None),
        ({"reporter_phone": "12345"}, None),
        ({"description": "  "}, None),
        ({"category": ""}, None),
        ({"street": "", "community": "", "block": ""}, None),
    ],
)
def test_bad_input_is_refused_and_nothing_is_saved(client, world, change, field_text):
    response = client.post("/r/", report_data(world, **change))
    assert response.status_code == 400
    assert 'class="errorlist' in response.content.decode()
    assert Event.objects.count() == 0


def test_a_landline_with_area_code_is_a_valid_phone(client, world):
    response = client.post("/r/", report_data(world, reporter_phone="0731-5551234"))
    assert response.status_code == 302
    assert Event.objects.get().reporter_phone == "07315551234"


def test_a_closed_block_cannot_be_chosen(client, world):
    world.block.closed_on = "2020-01-01"
    world.block.save()
    response = client.post("/r/", report_data(world))
    assert response.status_code == 400
    assert Event.objects.count() == 0


def test_a_wrong_photo_is_refused_and_nothing_is_half_saved(client, world):
    fake = io.BytesIO(b"MZ\x90\x00 not a picture at all")
    fake.name = "photo.jpg"
    response = client.post("/r/", report_data(world, photos=[jpeg(), fake]))
    assert response.status_code == 400
    assert "photo.jpg" in response.content.decode()
    assert Event.objects.count() == 0 and Photo.objects.count() == 0


def test_the_form_keeps_the_chosen_areas_after_an_error(client, world):
    html = client.post("/r/", report_data(world, description="")).content.decode()
    assert f'<option value="{world.block.pk}" selected>' in html
    assert f'<option value="{world.community.pk}" selected>' in html


def test_chained_selects_offer_only_open_areas(client, world):
    from tests.factories import area

    closed = area("430302001002", "已撤销社区", closed_on="2020-01-01")
    html = client.get("/r/areas/", {"street": world.street.pk}).content.decode()
    assert world.community.name in html and closed.name not in html
    assert world.other_community.name not in html  # another street's
    world.neighbour_block.closed_on = "2020-01-01"
    world.neighbour_block.save()
    html = client.get("/r/areas/", {"community": world.community.pk}).content.decode()
    assert world.block.name in html and world.neighbour_block.name not in html
    assert html.lstrip().startswith("<option")


def test_a_typed_address_suggests_blocks_and_a_picked_suggestion_is_used(client, world):
    html = client.get("/r/suggest/", {"address": "和平社区5栋"}).content.decode()
    assert world.far_block.name in html and world.block.name not in html

    no_block = report_data(world, street="", community="", block="", address="和平社区5栋")
    response = client.post("/r/", no_block)
    assert response.status_code == 400
    assert f'value="{world.far_block.pk}"' in response.content.decode()  # offered to pick

    response = client.post("/r/", {**no_block, "suggested_block": world.far_block.pk})
    assert response.status_code == 302
    assert Event.objects.get().block == world.far_block


# --- rate limits ------------------------------------------------------------------------
def test_reports_are_rate_limited_per_address(client, world, settings):
    settings.PUBLIC_REPORTS_PER_HOUR = 2
    for _ in range(2):
        assert client.post("/r/", report_data(world)).status_code == 302
    response = client.post("/r/", report_data(world))
    assert response.status_code == 429
    assert response["Retry-After"]
    assert "12345" in response.content.decode()
    assert Event.objects.count() == 2
    # Another address is not affected.
    assert client.post("/r/", report_data(world), REMOTE_ADDR="10.9.9.9").status_code == 302


def test_unknown_codes_are_rate_limited_and_then_even_a_good_code_is_refused(
    client, world, settings
):
    settings.PUBLIC_LOOKUP_MISSES_PER_HOUR = 3
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x",
        reporter_phone="13812345678",
    )  # fmt: skip
    assert client.get(f"/r/t/{event.tracking_code}/").status_code == 200
    for guess in ("AAAAAAAAAA", "BBBBBBBBBB", "CCCCCCCCCC"):
        assert client.get(f"/r/t/{guess}/").status_code == 404
    assert client.get("/r/t/DDDDDDDDDD/").status_code == 429
    # Hits must not leak once limited: a real code answers 429 too.
    assert client.get(f"/r/t/{event.tracking_code}/").status_code == 429


# --- tracking ---------------------------------------------------------------------------
def test_a_resident_tracks_the_case_and_sees_no_staff_personal_data(client, world):
    world.governor.full_name = "王建国"
    world.governor.save()
    world.supervisor.full_name = "赵监督"
    world.supervisor.save()
    client.post("/r/", report_data(world))
    event = Event.objects.get()
    services.event_accept(actor=world.governor, event_id=event.pk)
    services.event_comment(actor=world.governor, event_id=event.pk, note="内部：王建国已电话联系")
    services.event_resolve(
        actor=world.governor, event_id=event.pk,
        note="王建国已劝离摊贩，如有问题请联系13900001111", photos=[upload("done.jpg")],
    )  # fmt: skip

    response = client.get(f"/r/t/{event.tracking_code}/")
    assert response.status_code == 200
    assert response["Cache-Control"].startswith("max-age=0")
    html = response.content.decode()
    assert event.number in html and event.description in html
    # Staff: neither names nor phones, not even inside a note.
    for secret in ("王建国", "赵监督", world.governor.username, "13900001111"):
        assert secret not in html
    # The reporter's own phone only masked.
    assert "13812345678" not in html and "138****5678" in html
    assert "李阿姨" not in html
    # Levels and actions instead; internal comments are not shown.
    assert "内部" not in html
    assert "劝离摊贩" in html  # what was done is the resident's to read
    assert html.count('class="chip"') >= 3
    # Photos of the feedback, as thumbnails only (no EXIF-bearing originals).
    feedback = event.photos.get(stage=Photo.Stage.FEEDBACK)
    assert feedback.thumbnail.url in html and feedback.image.url not in html
    # Not closed yet: no rating form.
    assert 'id="rate-form"' not in html


def test_lower_case_and_spaced_codes_are_normalised(client, world):
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x",
        reporter_phone="13812345678",
    )  # fmt: skip
    code = event.tracking_code
    response = client.get("/r/t/", {"code": f" {code[:5].lower()} {code[5:]} "})
    assert response.status_code == 302 and response["Location"] == f"/r/t/{code}/"
    response = client.get(f"/r/t/{code.lower()}/")
    assert response.status_code == 302 and response["Location"] == f"/r/t/{code}/"


def test_the_lookup_form_page(client, world):
    response = client.get("/r/t/")
    assert response.status_code == 200
    assert 'name="code"' in response.content.decode()


def test_an_unknown_code_is_a_404_page(client, world):
    response = client.get("/r/t/ZZZZZZZZZZ/")
    assert response.status_code == 404
    assert "ZZZZZZZZZZ" in response.content.decode()
    assert client.get("/r/t/SHORT/").status_code == 404
    assert client.get("/r/done/ZZZZZZZZZZ/").status_code == 404
    assert client.post("/r/t/ZZZZZZZZZZ/rate/", {}).status_code == 404


def test_the_404_page_speaks_chinese_by_default(client, world):
    from django.utils import translation

    with translation.override("zh-hans"):
        expected = translation.gettext("No report with this code")
    html = client.get("/r/t/ZZZZZZZZZZ/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert expected in html and 'lang="zh-hans"' in html


# --- rating -----------------------------------------------------------------------------
def rating(**extra):
    data = {"satisfaction": Satisfaction.SATISFIED, "resolved": "1", "comment": "很及时，谢谢"}
    data.update(extra)
    return data


def test_a_resident_rates_a_closed_case(client, world):
    event = closed_case(world)
    page = client.get(f"/r/t/{event.tracking_code}/").content.decode()
    assert 'id="rate-form"' in page

    response = client.post(f"/r/t/{event.tracking_code}/rate/", rating())
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.satisfaction == Satisfaction.SATISFIED
    assert event.resolved_by_resident is True and event.rated_at is not None
    assert event.rating_comment == "很及时，谢谢"
    entry = event.timeline.order_by("-at", "-id").first()
    assert entry.action == "rate" and entry.actor is None

    page = client.get(response["Location"]).content.decode()
    assert 'id="rate-form"' not in page and 'id="rating-done"' in page


def test_a_case_cannot_be_rated_twice(client, world):
    event = closed_case(world)
    assert client.post(f"/r/t/{event.tracking_code}/rate/", rating()).status_code == 302
    response = client.post(
        f"/r/t/{event.tracking_code}/rate/", rating(satisfaction=Satisfaction.BASICALLY_SATISFIED)
    )
    assert response.status_code == 409
    event.refresh_from_db()
    assert event.satisfaction == Satisfaction.SATISFIED
    assert event.timeline.filter(action="rate").count() == 1


def test_a_case_cannot_be_rated_before_it_is_closed(client, world):
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x",
        reporter_phone="13812345678",
    )  # fmt: skip
    response = client.post(f"/r/t/{event.tracking_code}/rate/", rating())
    assert response.status_code == 409
    event.refresh_from_db()
    assert event.rated_at is None and event.timeline.filter(action="rate").count() == 0


def test_an_incomplete_rating_is_refused(client, world):
    event = closed_case(world)
    response = client.post(f"/r/t/{event.tracking_code}/rate/", {"comment": "?"})
    assert response.status_code == 400
    event.refresh_from_db()
    assert event.rated_at is None


def test_dissatisfied_and_unresolved_sends_it_back_to_the_block(client, world):
    event = closed_case(world)
    response = client.post(
        f"/r/t/{event.tracking_code}/rate/",
        rating(satisfaction=Satisfaction.DISSATISFIED, resolved="0", comment="还是不亮"),
    )
    assert response.status_code == 302
    event.refresh_from_db()
    assert event.status == Status.IN_BLOCK and event.rework_count == 1
    html = client.get(f"/r/t/{event.tracking_code}/").content.decode()
    assert 'id="rate-form"' not in html


# --- point in block ---------------------------------------------------------------------
def square(lon: float, lat: float, size: float = 0.01) -> dict:
    return {
        "type": "Polygon",
        "coordinates": [
            [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
        ],
    }


@pytest.mark.skipif(
    importlib.util.find_spec("blocks.geo") is None, reason="needs blocks.geo (point in block)"
)
def test_the_map_point_picks_the_right_block(client, world):
    # Two neighbouring squares near 湘潭 (lon 112.9, lat 27.85).
    world.block.boundary = square(112.90, 27.85)
    world.block.save()
    world.neighbour_block.boundary = square(112.91, 27.85)
    world.neighbour_block.save()
    inside_neighbour = {"lat": "27.855", "lon": "112.915"}

    answer = client.get("/r/locate/", inside_neighbour).json()
    assert answer["found"] is True and answer["block"] == world.neighbour_block.pk

    data = report_data(world, street="", community="", block="", address="", **inside_neighbour)
    response = client.post("/r/", data)
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.block == world.neighbour_block
    assert event.lat == pytest.approx(27.855) and event.lon == pytest.approx(112.915)

    nowhere = client.get("/r/locate/", {"lat": "30.0", "lon": "120.0"}).json()
    assert nowhere["found"] is False
    response = client.post("/r/", {**data, "lat": "30.0", "lon": "120.0"})
    assert response.status_code == 400 and Event.objects.count() == 1


def test_a_block_chosen_by_hand_wins_over_the_point(client, world):
    response = client.post("/r/", report_data(world, lat="30.0", lon="120.0"))
    assert response.status_code == 302
    event = Event.objects.get()
    assert event.block == world.block and event.lat == pytest.approx(30.0)
