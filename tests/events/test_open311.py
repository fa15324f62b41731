"""Open311 GeoReport v2: every endpoint in JSON and XML, paging, POST with an api_key."""

from __future__ import annotations

from xml.etree import ElementTree

import pytest

from events import services
from events.models import Open311Client
from events.open311 import REQUEST_FIELDS

pytestmark = pytest.mark.django_db
BASE = "/open311/v2"


@pytest.fixture
def cases(world):
    made = []
    for i in range(7):
        made.append(
            services.event_log(
                actor=world.governor,
                block=world.block,
                category=world.category,
                description=f"第{i}件：占道摆摊，联系电话13812345678",
                reporter_phone="13912345678",
            )  # fmt: skip
        )
    services.event_invalidate(actor=world.governor, event_id=made[0].pk, reason="重复")
    return made


def test_discovery_and_services_in_both_formats(client, world):
    body = client.get(f"{BASE}/discovery.json").json()
    assert body["endpoints"][0]["specification"] == "http://wiki.open311.org/GeoReport_v2"
    xml = ElementTree.fromstring(client.get(f"{BASE}/discovery.xml").content)
    assert xml.tag == "discovery" and xml.find("endpoints/endpoint/url").text.endswith(
        "/open311/v2/"
    )
    services_json = client.get(f"{BASE}/services.json").json()
    vending = next(s for s in services_json if s["service_code"] == "city-street-vending")
    assert vending["service_name"] == "占道经营" and vending["group"] == "市容环境"
    assert isinstance(vending["service_code"], str) and vending["metadata"] is False
    services_xml = ElementTree.fromstring(client.get(f"{BASE}/services.xml").content)
    assert len(services_xml.findall("service")) == len(services_json)
    definition = client.get(f"{BASE}/services/city-street-vending.json").json()
    assert definition == {"service_code": "city-street-vending", "attributes": []}
    xml = ElementTree.fromstring(client.get(f"{BASE}/services/city-street-vending.xml").content)
    assert xml.find("service_code").text == "city-street-vending"
    missing = client.get(f"{BASE}/services/nope.json")
    assert missing.status_code == 404 and missing.json()[0]["code"] == 404


def test_requests_carry_every_field_and_no_personal_data(client, cases):
    rows = client.get(f"{BASE}/requests.json").json()
    assert len(rows) == 7
    for row in rows:
        assert list(row) == REQUEST_FIELDS
        assert isinstance(row["service_request_id"], str)
        assert "13812345678" not in row["description"] and "138****5678" in row["description"]
        assert "13912345678" not in str(row)
    open_row = next(r for r in rows if r["service_request_id"] == cases[1].number)
    assert open_row["status"] == "open" and open_row["expected_datetime"].endswith("+08:00")
    closed = next(r for r in rows if r["service_request_id"] == cases[0].number)
    assert closed["status"] == "closed" and "重复" in closed["status_notes"]
    xml = ElementTree.fromstring(client.get(f"{BASE}/requests.xml").content)
    first = xml.find("request")
    assert [child.tag for child in first] == REQUEST_FIELDS
    assert first.find("zipcode").text is None  # present, empty


def test_filters_and_paging_stop_at_the_end(client, cases):
    assert len(client.get(f"{BASE}/requests.json", {"status": "closed"}).json()) == 1
    assert len(client.get(f"{BASE}/requests.json", {"status": "open"}).json()) == 6
    one = client.get(f"{BASE}/requests.json", {"service_request_id": cases[3].number}).json()
    assert [r["service_request_id"] for r in one] == [cases[3].number]
    seen, page = [], 1
    while True:
        rows = client.get(f"{BASE}/requests.json", {"page": page, "page_size": 3}).json()
        if not rows:
            break
        seen += [r["service_request_id"] for r in rows]
        page += 1
    assert page == 4 and sorted(seen) == sorted(c.number for c in cases)
    bad = client.get(f"{BASE}/requests.json", {"start_date": "yesterday"})
    assert bad.status_code == 400 and "start_date" in bad.json()[0]["description"]
    detail = client.get(f"{BASE}/requests/{cases[2].number}.xml")
    assert (
        ElementTree.fromstring(detail.content).find("request/service_request_id").text
        == cases[2].number
    )
    assert client.get(f"{BASE}/requests/NOPE.json").status_code == 404


def test_post_needs_a_key_and_lands_in_the_block_of_its_address(client, world):
    data = {"service_code": "city-street-vending", "description": "门口摆摊", "phone": "13700001111",
            "address_id": world.block.code}  # fmt: skip
    refused = client.post(f"{BASE}/requests.json", data)
    assert refused.status_code == 403 and refused.json()[0]["code"] == 403
    Open311Client.objects.create(name="市民 App", api_key="k" * 32)
    created = client.post(f"{BASE}/requests.json", {**data, "api_key": "k" * 32})
    assert created.status_code == 201
    row = created.json()[0]
    from events.models import Event

    event = Event.objects.get(number=row["service_request_id"])
    assert (
        event.block == world.block and event.channel == "self_report" and event.status == "pending"
    )
    assert (
        client.get(f"{BASE}/tokens/{row['token']}.json").json()[0]["service_request_id"]
        == event.number
    )
    by_address = client.post(
        f"{BASE}/requests.xml",
        {"api_key": "k" * 32, "service_code": "city-street-vending", "description": "又有人摆摊",
         "address_string": "白石社区第2区块门口"},
    )  # fmt: skip
    assert by_address.status_code == 201
    number = ElementTree.fromstring(by_address.content).find("request/service_request_id").text
    assert Event.objects.get(number=number).block == world.neighbour_block
    nowhere = client.post(f"{BASE}/requests.json", {**data, "api_key": "k" * 32, "address_id": "1"})
    assert nowhere.status_code == 400
