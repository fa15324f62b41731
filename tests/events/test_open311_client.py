"""A published Open311 client reads us (issue 19): boston311 from PyPI, against a live server.

boston311 was written for one city: its address is the module constant
``boston311.api.BOSTON_API_ENDPOINT``, which we point at the live server as any user of it
outside Boston must. Its records are pydantic models that insist on what GeoReport promises
(``lat``/``long`` are numbers, times parse, status is open or closed), so a request without
a point fails the whole page. The library asks for no page number: it walks back through
``end_date`` instead, as a client that keeps to the specification must; the numbered pages
(our ``page`` parameter) are read with the same library's model of a page.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import boston311.api
import pytest
import requests
from boston311.datamodels import ServiceRequests, Status

from events import services
from events.open311 import PAGE_SIZE

pytestmark = pytest.mark.django_db(transaction=True)
CASES = 2 * PAGE_SIZE + 17  # three pages, the last one short
CENTRE = (27.8555, 112.9055)


@pytest.fixture
def endpoint(live_server, monkeypatch) -> str:
    url = f"{live_server.url}/open311/v2/"
    monkeypatch.setattr(boston311.api, "BOSTON_API_ENDPOINT", url)
    return url


@pytest.fixture
def logged(world) -> list:
    """Cases logged by block staff (no point of their own), a minute apart."""
    world.block.centre_lat, world.block.centre_lon = CENTRE
    world.block.save()
    start = datetime(2026, 11, 2, 9, 0, tzinfo=ZoneInfo("Asia/Shanghai"))
    made = [
        services.event_log(
            actor=world.governor,
            block=world.block,
            category=world.category,
            description=f"第{i}件：占道摆摊",
            now=start + timedelta(minutes=i),
        )  # fmt: skip
        for i in range(CASES)
    ]
    services.event_invalidate(actor=world.governor, event_id=made[0].pk, reason="重复")
    return made


def test_boston311_reads_every_page_of_requests_json(endpoint, logged, world):
    numbers = {event.number for event in logged}
    offered = boston311.api.get_services()
    assert offered.get_service_name(world.category.code) == world.category.name

    # Every numbered page, each parsed whole by boston311's model of a page.
    pages, page = [], 1
    while True:
        response = requests.get(f"{endpoint}requests.json", params={"page": page}, timeout=30)
        assert response.status_code == 200
        parsed = ServiceRequests(service_requests=response.json())
        if not len(parsed):
            break
        pages.append([r.service_request_id for r in parsed.service_requests])
        page += 1
    assert [len(p) for p in pages] == [PAGE_SIZE, PAGE_SIZE, 17]
    assert sorted(sum(pages, [])) == sorted(numbers)

    # The library's own call, moving end_date back past the oldest request of each page.
    read, cursor, calls = {}, None, 0
    while True:
        batch = boston311.api.get_service_requests(end_date=cursor)
        calls += 1
        new = [r for r in batch.service_requests if r.service_request_id not in read]
        if not new:
            break
        read.update((r.service_request_id, r) for r in new)
        cursor = min(r.requested_datetime for r in batch.service_requests)
    assert set(read) == numbers and calls > 3
    assert {(r.lat, r.long) for r in read.values()} == {CENTRE}
    assert {r.status for r in read.values()} == {Status.OPEN, Status.CLOSED}

    closed = boston311.api.get_service_requests(status=Status.CLOSED)
    assert [r.service_request_id for r in closed.service_requests] == [logged[0].number]
    one = boston311.api.get_service_request(logged[5].number)
    assert one.service_request_id == logged[5].number and (one.lat, one.long) == CENTRE
