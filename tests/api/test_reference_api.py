"""Reference data an app needs (issue 19): ``GET /api/departments/`` and
``GET /api/categories/`` give the codes that ``POST /api/events/`` (category) and
``POST /api/events/{id}/dispatch/`` (lead, cooperating) take, scoped to the caller's
district, so an app no longer has to guess them."""

from __future__ import annotations

import pytest

from blocks.models import Department, DepartmentMember
from events.models import Category, DutyItem
from tests.api.conftest import logged
from tests.factories import UserFactory, area

pytestmark = pytest.mark.django_db


@pytest.fixture
def elsewhere(world):
    """Another district with a department of its own and its own duty row for the matter."""
    district = area("430304", "岳塘区")
    department = Department.objects.create(district=district, code="ytcg", name="岳塘城管")
    DutyItem.objects.create(
        district=district, number=1, matter="岳塘占道", category_code=world.category.code,
        lead=department,
    )  # fmt: skip
    officer = UserFactory(username="yt-officer")
    DepartmentMember.objects.create(department=department, user=officer)
    return department, officer


def test_anonymous_callers_get_401(api):
    for url in ("/api/departments/", "/api/categories/"):
        response = api().get(url)
        assert response.status_code == 401, url
        assert response.json()["code"] == "not_authenticated"


def test_departments_are_the_callers_districts_whole_in_one_answer(api, world, depts, elsewhere):
    Department.objects.create(district=world.district, code="old", name="撤并单位", is_active=False)
    for user in (world.governor, world.dispatcher, world.leader, depts.zjj.officer):
        response = api(user).get("/api/departments/")
        assert response.status_code == 200, user
        rows = response.json()
        # A plain list, not a page: a district has tens of departments.
        assert [row["code"] for row in rows] == ["cgzf", "gaj", "scjg", "zjj"], user
    row = next(r for r in rows if r["code"] == "cgzf")
    assert row == {
        "id": depts.cgzf.department.pk, "code": "cgzf", "name": "城管执法", "short_name": "",
        "district": "430302",
    }  # fmt: skip
    # Another district's officer sees only his own; a person posted nowhere sees none.
    assert [r["code"] for r in api(elsewhere[1]).get("/api/departments/").json()] == ["ytcg"]
    assert api(UserFactory(username="nobody")).get("/api/departments/").json() == []


def test_categories_carry_each_matters_duty_list_departments(api, world, depts, elsewhere):
    group = world.category.parent
    inherited = Category.objects.create(code="city-new-matter", name="新事项", parent=group)
    DutyItem.objects.create(
        district=world.district, number=2, matter="市容环境类", category_code=group.code,
        lead=depts.zjj.department,
    )  # fmt: skip
    Category.objects.create(code="city-retired", name="停用事项", parent=group, is_active=False)

    response = api(world.dispatcher).get("/api/categories/")
    assert response.status_code == 200
    rows = {row["code"]: row for row in response.json()}
    assert "city-retired" not in rows
    vending = rows[world.category.code]
    assert vending["name"] == world.category.name and vending["parent"] == group.code
    assert vending["default_priority"] == world.category.default_priority
    # Only the caller's district's row (not 岳塘's), with the codes dispatch takes.
    assert vending["duty"] == [{
        "district": "430302", "number": 1, "matter": "占道经营的查处", "lead": "cgzf",
        "cooperating": ["gaj", "scjg"],
    }]  # fmt: skip
    # A matter without a row of its own takes its group's, as the dispatch desk suggests.
    assert rows[inherited.code]["duty"][0]["lead"] == "zjj"
    assert rows[group.code]["parent"] is None
    assert rows["other-advice"]["duty"] == []
    theirs = {row["code"]: row for row in api(elsewhere[1]).get("/api/categories/").json()}
    assert theirs[world.category.code]["duty"] == [
        {"district": "430304", "number": 1, "matter": "岳塘占道", "lead": "ytcg", "cooperating": []}
    ]


def test_the_codes_are_what_logging_and_dispatch_take(api, world, depts):
    categories = api(world.governor).get("/api/categories/").json()
    matter = next(c for c in categories if c["code"] == world.category.code)
    made = api(world.governor).post("/api/events/", {
        "block": world.block.code, "category": matter["code"], "description": "东门占道摆摊",
    })  # fmt: skip
    assert made.status_code == 201, made.json()
    number = made.json()["number"]
    whistled = api(world.governor).post(
        f"/api/events/{number}/whistle/", {"reason": "law_enforcement"}
    )
    assert whistled.status_code == 200, whistled.json()
    duty = matter["duty"][0]
    dispatched = api(world.dispatcher).post(
        f"/api/events/{number}/dispatch/",
        {"lead": duty["lead"], "cooperating": duty["cooperating"]},
    )
    assert dispatched.status_code == 200, dispatched.json()
    assert sorted(a["department"] for a in dispatched.json()["assignments"]) == [
        "cgzf", "gaj", "scjg",
    ]  # fmt: skip


def test_reference_reads_cost_a_constant_number_of_queries(
    api, world, depts, django_assert_max_num_queries
):
    logged(world)
    client = api(world.dispatcher)
    for url in ("/api/departments/", "/api/categories/"):
        client.get(url)  # warm the caller's scope and session-less auth
        with django_assert_max_num_queries(8):
            assert client.get(url).status_code == 200
