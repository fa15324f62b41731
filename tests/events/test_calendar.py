"""Issue 17 items 8 and 9: the 12345 set's 2-hour emergency rule and 供热; the working-day
table that moves the open clocks, a year at a time, and says when it is guessing."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import CommandError, call_command
from django.utils import translation
from openpyxl import Workbook

from events import deadlines, services, working_days
from events.enforcement import enforce_deadlines
from events.models import (
    Category,
    ClockKind,
    Deadline,
    DistrictSettings,
    PolicySet,
    TimelineEntry,
    WorkingDayOverride,
)
from governance.models import AuditEntry
from governance.spreadsheets import workbook_saved
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db
SH = ZoneInfo("Asia/Shanghai")


def at(*args) -> datetime:
    return datetime(*args, tzinfo=SH)


def open_clock(event, kind, assignment=None):
    return event.deadlines.get(kind=kind, assignment=assignment, met_at=None, cancelled_at=None)


# --- 12345: 2 hours from dispatch for an emergency; heating is a utility -----------------
def hotline(world):
    DistrictSettings.objects.create(district=world.district, policy_set=PolicySet.HOTLINE)


def to_department(world, depts, category, start, dispatch_at):
    event = services.event_log(
        actor=world.governor, block=world.block, category=category, description="x", now=start
    )
    services.event_whistle(actor=world.governor, event_id=event.pk, reason="emergency", now=start)
    services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department, now=dispatch_at
    )
    return event, event.assignments.get()


def test_a_red_hotline_case_reports_in_and_feeds_back_within_two_hours_of_dispatch(world, depts):
    hotline(world)
    start, dispatch = at(2026, 11, 24, 9, 0), at(2026, 11, 24, 9, 40)
    event, lead = to_department(world, depts, world.red_category, start, dispatch)
    assert open_clock(event, ClockKind.REPORT_IN, lead).due_at == dispatch + timedelta(hours=2)
    # Reporting in after half an hour leaves an hour and a half to feed back, not two hours.
    services.assignment_report_in(
        actor=depts.cgzf.officer, assignment_id=lead.pk, now=dispatch + timedelta(minutes=30)
    )
    resolve = open_clock(event, ClockKind.RESOLVE, lead)
    assert resolve.started_at == dispatch
    assert resolve.due_at == dispatch + timedelta(hours=2)
    assert resolve.warn_at == dispatch + timedelta(minutes=96)
    assert enforce_deadlines(now=dispatch + timedelta(hours=2)) == {"breached": 1, "warned": 0}
    resolve.refresh_from_db()
    assert resolve.breached_at == dispatch + timedelta(hours=2)
    # Sent back for rework, the department gets 2 hours from the rework, not from dispatch.
    services.assignment_feedback(
        actor=depts.cgzf.officer, assignment_id=lead.pk, note="已加盖井盖",
        now=dispatch + timedelta(hours=3),
    )  # fmt: skip
    rework = dispatch + timedelta(hours=4)
    services.event_rework(actor=world.dispatcher, event_id=event.pk, note="井盖未固定", now=rework)
    assert open_clock(event, ClockKind.RESOLVE, lead).due_at == rework + timedelta(hours=2)


def test_the_seeds_set_still_counts_the_resolve_clock_from_report_in(world, depts):
    start, dispatch = at(2026, 11, 24, 9, 0), at(2026, 11, 24, 9, 40)
    event, lead = to_department(world, depts, world.red_category, start, dispatch)
    assert open_clock(event, ClockKind.REPORT_IN, lead).due_at == dispatch + timedelta(hours=24)
    reported = dispatch + timedelta(minutes=30)
    services.assignment_report_in(actor=depts.cgzf.officer, assignment_id=lead.pk, now=reported)
    assert open_clock(event, ClockKind.RESOLVE, lead).due_at == reported + timedelta(hours=24)


def test_heating_is_a_utility_of_the_hotline_set(world, depts):
    hotline(world)
    heating = Category.objects.get(code="infra-heating")
    assert heating.name == "供热问题" and heating.parent.code == "infra"
    start = at(2026, 12, 1, 8, 0)
    event = services.event_log(
        actor=world.governor, block=world.block, category=heating, description="暖气不热",
        now=start,
    )  # fmt: skip
    assert open_clock(event, ClockKind.RESOLVE).due_at == start + timedelta(hours=24)
    services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="beyond_means", now=start
    )
    assert open_clock(event, ClockKind.DISPATCH).due_at == start + timedelta(hours=2)
    dispatch = start + timedelta(hours=1)
    services.event_dispatch(
        actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department, now=dispatch
    )
    lead = event.assignments.get()
    assert open_clock(event, ClockKind.REPORT_IN, lead).due_at == dispatch + timedelta(hours=24)
    reported = dispatch + timedelta(hours=3)
    services.assignment_report_in(actor=depts.cgzf.officer, assignment_id=lead.pk, now=reported)
    assert open_clock(event, ClockKind.RESOLVE, lead).due_at == reported + timedelta(hours=24)
    # A matter that is not a utility waits 24 hours for dispatch in the hotline set.
    other = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="摆摊",
        now=start,
    )  # fmt: skip
    services.event_whistle(
        actor=world.governor, event_id=other.pk, reason="beyond_means", now=start
    )
    assert open_clock(other, ClockKind.DISPATCH).due_at == start + timedelta(hours=24)


# --- the guess for a year nobody entered, and the December warning -----------------------
def test_a_year_nobody_entered_keeps_the_fixed_holidays_and_says_it_is_guessing(world):
    assert deadlines.year_guessed(2027)
    # 元旦 (Friday 2027-01-01) and 国庆 (Friday 2027-10-01) are days off in the guess.
    assert deadlines.add_working_days(at(2026, 12, 31, 10, 0), 1) == at(2027, 1, 4, 10, 0)
    assert deadlines.add_working_days(at(2027, 9, 30, 10, 0), 1) == at(2027, 10, 4, 10, 0)
    # 2027-05-03 is a Monday: 1–2 May fall on the weekend that year.
    assert deadlines.add_working_days(at(2027, 4, 30, 10, 0), 1) == at(2027, 5, 3, 10, 0)
    assert deadlines.add_working_days(at(2028, 4, 30, 10, 0), 1) == at(2028, 5, 3, 10, 0)
    assert deadlines.add_working_days(at(2028, 5, 1, 10, 0), 1) == at(2028, 5, 3, 10, 0)


def test_from_the_first_of_december_the_probe_warns_that_next_year_is_missing(world, client):
    assert deadlines.calendar_probe(today=date(2026, 11, 30)) == {"ok": True}
    probe = deadlines.calendar_probe(today=date(2026, 12, 1))
    assert probe["ok"] is True and probe["uncovered_years"] == [2027]
    assert "2027" in probe["warning"] and "guessing" in probe["warning"]
    with time_machine.travel(at(2026, 12, 1, 9, 0)):
        body = client.get("/healthz").json()
    assert body["calendar"]["uncovered_years"] == [2027] and body["calendar"]["guessing"]
    with time_machine.travel(at(2026, 11, 30, 9, 0)):
        assert "warning" not in client.get("/healthz").json()["calendar"]
    working_days.calendar_import(actor=None, year=2027, upload=csv_file(NATIONAL_DAY_2027))
    assert deadlines.calendar_probe(today=date(2026, 12, 1)) == {"ok": True}


def test_the_admin_says_next_year_is_guessed_from_the_first_of_december(world, client):
    client.force_login(UserFactory(is_staff=True, is_superuser=True))
    url = "/admin/events/workingdayoverride/"
    with time_machine.travel(at(2026, 12, 1, 9, 0)):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "2027" in page and "推测" in page
    assert "/admin/events/workingdayoverride/import/" in page
    with time_machine.travel(at(2026, 11, 30, 9, 0)):
        page = client.get(url, HTTP_ACCEPT_LANGUAGE="zh-hans").content.decode()
    assert "推测" not in page


# --- a change of the table moves the open working-day clocks it touches -------------------
# A 2027 table as the State Council might publish it: 国庆 1–7 October, Sunday 26 September
# and Saturday 9 October worked instead.
NATIONAL_DAY_2027 = [
    ("2027-01-01", "休", "元旦"),
    ("2027-09-26", "班", "国庆节调休"),
    *[(f"2027-10-0{d}", "休", "国庆节") for d in range(1, 8)],
    ("2027-10-09", "班", "国庆节调休"),
]


def csv_file(rows, header=("日期", "休/班", "备注"), name="2027.csv"):
    lines = [",".join(header)] + [",".join(row) for row in rows]
    return SimpleUploadedFile(name, ("\n".join(lines) + "\n").encode(), "text/csv")


def xlsx_file(rows, name="2027.xlsx"):
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(["日期", "休/班", "备注"])
    for day, mark, note in rows:
        sheet.append([datetime.fromisoformat(day), mark, note])  # noqa: DTZ007 (a day)
    return SimpleUploadedFile(name, workbook_saved(workbook))


def across_national_day(world):
    """Open clocks over 2027-10-01…07, logged before anybody entered 2027."""
    yellow = services.event_log(  # 5 working days: Thu 30, Mon 4 … Thu 7 October (guess)
        actor=world.governor, block=world.block, category=world.category, description="摆摊",
        now=at(2027, 9, 29, 10, 0),
    )  # fmt: skip
    red = services.event_log(  # 24 hours, in minutes: holidays do not stop it
        actor=world.governor, block=world.block, category=world.red_category,
        description="井盖缺失", now=at(2027, 9, 30, 20, 0),
    )  # fmt: skip
    done = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="已处理",
        now=at(2027, 9, 29, 10, 0),
    )  # fmt: skip
    services.event_resolve(
        actor=world.governor, event_id=done.pk, note="已劝离", now=at(2027, 9, 29, 11, 0)
    )
    return yellow, red, done


def test_importing_a_year_moves_the_open_clocks_across_its_holidays(world):
    yellow, red, done = across_national_day(world)
    resolve = open_clock(yellow, ClockKind.RESOLVE)
    assert resolve.due_at == at(2027, 10, 7, 10, 0)
    # The warning went out on the guessed calendar; it is not taken back, nor repeated.
    warned_at = at(2027, 10, 5, 21, 0)
    enforce_deadlines(now=warned_at)
    resolve.refresh_from_db()
    assert resolve.warned_at == warned_at
    red_clock = open_clock(red, ClockKind.RESOLVE)
    met = done.deadlines.get(kind=ClockKind.RESOLVE)
    before = {c.pk: (c.due_at, c.warn_at) for c in Deadline.objects.all()}
    admin = UserFactory(username="root", is_staff=True, is_superuser=True)

    report = working_days.calendar_import(
        actor=admin, year=2027, upload=csv_file(NATIONAL_DAY_2027)
    )

    assert report.errors == []
    # 30 Sep (1), 1–7 Oct off, Fri 8 (2), Sat 9 worked (3), Mon 11 (4), Tue 12 (5).
    resolve.refresh_from_db()
    assert resolve.due_at == at(2027, 10, 12, 10, 0)
    assert resolve.warn_at == resolve.started_at + (resolve.due_at - resolve.started_at) * 0.8
    assert resolve.warned_at == warned_at
    assert enforce_deadlines(now=at(2027, 10, 11, 9, 0)) == {"breached": 0, "warned": 0}
    for unmoved in (red_clock, met):
        unmoved.refresh_from_db()
        assert (unmoved.due_at, unmoved.warn_at) == before[unmoved.pk]
    # The days that changed: 4–7 October off, 26 September and 9 October worked (1 January
    # and 1 October were already off in the guess).
    assert report.change.days == [
        date(2027, 9, 26), date(2027, 10, 4), date(2027, 10, 5), date(2027, 10, 6),
        date(2027, 10, 7), date(2027, 10, 9),
    ]  # fmt: skip
    assert (report.change.clocks, report.change.cases) == (1, 1)
    entry = AuditEntry.objects.get(object_type="events.workingdayoverride")
    assert entry.actor == admin and entry.detail["source"] == "import"
    assert entry.detail["changed_days"]["2027-10-04"] == "休"
    assert entry.detail["changed_days"]["2027-10-09"] == "班"
    assert entry.detail["clocks_moved"] == 1
    line = yellow.timeline.get(action="deadline")
    assert line.actor == admin and "2027-10-12 10:00" in line.note
    assert not red.timeline.filter(action="deadline").exists()
    assert WorkingDayOverride.objects.filter(day__year=2027).count() == len(NATIONAL_DAY_2027)


def test_the_same_table_again_changes_nothing_and_a_new_one_replaces_the_year(world):
    yellow, _red, _done = across_national_day(world)
    working_days.calendar_import(actor=None, year=2027, upload=xlsx_file(NATIONAL_DAY_2027))
    again = working_days.calendar_import(actor=None, year=2027, upload=xlsx_file(NATIONAL_DAY_2027))
    assert (again.change.days, again.change.clocks) == ([], 0)
    assert yellow.timeline.filter(action="deadline").count() == 1
    # A corrected table without the swapped Saturday: the year is the file's, 9 October is
    # an ordinary Saturday again and the due time moves one working day later.
    corrected = [row for row in NATIONAL_DAY_2027 if row[0] != "2027-10-09"]
    working_days.calendar_import(actor=None, year=2027, upload=xlsx_file(corrected))
    assert not WorkingDayOverride.objects.filter(day=date(2027, 10, 9)).exists()
    assert open_clock(yellow, ClockKind.RESOLVE).due_at == at(2027, 10, 13, 10, 0)


BAD_ROWS = [
    ("2027-10-01", "休", "国庆节"),
    ("2027-02-30", "休", "春节"),  # row 3: no such day
    ("2027-10-02", "假", "国庆节"),  # row 4: neither 休 nor 班
    ("2027-10-03", "休", "国庆\x07节"),  # row 5: a control character
    ("2028-01-01", "休", "元旦"),  # row 6: another year
    ("2027-10-01", "休", "重复"),  # row 7: twice
]


def test_a_bad_row_writes_nothing_and_each_is_reported_in_chinese(world):
    yellow, _red, _done = across_national_day(world)
    due = open_clock(yellow, ClockKind.RESOLVE).due_at
    with translation.override("zh-hans"):
        report = working_days.calendar_import(actor=None, year=2027, upload=csv_file(BAD_ROWS))
    reasons = {row.row: row.message for row in report.errors}
    assert sorted(reasons) == [3, 4, 5, 6, 7]
    assert "不是日期" in reasons[3]
    assert "休" in reasons[4] and "班" in reasons[4] and "既不是" in reasons[4]
    assert "控制字符" in reasons[5] and "U+0007" in reasons[5]
    assert "2027" in reasons[6] and "不在" in reasons[6]
    assert "第 2 行" in reasons[7]
    assert not WorkingDayOverride.objects.exists()
    assert open_clock(yellow, ClockKind.RESOLVE).due_at == due
    assert not AuditEntry.objects.filter(object_type="events.workingdayoverride").exists()
    assert not TimelineEntry.objects.filter(action="deadline").exists()


def test_load_calendar_year_file_imports_and_refuses_a_bad_file(world, tmp_path):
    yellow, _red, _done = across_national_day(world)
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_file(BAD_ROWS).read())
    with pytest.raises(CommandError, match="nothing written"):
        call_command("load_calendar", "2027", str(bad))
    assert not WorkingDayOverride.objects.exists()
    good = tmp_path / "2027.xlsx"
    good.write_bytes(xlsx_file(NATIONAL_DAY_2027).read())
    call_command("load_calendar", "2027", str(good))
    assert open_clock(yellow, ClockKind.RESOLVE).due_at == at(2027, 10, 12, 10, 0)
    assert AuditEntry.objects.get(object_type="events.workingdayoverride").username == ("manage.py")


def test_an_administrators_edit_of_one_day_moves_the_clocks_it_touches(world, client):
    yellow, _red, _done = across_national_day(world)
    root = UserFactory(username="root", is_staff=True, is_superuser=True)
    client.force_login(root)
    response = client.post(
        "/admin/events/workingdayoverride/add/",
        {"day": "2027-10-04", "is_working_day": "", "note": "国庆节"},
    )
    assert response.status_code == 302
    resolve = open_clock(yellow, ClockKind.RESOLVE)
    assert resolve.due_at == at(2027, 10, 8, 10, 0)
    row = WorkingDayOverride.objects.get(day=date(2027, 10, 4))
    # Deleting the day puts the due time back.
    response = client.post(f"/admin/events/workingdayoverride/{row.pk}/delete/", {"post": "yes"})
    assert response.status_code == 302
    resolve.refresh_from_db()
    assert resolve.due_at == at(2027, 10, 7, 10, 0)
    entries = AuditEntry.objects.filter(
        object_type="events.workingdayoverride", detail__change="working_days"
    )
    assert [e.detail["clocks_moved"] for e in entries.order_by("at", "pk")] == [1, 1]
    assert yellow.timeline.filter(action="deadline").count() == 2


def test_the_admins_import_page(world, client):
    across_national_day(world)
    client.force_login(UserFactory(username="root", is_staff=True, is_superuser=True))
    url = "/admin/events/workingdayoverride/import/"
    assert client.get(url).status_code == 200
    response = client.post(
        url, {"year": "2027", "file": csv_file(BAD_ROWS)}, HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    assert response.status_code == 400
    page = response.content.decode()
    assert "未导入" in page and "不是日期" in page
    assert not WorkingDayOverride.objects.exists()
    response = client.post(url, {"year": "2027", "file": csv_file(NATIONAL_DAY_2027)})
    assert response.status_code == 302
    assert WorkingDayOverride.objects.filter(day__year=2027).count() == len(NATIONAL_DAY_2027)
    # Staff without the calendar's permissions may not import.
    client.force_login(UserFactory(username="clerk", is_staff=True))
    assert client.get(url).status_code == 403


def test_only_a_resolve_clock_counts_from_dispatch(world):
    from django.core.exceptions import ValidationError

    from events.models import DeadlinePolicy

    policy = DeadlinePolicy(
        policy_set=PolicySet.HOTLINE, kind=ClockKind.DISPATCH, minutes=60, from_dispatch=True
    )
    with translation.override("zh-hans"), pytest.raises(ValidationError) as refused:
        policy.full_clean()
    assert "只有办结时限可以从派单起算" in str(refused.value)


def test_the_dispatch_notice_gives_the_districts_report_in_time_not_a_fixed_24_hours(world, depts):
    from governance.models import Notification

    hotline(world)
    start, dispatch = at(2026, 11, 24, 9, 0), at(2026, 11, 24, 9, 40)
    to_department(world, depts, world.red_category, start, dispatch)
    notice = Notification.objects.get(kind="event_dispatched", recipient=depts.cgzf.officer)
    assert "11-24 11:40" in notice.title  # two hours after dispatch (China time)
