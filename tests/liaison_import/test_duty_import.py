"""Duty-list import (issue 5): upsert by item number, all or nothing, a row-by-row report
(in Chinese for Chinese users), the template and the current list to download, the audit
entry, the command, and who may do it."""

from __future__ import annotations

import io

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import load_workbook

from events import duty_lists, selectors, services
from events.models import DutyItem, StreetDutyItem
from governance.models import AuditEntry
from tests.factories import PASSWORD
from tests.liaison_import.conftest import DUTY_HEADER, STREET_HEADER, csv_file, xlsx_file

pytestmark = pytest.mark.django_db


def state(world):
    return [
        (i.number, i.matter, i.category_code, i.lead.code,
         sorted(d.code for d in i.cooperating.all()), i.note)
        for i in DutyItem.objects.filter(district=world.district).order_by("number")
    ]  # fmt: skip


def run(world, actor, rows, kind="duty", **options):
    header = DUTY_HEADER if kind == "duty" else STREET_HEADER
    return duty_lists.duty_list_import_file(
        actor=actor, district=world.district, kind=kind, upload=xlsx_file(rows, header), **options
    )


GOOD = [
    # item 1 exists (城管 lead, 市场监管 + 公安): now 公安 no longer cooperates, 住建 does
    [1, "占道经营、店外经营的查处", "city-street-vending", "城管执法", "市场监管、住建", ""],
    # names, short names and codes; the separators clerks use
    [2, "窨井盖缺失、破损的处置", "infra-manhole", "zjj", "城管执法，公安;市场监管", "24小时"],
    [3, "户外广告设置的审批和监管", "", "城管执法", "", ""],
    # a category given by its name as the category list shows it
    [4, "违法建设的查处", "市容环境 › 违章搭建", "城管执法", "住建", ""],
]


def test_a_good_file_adds_and_updates_and_a_second_import_changes_nothing(
    world, depts, district_admin
):
    report = run(world, district_admin, GOOD)
    assert not report.errors
    assert [r.outcome for r in report.rows] == ["updated", "created", "created", "created"]
    assert state(world) == [
        (1, "占道经营、店外经营的查处", "city-street-vending", "cgzf", ["scjg", "zjj"], ""),
        (2, "窨井盖缺失、破损的处置", "infra-manhole", "zjj", ["cgzf", "gaj", "scjg"], "24小时"),
        (3, "户外广告设置的审批和监管", "", "cgzf", [], ""),
        (4, "违法建设的查处", "city-illegal-building", "cgzf", ["zjj"], ""),
    ]
    entry = AuditEntry.objects.get(object_type="duty_list")
    assert entry.actor == district_admin and entry.object_id == world.district.code
    assert entry.detail == {
        "list": "duty", "file": "清单.xlsx", "rows": 4, "created": 3, "updated": 1,
        "unchanged": 0, "removed": 0,
    }  # fmt: skip
    before = state(world)
    again = run(world, district_admin, GOOD)
    assert [r.outcome for r in again.rows] == ["unchanged"] * 4
    assert state(world) == before


def test_the_dispatcher_is_given_the_imported_list_as_the_suggestion(world, depts, district_admin):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.red_category, description="井盖丢失"
    )
    assert selectors.duty_suggestion(event=event)["lead"] is None
    run(world, district_admin, GOOD)
    suggestion = selectors.duty_suggestion(event=event)
    assert suggestion["lead"] == depts.zjj.department
    assert {d.code for d in suggestion["cooperating"]} == {"cgzf", "gaj", "scjg"}


BAD = [
    [2, "井盖", "infra-manhole", "城管执法", "", ""],  # row 2: correct
    [3, "某事项", "", "区环卫处", "", ""],  # row 3: unknown lead
    [4, "某事项", "", "城管执法", "市场监管、区文旅局", ""],  # unknown cooperating
    [5, "某事项", "no-such-category", "城管执法", "", ""],  # unknown category
    [2, "重复", "", "城管执法", "", ""],  # the number of row 2 again
    [6, "重复分类", "infra-manhole", "公安", "", ""],  # the category of row 2 again
    [7, "某事项", "", "", "", ""],  # no lead
    ["第八", "某事项", "", "城管执法", "", ""],  # not a number
    [8, "某事项", "", "城管执法", "城管执法", ""],  # the lead cooperating with itself
    [],  # a blank line: skipped, the numbering stays the spreadsheet's
    [9, "", "", "城管执法", "", ""],  # no matter
]


def test_one_bad_row_writes_nothing_and_the_report_says_why_row_by_row(
    world, depts, district_admin
):
    before = state(world)
    with translation.override("en"):
        report = run(world, district_admin, BAD)
        lines = [(r.row, r.outcome, r.message) for r in report.rows]
    assert state(world) == before
    assert not AuditEntry.objects.filter(object_type="duty_list").exists()
    assert lines == [
        (2, "checked", "Correct; not imported because of other rows."),
        (3, "error", "Unknown department “区环卫处”."),
        (4, "error", "Unknown department “区文旅局”."),
        (5, "error", "Unknown category “no-such-category”: use a code of the category list."),
        (6, "error", "The number 2 is also on row 2."),
        (7, "error", "The category infra-manhole is also on row 2."),
        (8, "error", "The lead department (主体责任部门) is empty."),
        (9, "error", "The number (序号) must be a whole number from 1."),
        (10, "error", "城管执法 is the lead; it cannot also cooperate."),
        (12, "error", "The matter (事项) is empty."),
    ]


def test_the_report_is_in_chinese(world, depts, district_admin):
    with translation.override("zh-hans"):
        report = run(world, district_admin, BAD[:5])
        messages = [r.message for r in report.rows]
        workbook = duty_lists.report_xlsx(report)
    assert messages[1] == "未知的部门“区环卫处”。"
    assert messages[3] == "未知的分类“no-such-category”：请使用分类目录中的编码。"
    assert messages[4] == "序号 2 与第 2 行重复。"
    sheet = load_workbook(io.BytesIO(workbook)).active
    assert [c.value for c in sheet[1]] == ["行号", "序号", "事项", "结果", "原因"]
    assert sheet["D3"].value == "有错误" and sheet["E3"].value == "未知的部门“区环卫处”。"


def test_a_category_another_item_keeps_is_refused_unless_the_list_is_replaced(
    world, depts, district_admin
):
    rows = [[5, "摊贩", "city-street-vending", "市场监管", "", ""]]  # item 1 keeps the category
    with translation.override("en"):
        report = run(world, district_admin, rows)
    assert report.rows[0].message == (
        "The category city-street-vending is already on item 1 (占道经营的查处)."
    )
    report = run(world, district_admin, rows, replace=True)
    assert not report.errors and report.removed == 1
    assert state(world) == [(5, "摊贩", "city-street-vending", "scjg", [], "")]


def test_two_items_may_swap_their_categories(world, depts, district_admin):
    run(world, district_admin, GOOD)
    swapped = [
        [1, "井盖", "infra-manhole", "住建", "", ""],
        [2, "摊贩", "city-street-vending", "城管执法", "", ""],
    ]
    report = run(world, district_admin, swapped)
    assert [r.outcome for r in report.rows] == ["updated", "updated"]
    assert [(n, c) for n, _m, c, *_ in state(world)][:2] == [
        (1, "infra-manhole"),
        (2, "city-street-vending"),
    ]


def test_a_dry_run_checks_and_writes_nothing(world, depts, district_admin):
    before = state(world)
    report = run(world, district_admin, GOOD, dry_run=True)
    assert not report.errors and not report.written
    assert [r.outcome for r in report.rows] == ["updated", "created", "created", "created"]
    assert state(world) == before
    assert not AuditEntry.objects.filter(object_type="duty_list").exists()


def test_the_street_lists_import_from_a_gbk_csv_and_replace_removes_what_is_gone(
    world, depts, district_admin
):
    StreetDutyItem.objects.create(district=world.district, kind="own", number=9, matter="旧事项")
    rows = [[1, "网格化服务管理", ""], [2, "群众诉求首接办理", "other-misc"]]
    upload = csv_file(rows, encoding="gb18030")  # Excel on Chinese Windows saves CSV as GBK
    report = duty_lists.duty_list_import_file(
        actor=district_admin, district=world.district, kind="own", upload=upload, replace=True
    )
    assert not report.errors and report.removed == 1
    assert list(
        StreetDutyItem.objects.filter(kind="own").values_list("number", "matter", "category_code")
    ) == [(1, "网格化服务管理", ""), (2, "群众诉求首接办理", "other-misc")]
    report = run(world, district_admin, [[1, "违法建设查处", "nope"]], kind="cooperation")
    assert report.errors and not StreetDutyItem.objects.filter(kind="cooperation").exists()


def test_the_template_and_the_current_list_import_back_unchanged(
    client, world, depts, district_admin
):
    client.login(username=district_admin.username, password=PASSWORD)
    response = client.get("/duties/template/duty.xlsx")
    sheet = load_workbook(io.BytesIO(response.content)).active
    assert [c.value for c in sheet[1]] == DUTY_HEADER
    assert [c.value for c in sheet[2]][:4] == [1, "占道经营、店外经营的查处", "city-street-vending",
                                               "城管执法"]  # fmt: skip
    run(world, district_admin, GOOD)
    current = client.get(f"/duties/{world.district.code}/duty.xlsx")
    assert current["Content-Type"].startswith("application/vnd.openxmlformats")
    current.content  # noqa: B018
    upload = io.BytesIO(current.content)
    upload.name = "current.xlsx"
    report = duty_lists.duty_list_import_file(
        actor=district_admin, district=world.district, kind="duty", upload=upload
    )
    assert [r.outcome for r in report.rows] == ["unchanged"] * 4


def test_the_page_imports_shows_the_report_and_lets_it_be_downloaded(
    client, world, depts, district_admin
):
    client.login(username=district_admin.username, password=PASSWORD)
    page = client.get("/duties/", follow=True)
    assert page.redirect_chain[-1][0] == f"/duties/{world.district.code}/import/"
    assert b'id="duty-import-form"' in page.content
    with translation.override("en"):
        bad = client.post(
            f"/duties/{world.district.code}/import/",
            {"kind": "duty", "file": xlsx_file(BAD[:3])},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert bad.status_code == 400
    assert b'data-outcome="error"' in bad.content and "区环卫处".encode() in bad.content
    report = load_workbook(io.BytesIO(client.get("/duties/import/report.xlsx").content)).active
    assert report["C3"].value == "某事项" and "区环卫处" in report["E3"].value
    good = client.post(
        f"/duties/{world.district.code}/import/", {"kind": "duty", "file": xlsx_file(GOOD)}
    )
    assert good.status_code == 200
    assert b'data-count="created">3<' in good.content
    assert len(state(world)) == 4
    assert AuditEntry.objects.get(object_type="duty_list").ip == "127.0.0.1"


def test_a_wrong_file_is_a_form_error(client, world, depts, district_admin):
    client.login(username=district_admin.username, password=PASSWORD)
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"  # English by the switch (issue 18)
    with translation.override("en"):
        response = client.post(
            f"/duties/{world.district.code}/import/",
            {"kind": "duty", "file": xlsx_file([[1, "x"]], header=["序号", "事项"])},
            HTTP_ACCEPT_LANGUAGE="en",
        )
    assert "Missing columns: 主体责任部门" in response.content.decode()


@pytest.mark.parametrize(
    ("persona", "page", "download", "upload"),
    [
        ("district_admin", 200, 200, 200),
        ("street_admin", 200, 200, 403),  # reads the district's lists; does not change them
        ("far_admin", 404, 404, 404),
        ("dispatcher", 404, 404, 404),
        ("leader", 404, 404, 404),
        ("governor", 404, 404, 404),
    ],
)
def test_who_may_read_and_import(client, world, depts, request, persona, page, download, upload):
    user = (
        request.getfixturevalue(persona) if persona.endswith("admin") else getattr(world, persona)
    )
    client.login(username=user.username, password=PASSWORD)
    url = f"/duties/{world.district.code}/import/"
    response = client.get(url)
    assert response.status_code == page
    if page == 200:
        assert (b'id="duty-import-form"' in response.content) == (upload == 200)
    assert client.get(f"/duties/{world.district.code}/own.xlsx").status_code == download
    before = state(world)
    response = client.post(url, {"kind": "duty", "file": xlsx_file(GOOD)})
    assert response.status_code == upload
    if upload != 200:
        assert state(world) == before


def test_the_service_refuses_a_street_administrator(world, depts, street_admin):
    with pytest.raises(duty_lists.PermissionDenied):
        run(world, street_admin, GOOD)


def test_the_command_imports_and_fails_on_a_bad_file(world, depts, tmp_path):
    good = tmp_path / "清单.xlsx"
    good.write_bytes(xlsx_file(GOOD).read())
    out = io.StringIO()
    call_command("import_duty_list", world.district.code, str(good), stdout=out)
    assert len(state(world)) == 4
    assert AuditEntry.objects.get(object_type="duty_list").username == "manage.py"
    bad = tmp_path / "bad.xlsx"
    bad.write_bytes(xlsx_file(BAD).read())
    before = state(world)
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_duty_list", world.district.code, str(bad), stdout=io.StringIO())
    assert state(world) == before
    street = tmp_path / "own.csv"
    street.write_bytes(csv_file([[1, "网格化服务管理", ""]]).read())
    call_command(
        "import_duty_list", world.district.code, str(street), "--list", "own", "--dry-run",
        stdout=io.StringIO(),
    )  # fmt: skip
    assert not StreetDutyItem.objects.exists()
