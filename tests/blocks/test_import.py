"""Import of communities and blocks: row by row, all or nothing, a report with row and
reason in Chinese, a Celery task with a progress page for large files."""

from __future__ import annotations

import csv
import io
import json

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from openpyxl import Workbook, load_workbook

from blocks import geo, imports
from blocks.models import Area, TerritoryImport
from governance.celery import app as celery_app
from governance.models import AuditEntry
from tests.blocks.conftest import square
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db
HEADER = ["编码", "上级编码", "名称", "户数", "边界"]


def csv_file(rows, name="areas.csv"):
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerow(HEADER)
    writer.writerows(rows)
    return SimpleUploadedFile(name, buffer.getvalue().encode("utf-8-sig"), "text/csv")


def xlsx_file(rows, name="areas.xlsx"):
    workbook = Workbook()
    workbook.active.append(HEADER)
    for row in rows:
        workbook.active.append(row)
    buffer = io.BytesIO()
    workbook.save(buffer)
    return SimpleUploadedFile(name, buffer.getvalue())


def good_rows(world):
    c = world.street.code + "009"
    return [
        [f"{c}001", c, "新建区块甲", "320", json.dumps(square(112.80, 27.80))],
        [c, world.street.code, "新建社区", "", ""],  # its community after it: order is free
        [f"{c}002", c, "新建区块乙", 310, ""],
        [world.block.code, world.community.code, "白石社区第1区块（更名）", "355", ""],
    ]


def login(client, user):
    assert client.login(username=user.username, password=PASSWORD)


def snapshot():
    return list(Area.objects.order_by("code").values_list("code", "name", "households"))


def test_a_file_with_a_bad_row_changes_nothing_and_says_which_row_and_why(
    client, world, street_admin
):
    before = snapshot()
    rows = (
        good_rows(world)
        + [
            [world.street.code + "009003", world.street.code + "009", "", "300", ""],  # row 6
            [world.far_block.code[:-3] + "005", world.other_community.code, "别人的区块", "", ""],
            ["430302001009004", "430302001009", "户数不对", "三百", ""],
            ["430302001009005", "430302001009", "边界不对", "", '{"type": "Point"}'],
            ["4303020010", "430302001", "位数不对", "", ""],
        ]
    )
    login(client, street_admin)
    response = client.post(f"/areas/{world.street.code}/import/", {"file": csv_file(rows)})
    assert response.status_code == 302
    job = TerritoryImport.objects.get()
    assert job.status == TerritoryImport.Status.REJECTED
    assert snapshot() == before
    errors = {line["row"]: line["message"] for line in job.report if line["outcome"] == "error"}
    assert errors == {
        6: "名称为空。",
        7: "430302002001005 不在本次导入的区域之下。",
        8: "户数必须是非负整数。",
        9: "边界不是 GeoJSON 面（Polygon）或多面（MultiPolygon）。",
        10: "编码应为12位（社区）、15位（区块）、18位（小区）或21位（楼栋），此编码为10位。",
    }
    page = client.get(response["Location"]).content.decode()
    assert "5 行有误，未导入任何数据" in page and "户数必须是非负整数" in page
    report = client.get(f"/areas/imports/{job.pk}/report.xlsx")
    sheet = load_workbook(io.BytesIO(report.content)).active
    lines = list(sheet.iter_rows(values_only=True))
    assert lines[0] == ("行号", "编码", "名称", "结果", "原因")
    assert (8, "430302001009004", "户数不对", "有错误", "户数必须是非负整数。") in lines
    assert lines[1][3] == "无误" and "因其他行有错误" in lines[1][4]
    text = client.get(f"/areas/imports/{job.pk}/report.csv").content.decode("utf-8-sig")
    assert "10,4303020010,位数不对,有错误," in text


def test_a_good_file_is_imported_in_one_go_and_audited(client, world, street_admin):
    login(client, street_admin)
    response = client.post(
        f"/areas/{world.street.code}/import/", {"file": xlsx_file(good_rows(world))}
    )
    job = TerritoryImport.objects.get()
    assert job.status == TerritoryImport.Status.DONE, job.report
    assert (job.created_count, job.updated_count) == (3, 1)
    community = Area.objects.get(code=world.street.code + "009")
    block = Area.objects.get(code=world.street.code + "009001")
    assert block.parent == community and block.households == 320
    assert block.level == Area.Level.BLOCK and block.centre_lat == pytest.approx(27.805)
    world.block.refresh_from_db()
    assert world.block.name == "白石社区第1区块（更名）" and world.block.households == 355
    assert geo.block_at(27.805, 112.805) == block
    assert "新建 3 个区域，更新 1 个" in client.get(response["Location"]).content.decode()
    assert AuditEntry.objects.filter(object_type="territory_import", reason="import").exists()
    # The same file again: nothing new, nothing doubled.
    client.post(f"/areas/{world.street.code}/import/", {"file": xlsx_file(good_rows(world))})
    assert Area.objects.filter(code__startswith=world.street.code + "009").count() == 3


def test_a_large_file_runs_in_celery_with_a_progress_page(
    client, world, street_admin, django_capture_on_commit_callbacks
):
    c = world.street.code + "009"
    rows = [[c, world.street.code, "大社区", "", ""]]
    rows += [[f"{c}{n:03d}", c, f"第{n}区块", 350, ""] for n in range(1, imports.INLINE_ROWS + 5)]
    login(client, street_admin)
    celery_app.conf.task_always_eager = True
    try:
        # The task is sent when the request's transaction commits, so the worker finds the row.
        with django_capture_on_commit_callbacks(execute=False) as callbacks:
            response = client.post(f"/areas/{world.street.code}/import/", {"file": csv_file(rows)})
        job = TerritoryImport.objects.get()
        assert job.status == TerritoryImport.Status.QUEUED and len(callbacks) == 1
        page = client.get(response["Location"]).content.decode()
        assert 'hx-trigger="every 1s"' in page and "排队中" in page
        callbacks[0]()
    finally:
        celery_app.conf.task_always_eager = False
    job.refresh_from_db()
    assert job.status == TerritoryImport.Status.DONE and job.created_count == len(rows)
    partial = client.get(
        f"/areas/imports/{job.pk}/", headers={"HX-Request": "true"}
    ).content.decode()
    assert 'data-status="done"' in partial and "hx-trigger" not in partial
    assert "<html" not in partial


def test_the_progress_bar_polls_until_the_import_is_finished(client, world, street_admin):
    login(client, street_admin)
    job = TerritoryImport.objects.create(
        created_by=street_admin, area=world.street, file_name="big.csv", rows=[], total=1000,
        checked=250, status=TerritoryImport.Status.CHECKING,
    )  # fmt: skip
    page = client.get(f"/areas/imports/{job.pk}/").content.decode()
    assert (
        'hx-trigger="every 1s"' in page and 'value="25"' in page and "已校验 250 / 1000 行" in page
    )
    assert client.get(f"/areas/imports/{job.pk}/report.xlsx").status_code == 404


def test_imports_are_for_street_admins_of_that_street(
    client, world, street_admin, other_street_admin
):
    for user, status in ((world.governor, 404), (world.dispatcher, 403), (world.leader, 403)):
        login(client, user)
        response = client.post(f"/areas/{world.street.code}/import/", {"file": csv_file([])})
        assert response.status_code == status
    login(client, other_street_admin)
    assert client.get(f"/areas/{world.street.code}/import/").status_code == 404
    login(client, street_admin)
    job = TerritoryImport.objects.create(
        created_by=street_admin, area=world.street, file_name="x.csv"
    )
    login(client, other_street_admin)
    assert client.get(f"/areas/imports/{job.pk}/").status_code == 404
    response = client.post(
        f"/areas/{world.street.code}/import/", {"file": SimpleUploadedFile("a.txt", b"hello")}
    )
    assert response.status_code == 404  # another street's page is out of scope
    login(client, street_admin)
    response = client.post(
        f"/areas/{world.street.code}/import/", {"file": SimpleUploadedFile("a.txt", b"hello")}
    )
    assert response.status_code == 200 and ".xlsx" in response.content.decode()
    assert TerritoryImport.objects.count() == 1


def test_compounds_and_buildings_import_and_a_point_finds_the_smallest_area(
    client, world, street_admin
):
    """三基三元 (seed 003): 18-digit compounds under a block, 21-digit buildings under a
    compound; a point is placed in the smallest area drawn around it, and in its block."""
    c = world.street.code + "009"
    rows = [
        [c, world.street.code, "新建社区", "", ""],
        [f"{c}001", c, "新建区块甲", "320", json.dumps(square(112.80, 27.80))],
        [f"{c}001001", f"{c}001", "桃园小区", "120", json.dumps(square(112.802, 27.802, 0.004))],
        [f"{c}001001001", f"{c}001001", "桃园小区3栋", "24",
         json.dumps(square(112.803, 27.803, 0.001))],
    ]  # fmt: skip
    login(client, street_admin)
    client.post(f"/areas/{world.street.code}/import/", {"file": xlsx_file(rows)})
    job = TerritoryImport.objects.get()
    assert job.status == TerritoryImport.Status.DONE, job.report
    building = Area.objects.get(code=f"{c}001001001")
    assert building.level == Area.Level.BUILDING and building.parent.level == Area.Level.COMPOUND
    block = Area.objects.get(code=f"{c}001")
    assert geo.place_at(27.8035, 112.8035) == building
    assert geo.place_at(27.8055, 112.8055) == Area.objects.get(code=f"{c}001001")
    assert geo.place_at(27.801, 112.801) == block
    assert geo.block_at(27.8035, 112.8035) == block  # the case still lands in its block


def test_a_building_under_a_block_is_refused_with_the_reason(client, world, street_admin):
    rows = [[world.block.code + "001", world.block.code, "楼栋", "", ""],
            [world.block.code + "001001", world.block.code, "错挂楼栋", "", ""]]  # fmt: skip
    login(client, street_admin)
    client.post(f"/areas/{world.street.code}/import/", {"file": xlsx_file(rows)})
    job = TerritoryImport.objects.get()
    assert job.status != TerritoryImport.Status.DONE
    assert not Area.objects.filter(code__startswith=world.block.code + "001").exists()
