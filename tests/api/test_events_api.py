"""/api/events/: log, list (filters, ordering, pages), detail with timeline and clocks,
masking, and the caller's scope (an out-of-scope case is a 404)."""

from __future__ import annotations

import io
from datetime import timedelta

import pytest
import time_machine
from django.utils import timezone
from PIL import Image

from blocks.models import Department, DepartmentMember
from events import services
from events.models import Channel, ClockKind, Event, Status
from governance.models import AuditEntry
from tests.api.conftest import logged, pending
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

INTAKE = {
    "block": "430302001001001",
    "category": "city-street-vending",
    "description": "东门有人占道摆摊，堵住了人行道",
    "reporter_phone": "13812345678",
    "reporter_name": "王女士",
    "building": "3栋",
}


def png(name="photo.png") -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (40, 30), "red").save(buffer, "PNG")
    buffer.seek(0)
    buffer.name = name
    return buffer


def test_a_governor_logs_a_case_and_follows_it(world, api):
    client = api(world.governor)
    created = client.post("/api/events/", INTAKE, format="json")
    assert created.status_code == 201, created.json()
    body = created.json()
    # Staff who log a request have answered it (一呼即应): it is theirs, in the block.
    assert body["status"] == Status.IN_BLOCK and body["channel"] == Channel.BLOCK_STAFF
    assert body["block"] == world.block.code and body["category"] == "city-street-vending"
    assert body["priority"] == world.category.default_priority
    assert body["reporter_phone"] == "138****5678"
    assert created["Location"] == f"/api/events/{body['number']}/"
    assert len(body["tracking_code"]) == 10  # for the resident to follow it
    assert body["handler"] and body["block_name"] == world.block.name
    # Follow it: the case's page in the API has its story and its clocks.
    body = client.get(created["Location"]).json()
    assert [e["action"] for e in body["timeline"]] == ["log"]
    clocks = {c["kind"]: c for c in body["clocks"]}
    assert clocks[ClockKind.RESPOND]["state"] == "met"
    assert clocks[ClockKind.RESPOND]["stopped_at"] is not None
    assert clocks[ClockKind.RESOLVE]["state"] == "running"
    assert clocks[ClockKind.RESOLVE]["breached_at"] is None
    assert set(clocks[ClockKind.RESOLVE]) >= {
        "kind", "started_at", "due_at", "stopped_at", "breached_at", "state"
    }  # fmt: skip
    assert "resolve" in body["actions"] and "whistle" in body["actions"]

    # Follow it: by case number and by id, the same case.
    by_number = client.get(f"/api/events/{body['number']}/").json()
    by_id = client.get(f"/api/events/{body['id']}/").json()
    assert by_number == by_id
    resolved = client.post(
        f"/api/events/{body['number']}/resolve/", {"note": "已劝离，恢复通行"}, format="json"
    )
    assert resolved.status_code == 200, resolved.json()
    assert resolved.json()["status"] == Status.AWAITING_VERIFICATION
    assert [e["action"] for e in resolved.json()["timeline"]] == ["log", "resolve"]


def test_logging_with_photos_through_multipart(world, api):
    response = api(world.governor).post(
        "/api/events/", {**INTAKE, "photos": [png("a.png"), png("b.png")]}, format="multipart"
    )
    assert response.status_code == 201, response.json()
    event = Event.objects.get(number=response.json()["number"])
    assert event.photos.count() == 2
    detail = api(world.governor).get(response["Location"]).json()
    assert [p["stage"] for p in detail["photos"]] == ["report", "report"]
    assert all(p["url"] and p["thumbnail_url"] for p in detail["photos"])


def test_logging_is_checked_like_the_workbench_form(world, api):
    client = api(world.governor)
    cases = [
        ({"description": ""}, "description"),
        ({"reporter_phone": "call me"}, "reporter_phone"),
        ({"block": world.far_block.code}, "block"),  # another street's block: not offered
        ({"block": world.street.code}, "block"),  # not a block
        ({"category": "no-such-matter"}, "category"),
        ({"category": "city"}, "category"),  # a group, not a matter
        ({"priority": "purple"}, "priority"),
    ]
    for change, field in cases:
        response = client.post("/api/events/", {**INTAKE, **change}, format="json")
        assert response.status_code == 400, (change, response.json())
        assert response.json()["code"] == "invalid"
        assert field in response.json()["errors"], (change, response.json())
    bad_photo = io.BytesIO(b"not an image at all")
    bad_photo.name = "x.png"
    response = client.post("/api/events/", {**INTAKE, "photos": [bad_photo]}, format="multipart")
    assert response.status_code == 400 and response.json()["code"] == "invalid"
    assert Event.objects.count() == 0


def test_who_may_log_a_case(world, api):
    # The leader sees the block but only reads (403); a neighbour does not see it (400:
    # the block is not one they may choose); anonymous callers must sign in (401).
    assert api(world.leader).post("/api/events/", INTAKE, format="json").status_code == 403
    refused = api(world.neighbour).post("/api/events/", INTAKE, format="json")
    assert refused.status_code == 400 and "block" in refused.json()["errors"]
    assert api().post("/api/events/", INTAKE, format="json").status_code == 401
    # A supervisor's finding waits for the block to take it on.
    found = api(world.supervisor).post("/api/events/", INTAKE, format="json")
    assert found.status_code == 201
    assert found.json()["status"] == Status.PENDING
    assert found.json()["channel"] == Channel.SUPERVISOR
    assert Event.objects.count() == 1


def test_an_out_of_scope_case_is_not_found(world, api, depts):
    event = logged(world)
    outsider_dept = Department.objects.create(district=world.district, code="mzj", name="民政")
    officer = UserFactory(username="mzj-officer")
    DepartmentMember.objects.create(department=outsider_dept, user=officer)
    for user in (world.governor, world.assistant, world.supervisor, world.dispatcher,
                 world.leader):  # fmt: skip
        client = api(user)
        assert client.get(f"/api/events/{event.number}/").status_code == 200, user
        assert [e["number"] for e in client.get("/api/events/").json()["results"]] == [event.number]
    for user in (world.neighbour, world.far_governor, world.other_dispatcher, officer,
                 depts.cgzf.officer):  # fmt: skip
        client = api(user)
        for url in (f"/api/events/{event.number}/", f"/api/events/{event.pk}/"):
            response = client.get(url)
            assert response.status_code == 404, (user, url)
            assert response.json()["code"] == "not_found"
        assert client.get("/api/events/").json()["count"] == 0
    assert api().get(f"/api/events/{event.number}/").status_code == 401
    # 督办 is the one write a leader has (DESIGN §6): no transition of the case.
    assert api(world.leader).get(f"/api/events/{event.number}/").json()["actions"] == ["supervise"]


def test_phones_are_masked_and_revealed_only_to_the_handler_with_a_reason(world, api):
    event = logged(world)
    for user in (world.governor, world.supervisor, world.leader, world.dispatcher):
        detail = api(user).get(f"/api/events/{event.number}/").json()
        assert detail["reporter_phone"] == "138****5678", user
        listed = api(user).get("/api/events/").json()["results"][0]
        assert listed["reporter_phone"] == "138****5678"
        assert "13812345678" not in str(detail)
    url = f"/api/events/{event.number}/reveal_phone/"
    assert api(world.governor).get(f"/api/events/{event.number}/").json()["handles"] is True
    assert api(world.governor).post(url, {"reason": ""}, format="json").status_code == 400
    revealed = api(world.governor).post(url, {"reason": "回访居民"}, format="json")
    assert revealed.status_code == 200 and revealed.json() == {
        "reporter_phone": "13812345678",
        "phones_in_text": [],
    }
    entry = AuditEntry.objects.get(action=AuditEntry.Action.REVEAL)
    assert entry.actor == world.governor and entry.object_id == event.number
    for user in (world.supervisor, world.leader, world.dispatcher):
        assert api(user).post(url, {"reason": "想看"}, format="json").status_code == 403, user
    assert api(world.neighbour).post(url, {"reason": "想看"}, format="json").status_code == 404
    assert AuditEntry.objects.filter(action=AuditEntry.Action.REVEAL).count() == 1


def test_filters_ordering_and_pages(world, api):
    start = timezone.now() - timedelta(days=3)
    with time_machine.travel(start, tick=False):
        old = pending(world, description="三天前的")
    red = logged(world, description="井盖丢了")
    services.event_recategorize(actor=world.governor, event_id=red.pk, category=world.red_category)
    hotline_case = services.event_log(
        actor=world.neighbour, block=world.neighbour_block, category=world.category,
        description="12345 转来的", channel=Channel.HOTLINE,
    )  # fmt: skip
    closed = logged(world, description="已经办完的")
    services.event_resolve(actor=world.governor, event_id=closed.pk, note="done")
    client = api(world.dispatcher)

    def numbers(query: str) -> set[str]:
        response = client.get(f"/api/events/?{query}")
        assert response.status_code == 200, (query, response.json())
        return {e["number"] for e in response.json()["results"]}

    assert numbers("status=pending") == {old.number, hotline_case.number}
    assert numbers("status=pending&status=awaiting_verification") == {
        old.number, hotline_case.number, closed.number
    }  # fmt: skip
    assert numbers("priority=red") == {red.number}
    assert numbers("category=infra-manhole") == {red.number}
    assert numbers("category=infra") == {red.number}  # a group covers its matters
    assert numbers(f"area={world.neighbour_block.code}") == {hotline_case.number}
    assert numbers("area=430302001001") == {old.number, red.number, hotline_case.number,
                                            closed.number}  # fmt: skip
    assert numbers("channel=hotline") == {hotline_case.number}
    since = (start + timedelta(days=1)).isoformat()
    assert numbers(f"created_to={since.replace('+', '%2B')}") == {old.number}
    assert old.number not in numbers(f"created_from={since.replace('+', '%2B')}")
    assert numbers(f"updated_to={since.replace('+', '%2B')}") == {old.number}
    assert old.number not in numbers(f"updated_from={since.replace('+', '%2B')}")
    assert numbers("overdue=true") == {old.number}  # its 15 minutes ran out days ago
    assert old.number not in numbers("overdue=false")
    assert numbers("open=false") == set()
    assert numbers("q=井盖") == {red.number}
    bad = client.get("/api/events/?status=nonsense")
    assert bad.status_code == 400 and bad.json()["code"] == "invalid"

    newest_first = client.get("/api/events/").json()["results"]
    assert newest_first[-1]["number"] == old.number
    oldest_first = client.get("/api/events/?ordering=created_at").json()["results"]
    assert oldest_first[0]["number"] == old.number
    page = client.get("/api/events/?page_size=2&ordering=created_at").json()
    assert page["count"] == 4 and len(page["results"]) == 2 and page["next"]
    second = client.get(page["next"]).json()
    assert len(second["results"]) == 2 and second["previous"]
    seen = [e["number"] for e in page["results"] + second["results"]]
    assert len(set(seen)) == 4
    assert client.get("/api/events/?page=9").status_code == 404


def test_logging_a_case_takes_as_many_queries_however_full_the_district(world, api):
    """DESIGN §9: intake's queries do not grow with the rows (bench/intake.py times it)."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = api(world.governor)
    client.post("/api/events/", INTAKE, format="json")  # the token and caches warmed
    with CaptureQueriesContext(connection) as empty:
        assert client.post("/api/events/", INTAKE, format="json").status_code == 201
    for i in range(15):
        logged(world, description=f"第{i}件")
    with CaptureQueriesContext(connection) as full:
        created = client.post("/api/events/", INTAKE, format="json")
    assert created.status_code == 201
    # At most 20: the time limits are one query and the first two clocks one insert.
    assert len(full.captured_queries) == len(empty.captured_queries) <= 20
    # Its two clocks: answered as it was logged, and the resolve clock running.
    clocks = {c["kind"]: c for c in client.get(created["Location"]).json()["clocks"]}
    assert clocks[ClockKind.RESPOND]["state"] == "met"
    assert clocks[ClockKind.RESOLVE]["state"] == "running"


def test_lists_take_a_constant_number_of_queries(world, api, django_assert_max_num_queries):
    for i in range(3):
        logged(world, description=f"第{i}件")
    client = api(world.dispatcher)
    client.get("/api/events/")
    with django_assert_max_num_queries(8):
        small = client.get("/api/events/")
    for i in range(10):
        logged(world, description=f"又一件{i}")
    with django_assert_max_num_queries(8):
        large = client.get("/api/events/")
    assert small.json()["count"] == 3 and large.json()["count"] == 13
