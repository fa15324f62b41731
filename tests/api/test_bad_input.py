"""Bad input from outside (issue 19), as an app or a 311 client sends it: every piece is a
4xx in the door's own error format that says what is wrong, never a 500, never silently
ignored or clamped, and nothing is written.

- control characters (NUL and the like; tab and line breaks are text) anywhere: the API's
  JSON and multipart bodies (nested too), query strings, the address; Open311 answers in
  GeoReport's error list (governance/middleware.py, governance/text.py);
- JSON nested deeper than 32 levels or larger than the limit (governance/parsers.py);
- ``page_size`` out of 1..200, ``open=maybe``, impossible dates, a stats period beyond what
  the dashboard can show (governance/api.py, dashboards/api.py)."""

from __future__ import annotations

import json
from xml.etree import ElementTree

import pytest
from django.test import Client

from events.models import Event, TimelineEntry
from governance import parsers
from tests.api.conftest import logged

pytestmark = pytest.mark.django_db
CONTROLS = ["\x00", "\x01", "\x08", "\x0b", "\x0c", "\x1b", "\x7f", "\x85"]
INTAKE = {"category": "city-street-vending", "description": "东门有人占道摆摊"}


def intake(world, **change) -> dict:
    return {"block": world.block.code, **INTAKE, **change}


def refused(response, field: str | None = None) -> dict:
    """The API's 400: its error format, a message naming the field and the character."""
    assert response.status_code == 400, response.content
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    if field is not None:
        assert field in body["message"] and "U+00" in body["message"]
        assert list(body["errors"]) == [field]
    return body


# --- control characters --------------------------------------------------------------------
@pytest.mark.parametrize("char", CONTROLS, ids=[f"U+{ord(c):04X}" for c in CONTROLS])
def test_a_control_character_in_a_json_field_is_refused_and_nothing_written(world, api, char):
    client = api(world.governor)
    for field in ("description", "reporter_name", "address"):
        response = client.post("/api/events/", intake(world, **{field: f"占道{char}摆摊"}))
        body = refused(response, field)
        assert f"U+{ord(char):04X}" in body["message"]
    assert not Event.objects.exists()


def test_tab_and_line_breaks_are_text(world, api):
    text = "东门有人摆摊：\n\t1. 堵住人行道\r\n\t2. 油烟"
    response = api(world.governor).post("/api/events/", intake(world, description=text))
    assert response.status_code == 201, response.json()
    assert Event.objects.get().description == text


def test_nested_fields_and_keys_are_checked_too(world, api):
    client = api(world.dispatcher)
    good = {"number": "GD1", "description": "楼下烧烤油烟大", "matter": "油烟污染",
            "block_code": world.block.code}  # fmt: skip
    rows = [good, {**good, "number": "GD2", "description": "夜间\x00施工"}]
    refused(client.post("/api/hotline/import/", {"rows": rows}), "rows[1].description")
    refused(client.post("/api/hotline/import/", {"rows": [{**good, "no\x07te": "x"}]}))
    assert not Event.objects.exists()


def test_a_control_character_in_a_multipart_field_is_refused(world, api):
    client = api(world.governor)
    response = client.post(
        "/api/events/", intake(world, description="占道\x1b[31m摆摊"), format="multipart"
    )
    refused(response, "description")
    assert not Event.objects.exists()
    # A case action that takes photos reads multipart through the same parser.
    event = logged(world)
    entries = TimelineEntry.objects.filter(event=event).count()
    response = client.post(
        f"/api/events/{event.number}/resolve/", {"note": "已\x00劝离"}, format="multipart"
    )
    refused(response, "note")
    assert TimelineEntry.objects.filter(event=event).count() == entries
    assert Event.objects.get().status == event.status


def test_a_control_character_in_the_query_or_the_address_is_refused(world, api):
    client = api(world.governor)
    body = refused(client.get("/api/events/", {"q": "摆摊\x01"}), "q")
    assert "不允许" in body["message"]  # 「地址中含有不允许的字符」, then the field's rule
    refused(client.get("/api/events/%00/"))
    refused(client.get("/api/stats/summary/", {"area": "430302\x7f"}), "area")


def test_the_refusal_speaks_the_callers_language(world, api):
    client = api(world.governor)
    response = client.post(
        "/api/events/", intake(world, description="a\x00b"), HTTP_ACCEPT_LANGUAGE="en"
    )
    assert "description holds a control character (U+0000)" in refused(response)["message"]


def test_a_body_django_cannot_read_is_the_apis_error_not_a_page(world, api, settings):
    settings.DATA_UPLOAD_MAX_MEMORY_SIZE = 1_000
    response = api(world.governor).post("/api/events/", intake(world, description="摊" * 500))
    assert response.status_code == 413
    assert response.json()["code"] == "too_large" and response.json()["message"]


# --- Open311: the same door, GeoReport's error list -------------------------------------------
def georeport_errors(response) -> list[tuple[int, str]]:
    if response["Content-Type"].startswith("application/json"):
        return [(e["code"], e["description"]) for e in response.json()]
    assert response["Content-Type"].startswith("text/xml")
    root = ElementTree.fromstring(response.content)  # well-formed, or this raises
    assert root.tag == "errors"
    return [(int(e.findtext("code")), e.findtext("description")) for e in root.iter("error")]


@pytest.mark.parametrize("fmt", ["json", "xml"])
def test_open311_refuses_control_characters_in_its_error_list(world, fmt):
    app = Client(enforce_csrf_checks=True)
    for response in (
        app.get(f"/open311/v2/requests.{fmt}", {"service_code": "city\x00"}),
        app.get(f"/open311/v2/requests.{fmt}", {"status": "open\x0b"}),
        app.post(f"/open311/v2/requests.{fmt}", {"description": "摆摊\x1f"}),
        app.post(
            f"/open311/v2/requests.{fmt}",
            "description=%E6%91%86%E6%91%8A%00",
            content_type="application/x-www-form-urlencoded",
        ),
    ):
        assert response.status_code == 400
        [(code, description)] = georeport_errors(response)
        assert code == 400 and "control character" in description  # Open311 speaks English
    assert not Event.objects.exists()


# --- JSON: depth and size ------------------------------------------------------------------
def nested(depth: int) -> str:
    return "[" * depth + "]" * depth


@pytest.mark.parametrize("depth", [33, 1_000, 100_000])
def test_json_nested_too_deep_is_a_400_for_anyone(world, api, depth):
    anonymous, governor = api(), api(world.governor)
    event = logged(world)
    for client, path in (
        (anonymous, "/api/auth/token/"),
        (governor, "/api/auth/token/"),
        (governor, "/api/events/"),
        (governor, f"/api/events/{event.number}/comment/"),  # parser_classes of its own
        (governor, "/api/hotline/import/"),
    ):
        response = client.post(path, nested(depth), content_type="application/json")
        assert response.status_code == 400, (path, response.content[:200])
        body = response.json()
        assert body["code"] == "parse_error" and "32" in body["message"]
    body = {"rows": [{"number": "GD1", "description": [[[[["深"]]]]]}]}  # deep, but not too
    response = governor.post("/api/hotline/import/", body)
    assert response.status_code == 400 and response.json()["code"] == "invalid"  # the row's


def test_json_larger_than_the_limit_is_a_400(world, api, monkeypatch):
    monkeypatch.setattr(parsers, "MAX_BYTES", 2_000)
    client = api(world.governor)
    response = client.post(
        "/api/events/",
        json.dumps(intake(world, description="摊" * 1_000)),
        content_type="application/json",
    )
    assert response.status_code == 400 and response.json()["code"] == "parse_error"
    assert not Event.objects.exists()
    assert client.post("/api/events/", intake(world)).status_code == 201


# --- lists: page_size, yes/no filters, dates -----------------------------------------------
@pytest.mark.parametrize("size", ["abc", "-1", "0", "201", "100000", "1.5", "2e2", " "])
def test_a_page_size_we_cannot_serve_is_a_400_that_says_the_range(world, api, size):
    client = api(world.governor)
    for path in ("/api/events/", "/api/assignments/"):
        response = client.get(path, {"page_size": size})
        if not size.strip():  # empty: as if not sent
            assert response.status_code == 200
            continue
        body = refused(response)
        assert body["errors"] == {"page_size": [body["message"]]} and "200" in body["message"]


def test_a_page_size_in_range_is_served(world, api):
    for _ in range(3):
        logged(world)
    client = api(world.governor)
    assert len(client.get("/api/events/", {"page_size": 1}).json()["results"]) == 1
    assert len(client.get("/api/events/", {"page_size": 200}).json()["results"]) == 3


@pytest.mark.parametrize("query", ["open=maybe", "overdue=2", "open=yes please", "overdue=nan"])
def test_a_yes_no_filter_that_is_neither_is_a_400(world, api, query):
    name, value = query.split("=")
    body = refused(api(world.governor).get("/api/events/", {name: value}))
    assert list(body["errors"]) == [name]


def test_yes_no_filters_take_true_false_1_0_and_empty(world, api):
    event = logged(world)
    client = api(world.governor)

    def numbers(query: str) -> set[str]:
        response = client.get(f"/api/events/?{query}")
        assert response.status_code == 200, (query, response.content)
        return {e["number"] for e in response.json()["results"]}

    for yes in ("open=true", "open=True", "open=1"):
        assert numbers(yes) == {event.number}
    for no in ("open=false", "open=0"):
        assert numbers(no) == set()
    assert numbers("open=") == numbers("open=unknown") == {event.number}
    # The case list page shares the filters: the page keeps working and leaves it out.
    client = Client()
    client.force_login(world.governor)
    assert client.get("/events/?open=maybe").status_code == 200


@pytest.mark.parametrize(
    "query",
    ["created_from=2026-02-30T00:00:00", "created_to=2026-11-24T25:00:00", "updated_from=yesterday",
     "created_from=99999-01-01"],
)  # fmt: skip
def test_an_impossible_date_is_a_400(world, api, query):
    refused(api(world.governor).get(f"/api/events/?{query}"))


@pytest.mark.parametrize(
    ("start", "end"),
    [("0001-01-01", "9999-12-31"), ("2020-01-01", "2026-12-31"), ("9000-01-01", "9000-01-02")],
)
def test_a_stats_period_beyond_what_is_shown_is_a_400_that_says_the_range(world, api, start, end):
    response = api(world.leader).get("/api/stats/summary/", {"from": start, "to": end})
    [message] = refused(response)["errors"]["non_field_errors"]
    assert "1099" in message and "9000-01-01" in message


def test_stats_dates_that_are_no_dates_are_a_400_and_the_longest_period_is_served(world, api):
    client = api(world.leader)
    for start, end in (("2026-02-30", "2026-03-01"), ("2026-11-01", "soon")):
        refused(client.get("/api/stats/summary/", {"from": start, "to": end}))
    served = client.get("/api/stats/summary/", {"from": "2024-01-01", "to": "2027-01-03"})
    assert served.status_code == 200, served.content
    assert (served.json()["from"], served.json()["to"]) == ("2024-01-01", "2027-01-03")
