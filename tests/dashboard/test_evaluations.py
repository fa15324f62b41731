"""双向评价 at /dashboard/evaluations/: the street's desk rates the departments that worked on
its cases in the month, each department rates the street; once each, 0–100, only one's own
side; the scores reach the dashboard's department ranking."""

from __future__ import annotations

import pytest
import time_machine

from blocks.models import Department
from dashboards import rollup
from dashboards.models import StreetDepartmentEvaluation
from events.models import Assignment
from tests.dashboard.conftest import NOW

pytestmark = pytest.mark.django_db
URL = "/dashboard/evaluations/"


@pytest.fixture
def rolled(story):
    rollup.rollup(now=NOW)
    return story


def _rows(page) -> list[str]:
    html = page.content.decode()
    return sorted(part.split('"', 1)[0] for part in html.split('data-evaluation="')[1:])


def _worked_in_november(street_code: str) -> set[int]:
    return set(
        Assignment.objects.filter(
            event__area_code__startswith=street_code,
            dispatched_at__year=2026, dispatched_at__month=11,
        ).values_list("department_id", flat=True)
    )  # fmt: skip


def test_the_street_desk_rates_each_department_that_worked_for_it_once(rolled, client):
    world, depts = rolled.world, rolled.depts
    client.force_login(world.dispatcher)
    page = client.get(URL, {"month": "2026-11"})
    worked = _worked_in_november(world.street.code)
    assert worked  # the story dispatched cases of the street in November
    assert _rows(page) == sorted(f"street_to_department:{world.street.code}:{d}" for d in worked)
    row = {"month": "2026-11", "direction": "street_to_department",
           "street": world.street.code, "department": depts.scjg.department.pk}  # fmt: skip
    # A score out of range, or none, is refused with a reason and saves nothing.
    for bad in ("101", "-1", "八十", ""):
        response = client.post(URL, {**row, "score": bad}, follow=True)
        assert "0 到 100" in response.content.decode() or "0 to 100" in response.content.decode()
    assert not StreetDepartmentEvaluation.objects.exists()
    response = client.post(URL, {**row, "score": "85", "comment": "配合积极"}, follow=True)
    assert response.redirect_chain[-1][0] == f"{URL}?month=2026-11"
    saved = StreetDepartmentEvaluation.objects.get()
    assert (saved.score, saved.comment, saved.evaluated_by) == (85, "配合积极", world.dispatcher)
    assert (saved.period_start.isoformat(), saved.period_end.isoformat()) == (
        "2026-11-01", "2026-11-30",
    )  # fmt: skip
    assert "配合积极" in response.content.decode()  # shown in place of its form
    again = client.post(URL, {**row, "score": "60"}, follow=True)
    assert StreetDepartmentEvaluation.objects.get().score == 85
    assert len(list(again.context["messages"])) == 1
    # A department that did nothing for the street that month is not rated.
    idle = Department.objects.create(district=world.district, code="slj", name="水利局")
    refused = client.post(URL, {**row, "department": idle.pk, "score": "50"}, follow=True)
    assert "水利局" in str(list(refused.context["messages"])[0])
    assert StreetDepartmentEvaluation.objects.count() == 1


def test_each_side_rates_only_for_itself(rolled, client):
    world, depts = rolled.world, rolled.depts
    worked = _worked_in_november(world.street.code)
    department = next(d for d in (depts.cgzf, depts.scjg, depts.gaj) if d.department.pk in worked)
    as_street = {"month": "2026-11", "direction": "street_to_department",
                 "street": world.street.code, "department": department.department.pk,
                 "score": "90"}  # fmt: skip
    as_department = {**as_street, "direction": "department_to_street", "score": "70"}
    # The other street's desk, the block's governor and the read-only leader may not rate
    # for this street; the department may not rate itself as if it were the street.
    for outsider in (world.other_dispatcher, world.governor, world.leader, department.officer):
        client.force_login(outsider)
        client.post(URL, as_street)
    assert not StreetDepartmentEvaluation.objects.exists()
    # The street's desk may not speak for the department either.
    client.force_login(world.dispatcher)
    client.post(URL, as_department)
    assert not StreetDepartmentEvaluation.objects.exists()
    # The department sees the street on its own sheet and rates it.
    client.force_login(department.officer)
    page = client.get(URL, {"month": "2026-11"})
    assert f"department_to_street:{world.street.code}:{department.department.pk}" in _rows(page)
    client.post(URL, as_department)
    given = StreetDepartmentEvaluation.objects.get()
    assert (given.direction, given.score, given.evaluated_by) == (
        "department_to_street", 70, department.officer,
    )  # fmt: skip
    # Someone with nothing to rate gets an empty sheet, not an error.
    client.force_login(world.governor)
    assert "nothing-to-rate" in client.get(URL, {"month": "2026-11"}).content.decode()


def test_the_scores_count_in_the_dashboards_ranking(rolled, client):
    world, depts = rolled.world, rolled.depts
    worked = _worked_in_november(world.street.code)
    department = next(d for d in (depts.cgzf, depts.scjg, depts.gaj) if d.department.pk in worked)
    client.force_login(world.dispatcher)
    client.post(URL, {"month": "2026-11", "direction": "street_to_department",
                      "street": world.street.code, "department": department.department.pk,
                      "score": "64"})  # fmt: skip
    client.force_login(world.leader)
    with time_machine.travel(NOW, tick=False):
        page = client.get("/dashboard/430302/?period=custom&from=2026-11-01&to=2026-11-30")
    row = next(
        d for d in page.context["data"]["departments"] if d["name"] == department.department.name
    )
    assert row["two_way_score"] == 64
