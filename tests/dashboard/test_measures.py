"""Every measure at every level against a hand count of the story (tests/dashboard/conftest).

The expected numbers below are counted from the story's text, case by case, not computed
by the code under test."""

from __future__ import annotations

from datetime import date, datetime

import pytest
import time_machine

from dashboards import rollup
from dashboards.models import ScoringSettings, StatCell, StatCounts, StreetDepartmentEvaluation
from dashboards.selectors import Period, Reader, period_for
from events import stats
from events.models import Event
from events.stats import COUNT_NAMES
from tests.dashboard.conftest import D2, NOW

pytestmark = pytest.mark.django_db

NOVEMBER = Period("custom", date(2026, 11, 1), date(2026, 12, 1))

# Cases per area (counted cases only; E7 invalid and E8 merged are in block 1):
#   block 1 (430302001001001): E1 E2 E4 E9 E12     block 2 (…002): E3 E6 E11
#   far block (430302002001001): E5 E10 (and E0 in October)
HAND = {
    "430302001001001": {
        "new": 5, "invalid": 1, "merged": 1, "open": 2, "overdue": 1, "closed": 3, "accepted": 5,
        "resident_requests": 1, "resident_accepted": 1, "resident_accepted_in_time": 1,
        "resident_response_seconds": 600, "supervised": 0, "supervised_on_time": 0,
        "resolved": 3, "resolved_on_time": 2, "rated": 4, "rated_resolved": 3, "satisfied": 2,
        "basically_satisfied": 1, "dissatisfied": 1, "ever_resolved": 4, "reworked": 1, "whistled": 1,
        "dispatched": 1, "dispatched_on_time": 1, "dispatched_never_returned": 1, "extended": 0,
        "parts_dispatched": 2, "parts_reported_on_time": 1, "parts_returned": 0,
        "resolve_seconds": 3600 + 14 * 86400 + 50 * 3600,
    },
    "430302001001002": {
        "new": 3, "invalid": 0, "merged": 0, "open": 2, "overdue": 2, "closed": 1, "accepted": 2,
        "resident_requests": 2, "resident_accepted": 1, "resident_accepted_in_time": 0,
        "resident_response_seconds": 1200, "supervised": 0, "supervised_on_time": 0,
        "resolved": 2, "resolved_on_time": 1, "rated": 1, "rated_resolved": 1, "satisfied": 0,
        "basically_satisfied": 0, "dissatisfied": 1, "ever_resolved": 2, "reworked": 1, "whistled": 0,
        "dispatched": 0, "dispatched_on_time": 0, "dispatched_never_returned": 0, "extended": 0,
        "parts_dispatched": 0, "parts_reported_on_time": 0, "parts_returned": 0,
        "resolve_seconds": 48 * 3600 + 30 * 3600,
    },
    "430302002001001": {
        "new": 2, "invalid": 0, "merged": 0, "open": 2, "overdue": 1, "closed": 0, "accepted": 1,
        "resident_requests": 1, "resident_accepted": 0, "resident_accepted_in_time": 0,
        "resident_response_seconds": 0, "supervised": 0, "supervised_on_time": 0,
        "resolved": 0, "resolved_on_time": 0, "rated": 0, "rated_resolved": 0, "satisfied": 0,
        "basically_satisfied": 0, "dissatisfied": 0, "ever_resolved": 0, "reworked": 0, "whistled": 1,
        "dispatched": 1, "dispatched_on_time": 1, "dispatched_never_returned": 0, "extended": 1,
        "parts_dispatched": 2, "parts_reported_on_time": 1, "parts_returned": 1, "resolve_seconds": 0,
    },
}  # fmt: skip


HAND_ACCEPTED = 8  # the district's accepted cases in November (HAND's blocks: 5 + 2 + 1)


def _sum(*codes):
    return {k: sum(HAND[c][k] for c in codes) for k in HAND[codes[0]]}


B1, B2, FAR = "430302001001001", "430302001001002", "430302002001001"
LEVELS = {
    B1: HAND[B1],
    B2: HAND[B2],
    FAR: HAND[FAR],
    "430302001001": _sum(B1, B2),  # the community
    "430302001": _sum(B1, B2),  # its street
    "430302002": HAND[FAR],
    "430302002001": HAND[FAR],
    "430302": _sum(B1, B2, FAR),  # the district
}


@pytest.fixture
def rolled(story):
    rollup.rollup(now=NOW)
    return story


@pytest.mark.parametrize("code", sorted(LEVELS))
def test_every_count_at_every_level(rolled, code):
    counts = Reader(code=code, period=NOVEMBER, now=NOW).totals()
    assert {k: counts[k] for k in LEVELS[code]} == LEVELS[code]


def test_the_rates_of_the_district_by_hand(rolled):
    counts = Reader(code="430302", period=NOVEMBER, now=NOW).totals()
    m = stats.measures(counts)
    # 城管 and 公安 reported in on time; 市场监管 late; 住建 returned without reporting in.
    assert (m["report_in_rate"]["numerator"], m["report_in_rate"]["denominator"]) == (2, 4)
    # Residents' requests: E2 (accepted after 10 min), E3 (after 20 min: late), E6 and E10
    # (never accepted); the staff-logged cases (E1, E4, E5, E9, E11, E12) are no measure.
    assert (m["block_response_rate"]["numerator"], m["block_response_rate"]["denominator"]) == (
        1, 4,
    )  # fmt: skip
    assert m["return_rate"]["percent"] == 25.0
    # Resolved: E1 E2 E3 E4 E11; on time E1 E3 E4 (E2 after 14 days, E11 after 30 h red).
    assert (m["on_time_rate"]["numerator"], m["on_time_rate"]["denominator"]) == (3, 5)
    # Rated E1 satisfied, E2 basically, E3 dissatisfied, E4 satisfied, all "resolved"; E12
    # dissatisfied and not resolved (back in rework, its rating still counts).
    assert m["resolution_rate"]["percent"] == 80.0
    assert m["satisfaction_rate"]["percent"] == 60.0
    # Reworked E3 and E12 of the six ever reported done (five resolved + E12).
    assert (m["rework_rate"]["numerator"], m["rework_rate"]["denominator"]) == (2, 6)
    assert m["closure_rate"]["percent"] == 40.0
    assert m["dispatch_on_time_rate"]["percent"] == 100.0
    assert m["accurate_dispatch_rate"]["percent"] == 50.0
    assert m["extension_rate"]["percent"] == 10.0
    # Over the residents' requests accepted: E2 after 10 min and E3 after 20 min (the six
    # cases staff logged, accepted as logged, would have pulled it down to 3.75).
    assert m["avg_response_minutes"]["value"] == 15.0
    assert m["avg_response_minutes"]["count"] == 2
    assert m["avg_resolve_hours"]["value"] == round((1 + 14 * 24 + 48 + 50 + 30) / 5, 2)


def test_basically_satisfied_weighs_what_the_district_says(rolled):
    ScoringSettings.objects.create(district=rolled.world.district, basically_satisfied_factor=0.9)
    from dashboards import board

    summary = board.summary(reader=Reader(code="430302", period=NOVEMBER, now=NOW))
    assert summary["satisfaction_rate"]["numerator"] == pytest.approx(2.9)
    assert summary["satisfaction_rate"]["percent"] == 58.0
    assert "0.9" in summary["satisfaction_rate"]["formula"]


def test_the_year_adds_octobers_month_row(rolled):
    year = period_for("year", today=NOW.date())
    assert (year.start, year.end) == (date(2026, 1, 1), date(2026, 11, 21))
    reader = Reader(code="430302", period=year, now=NOW)
    assert "grain='m'" in str(reader.bucket_q()) or "('grain', 'm')" in str(reader.bucket_q())
    counts = reader.totals()
    assert counts["new"] == 11 and counts["closed"] == 5 and counts["satisfied"] == 3
    assert counts["resolved_on_time"] == 4
    grain, trend = reader.trend()
    assert grain == "m" and len(trend) == 11
    assert {b.month: c["new"] for b, c in trend}[10] == 1
    assert {b.month: c["new"] for b, c in trend}[11] == 10


def test_summary_plus_today_equals_a_count_over_the_cases(rolled):
    start, end = NOVEMBER.bounds
    direct = stats.event_counts(
        Event.objects.filter(created_at__gte=start, created_at__lt=end), now=NOW
    )
    assert Reader(code="430302", period=NOVEMBER, now=NOW).totals() == direct


def test_breakdowns_children_and_blocks(rolled):
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    w = rolled.world
    by_category = reader.by("category")
    assert by_category[str(w.category.pk)]["new"] == 9
    assert by_category[str(w.red_category.pk)]["new"] == 1
    assert by_category[str(w.red_category.pk)]["overdue"] == 1
    by_channel = reader.by("channel")
    assert by_channel["self_report"]["new"] == 4  # E2 E3 E6 E10
    assert by_channel["block_staff"]["new"] == 6
    assert sum(c["new"] for c in reader.by("priority").values()) == 10
    assert reader.by("priority")["red"]["new"] == 1
    children = reader.children()
    assert children["430302001"]["new"] == 8 and children["430302002"]["new"] == 2
    blocks = reader.blocks()
    assert {code: c["overdue"] for code, c in blocks.items()} == {B1: 1, B2: 2, FAR: 1}
    assert reader.blocks()[FAR]["extended"] == 1


def test_overdue_cases_list_them_all(rolled):
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    numbers = {e.number for e in reader.overdue_cases(user=rolled.world.leader)}
    e = rolled.events
    assert numbers == {e[6].number, e[10].number, e[11].number, e[12].number}
    # A street's dispatcher sees only the street's.
    street = Reader(code="430302001", period=NOVEMBER, now=NOW)
    assert {x.number for x in street.overdue_cases(user=rolled.world.dispatcher)} == {
        e[6].number, e[11].number, e[12].number,
    }  # fmt: skip


def test_department_ranking_by_hand(rolled):
    from dashboards.selectors import department_ranking

    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    ranking = department_ranking(
        code="430302", counts=reader.departments(), scoring=stats.Scoring(), two_way={}
    )
    rows = {r["name"]: r for r in ranking}
    # 公安: reported in on time, led E5 (not rated): case score 100, but the street has not
    # scored it: no composite (待评价), not a 100 that ranks first.
    assert rows["公安"]["case_score"] == 100.0 and rows["公安"]["street_score"] is None
    assert rows["公安"]["composite"] is None and rows["公安"]["awaiting_street_score"]
    # 城管: on time, led E4 (satisfied, resolved): 100; street scored 5+4+5 → 93.33.
    assert rows["城管执法"]["street_score"] == 93.33
    assert rows["城管执法"]["composite"] == round(100 * 0.7 + 93.33 * 0.3, 2)
    assert not rows["城管执法"]["awaiting_street_score"]
    # 市场监管: late report-in (0 %), led nothing; street scored 3+3+3 → 60.
    assert rows["市场监管"]["case_score"] == 0.0
    assert rows["市场监管"]["composite"] == 18.0
    # 住建: returned its only part, and was never scored by the street.
    assert rows["住建"]["return_rate"]["percent"] == 100.0 and rows["住建"]["composite"] is None
    # The evaluated first, by composite; then those awaiting the street's score.
    assert [r["name"] for r in ranking] == ["城管执法", "市场监管", "公安", "住建"]
    assert [r["rank"] for r in ranking] == [1, 2, 3, 4]
    # One case each this month, under the default minimum of 5: every one a small sample.
    assert {r["name"]: r["cases"] for r in ranking} == {
        "城管执法": 1,
        "市场监管": 1,
        "公安": 1,
        "住建": 1,
    }
    assert all(r["small_sample"] for r in ranking)
    assert "report_in_rate" in rows["公安"] and "response_rate" not in rows["公安"]
    # One street sees only the departments that worked in it.
    street = Reader(code="430302002", period=NOVEMBER, now=NOW).departments()
    assert {rolled.depts.zjj.department.pk, rolled.depts.gaj.department.pk} == set(street)


def test_the_districts_minimum_decides_a_small_sample(rolled):
    from dashboards.selectors import department_ranking, scoring_for

    ScoringSettings.objects.create(district=rolled.world.district, min_cases=1)
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    ranking = department_ranking(
        code="430302", counts=reader.departments(), scoring=scoring_for("430302"), two_way={}
    )
    assert not any(r["small_sample"] for r in ranking)
    assert "少于 1 件" in scoring_for("430302").describe()


def test_street_share_and_two_way_evaluation_feed_the_ranking(rolled):
    from dashboards.selectors import department_ranking, scoring_for, two_way_scores

    w, depts = rolled.world, rolled.depts
    ScoringSettings.objects.create(district=w.district, street_share=0.4)
    StreetDepartmentEvaluation.objects.create(
        direction="street_to_department", street=w.street, department=depts.scjg.department,
        period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), score=80,
        evaluated_by=w.dispatcher,
    )  # fmt: skip
    StreetDepartmentEvaluation.objects.create(
        direction="department_to_street", street=w.street, department=depts.scjg.department,
        period_start=date(2026, 11, 1), period_end=date(2026, 11, 30), score=90,
        evaluated_by=depts.scjg.officer,
    )  # fmt: skip
    of_departments, of_streets = two_way_scores(code="430302", period=NOVEMBER)
    assert of_departments == {depts.scjg.department.pk: 80} and of_streets == {"430302001": 90}
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    ranking = department_ranking(
        code="430302", counts=reader.departments(), scoring=scoring_for("430302"),
        two_way=of_departments,
    )  # fmt: skip
    rows = {r["name"]: r for r in ranking}
    assert rows["城管执法"]["composite"] == round(100 * 0.6 + 93.33 * 0.4, 2)
    assert rows["市场监管"]["street_score"] == 70.0  # (60 + 80) / 2
    assert rows["市场监管"]["composite"] == 28.0


def test_the_street_share_cannot_go_below_30_percent(story):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        ScoringSettings.objects.create(district=story.world.district, street_share=0.2)


def test_a_change_shows_at_once_and_the_roll_up_takes_it_over(rolled):
    from events import services

    e6 = rolled.events[6]
    reader = Reader(code="430302001001002", period=NOVEMBER, now=NOW)
    assert reader.totals()["overdue"] == 2 and reader.delta() == []
    services.event_accept(actor=rolled.world.neighbour, event_id=e6.pk, now=NOW)
    # Not rolled up yet: the changed block-day is read live (the delta).
    reader = Reader(code="430302001001002", period=NOVEMBER, now=NOW)
    counts = reader.totals()
    assert counts["overdue"] == 1 and counts["accepted"] == 3 and reader.delta()
    assert reader.blocks()[B2]["overdue"] == 1
    assert Reader(code="430302", period=NOVEMBER, now=NOW).children()["430302001"]["overdue"] == 2
    assert rollup.rollup(now=NOW)["marks"] >= 1
    reader = Reader(code="430302001001002", period=NOVEMBER, now=NOW)
    assert reader.totals() == counts and reader.delta() == []


def test_far_behind_is_said_and_nothing_is_undercounted(rolled, monkeypatch, client):
    from events import services

    services.event_accept(actor=rolled.world.neighbour, event_id=rolled.events[6].pk, now=NOW)
    services.event_accept(actor=rolled.world.far_governor, event_id=rolled.events[10].pk, now=NOW)
    start, end = NOVEMBER.bounds
    direct = stats.event_counts(
        Event.objects.filter(created_at__gte=start, created_at__lt=end), now=NOW
    )
    # Two block-days wait for the roll-up; the cap is set below that.
    monkeypatch.setattr(Reader, "MAX_DELTA_CELLS", 1)
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    assert reader.totals() == direct  # from the cases, not a summary missing one change
    assert direct["accepted"] == HAND_ACCEPTED + 2 and direct["overdue"] == 2
    assert reader.children()["430302002"]["accepted"] == 2
    assert reader.blocks()[B2]["overdue"] == 1
    assert reader.freshness() | {"rolled_up_at": None} == {
        "as_of": NOW, "rolled_up_at": None, "behind": True, "pending_cells": 2,
    }  # fmt: skip
    client.force_login(rolled.world.leader)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/api/stats/summary/?area=430302&from=2026-11-01&to=2026-11-30").json()
    assert body["behind"] is True and body["pending_cells"] == 2
    assert body["counts"]["accepted"] == direct["accepted"]
    assert body["counts"]["overdue"] == 2
    # Under the cap the summary plus the two fresh block-days say the same.
    monkeypatch.setattr(Reader, "MAX_DELTA_CELLS", 2)
    reader = Reader(code="430302", period=NOVEMBER, now=NOW)
    assert reader.totals() == direct and not reader.behind and reader.pending == 2


def test_a_clock_falling_due_is_picked_up_without_any_transition(world):
    from datetime import timedelta

    from events import services

    at = NOW - timedelta(days=1)
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="x", now=at
    )
    rollup.rollup(now=at)  # the respond clock is due 15 minutes later
    day = Period("custom", at.date(), at.date() + timedelta(days=1))
    assert Reader(code="430302", period=day, now=at).totals()["overdue"] == 0
    row = StatCell.objects.get(area_code=world.block.code, grain="d", dim="")
    assert row.next_due_at == event.created_at + timedelta(minutes=15)
    later = at + timedelta(minutes=20)
    # Read live before any roll-up: the row is due, so it is recomputed on the fly…
    assert Reader(code="430302", period=day, now=later).totals()["overdue"] == 1
    # …and the next roll-up brings it up again by itself.
    assert rollup.rollup(now=later)["cells"] == 1
    row = StatCell.objects.get(area_code=world.block.code, grain="d", dim="")
    assert row.overdue == 1 and row.next_due_at is None
    assert Reader(code="430302", period=day, now=later).delta() == []


def test_incremental_equals_rebuild_and_runs_twice_the_same(rolled):
    def snapshot():
        return sorted(
            StatCell.objects.values_list(
                "area_code", "grain", "bucket", "dim", "key", *stats.COUNT_NAMES
            )  # fmt: skip
        )

    incremental = snapshot()
    rollup.rollup(now=NOW)
    assert snapshot() == incremental
    rollup.rebuild(now=NOW)
    assert snapshot() == incremental


def test_the_api_returns_every_measure_with_numerator_and_denominator(rolled, client):
    client.force_login(rolled.world.leader)
    with time_machine.travel(NOW, tick=False):
        body = client.get("/api/stats/summary/?area=430302&from=2026-11-01&to=2026-11-30").json()
    for name in ("report_in_rate", "block_response_rate", "on_time_rate", "resolution_rate",
                 "satisfaction_rate", "first_resolution_rate", "first_satisfaction_rate",
                 "return_rate", "rework_rate", "supervised_on_time_rate"):  # fmt: skip
        assert {"value", "numerator", "denominator", "formula"} <= set(body[name])
    assert body["on_time_rate"]["numerator"] == 3 and body["on_time_rate"]["denominator"] == 5
    assert body["counts"]["new"] == 10 and body["counts"]["overdue"] == 4
    assert body["avg_response_minutes"]["value"] == 15.0
    assert "response_rate" not in body  # one name per measure: 报到及时率 is report_in_rate
    assert body["report_in_rate"]["formula"].startswith("报到及时率")
    assert body["block_response_rate"]["formula"].startswith("15分钟响应率")
    assert (
        body["block_response_rate"]["numerator"],
        body["block_response_rate"]["denominator"],
    ) == (1, 4)
    # E4 (law enforcement) and E5 (beyond the block's means) were whistled up.
    assert body["whistle_reasons"] == [
        {"reason": "beyond_means", "label": "超出区块能力", "count": 1},
        {"reason": "law_enforcement", "label": "需要执法", "count": 1},
    ]
    assert body["behind"] is False and body["pending_cells"] == 0
    assert datetime.fromisoformat(body["as_of"].replace("Z", "+00:00")) == NOW
    assert (body["from"], body["to"]) == ("2026-11-01", "2026-11-30")


def test_the_10th_alone(rolled):
    day = Period("custom", D2.date(), D2.date().replace(day=11))
    counts = Reader(code="430302", period=day, now=NOW).totals()
    # E4 E5 E6 E12 (E7 invalid, E8 merged)
    assert (counts["new"], counts["invalid"], counts["merged"]) == (4, 1, 1)
    assert counts["parts_dispatched"] == 4 and counts["closed"] == 1


def test_the_command_rebuilds_what_a_bulk_load_did_not_mark(world):
    import random
    from io import StringIO

    from django.core.management import call_command

    from demo.bulk import generate_events

    generate_events(district=world.district, count=300, rng=random.Random(3), now=NOW)
    assert Reader(code="430302", period=NOVEMBER, now=NOW).totals()["new"] == 0
    out = StringIO()
    with time_machine.travel(NOW, tick=False):
        call_command("rollup_stats", "--rebuild", stdout=out)
    assert "rebuilt" in out.getvalue()
    start, end = NOVEMBER.bounds
    direct = stats.event_counts(
        Event.objects.filter(created_at__gte=start, created_at__lt=end), now=NOW
    )
    assert direct["new"] > 0
    assert Reader(code="430302", period=NOVEMBER, now=NOW).totals() == direct
    year = period_for("year", today=NOW.date())
    direct_year = stats.event_counts(Event.objects.filter(created_at__gte=year.bounds[0],
                                                          created_at__lt=year.bounds[1]), now=NOW)  # fmt: skip
    assert Reader(code="430302", period=year, now=NOW).totals() == direct_year


def test_beat_rolls_up_every_30_seconds_and_the_task_runs_it(rolled):
    from dashboards import tasks
    from governance.celery import app

    entry = app.conf.beat_schedule["rollup-stats"]
    assert entry["task"] == tasks.rollup_stats.name and entry["schedule"] <= 60
    services_change = rolled.events[6]
    from events import services

    services.event_accept(actor=rolled.world.neighbour, event_id=services_change.pk, now=NOW)
    with time_machine.travel(NOW, tick=False):
        result = tasks.rollup_stats()
    assert result["marks"] >= 1 and rollup.as_of() == NOW


def test_a_suspended_clock_is_not_overdue_on_the_dashboard_nor_the_list(rolled, client):
    from events import services
    from events.models import ClockKind, Deadline

    w, e6 = rolled.world, rolled.events[6]
    clock = Deadline.objects.get(event=e6, kind=ClockKind.RESPOND, met_at=None)
    change = services.deadline_change_request(
        actor=w.neighbour, deadline_id=clock.pk, kind="suspend", reason="联系不上反映人",
        now=NOW,
    )  # fmt: skip
    services.deadline_change_decide(actor=w.dispatcher, change_id=change.pk, approve=True, now=NOW)
    counts = Reader(code=B2, period=NOVEMBER, now=NOW).totals()
    assert counts["overdue"] == 1  # only E11 now
    client.force_login(w.leader)
    with time_machine.travel(NOW, tick=False):
        listed = client.get(f"/events/?area={B2}&open=true&overdue=true").context["page"]
    assert [e.number for e in listed] == [rolled.events[11].number]


def test_the_summary_table_has_a_column_for_every_count():
    """A count added to events.stats without its column would be rolled up into nothing."""
    columns = {f.name for f in StatCounts._meta.get_fields()}
    assert columns == set(COUNT_NAMES)
    assert all(f.default == 0 for f in StatCounts._meta.get_fields())
