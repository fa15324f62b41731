"""Issue 17's numbers against hand counts: 督办 counts per block, street and department
(and in the ranking), whistle reasons per area with their case-list filter, the household
leader's matter timed from its report, and each governor's 15-minute response on the
block card."""

from __future__ import annotations

import re
from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
import time_machine

from dashboards import board, rollup
from dashboards.models import DirtyCell
from dashboards.selectors import Period, Reader, department_ranking, scoring_for
from events import services
from events.models import Assignment, Channel, ClockKind, Deadline
from events.supervision import event_supervise
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)  # a Tuesday
H, M = timedelta(hours=1), timedelta(minutes=1)
NOVEMBER = Period("custom", date(2026, 11, 1), date(2026, 12, 1))


def _part(event, code) -> Assignment:
    return event.assignments.get(department__code=code, state__in=Assignment.OPEN_STATES)


@pytest.fixture
def supervised(world, depts):
    """Five cases of block 1 under 督办, each counted by hand below."""
    w, cat, g = world, world.category, world.governor
    lead = w.leader
    s = {}
    # S1: a resident's report, a yellow card, resolved within its limit, closed: on time.
    s[1] = services.event_log(actor=None, block=w.block, category=cat, description="a", now=T)
    services.event_accept(actor=g, event_id=s[1].pk, now=T + 5 * M)
    event_supervise(actor=lead, event_id=s[1].pk, card="yellow", note="请尽快", now=T + 10 * M)
    services.event_resolve(actor=g, event_id=s[1].pk, note="已处理", now=T + H)
    services.event_verify(actor=w.supervisor, event_id=s[1].pk, now=T + 2 * H)
    # S2: whistled to 城管, a red card for the 11th; closed on the 12th: late.
    s[2] = services.event_log(actor=g, block=w.block, category=cat, description="b", now=T)
    services.event_whistle(actor=g, event_id=s[2].pk, reason="law_enforcement", now=T + 5 * M)
    services.event_dispatch(actor=w.dispatcher, event_id=s[2].pk, lead=depts.cgzf.department,
                            now=T + H)  # fmt: skip
    event_supervise(actor=lead, event_id=s[2].pk, card="red", note="挂牌督办",
                    due=date(2026, 11, 11), now=T + 2 * H)  # fmt: skip
    part = _part(s[2], "cgzf")
    services.assignment_report_in(actor=depts.cgzf.officer, assignment_id=part.pk, now=T + 3 * H)
    services.assignment_feedback(actor=depts.cgzf.officer, assignment_id=part.pk, note="已办",
                                 now=T + 49 * H)  # fmt: skip
    services.event_verify(actor=w.dispatcher, event_id=s[2].pk, now=T + 50 * H)
    # S3: a red card for the 13th, closed on the 11th: on time.
    s[3] = services.event_log(actor=g, block=w.block, category=cat, description="c", now=T)
    event_supervise(actor=lead, event_id=s[3].pk, card="red", note="限期办结",
                    due=date(2026, 11, 13), now=T + 10 * M)  # fmt: skip
    services.event_resolve(actor=g, event_id=s[3].pk, note="已处理", now=T + 24 * H)
    services.event_verify(actor=w.supervisor, event_id=s[3].pk, now=T + 25 * H)
    # S4: a yellow card, still open: not (yet) done in time.
    s[4] = services.event_log(actor=g, block=w.block, category=cat, description="d", now=T)
    event_supervise(actor=lead, event_id=s[4].pk, card="yellow", note="催办", now=T + 10 * M)
    # S5: a red card for the 11th replaced by its author with one for the 14th; closed on
    # the 12th: on time by the card in force.
    s[5] = services.event_log(actor=g, block=w.block, category=cat, description="e", now=T)
    event_supervise(actor=lead, event_id=s[5].pk, card="red", note="限期",
                    due=date(2026, 11, 11), now=T + 10 * M)  # fmt: skip
    event_supervise(actor=lead, event_id=s[5].pk, card="red", note="延至14日",
                    due=date(2026, 11, 14), now=T + 20 * M)  # fmt: skip
    services.event_resolve(actor=g, event_id=s[5].pk, note="已处理", now=T + 30 * H)
    services.event_verify(actor=w.supervisor, event_id=s[5].pk, now=T + 50 * H)
    return s


@pytest.mark.parametrize("code", ["430302001001001", "430302001", "430302"])
def test_supervised_counts_by_hand(world, supervised, code):
    rollup.rollup(now=NOW)
    counts = Reader(code=code, period=NOVEMBER, now=NOW).totals()
    # Five cases under a card; S1 (yellow, in time), S3 and S5 (red, by the date in force).
    assert (counts["supervised"], counts["supervised_on_time"]) == (5, 3)
    summary = board.summary(reader=Reader(code=code, period=NOVEMBER, now=NOW))
    rate = summary["supervised_on_time_rate"]
    assert (rate["numerator"], rate["denominator"], rate["percent"]) == (3, 5, 60.0)
    assert rate["formula"].startswith("督办按期办结率")


def test_supervised_per_department_and_in_the_ranking(world, depts, supervised):
    rollup.rollup(now=NOW)
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    cgzf = depts.cgzf.department.pk
    departments = reader.departments()
    # 城管 led S2 only: under a red card, closed after its date.
    assert (departments[cgzf]["supervised"], departments[cgzf]["supervised_on_time"]) == (1, 0)
    ranking = department_ranking(
        code="430302", counts=departments, scoring=scoring_for("430302"), two_way={}
    )
    row = next(r for r in ranking if r["department_id"] == cgzf)
    assert row["supervised"] == 1 and row["supervised_on_time_rate"]["percent"] == 0.0
    assert row["awaiting_street_score"] and row["composite"] is None and row["small_sample"]


def test_a_card_marks_the_block_day_and_reads_at_once(world, supervised):
    rollup.rollup(now=NOW)
    assert Reader(code="430302", period=NOVEMBER, now=NOW).totals()["supervised"] == 5
    s6 = services.event_log(actor=world.governor, block=world.block, category=world.category,
                            description="f", now=T)  # fmt: skip
    rollup.rollup(now=NOW)
    event_supervise(actor=world.leader, event_id=s6.pk, card="yellow", note="催办", now=NOW)
    assert DirtyCell.objects.filter(area_code=world.block.code, day=T.date()).exists()
    # Before any roll-up the dashboard counts it (the block-day is read live)…
    assert Reader(code="430302", period=NOVEMBER, now=NOW).totals()["supervised"] == 6
    # …and the roll-up takes it over.
    rollup.rollup(now=NOW)
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    assert reader.totals()["supervised"] == 6 and reader.delta() == []


def test_the_dashboard_counts_supervised_cases_with_their_list(world, supervised, client):
    client.force_login(world.leader)
    with time_machine.travel(NOW, tick=False):
        data = client.get("/dashboard/430302/data.json?period=custom&from=2026-11-01&to=2026-11-30")
        kpi = next(k for k in data.json()["kpis"] if k["name"] == "supervised")
        assert kpi["value"] == 5
        listed = client.get(kpi["link"]).context["page"]
    assert {e.pk for e in listed} == {e.pk for e in supervised.values()}


# --- whistle reasons ------------------------------------------------------------------------
def test_whistle_reasons_per_area_and_period_with_their_cases(story, client):
    rollup.rollup(now=NOW)
    e = story.events
    client.force_login(story.world.leader)
    with time_machine.travel(NOW, tick=False):
        data = client.get("/dashboard/430302/data.json?period=custom&from=2026-11-01&to=2026-11-30")
        reasons = data.json()["whistle_reasons"]
        # E4 needed law enforcement (street 001), E5 was beyond the far block's means (002).
        assert [(r["reason"], r["count"]) for r in reasons] == [
            ("beyond_means", 1), ("law_enforcement", 1),
        ]  # fmt: skip
        assert reasons[1]["label"] == "需要执法"
        listed = client.get(reasons[1]["link"]).context["page"]
        assert [x.number for x in listed] == [e[4].number]
        today = client.get("/dashboard/430302002/data.json?period=today").json()
    assert today["whistle_reasons"] == []  # nothing logged today was whistled
    by_reason = Reader(code="430302002", period=NOVEMBER, now=NOW).by("reason")
    assert {k: c["whistled"] for k, c in by_reason.items()} == {"beyond_means": 1}


def test_the_case_list_and_the_api_filter_by_whistle_reason(story, client):
    e = story.events
    client.force_login(story.world.leader)
    page = client.get("/events/?whistle_reason=beyond_means").context["page"]
    assert [x.number for x in page] == [e[5].number]
    body = client.get("/api/events/?whistle_reason=law_enforcement").json()
    assert [x["number"] for x in body["results"]] == [e[4].number]
    refused = client.get("/api/events/?whistle_reason=bored")
    assert refused.status_code == 400 and "whistle_reason" in refused.json()["errors"]
    schema = client.get("/api/schema/?format=json").json()
    params = {p["name"]: p for p in schema["paths"]["/api/events/"]["get"]["parameters"]}
    assert params["whistle_reason"]["schema"]["enum"] == [
        "beyond_means", "emergency", "law_enforcement", "other",
    ]  # fmt: skip


# --- household leaders' matters -------------------------------------------------------------
def test_a_household_leaders_matter_is_timed_from_its_report(world):
    from liaison import services as liaison

    leader, _token = liaison.household_leader_create(
        actor=world.governor, block=world.block, name="赵桂兰", phone="13812345678",
        households=24, now=T,
    )  # fmt: skip
    late = liaison.household_matter_report(leader=leader, description="路灯坏了", now=T)
    quick = liaison.household_matter_report(leader=leader, description="井盖松动", now=T + H)
    slow_case = liaison.household_matter_accept(
        actor=world.governor, matter_id=late.pk, category=world.category, now=T + 20 * M
    )
    quick_case = liaison.household_matter_accept(
        actor=world.governor, matter_id=quick.pk, category=world.category, now=T + H + 5 * M
    )
    # Logged when the leader reported it, as a resident's request, answered at acceptance.
    assert slow_case.created_at == T and slow_case.accepted_at == T + 20 * M
    assert slow_case.channel == Channel.HOUSEHOLD_LEADER and slow_case.handler == world.governor
    clock = Deadline.objects.get(event=slow_case, kind=ClockKind.RESPOND)
    assert (clock.started_at, clock.due_at, clock.met_at) == (T, T + 15 * M, T + 20 * M)
    assert quick_case.created_at == T + H
    counts = Reader(code=world.block.code, period=NOVEMBER, now=NOW).totals()
    rate = board.summary(reader=Reader(code=world.block.code, period=NOVEMBER, now=NOW))
    assert (counts["resident_requests"], counts["resident_accepted_in_time"]) == (2, 1)
    assert rate["block_response_rate"]["percent"] == 50.0
    assert rate["avg_response_minutes"]["value"] == 12.5  # (20 + 5) / 2


# --- each governor's 15 minutes on the block card -------------------------------------------
def test_the_block_card_shows_each_governors_response(world, client):
    from blocks.models import Posting

    today = NOW.date()
    g = world.governor
    earlier = NOW - timedelta(days=5)
    # Under the first governor: one answered in 10 minutes, one in 20; a staff-logged case.
    for minutes in (10, 20):
        event = services.event_log(actor=None, block=world.block, category=world.category,
                                   description="x", now=earlier)  # fmt: skip
        services.event_accept(actor=g, event_id=event.pk, now=earlier + minutes * M)
    services.event_log(actor=g, block=world.block, category=world.category, description="y",
                       now=earlier)  # fmt: skip
    # The first governor hands over three days ago.
    first = Posting.objects.get(user=g, area=world.block, role=Posting.Role.GOVERNOR)
    Posting.objects.filter(pk=first.pk).update(started_on=today - timedelta(days=60),
                                               ended_on=today - timedelta(days=3))  # fmt: skip
    Posting.objects.create(user=world.assistant, area=world.block, role=Posting.Role.GOVERNOR,
                           started_on=today - timedelta(days=2))  # fmt: skip
    # Under the new one: a resident's report nobody answered yet.
    services.event_log(actor=None, block=world.block, category=world.category, description="z",
                       now=NOW - H)  # fmt: skip
    client.force_login(world.leader)
    with time_machine.travel(NOW, tick=False):
        response = client.get(f"/areas/{world.block.code}/")
    html = response.content.decode()
    panel = html[html.index('id="governor-response"') :]
    panel = panel[: panel.index("</section>")]
    rows = dict(re.findall(r'<tr data-governor="([^"]+)">(.*?)</tr>', panel, re.S))
    old = rows[g.get_full_name() or g.username]
    new = rows[world.assistant.get_full_name() or world.assistant.username]
    # The first governor: 1 of 2 in time (10 and 20 minutes: 15 on average); now former.
    assert "50.0%" in old and "1 / 2" in old and "15.0" in old and "chip" in old
    # The new one: the request waiting for an hour is not answered in time.
    assert "0.0%" in new and "0 / 1" in new and "chip" not in new


# --- one name per measure -----------------------------------------------------------------
def test_report_in_rate_is_one_name_on_the_page_the_screen_the_api_and_the_xlsx(story, client):
    import io

    from openpyxl import load_workbook

    from events import stats

    rollup.rollup(now=NOW)
    measure = stats.MEASURES["report_in_rate"]
    label, formula = str(measure.label), stats.formula(measure)
    assert formula.startswith("报到及时率") and "response_rate" not in stats.MEASURES
    client.force_login(story.world.leader)
    with time_machine.travel(NOW, tick=False):
        query = "?period=custom&from=2026-11-01&to=2026-11-30"
        page = client.get(f"/dashboard/430302/{query}").content.decode()
        data = client.get(f"/dashboard/430302/data.json{query}").json()  # the big screen's
        api = client.get("/api/stats/summary/?area=430302&from=2026-11-01&to=2026-11-30").json()
        xlsx = client.post("/dashboard/430302/report.xlsx", {"month": "2026-11"}, follow=True)
    row = next(r for r in data["rates"] if r["name"] == "report_in_rate")
    assert (row["label"], row["formula"]) == (label, formula)
    assert (api["report_in_rate"]["formula"], api["report_in_rate"]["numerator"]) == (formula, 2)
    assert 'data-measure="report_in_rate"' in page and label in page
    summary = load_workbook(io.BytesIO(xlsx.content)).worksheets[0]
    cells = {r[0].value: r for r in summary.iter_rows() if r[0].value}
    assert cells[label][4].value == formula and cells[label][2].value == 2
