"""Two people acting at once on one link record: exactly one wins (PostgreSQL, threads)."""

from __future__ import annotations

from datetime import timedelta

import pytest

from events.models import Event
from governance.errors import DomainError, StateConflict
from liaison import services
from liaison.models import LedgerItem, ServiceItem, Wish
from tests.events.test_concurrency import run_at_once
from tests.factories import UserFactory

pytestmark = [pytest.mark.postgres, pytest.mark.django_db(transaction=True)]


def test_two_clicks_on_one_finding_make_one_case(world, links):
    visit = services.visit_record(
        actor=links.cadre_user, cadre=links.cadre, block=world.block, visited_on=links.today,
        findings=[{"description": "楼道堆物"}],
    )  # fmt: skip
    finding = visit.findings.get()
    outcomes = run_at_once(
        lambda: services.finding_to_case(actor=world.governor, finding_id=finding.pk, category=world.category),
        lambda: services.finding_to_case(actor=world.assistant, finding_id=finding.pk, category=world.category),
    )  # fmt: skip
    assert sum(isinstance(o, Event) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, StateConflict) for o in outcomes) == 1, outcomes
    assert Event.objects.count() == 1


def test_two_departments_claiming_one_problem_at_once(world, depts, links):
    plist = services.problem_list_open(
        actor=world.dispatcher, street=world.street, year=2026, quarter=4
    )
    problem = services.problem_add(actor=world.dispatcher, problem_list_id=plist.pk, title="停车难")
    services.problem_list_publish(actor=world.dispatcher, problem_list_id=plist.pk)
    due = links.today + timedelta(days=30)
    outcomes = run_at_once(*[
        (lambda d=d: services.service_claim(actor=d.officer, problem_id=problem.pk, department=d.department,
                                            responsible=d.officer, due_on=due))
        for d in (depts.cgzf, depts.scjg)
    ])  # fmt: skip
    assert sum(isinstance(o, ServiceItem) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, StateConflict) for o in outcomes) == 1, outcomes
    assert ServiceItem.objects.count() == 1


def test_a_department_cannot_race_past_three_claims(world, depts, links):
    plist = services.problem_list_open(
        actor=world.dispatcher, street=world.street, year=2026, quarter=4
    )
    problems = [services.problem_add(actor=world.dispatcher, problem_list_id=plist.pk, title=f"问题{n}")
                for n in range(5)]  # fmt: skip
    services.problem_list_publish(actor=world.dispatcher, problem_list_id=plist.pk)
    cg = depts.cgzf
    second = UserFactory(username="cgzf-second")
    from blocks.models import DepartmentMember

    DepartmentMember.objects.create(department=cg.department, user=second)
    due = links.today + timedelta(days=30)
    for problem in problems[:2]:
        services.service_claim(actor=cg.officer, problem_id=problem.pk, department=cg.department,
                               responsible=cg.officer, due_on=due)  # fmt: skip
    outcomes = run_at_once(*[
        (lambda p=p, u=u: services.service_claim(actor=u, problem_id=p.pk, department=cg.department,
                                                 responsible=u, due_on=due))
        for p, u in ((problems[2], cg.officer), (problems[3], second))
    ])  # fmt: skip
    assert sum(isinstance(o, ServiceItem) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, DomainError) and o.code == "claim_limit" for o in outcomes) == 1, (
        outcomes
    )
    assert ServiceItem.objects.filter(department=cg.department).count() == 3


def test_member_taking_while_the_community_cancels(world, links):
    member = services.member_register(actor=world.governor, community=world.community, name="王秀英",
                                      user=links.member_user)  # fmt: skip
    wish = services.wish_post(
        actor=world.governor, community=world.community, title="修轮椅", resident_name="李"
    )
    services.wish_assign(actor=world.governor, wish_id=wish.pk, member_id=member.pk)
    outcomes = run_at_once(
        lambda: services.wish_take(actor=links.member_user, wish_id=wish.pk),
        lambda: services.wish_cancel(
            actor=world.governor, wish_id=wish.pk, reason="居民已自行解决"
        ),
    )
    assert sum(isinstance(o, Wish) for o in outcomes) == 1, outcomes
    assert sum(isinstance(o, StateConflict) for o in outcomes) == 1, outcomes
    wish.refresh_from_db()
    assert wish.state in (Wish.State.TAKEN, Wish.State.CANCELLED)


def test_ledger_entries_at_once_get_distinct_numbers(world):
    outcomes = run_at_once(*[
        (lambda n=n: services.ledger_enter(actor=world.dispatcher, street=world.street, year=2026, title=f"实事{n}"))
        for n in range(3)
    ])  # fmt: skip
    assert all(isinstance(o, LedgerItem) for o in outcomes), outcomes
    assert sorted(o.number for o in outcomes) == [1, 2, 3]
