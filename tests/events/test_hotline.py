"""12345 transfers imported in a batch: all or nothing, never twice, with a report."""

from __future__ import annotations

import io

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from events.models import Event
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
HEADER = ["工单编号", "来电时间", "来电人", "联系电话", "诉求地址", "诉求内容", "事项", "区块编码"]


def xlsx(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(HEADER)
    for row in rows:
        sheet.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile("transfers.xlsx", buffer.getvalue())


def good(world, number="GD20261124001"):
    return [
        number,
        "2026-11-24 09:30",
        "刘女士",
        "13812345678",
        "白石社区",
        "楼下烧烤油烟大",
        "油烟污染",
        world.block.code,
    ]


def test_a_bad_row_imports_nothing_and_the_report_names_it(client, world):
    client.login(username="dispatcher", password=PASSWORD)
    bad = [
        "GD20261124002",
        "2026-11-24 09:40",
        "王先生",
        "13900001111",
        "",
        "噪音",
        "不存在的事项",
        "",
    ]
    response = client.post("/events/hotline/", {"file": xlsx([good(world), bad])})
    html = response.content.decode()
    assert Event.objects.count() == 0
    assert "不存在的事项" in html and 'data-outcome="error"' in html
    report = load_workbook(io.BytesIO(client.get("/events/hotline/report.xlsx").content)).active
    rows = list(report.iter_rows(values_only=True))
    assert rows[2][0] == 3 and "不存在的事项" in rows[2][3]


def test_good_rows_land_pending_in_their_block_and_are_never_imported_twice(client, world):
    client.login(username="dispatcher", password=PASSWORD)
    client.post("/events/hotline/", {"file": xlsx([good(world)])})
    event = Event.objects.get()
    assert (event.channel, event.external_number, event.status) == (
        "hotline",
        "GD20261124001",
        "pending",
    )
    assert event.block == world.block and event.deadlines.get(kind="respond")
    again = client.post(
        "/events/hotline/", {"file": xlsx([good(world), good(world, "GD20261124003")])}
    )
    assert Event.objects.count() == 2
    assert 'data-outcome="skipped"' in again.content.decode()


def test_outside_the_street_is_refused(client, world):
    client.login(username="other_dispatcher", password=PASSWORD)
    response = client.post("/events/hotline/", {"file": xlsx([good(world)])})
    assert Event.objects.count() == 0 and 'data-outcome="error"' in response.content.decode()
    client.login(username="leader", password=PASSWORD)
    assert client.get("/events/hotline/").status_code == 404
