"""Points of issue 10 not proven elsewhere: error pages show nothing of the error, the
production settings pass ``check --deploy``, unmasked exports need a permission, are logged
and rate-limited, spreadsheets are told apart by content."""

from __future__ import annotations

import csv
import io
import os
import subprocess
import sys
from pathlib import Path
from urllib.parse import urlencode

import pyotp
import pytest
from cryptography.fernet import Fernet
from django.contrib.auth.models import Permission
from django.core.cache import cache
from django.core.exceptions import ValidationError
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.utils import translation
from openpyxl import Workbook, load_workbook
from PIL import Image
from rest_framework.test import APIClient

from blocks.imports import read_table
from blocks.models import Area, Posting, TerritoryImport
from events import duty_lists, exports, services
from events.hotline import read_rows
from events.models import Event, StreetDutyItem
from governance.middleware import CSP
from governance.models import AuditEntry, User
from governance.privacy import mask_id_number, mask_phone
from governance.uploads import spreadsheet_kind
from tests.factories import PASSWORD, UserFactory, area, post

pytestmark = pytest.mark.django_db
ROOT = Path(__file__).resolve().parents[2]


@pytest.fixture(autouse=True)
def _fresh_cache():
    cache.clear()
    yield
    cache.clear()


# --- error pages ----------------------------------------------------------------------------
def test_a_server_error_shows_the_friendly_page_and_nothing_of_the_error(world, monkeypatch):
    def broken(**kwargs):
        raise RuntimeError("secret-internal-detail in /srv/governance/events/selectors.py")

    monkeypatch.setattr("events.views.selectors.deadline_board", broken)
    client = Client(raise_request_exception=False)
    client.force_login(world.governor)
    response = client.get("/events/deadlines/")
    page = response.content.decode()
    assert response.status_code == 500
    assert "出错了" in page or "Something went wrong" in page
    for leak in ("secret-internal-detail", "Traceback", "selectors.py", "SECRET_KEY", "Request"):
        assert leak not in page, leak
    assert response["Content-Security-Policy"] == CSP and "<script" not in page


def test_not_found_and_forbidden_pages_are_ours_and_say_nothing_of_the_urlconf(client, world):
    client.force_login(world.neighbour)
    missing = client.get("/no/such/page/")
    page = missing.content.decode()
    assert missing.status_code == 404 and 'class="site-header"' in page
    assert "URLconf" not in page and "urlpatterns" not in page.lower()
    assert world.neighbour.get_full_name() not in page  # an error page names nobody
    client.force_login(world.governor)
    refused = client.get(f"/areas/{world.block.code}/roster/")
    assert refused.status_code == 403
    # The reason the view gave, in the user's language, on our page.
    with translation.override("zh-hans"):
        reason = translation.gettext("You may not change the roster of this area.")
    assert reason in refused.content.decode() and 'class="site-header"' in refused.content.decode()


# --- production settings --------------------------------------------------------------------
def test_production_settings_pass_check_deploy_with_no_warning(tmp_path):
    env = {k: v for k, v in os.environ.items() if k not in ("DEBUG", "DATABASE_URL", "REDIS_URL")}
    env.update(
        DJANGO_ENV="production",
        SECRET_KEY="k" + Fernet.generate_key().decode() * 2,
        FIELD_ENCRYPTION_KEYS=Fernet.generate_key().decode(),
        ALLOWED_HOSTS="governance.example",
        VAR_DIR=str(tmp_path),
    )
    result = subprocess.run(
        [sys.executable, "manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        cwd=ROOT, env=env, capture_output=True, text=True, timeout=120,
    )  # fmt: skip
    assert result.returncode == 0, result.stdout + result.stderr
    assert "no issues" in result.stdout


# --- exports --------------------------------------------------------------------------------
def _cases(world, n=2):
    for i in range(n):
        services.event_log(
            actor=world.governor, block=world.block, category=world.category,
            description=f"占道{i}", reporter_phone="13812345678",
        )  # fmt: skip


def _phones(response) -> set[str]:
    sheet = load_workbook(io.BytesIO(response.content)).active
    rows = list(sheet.iter_rows(values_only=True))
    column = rows[0].index("Reporter phone") if "Reporter phone" in rows[0] else 10
    return {row[column] for row in rows[1:]}


def test_an_unmasked_export_needs_the_permission_and_says_so_in_the_log(client, world):
    _cases(world)
    client.force_login(world.governor)
    assert client.get("/events/export.xlsx", {"unmasked": "1"}).status_code == 403
    assert not AuditEntry.objects.filter(action="export").exists()  # refused: nothing exported
    world.governor.user_permissions.add(Permission.objects.get(codename="export_unmasked"))
    response = client.get("/events/export.xlsx", {"unmasked": "1"}, REMOTE_ADDR="10.3.3.3")
    assert response.status_code == 200 and _phones(response) == {"13812345678"}
    entry = AuditEntry.objects.get(action="export")
    assert entry.actor == world.governor and entry.ip == "10.3.3.3"
    assert entry.detail == {"unmasked": True} and "unmasked=1" in entry.reason
    # Without asking, even the holder of the permission gets masked numbers.
    assert _phones(client.get("/events/export.xlsx")) == {"138****5678"}


def test_exports_are_rate_limited_per_person(client, world):
    _cases(world, 1)
    client.force_login(world.governor)
    for _ in range(exports.EXPORTS_PER_HOUR):
        assert client.get("/events/export.xlsx").status_code == 200
    refused = client.get("/events/export.xlsx")
    assert refused.status_code == 429
    assert AuditEntry.objects.filter(action="export").count() == exports.EXPORTS_PER_HOUR
    other = Client()
    other.force_login(world.dispatcher)  # somebody else's exports do not count against them
    assert other.get("/events/export.xlsx").status_code == 200


# --- uploads are checked by content, not by name ----------------------------------------------
def _workbook(rows) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    buffer = io.BytesIO()
    book.save(buffer)
    return buffer.getvalue()


AREAS = [["code", "name"], ["430302001001003", "白石社区第3区块"]]


@pytest.mark.parametrize("read", [read_table, read_rows], ids=["territory", "hotline"])
def test_spreadsheets_are_read_by_what_they_hold_not_by_their_name(read):
    # A CSV named .xlsx and a workbook named .csv are both read for what they are; whatever
    # the column check then says, the file was parsed, not refused by its name.
    csv_text = "\n".join(",".join(r) for r in AREAS).encode()
    for content, name in ((csv_text, "areas.xlsx"), (_workbook(AREAS), "areas.csv")):
        try:
            read(SimpleUploadedFile(name, content))
        except ValidationError as error:
            assert "Missing columns" in str(error) or "缺少" in str(error), (name, error)
    # A GBK CSV from Excel on Chinese Windows is text too.
    assert spreadsheet_kind(SimpleUploadedFile("x.csv", "编码,名称\n".encode("gb18030"))) == "csv"
    # Not a spreadsheet, whatever its name: an old binary .xls, a program, a photo.
    for content in (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 64, b"MZ\x90\x00\x03",
                    b"\xff\xd8\xff\xe0\x00\x10JFIF\x00"):  # fmt: skip
        with pytest.raises(ValidationError):
            read(SimpleUploadedFile("areas.csv", content))


def test_masks_keep_only_what_identifies_nothing():
    assert mask_phone("13812345678") == "138****5678"
    assert mask_phone("138 1234 5678") == "138****5678"
    assert mask_phone("07315551234") == "073****1234"
    assert mask_id_number("430302199001011234") == "**************1234"
    assert mask_id_number("43030219900101123X").endswith("123X")
    assert mask_phone("") == mask_id_number(None) == ""


# --- app tokens ask what the login page asks ----------------------------------------------------
def _token(username, **extra):
    return APIClient().post(
        "/api/auth/token/", {"username": username, "password": PASSWORD, **extra}
    )


def test_a_token_needs_the_second_factor_of_an_account_that_has_one():
    """The token endpoint took the password alone: an account with a second factor (an
    administrator's, required in production) could be used by an app without it."""
    user = UserFactory(username="wu")
    user.totp_secret, user.totp_enabled = pyotp.random_base32(), True
    user.save()
    assert _token("wu").status_code == 401
    assert _token("wu", code="000000").status_code == 401
    assert _token("wu", code=pyotp.TOTP(user.totp_secret).now()).status_code == 201
    for _ in range(5):
        _token("wu", code="000000")
    # Five wrong codes stop even the right one, as on the login page.
    assert _token("wu", code=pyotp.TOTP(user.totp_secret).now()).status_code == 401


def test_no_token_before_the_initial_password_is_changed_or_an_administrator_enrols(settings):
    user = UserFactory(username="he")
    user.must_change_password = True
    user.save()
    refused = _token("he")
    message = refused.json()["message"]
    assert refused.status_code == 403 and ("password" in message.lower() or "密码" in message)
    settings.PRODUCTION = True
    UserFactory(username="root", is_staff=True, is_superuser=True)
    assert _token("root").status_code == 403
    assert _token("wu-not-admin-yet").status_code == 401  # unknown: the usual refusal


def test_demo_accounts_must_change_their_password_in_production(settings, monkeypatch):
    from demo.management.commands import seed_demo

    settings.PRODUCTION = True
    monkeypatch.setenv("DEMO_PASSWORD", "Demo-known-to-all-1")
    area("430302", "雨湖区")
    command = seed_demo.Command()
    command._account("leader", "区领导", "leader", Area.objects.get(code="430302"),
                     "Demo-known-to-all-1", True)  # fmt: skip
    assert User.objects.get(username="leader").must_change_password


def test_a_session_on_the_api_does_not_get_round_the_account_setup(client, settings):
    """The API was exempt from the forced change of an initial password and from the
    administrators' second factor: a session could use it in place of the pages."""
    newcomer = UserFactory(username="newcomer")
    newcomer.must_change_password = True
    newcomer.save()
    client.force_login(newcomer)
    refused = client.get("/api/areas/")
    assert refused.status_code == 403 and refused.json()["code"] == "account_setup_required"
    newcomer.must_change_password = False
    newcomer.save()
    assert client.get("/api/areas/").status_code == 200
    settings.PRODUCTION = True
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    assert client.get("/api/postings/").status_code == 403
    root.totp_secret, root.totp_enabled = pyotp.random_base32(), True
    root.save()
    assert client.get("/api/postings/").status_code == 200


@pytest.mark.parametrize(
    "address",
    ["/events/%00/", "/dashboard/%00/", "/events/?q=%00", "/duties/%00/import/",
     "/duties/4303%0002/duty.xlsx", "/api/stats/summary/?area=%00"],
)  # fmt: skip
def test_a_nul_character_in_the_address_is_a_clear_400_not_a_server_error(admin_client, address):
    """PostgreSQL refuses NUL in text: every view that reads its address would fail with a
    500 (the URL walk's follow-ups found /dashboard/%00/ and /duties/%00/import/)."""
    response = admin_client.get(address)
    assert response.status_code == 400
    assert "不允许" in response.content.decode()


# --- control characters at every door (issue 19; governance/text.py) -------------------------
def _csv(header: list[str], rows: list[list]) -> SimpleUploadedFile:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows([header, *rows])
    return SimpleUploadedFile("rows.csv", buffer.getvalue().encode("utf-8"), "text/csv")


# A first row long enough that a NUL after it is past the sniff of governance/uploads.py (a
# NUL in a file's first 64 KB makes it "not a spreadsheet" as a whole).
PADDING = "长" * 25_000


def test_a_page_form_with_a_control_character_is_a_readable_400_and_nothing_is_written(
    client, world
):
    client.force_login(world.governor)
    form = {"block": world.block.pk, "category": world.category.pk, "description": "占道\x01摆摊"}
    sent = client.post("/events/new/", urlencode(form), "application/x-www-form-urlencoded")
    with_photo = client.post(
        "/events/new/", {**form, "description": "占道\x00摆摊", "photos": [_jpeg()]}
    )  # multipart, as the browser sends the intake form
    for response, char in ((sent, "U+0001"), (with_photo, "U+0000")):
        page = response.content.decode()
        assert response.status_code == 400 and response["Content-Type"].startswith("text/html")
        assert "description" in page and char in page and "<title>" in page
        assert response["Content-Security-Policy"] == CSP
    assert not Event.objects.exists()
    # Tab and line breaks are text.
    fine = client.post("/events/new/", {**form, "description": "占道\r\n\t摆摊"})
    assert fine.status_code == 302 and Event.objects.get().description == "占道\r\n\t摆摊"
    query = client.get("/events/", {"q": "摆摊\x1b"})
    assert query.status_code == 400 and "不允许" in query.content.decode()


def _jpeg() -> io.BytesIO:
    buffer = io.BytesIO()
    Image.new("RGB", (64, 48), (200, 30, 30)).save(buffer, format="JPEG")
    buffer.seek(0)
    buffer.name = "p.jpg"
    return buffer


@pytest.mark.parametrize("char", ["\x01", "\x00"], ids=["U+0001", "U+0000"])
def test_a_territory_row_with_a_control_character_is_a_row_error(client, world, char):
    admin = UserFactory(username="street_admin")
    post(admin, world.street, Posting.Role.STREET_ADMIN)
    client.force_login(admin)
    c = world.street.code + "009"
    rows = [[c, world.street.code, "新建社区", "", ""], [f"{c}001", c, f"新{char}区块", "", ""]]
    if char == "\x00":
        rows.insert(0, [f"{c}002", c, PADDING, "", ""])
    upload = _csv(["编码", "上级编码", "名称", "户数", "边界"], rows)
    response = client.post(f"/areas/{world.street.code}/import/", {"file": upload})
    assert response.status_code == 302
    job = TerritoryImport.objects.get()
    assert job.status == TerritoryImport.Status.REJECTED
    assert not Area.objects.filter(code__startswith=c).exists()
    [error] = [line for line in job.report if line["code"] == f"{c}001"]
    assert error["outcome"] == "error" and error["name"] == "新\ufffd区块"
    assert "名称" in error["message"] and f"U+{ord(char):04X}" in error["message"]
    report = client.get(f"/areas/imports/{job.pk}/report.xlsx")
    assert report.status_code == 200
    sheet = load_workbook(io.BytesIO(report.content)).active
    assert error["message"] in {cell for row in sheet.iter_rows(values_only=True) for cell in row}


def test_a_hotline_row_with_a_control_character_is_a_row_error(client, world):
    header = [
        "工单编号",
        "来电时间",
        "来电人",
        "联系电话",
        "诉求地址",
        "诉求内容",
        "事项",
        "区块编码",
    ]
    good = ["GD1", "2026-11-24 09:30", "刘女士", "13812345678", "白石社区", "楼下烧烤油烟大",
            "油烟污染", world.block.code]  # fmt: skip
    rows = [
        [*good[:5], PADDING, *good[6:]],
        ["GD2\x00", *good[1:]],
        ["GD3", *good[1:5], "油烟\x7f大", *good[6:]],
    ]
    client.force_login(world.dispatcher)
    page = client.post("/events/hotline/", {"file": _csv(header, rows)}).content.decode()
    assert not Event.objects.exists()
    assert "工单编号" in page and "U+0000" in page and "诉求内容" in page and "U+007F" in page
    report = client.get("/events/hotline/report.xlsx")
    assert report.status_code == 200
    lines = list(load_workbook(io.BytesIO(report.content)).active.iter_rows(values_only=True))
    assert [line[1] for line in lines[1:]] == ["GD1", "GD2\ufffd", "GD3"]


def test_a_duty_list_row_with_a_control_character_is_a_row_error(world):
    admin = UserFactory(username="district_admin")
    post(admin, world.district, Posting.Role.ADMINISTRATOR)
    rows = [["1", "网格化\x1b服务管理", ""], ["2", "安全生产检查", ""]]
    report = duty_lists.duty_list_import_file(
        actor=admin,
        district=world.district,
        kind="own",
        upload=_csv(["序号", "事项", "分类编码"], rows),
    )
    [error] = report.errors
    assert error.matter == "网格化\ufffd服务管理"
    assert "事项" in error.message and "U+001B" in error.message
    assert not StreetDutyItem.objects.exists()
    assert load_workbook(io.BytesIO(duty_lists.report_xlsx(report)))  # openpyxl refuses U+001B
