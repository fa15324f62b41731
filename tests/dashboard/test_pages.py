"""The dashboard's pages, API and report for real users: scoped, read-only, every number a
link to exactly the cases it counts, the same number of queries whatever the data."""

from __future__ import annotations

import io
import re
from urllib.parse import urlencode

import pytest
import time_machine
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import gettext as _
from openpyxl import load_workbook

from blocks.models import Posting
from dashboards import reports, rollup
from dashboards.models import ReportJob
from events import services, stats
from events.models import Status
from tests.dashboard.conftest import NOW
from tests.factories import UserFactory, post

pytestmark = pytest.mark.django_db

NOVEMBER = {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}


@pytest.fixture
def rolled(story):
    rollup.rollup(now=NOW)
    return story


@pytest.fixture
def at_now():
    with time_machine.travel(NOW, tick=False):
        yield


def _get(client, user, url, **params):
    client.force_login(user)
    return client.get(url + ("?" + urlencode(params) if params else ""))


def test_the_leader_lands_on_the_district_and_sees_the_numbers(rolled, client, at_now):
    client.force_login(rolled.world.leader)
    response = client.get("/dashboard/")
    assert response.status_code == 302 and response["Location"] == "/dashboard/430302/"
    response = _get(client, rolled.world.leader, "/dashboard/430302/", **NOVEMBER)
    assert response.status_code == 200
    data = response.context["data"]
    assert {k["name"]: k["value"] for k in data["kpis"]} == {
        "new": 10, "open": 6, "overdue": 4, "closed": 4, "rated": 5, "invalid": 1, "merged": 1,
        "supervised": 0,
    }  # fmt: skip
    html = response.content.decode()
    # Every formula is a tooltip, in Chinese.
    assert "按期办结率 = 在办理时限内办结的事件数 ÷ 已办结的事件数" in html
    assert 'id="dashboard-data"' in html and "<script>" not in html
    assert [c["name"] for c in data["children"]] == ["雨湖路街道", "城正街街道"]
    assert data["children"][0]["url"] == "/dashboard/430302001/"
    # The departments the street scored rank first; 公安 and 住建 await its score (待评价).
    assert [d["name"] for d in data["departments"]][:2] == ["城管执法", "市场监管"]
    assert {c["number"] for c in data["overdue_cases"]} == {
        rolled.events[i].number for i in (6, 10, 11, 12)
    }


def test_every_number_opens_exactly_the_cases_it_counts(rolled, client, at_now):
    leader = rolled.world.leader
    data = _get(client, leader, "/dashboard/430302/", **NOVEMBER).context["data"]

    def listed(url):
        return client.get(url).context["page"].paginator.count

    for kpi in data["kpis"]:
        assert listed(kpi["link"]) == kpi["value"], kpi["name"]
    for rate in data["rates"]:
        # Parts are counted per department; the list shows their cases (E4 and E5 have two
        # parts each).
        parts = rate["name"] in ("report_in_rate", "return_rate")
        if "numerator_link" in rate and not parts:
            assert listed(rate["numerator_link"]) == rate["numerator"], rate["name"]
        if "denominator_link" in rate and not parts:
            expected = rate["denominator"] if "denominator" in rate else rate["count"]
            assert listed(rate["denominator_link"]) == expected, rate["name"]
    rates = {r["name"]: r for r in data["rates"]}
    assert listed(rates["report_in_rate"]["denominator_link"]) == 2
    assert listed(rates["return_rate"]["numerator_link"]) == 1
    # A category's slice, a child's number, a department's row.
    for item in data["breakdowns"]["category"] + data["breakdowns"]["channel"]:
        assert listed(item["link"]) == item["value"]
    for child in data["children"]:
        assert listed(child["link"]) == child["new"]
    gaj = next(d for d in data["departments"] if d["name"] == "公安")
    assert listed(gaj["link"]) == 1
    # The list keeps the counted set when it is filtered again.
    page = client.get(data["kpis"][2]["link"]).content.decode()
    assert 'name="measure" value="overdue"' in page


def test_drill_down_one_level_at_a_time(rolled, client, at_now):
    leader = rolled.world.leader
    for code, new in (("430302001", 8), ("430302001001", 8), ("430302001001002", 3)):
        response = _get(client, leader, f"/dashboard/{code}/", **NOVEMBER)
        assert response.status_code == 200
        assert response.context["data"]["counts"]["new"] == new
    block = response.context["data"]
    assert [a["code"] for a in block["ancestors"]] == ["430302", "430302001", "430302001001"]
    assert block["children"] == []


@pytest.mark.parametrize(
    ("persona", "code", "status"),
    [
        ("leader", "430302002", 200),
        ("dispatcher", "430302001", 200),
        ("dispatcher", "430302", 404),  # a street sees its street only
        ("dispatcher", "430302002", 404),
        ("other_dispatcher", "430302001001001", 404),
        ("supervisor", "430302001001001", 200),
        ("supervisor", "430302001001002", 404),  # the neighbour block
    ],
)
def test_each_sees_only_their_areas(rolled, client, at_now, persona, code, status):
    user = getattr(rolled.world, persona)
    assert _get(client, user, f"/dashboard/{code}/").status_code == status
    assert _get(client, user, f"/dashboard/{code}/data.json").status_code == status
    assert _get(client, user, "/api/stats/summary/", area=code).status_code == status


def test_a_department_officer_has_no_dashboard(rolled, client):
    officer = rolled.depts.cgzf.officer
    assert _get(client, officer, "/dashboard/").status_code == 404
    assert _get(client, officer, "/api/stats/summary/").status_code == 404
    client.logout()
    assert client.get("/dashboard/430302/").status_code == 302  # to the login page
    assert client.get("/api/stats/summary/").status_code in (401, 403)


def test_a_street_leader_sees_the_street_by_default(rolled, client, at_now):
    boss = UserFactory(username="street_leader")
    post(boss, rolled.world.other_street, Posting.Role.LEADER)
    body = _get(client, boss, "/api/stats/summary/", **{"from": "2026-11-01", "to": "2026-11-30"})
    body = body.json()
    assert body["area"]["code"] == "430302002"
    assert body["counts"]["new"] == 2 and body["report_in_rate"]["numerator"] == 1
    # The API asks for both ends of a custom period.
    assert _get(client, boss, "/api/stats/summary/", to="2026-11-30").status_code == 400


def test_the_nav_links_the_dashboard_for_leaders_and_street_staff(rolled, client):
    for persona, shown in (("leader", True), ("dispatcher", True), ("supervisor", True),
                           ("governor", False)):  # fmt: skip
        page = _get(client, getattr(rolled.world, persona), "/events/").content.decode()
        assert ('href="/dashboard/"' in page) is shown, persona


def test_big_screen_and_its_data(rolled, client, at_now):
    leader = rolled.world.leader
    page = _get(client, leader, "/dashboard/430302/screen/", **NOVEMBER).content.decode()
    assert 'class="big-screen"' in page and 'data-refresh-seconds="60"' in page
    data = _get(client, leader, "/dashboard/430302/data.json", **NOVEMBER).json()
    assert data["counts"]["overdue"] == 4 and data["area"]["code"] == "430302"
    # The district's map is its streets (the story has two), with or without cases; a
    # street's map is its blocks.
    assert [v["label"] for v in data["map"]["values"]] == ["雨湖路街道", "城正街街道"]
    street = _get(client, leader, "/dashboard/430302001/data.json", **NOVEMBER).json()
    assert [v["name"] for v in street["map"]["values"]] == ["430302001001001", "430302001001002"]
    assert [o["name"] for o in street["map"]["outlines"]] == []  # its community has no outline


def visible_text(html: str) -> str:
    """What a reader sees of a page: no scripts (the charts' JSON), no tags or attributes."""
    html = re.sub(r"<(script|style)\b.*?</\1>", " ", html, flags=re.S)
    return re.sub(r"\s+", " ", re.sub(r"<[^>]+>", " ", html))


RAW_KEYS = sorted(
    {name for name in (*stats.MEASURES, *stats.EVENT_SET_NAMES, *stats.COUNT_NAMES) if "_" in name}
)


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/430302/?period=custom&from=2026-11-01&to=2026-11-30",
        "/dashboard/430302001/?period=custom&from=2026-11-01&to=2026-11-30",
        "/dashboard/430302/screen/?period=custom&from=2026-11-01&to=2026-11-30",
        "/dashboard/430302/report/?month=2026-11",
    ],
)
def test_leaders_pages_read_as_words_not_keys(rolled, client, at_now, url):
    """Issue 18: metric keys in the monthly report, ISO times, "17505 s" numerators, "5.0"
    under 满意率, 姓名 over area names."""
    text = visible_text(_get(client, rolled.world.leader, url).content.decode())
    assert not re.search(r"\d{4}-\d\d-\d\dT\d\d:\d\d", text), "an ISO timestamp"
    assert not re.search(r"\b(\d{3,}|[6-9]\d) s\b", text), "seconds as a number"
    assert [key for key in RAW_KEYS if re.search(rf"\b{key}\b", text)] == []
    assert "姓名" not in text
    if "/report/" not in url and "/screen/" not in url:
        # Durations in hours and minutes, rates (satisfaction too) in per cent.
        page = _get(client, rolled.world.leader, url).context["data"]
        rates = {r["name"]: r for r in page["rates"]}
        assert rates["satisfaction_rate"]["display"].endswith("%")
        assert rates["satisfaction_rate"]["display"] in text
        average = rates["avg_resolve_hours"]
        assert re.fullmatch(r"(\d+[^\d.]+)+", average["display"])  # e.g. 46时42分, 93时
        assert average["display"] in text and average["numerator_display"] in text


def test_the_map_tells_no_cases_from_none_overdue_and_nothing_to_measure(rolled, client, at_now):
    """Issue 18: a block without cases looked like a block with none overdue."""
    leader = rolled.world.leader
    today = {"period": "today"}  # E9 in the first block; nothing in the second
    data = _get(client, leader, "/dashboard/430302001/data.json", **today).json()["map"]
    states = {v["label"]: (v["value"], v["state"]) for v in data["values"]}
    assert states == {"白石社区第1区块": (0, ""), "白石社区第2区块": (0, "no_cases")}
    assert data["legend"]["no_cases"] and data["scale"] == "good_low"
    rated = {"measure": "on_time_rate", **today}  # E9 is not resolved: nothing to measure
    data = _get(client, leader, "/dashboard/430302001/data.json", **rated).json()["map"]
    states = {v["label"]: (v["value"], v["state"]) for v in data["values"]}
    assert states == {"白石社区第1区块": (None, "no_data"), "白石社区第2区块": (None, "no_cases")}
    assert data["is_rate"] and data["scale"] == "good_high"


def test_queries_per_dashboard_do_not_grow_with_data(rolled, client, at_now):
    leader = rolled.world.leader
    client.force_login(leader)
    url = "/dashboard/430302/?" + urlencode({**NOVEMBER, "measure": "on_time_rate"})

    def queries():
        with CaptureQueriesContext(connection) as captured:
            assert client.get(url).status_code == 200
        return len(captured)

    queries()  # the first page of a session also reads who the leader is (remembered after)
    before = queries()
    w = rolled.world
    for i in range(12):
        block = (w.block, w.neighbour_block, w.far_block)[i % 3]
        actor = {w.block: w.governor, w.neighbour_block: w.neighbour, w.far_block: w.far_governor}[
            block
        ]
        event = services.event_log(actor=actor, block=block, category=w.category,
                                   description=f"more {i}", now=NOW.replace(day=1 + i))  # fmt: skip
        services.event_resolve(actor=actor, event_id=event.pk, note="done",
                               now=NOW.replace(day=1 + i, hour=12))  # fmt: skip
    rollup.rollup(now=NOW)
    assert client.get(url).context["data"]["counts"]["new"] == 22
    assert queries() == before


def test_monthly_report_page_and_xlsx_with_personal_data_masked(rolled, client, at_now):
    leader = rolled.world.leader
    page = _get(client, leader, "/dashboard/430302/report/", month="2026-11")
    assert page.status_code == 200
    report = page.context["report"]
    assert report["counts"]["new"] == 10
    assert [r["name"] for r in report["by_area"]] == ["雨湖路街道", "城正街街道"]
    html = page.content.decode()
    assert "13812345678" not in html and "138****5678" in html and "王**" in html

    client.force_login(leader)
    response = client.post("/dashboard/430302/report.xlsx", {"month": "2026-11"})
    assert response.status_code == 302
    download = client.get(response["Location"])
    book = load_workbook(io.BytesIO(download.content))
    assert len(book.sheetnames) == 5
    summary, by_street, by_department, by_category, overdue = (book[n] for n in book.sheetnames)
    values = list(summary.iter_rows(values_only=True))
    assert any(row[2:4] == (3, 5) for row in values)  # on-time rate 3 / 5
    assert [r[1] for r in by_street.iter_rows(min_row=2, values_only=True)] == [
        "雨湖路街道",
        "城正街街道",
        "雨湖区",  # the total
    ]
    assert by_department.cell(row=2, column=2).value == "城管执法"
    assert by_category.max_row >= 3
    rows = list(overdue.iter_rows(min_row=2, values_only=True))
    # Exactly the cases the summary counts as overdue: open, a running clock past due (E6
    # E10 E11 E12); E2, resolved late and closed, is not overdue (issue 18).
    assert {r[0] for r in rows} == {rolled.events[i].number for i in (6, 10, 11, 12)}
    assert all(r[-1] in ("138****5678", "") and "明" not in (r[-2] or "") for r in rows)


def _sheet_rows(sheet, header_row):
    return [r for r in sheet.iter_rows(min_row=header_row + 1, values_only=True) if any(r)]


def test_the_xlsx_reads_like_its_summary(rolled, client, at_now):
    """Issue 18: the overdue sheet lists the 78 cases of a summary saying 26 (closed ones
    among them); no column widths, no frozen header, rates as bare numbers, area names
    under 姓名. Every sheet now counts as the summary does and reads in a spreadsheet."""
    client.force_login(rolled.world.leader)
    response = client.post("/dashboard/430302/report.xlsx", {"month": "2026-11"})
    book = load_workbook(io.BytesIO(client.get(response["Location"]).content))
    summary, by_street, by_department, by_category, overdue = (book[n] for n in book.sheetnames)

    # The summary: a title row, then its header (frozen), then one row per number.
    assert summary.freeze_panes == "A3"
    lines = {row[0]: row for row in summary.iter_rows(min_row=3, values_only=True)}
    counted = {name: lines[str(label)][1] for name, label, _f in stats.COUNTS}
    assert counted["overdue"] == 4 and counted["new"] == 10
    on_time = str(stats.MEASURES["on_time_rate"].label)
    assert lines[on_time][1:4] == (0.6, 3, 5)  # 3 of 5 resolved on time, a fraction
    value_cell = next(c for c in summary["B"] if c.value == 0.6)
    assert "%" in value_cell.number_format

    # Overdue: exactly the summary's overdue cases, open ones only.
    assert overdue.freeze_panes == "A2"
    rows = _sheet_rows(overdue, 1)
    assert len(rows) == counted["overdue"]
    open_labels = {str(label) for value, label in Status.choices if value in stats.OPEN}
    status = [c.value for c in overdue[1]].index(_("Status"))
    assert {r[status] for r in rows} <= open_labels

    # By street and by category add up to the summary; rates are % formatted numbers.
    for sheet in (by_street, by_category):
        assert sheet.freeze_panes == "A2"
        header = [c.value for c in sheet[1]]
        assert "姓名" not in header
        new, late = header.index(str(stats.COUNTS[0][1])), header.index(str(stats.COUNTS[2][1]))
        rows = [r for r in _sheet_rows(sheet, 1) if r[0] != _("Total")]
        assert sum(r[new] for r in rows) == counted["new"]
        assert sum(r[late] for r in rows) == counted["overdue"]
        rate = header.index(on_time) + 1
        cells = [sheet.cell(row=i, column=rate) for i in range(2, sheet.max_row + 1)]
        assert any(isinstance(c.value, float) for c in cells)
        assert all("%" in c.number_format for c in cells if isinstance(c.value, float))
    assert [c.value for c in by_street[1]][1] == "名称"
    assert "%" in by_department.cell(row=2, column=5).number_format

    # Every sheet has its columns sized to what they hold.
    for sheet in (summary, by_street, by_department, by_category, overdue):
        widths = [sheet.column_dimensions[c].width for c in "ABC"]
        assert all(w and w >= 6 for w in widths), sheet.title


def test_a_large_report_is_built_by_a_worker_with_a_progress_bar(
    rolled, client, at_now, monkeypatch, django_capture_on_commit_callbacks
):
    monkeypatch.setattr(reports, "LARGE_REPORT_CASES", 5)
    sent = []
    from dashboards import tasks

    monkeypatch.setattr(tasks.build_report, "delay", lambda pk: sent.append(pk))
    client.force_login(rolled.world.leader)
    with django_capture_on_commit_callbacks(execute=True):
        response = client.post("/dashboard/430302001/report.xlsx", {"month": "2026-11"})
    job = ReportJob.objects.get()
    assert sent == [job.pk] and response["Location"] == f"/dashboard/reports/{job.pk}/"
    progress = client.get(response["Location"]).content.decode()
    assert 'data-status="queued"' in progress and "hx-trigger" in progress
    assert client.get(f"/dashboard/reports/{job.pk}/download/").status_code == 302  # not yet
    tasks.build_report(job.pk)  # what the worker runs
    job.refresh_from_db()
    assert job.status == "done" and job.percent == 100
    fragment = client.get(response["Location"], HTTP_HX_REQUEST="true").content.decode()
    assert 'data-status="done"' in fragment and "hx-trigger" not in fragment
    # Somebody else's report is not there for them.
    other = rolled.world.dispatcher
    client.force_login(other)
    assert client.get(f"/dashboard/reports/{job.pk}/download/").status_code == 404
    # Nor for its own author once the area is no longer theirs (moved off the district).
    leader = rolled.world.leader
    client.force_login(leader)
    assert client.get(f"/dashboard/reports/{job.pk}/download/").status_code == 200
    for posting in Posting.objects.filter(user=leader):  # ended as the roster ends one:
        posting.ended_on = posting.started_on  # the next request sees it
        posting.save(update_fields=["ended_on"])
    assert client.get(f"/dashboard/reports/{job.pk}/download/").status_code == 404
    assert client.get(f"/dashboard/reports/{job.pk}/").status_code == 404


def test_an_administrator_enters_a_two_way_evaluation(rolled, client, admin_user):
    from django.urls import reverse

    from dashboards.models import StreetDepartmentEvaluation

    client.force_login(admin_user)
    response = client.post(
        reverse("admin:dashboards_streetdepartmentevaluation_add"),
        {
            "direction": "street_to_department", "street": rolled.world.street.pk,
            "department": rolled.depts.scjg.department.pk, "period_start": "2026-11-01",
            "period_end": "2026-11-30", "score": "80", "comment": "配合积极",
        },
    )  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    evaluation = StreetDepartmentEvaluation.objects.get()
    assert evaluation.evaluated_by == admin_user and evaluation.score == 80
    with time_machine.travel(NOW, tick=False):
        data = client.get("/dashboard/430302/?period=custom&from=2026-11-01&to=2026-11-30")
    scjg = next(d for d in data.context["data"]["departments"] if d["name"] == "市场监管")
    assert scjg["two_way_score"] == 80 and scjg["street_score"] == 70.0


def test_an_administrator_starts_from_the_first_district(rolled, client, admin_user):
    client.force_login(admin_user)
    assert client.get("/dashboard/")["Location"] == "/dashboard/430302/"


@pytest.mark.parametrize(
    "url",
    [
        "/dashboard/430302/?period=custom&from=9999-12-01&to=9999-12-31",
        "/dashboard/430302/data.json?period=custom&from=9999-12-31&to=9999-12-31",
        "/dashboard/430302/report/?month=9999-12",
    ],
)
def test_a_period_at_the_end_of_the_calendar_is_empty_not_a_server_error(
    rolled, client, admin_user, url
):
    """Follow-up probes of the URL walk: the last days a date can hold overflowed the
    period's arithmetic (the day after, the next month): a 500. They are clamped."""
    client.force_login(admin_user)
    response = client.get(url)
    assert response.status_code == 200


def test_the_report_of_the_last_month_a_date_holds_is_built(rolled, client, admin_user):
    client.force_login(admin_user)
    response = client.post("/dashboard/430302/report.xlsx", {"month": "9999-12"})
    assert response.status_code == 302
    assert ReportJob.objects.get(created_by=admin_user).month.year == 9000
