"""Open311 from outside (issue 19): what a 311 app sends and reads, hostile or not. Every
request has a point; bad input is a 4xx in GeoReport's error list (JSON or XML, never a 500
nor an HTML page); requests.xml is well-formed whatever a stored description holds.

The client here is a 311 app: no session, no CSRF token (``enforce_csrf_checks``)."""

from __future__ import annotations

from datetime import datetime
from xml.etree import ElementTree
from zoneinfo import ZoneInfo

import pytest
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from shapely.geometry import Point, shape

from events import services
from events.models import Event, Open311Client
from tests.factories import area

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"
KEY = "k" * 32
SHANGHAI = ZoneInfo("Asia/Shanghai")
# Block B as drawn in the admin: a boundary, no stored centre.
DRAWN = {
    "type": "Polygon",
    "coordinates": [[[112.90, 27.85], [112.92, 27.85], [112.92, 27.86], [112.90, 27.86],
                     [112.90, 27.85]]],
}  # fmt: skip


@pytest.fixture
def app() -> Client:
    return Client(enforce_csrf_checks=True)


def errors(response, fmt: str) -> list[tuple[int, str]]:
    """GeoReport's error list as a client reads it: [(code, description), ...]."""
    if fmt == "json":
        assert response["Content-Type"].startswith("application/json")
        return [(e["code"], e["description"]) for e in response.json()]
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)
    assert root.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.findall("error")]


def log(actor, block, category, **extra) -> Event:
    return services.event_log(
        actor=actor, block=block, category=category, description="占道摆摊", **extra
    )


# --- 1. a point for every request ---------------------------------------------------------
def test_every_request_has_a_point_its_own_else_its_blocks_centre(app, world):
    world.block.centre_lat, world.block.centre_lon = 27.8555, 112.9055
    world.block.save()
    world.neighbour_block.boundary = DRAWN
    world.neighbour_block.save()
    # The far block has neither (nothing drawn yet): its street's centre is the best we know.
    world.other_street.centre_lat, world.other_street.centre_lon = 27.87, 112.93
    world.other_street.save()
    staff = log(world.governor, world.block, world.category)
    pinned = log(world.governor, world.block, world.category, lat=27.8512, lon=112.9023)
    drawn = log(world.neighbour, world.neighbour_block, world.category)
    bare = log(world.far_governor, world.far_block, world.category)

    rows = {r["service_request_id"]: r for r in app.get(f"{BASE}/requests.json").json()}
    assert (rows[staff.number]["lat"], rows[staff.number]["long"]) == (27.8555, 112.9055)
    assert (rows[pinned.number]["lat"], rows[pinned.number]["long"]) == (27.8512, 112.9023)
    inside = Point(rows[drawn.number]["long"], rows[drawn.number]["lat"])
    assert shape(DRAWN).contains(inside)
    assert (rows[bare.number]["lat"], rows[bare.number]["long"]) == (27.87, 112.93)
    one = app.get(f"{BASE}/requests/{staff.number}.json").json()[0]
    assert (one["lat"], one["long"]) == (27.8555, 112.9055)
    xml = ElementTree.fromstring(app.get(f"{BASE}/requests.xml").content)
    points = [(float(r.findtext("lat")), float(r.findtext("long"))) for r in xml.iter("request")]
    assert len(points) == 4 and (27.8512, 112.9023) in points


def test_the_points_of_a_page_cost_no_query_per_request_or_block(app, world):
    world.neighbour_block.boundary = DRAWN
    world.neighbour_block.save()
    world.block.centre_lat, world.block.centre_lon = 27.8555, 112.9055
    world.block.save()
    world.other_street.centre_lat, world.other_street.centre_lon = 27.87, 112.93
    world.other_street.save()
    for _ in range(2):
        log(world.neighbour, world.neighbour_block, world.category)

    def queries() -> int:
        with CaptureQueriesContext(connection) as captured:
            rows = app.get(f"{BASE}/requests.json").json()
        assert all(isinstance(r["lat"], float) for r in rows)
        return len(captured)

    few = queries()
    for _ in range(4):
        log(world.governor, world.block, world.category)
        log(world.far_governor, world.far_block, world.category)
    assert queries() == few


# --- 2. bad dates -------------------------------------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "query",
    [
        {"start_date": "2026-02-30T00:00:00"},
        {"end_date": "2026-12-01T25:00:00"},
        {"start_date": "garbage"},
        {"end_date": "2026-12-01T10:00:00+25:00"},
        {"start_date": "0001-01-01T00:00:00+08:00"},  # before year 1 once in UTC
        {"end_date": "9999-12-31T23:59:59-01:00"},  # after year 9999 once in UTC
        {"start_date": "2026-12-02T00:00:00Z", "end_date": "2026-12-01T00:00:00Z"},
    ],
)
def test_a_bad_date_is_a_400_in_the_error_list(app, world, query, fmt):
    response = app.get(f"{BASE}/requests.{fmt}", query)
    assert response.status_code == 400
    [(code, description)] = errors(response, fmt)
    assert code == 400 and any(name in description for name in query)


def test_good_dates_filter_and_a_date_without_zone_is_china_time(app, world):
    at = datetime(2026, 12, 1, 10, 0, tzinfo=SHANGHAI)
    event = log(world.governor, world.block, world.category, now=at)

    def numbers(**query) -> list[str]:
        response = app.get(f"{BASE}/requests.json", query)
        assert response.status_code == 200
        return [r["service_request_id"] for r in response.json()]

    assert numbers(start_date="2026-12-01T09:59:00", end_date="2026-12-01T10:01:00") == [
        event.number
    ]
    assert numbers(start_date="2026-12-01T02:00:00Z") == [event.number]  # 10:00 in Shanghai
    assert numbers(start_date="2026-12-01T10:01:00+08:00") == []
    assert numbers(end_date="2026-12-01T09:59:00") == []


# --- 3. jurisdiction_id -------------------------------------------------------------------
@pytest.fixture
def two_districts(world):
    """A second district served by the same installation, with one case of its own."""
    area("430304", "岳塘区")
    area("430304001", "岳塘街道")
    area("430304001001", "东方社区")
    other_block = area("430304001001001", "东方社区第1区块")
    ours = log(world.governor, world.block, world.category)
    theirs = services.event_log(
        actor=None, block=other_block, category=world.category, description="路灯不亮"
    )
    return ours, theirs


@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "path",
    ["services", "services/city-street-vending", "requests", "requests/{number}", "tokens/{token}"],
)
def test_another_jurisdiction_is_a_404_in_the_error_list(app, two_districts, path, fmt):
    ours, _ = two_districts
    url = f"{BASE}/" + path.format(number=ours.number, token=ours.tracking_code) + f".{fmt}"
    assert app.get(url).status_code == 200
    assert app.get(url, {"jurisdiction_id": "430302"}).status_code == 200
    for wrong in ("110101", "43030", "yuhu"):
        response = app.get(url, {"jurisdiction_id": wrong})
        assert response.status_code == 404
        [(code, description)] = errors(response, fmt)
        assert code == 404 and "jurisdiction_id" in description
    # A control character is refused at the door, before any jurisdiction is looked up.
    door = app.get(url, {"jurisdiction_id": "430302\x01"})
    assert door.status_code == 400 and errors(door, fmt)[0][0] == 400


def test_a_jurisdiction_scopes_the_requests_to_its_district(app, two_districts):
    ours, theirs = two_districts

    def numbers(**query) -> set[str]:
        return {r["service_request_id"] for r in app.get(f"{BASE}/requests.json", query).json()}

    assert numbers() == {ours.number, theirs.number}
    assert numbers(jurisdiction_id="430302") == {ours.number}
    assert numbers(jurisdiction_id="430304") == {theirs.number}
    detail = app.get(f"{BASE}/requests/{theirs.number}.json", {"jurisdiction_id": "430302"})
    assert detail.status_code == 404


def test_a_post_to_another_jurisdiction_writes_nothing(app, world):
    Open311Client.objects.create(name="市民 App", api_key=KEY)
    body = {"api_key": KEY, "service_code": world.category.code, "description": "门口摆摊",
            "address_id": world.block.code}  # fmt: skip
    wrong = app.post(f"{BASE}/requests.json", {**body, "jurisdiction_id": "110101"})
    assert wrong.status_code == 404 and errors(wrong, "json")[0][0] == 404
    assert not Event.objects.exists()
    right = app.post(f"{BASE}/requests.json", {**body, "jurisdiction_id": "430302"})
    assert right.status_code == 201


# --- 4. what a POST may carry -------------------------------------------------------------
@pytest.fixture
def post_body(world) -> dict:
    Open311Client.objects.create(name="市民 App", api_key=KEY)
    return {
        "api_key": KEY, "service_code": world.category.code, "description": "门口有人摆摊",
        "first_name": "三", "last_name": "张", "phone": "13700001111", "email": "z@example.cn",
        "address_string": "白石社区第1区块东门", "address_id": world.block.code,
    }  # fmt: skip


@pytest.mark.parametrize("char", ["\x00", "\x08", "\x0b", "\x1b", "\x7f", "\x85"])
@pytest.mark.parametrize(
    "field",
    ["api_key", "service_code", "description", "first_name", "last_name", "phone", "email",
     "address_string", "address_id", "lat", "media_url", "device_id"],
)  # fmt: skip
def test_a_control_character_in_any_field_is_refused_and_nothing_written(
    app, post_body, field, char
):
    body = {**post_body, field: post_body.get(field, "1") + char + "x"}
    for fmt in ("json", "xml"):
        response = app.post(f"{BASE}/requests.{fmt}", body)
        assert response.status_code == 400, response.content
        [(code, description)] = errors(response, fmt)
        assert code == 400 and field in description and "control character" in description
    assert not Event.objects.exists()


def test_tab_and_line_breaks_are_text_not_control_characters(app, post_body):
    text = "东门有人摆摊：\n\t1. 堵住人行道\r\n\t2. 油烟"
    response = app.post(f"{BASE}/requests.json", {**post_body, "description": text})
    assert response.status_code == 201
    assert Event.objects.get().description == text


@pytest.mark.parametrize(
    ("field", "limit"),
    [("description", 2000), ("address_string", 200), ("phone", 20), ("first_name", 40)],
)
def test_the_rest_apis_caps_hold_here_too(app, post_body, field, limit):
    char = "1" if field == "phone" else "摊"
    body = {**post_body, "last_name": ""}  # the name is first and last name together
    too_long = app.post(f"{BASE}/requests.json", {**body, field: char * (limit + 1)})
    assert too_long.status_code == 400
    [(code, description)] = errors(too_long, "json")
    assert code == 400 and field in description
    assert str(limit) in description or field == "phone"  # the REST API's "digits only"
    assert not Event.objects.exists()
    fits = app.post(f"{BASE}/requests.json", {**body, field: char * limit})
    assert fits.status_code == 201, fits.content


def test_a_hundred_thousand_character_description_is_refused(app, post_body):
    response = app.post(f"{BASE}/requests.xml", {**post_body, "description": "摊" * 100_000})
    assert response.status_code == 400 and errors(response, "xml")[0][0] == 400
    assert not Event.objects.exists()


@pytest.mark.parametrize(
    "point",
    [{"lat": "north", "long": "112.9"}, {"lat": "91", "long": "112.9"}, {"lat": "nan", "long": "1"},
     {"lat": "27.85", "long": "inf"}, {"lat": "27.85"}],
)  # fmt: skip
def test_a_point_that_is_no_point_is_refused(app, post_body, point):
    response = app.post(f"{BASE}/requests.json", {**post_body, **point})
    assert response.status_code == 400
    [(code, description)] = errors(response, "json")
    assert code == 400 and ("lat" in description or "long" in description)
    assert not Event.objects.exists()


def test_a_body_django_cannot_read_is_a_400_in_the_error_list(app, post_body, settings):
    settings.DATA_UPLOAD_MAX_NUMBER_FIELDS = 50
    many = {**post_body, **{f"f{i}": "x" for i in range(60)}}
    response = app.post(f"{BASE}/requests.json", many)
    assert response.status_code == 400 and errors(response, "json")[0][0] == 400
    broken = app.generic(
        "POST", f"{BASE}/requests.xml", b"--x\r\nnot a part", content_type="multipart/form-data"
    )  # fmt: skip
    assert broken.status_code == 400 and errors(broken, "xml")[0][0] == 400
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 10_000
    large = app.post(f"{BASE}/requests.json", {**post_body, "description": "摊" * 5_000})
    assert large.status_code == 413 and errors(large, "json")[0][0] == 413
    assert not Event.objects.exists()


# --- 5. XML that every reader parses ------------------------------------------------------
def test_requests_xml_is_well_formed_whatever_a_description_holds(app, world):
    event = log(world.governor, world.block, world.category)
    # Stored before the doors were closed to control characters (the REST API let them in).
    stored = "占道\x01摆摊\x1b[31m\x0b\x0c\ufffe结束"
    Event.objects.filter(pk=event.pk).update(description=stored)
    for url in (f"{BASE}/requests.xml", f"{BASE}/requests/{event.number}.xml"):
        root = ElementTree.fromstring(app.get(url).content)  # a ParseError would fail here
        text = root.findtext("request/description")
        assert text.startswith("占道") and text.endswith("结束")
        assert not any(c in text for c in "\x01\x1b\x0b\x0c\ufffe")
    assert app.get(f"{BASE}/requests.json").json()[0]["description"] == stored


# --- 6. every method an answer a client can read ------------------------------------------
@pytest.mark.parametrize("fmt", ["json", "xml"])
@pytest.mark.parametrize(
    "path",
    ["discovery", "services", "services/city-street-vending", "requests", "requests/{number}",
     "tokens/{token}"],
)  # fmt: skip
def test_other_methods_are_a_405_in_the_error_list(app, world, path, fmt):
    event = log(world.governor, world.block, world.category)
    url = f"{BASE}/" + path.format(number=event.number, token=event.tracking_code) + f".{fmt}"
    methods = ["put", "patch", "delete", "options"] + ([] if path == "requests" else ["post"])
    for method in methods:
        response = getattr(app, method)(url)
        assert response.status_code == 405, (method, response.status_code)
        [(code, description)] = errors(response, fmt)
        assert code == 405 and method.upper() in description
        assert "GET" in response["Allow"]
    assert app.head(url).status_code == 200
    assert Event.objects.count() == 1
