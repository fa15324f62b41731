"""12345 transfers through the API: JSON rows in the hotline's columns, all or nothing, a
row-by-row report, rows already imported skipped (events/hotline.py does the work)."""

from __future__ import annotations

import pytest

from events.models import Channel, Event, Status

pytestmark = pytest.mark.django_db


def row(world, number="GD20261124001", **change) -> dict:
    return {
        "number": number, "called_at": "2026-11-24T09:30:00+08:00", "name": "刘女士",
        "phone": "13812345678", "address": "白石社区", "description": "楼下烧烤油烟大",
        "matter": "油烟污染", "block_code": world.block.code, **change,
    }  # fmt: skip


def test_a_batch_is_imported_with_a_report_and_never_twice(world, api):
    client = api(world.dispatcher)
    rows = [row(world), row(world, "GD20261124002", description="夜间施工噪音", matter="噪音扰民")]
    response = client.post("/api/hotline/import/", {"rows": rows})
    assert response.status_code == 201, response.json()
    report = response.json()
    assert (report["imported"], report["skipped"], report["errors"]) == (2, 0, 0)
    assert [r["row"] for r in report["rows"]] == [1, 2]
    assert all(r["outcome"] == "imported" and r["case_number"] for r in report["rows"])
    events = Event.objects.filter(channel=Channel.HOTLINE).order_by("external_number")
    assert [e.external_number for e in events] == ["GD20261124001", "GD20261124002"]
    # A hotline transfer waits for the block to take it on (its 15 minutes run).
    assert {e.status for e in events} == {Status.PENDING}
    detail = client.get(f"/api/events/{report['rows'][0]['case_number']}/").json()
    assert detail["channel"] == "hotline" and detail["reporter_phone"] == "138****5678"
    assert detail["external_number"] == "GD20261124001"

    # Sent again with one new row: the known ones are skipped, the new one imported.
    again = client.post(
        "/api/hotline/import/", {"rows": [*rows, row(world, "GD20261124003")]}
    ).json()
    assert (again["imported"], again["skipped"]) == (1, 2)
    assert Event.objects.count() == 3
    all_known = client.post("/api/hotline/import/", {"rows": rows})
    assert all_known.status_code == 200 and all_known.json()["imported"] == 0


def test_a_bad_row_imports_nothing_and_the_report_names_it(world, api):
    rows = [
        row(world),
        row(world, "GD20261124002", matter="不存在的事项"),
        row(world, "GD20261124003", block_code=world.far_block.code),  # another street's
        row(world, "", description="没有编号"),
        row(world, "GD20261124005", called_at="昨天"),
    ]
    response = api(world.dispatcher).post("/api/hotline/import/", {"rows": rows})
    assert response.status_code == 400
    body = response.json()
    assert body["code"] == "invalid" and body["message"]
    outcomes = [(r["row"], r["outcome"]) for r in body["report"]["rows"]]
    assert outcomes == [(1, "checked"), (2, "error"), (3, "error"), (4, "error"), (5, "error")]
    assert "不存在的事项" in body["errors"]["2"][0]
    assert set(body["errors"]) == {"2", "3", "4", "5"}
    assert Event.objects.count() == 0


def test_who_may_import(world, depts, api):
    rows = {"rows": [row(world)]}
    assert api(world.leader).post("/api/hotline/import/", rows).status_code == 403
    assert api(world.supervisor).post("/api/hotline/import/", rows).status_code == 403
    assert api(depts.cgzf.officer).post("/api/hotline/import/", rows).status_code == 403
    assert api().post("/api/hotline/import/", rows).status_code == 401
    # Another street's dispatcher may import, but not into this street's block.
    other = api(world.other_dispatcher).post("/api/hotline/import/", rows)
    assert other.status_code == 400 and other.json()["report"]["rows"][0]["outcome"] == "error"
    assert api(world.dispatcher).post("/api/hotline/import/", {"rows": []}).status_code == 400
    assert Event.objects.count() == 0
    assert api(world.governor).post("/api/hotline/import/", rows).status_code == 201


def test_a_retried_import_replays_its_report(world, api):
    client = api(world.dispatcher)
    rows = {"rows": [row(world)]}
    first = client.post("/api/hotline/import/", rows, HTTP_IDEMPOTENCY_KEY="batch-7")
    retry = client.post("/api/hotline/import/", rows, HTTP_IDEMPOTENCY_KEY="batch-7")
    assert first.status_code == retry.status_code == 201
    assert retry.json() == first.json() and retry.json()["imported"] == 1
    assert Event.objects.count() == 1
