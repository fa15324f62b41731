"""五者同责 that acts (issue 20, seed 004), with 社区专员 (seed 001) and first secretaries
(seed 004): those who answer for a community hear of its overdue and 督办 notices and read
its cases — and only its own; the five's yearly evaluation shows the community's results."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.core.exceptions import PermissionDenied
from django.urls import reverse

from events import services as event_services
from events.deadlines import SHANGHAI
from events.enforcement import enforce_deadlines
from events.models import Event
from events.supervision import event_supervise
from governance.models import Notification
from liaison import services
from tests.blocks.test_roles import role_holders
from tests.factories import PASSWORD, UserFactory
from tests.liaison.test_flows import _five

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 9, 0, tzinfo=SHANGHAI)  # a Monday morning


@pytest.fixture
def five(world, depts):
    """The five officials of 白石社区 (孙丽 with an account), and of 和平社区 (another
    street's community, 陈刚 with an account): the outsider."""
    official = UserFactory(username="sunli", full_name="孙丽")
    services.joint_group_set(
        actor=world.dispatcher, community=world.community,
        members=_five(world, depts, official),
    )  # fmt: skip
    far_official = UserFactory(username="chengang", full_name="陈刚")
    services.joint_group_set(
        actor=world.other_dispatcher, community=world.other_community,
        members=_five(world, depts, far_official),
    )  # fmt: skip
    return official, far_official


def pending(world, block=None, now=NOW) -> Event:
    return event_services.event_log(
        actor=None, block=block or world.block, category=world.category,
        description="楼道堆放杂物", now=now,
    )  # fmt: skip


def kinds(user) -> set[str]:
    return set(Notification.objects.filter(recipient=user).values_list("kind", flat=True))


def test_a_breach_tells_who_answers_for_the_community_and_nobody_elses(world, depts, five):
    holders = role_holders(world)
    official, far_official = five
    pending(world)
    enforce_deadlines(now=NOW + timedelta(minutes=12))  # the warning: the block's own
    assert "deadline_warning" not in kinds(holders.commissioner) | kinds(official)
    enforce_deadlines(now=NOW + timedelta(minutes=15))  # the block's 15 minutes are gone
    for watcher in (holders.commissioner, holders.first_secretary, official):
        assert "deadline_breach" in kinds(watcher)
    for outsider in (holders.far_commissioner, far_official, holders.police):
        assert "deadline_breach" not in kinds(outsider)


def test_a_breach_in_the_other_community_tells_its_own(world, depts, five):
    holders = role_holders(world)
    official, far_official = five
    pending(world, block=world.far_block)
    enforce_deadlines(now=NOW + timedelta(minutes=15))
    assert "deadline_breach" in kinds(holders.far_commissioner)
    assert "deadline_breach" in kinds(far_official)
    assert not kinds(holders.commissioner) and not kinds(official)


def test_a_card_tells_them_too(world, depts, five):
    holders = role_holders(world)
    official, far_official = five
    event = pending(world)
    event_supervise(actor=world.leader, event_id=event.pk, card="yellow", note="请尽快处理")
    for watcher in (holders.commissioner, holders.first_secretary, official):
        assert "supervision" in kinds(watcher)
    assert "supervision" not in kinds(far_official) | kinds(holders.far_commissioner)


def test_an_official_with_an_account_reads_the_communitys_cases_and_acts_on_none(
    world, depts, five, client
):
    official, far_official = five
    event = pending(world)
    far = pending(world, block=world.far_block)
    assert client.login(username="sunli", password=PASSWORD)
    assert client.get(reverse("events:detail", args=[event.number])).status_code == 200
    assert client.get(reverse("events:detail", args=[far.number])).status_code == 404
    listing = client.get(reverse("events:list")).content.decode()
    assert event.number in listing and far.number not in listing
    with pytest.raises(PermissionDenied):
        event_services.event_comment(actor=official, event_id=event.pk, note="我看看")
    with pytest.raises(PermissionDenied):
        event_services.event_accept(actor=official, event_id=event.pk)
    # Unlinked, the account reads nothing more.
    members = _five(world, depts, None)
    services.joint_group_set(actor=world.dispatcher, community=world.community, members=members)
    assert client.get(reverse("events:detail", args=[event.number])).status_code == 404


def test_the_evaluation_page_shows_the_communitys_results_beside_the_scores(
    world, depts, five, client
):
    official, _far = five
    closed = pending(world, now=NOW)
    event_services.event_accept(actor=world.governor, event_id=closed.pk, now=NOW)
    event_services.event_resolve(
        actor=world.governor, event_id=closed.pk, note="已清理", now=NOW + timedelta(hours=1)
    )
    event_services.event_verify(
        actor=world.supervisor, event_id=closed.pk, now=NOW + timedelta(hours=2)
    )
    pending(world, now=NOW)  # still open
    pending(world, block=world.far_block, now=NOW)  # another community's: not counted
    pending(world, now=NOW - timedelta(days=400))  # another year's: not counted
    assert client.login(username="sunli", password=PASSWORD)
    page = client.get(
        reverse("liaison:joint_group", args=[world.community.code]) + "?year=2026"
    ).content.decode()
    results = page.split('id="community-results"')[1].split("</section>")[0]
    assert 'data-result="cases">2<' in results
    assert 'data-result="closed">1<' in results
    assert 'data-result="on_time">100.0%<' in results
    # The official rates the community (downward) on that page.
    assert 'id="evaluate-form"' in page


def test_the_street_links_an_account_on_the_page(world, depts, five, client):
    assert client.login(username="dispatcher", password=PASSWORD)
    url = reverse("liaison:joint_group", args=[world.community.code])
    fields = {"action": "set"}
    for position, row in _five(world, depts).items():
        fields[f"{position}-name"] = row["name"]
        fields[f"{position}-title"] = row["title"]
    fields["department_leader-department"] = depts.cgzf.department.pk
    fields["street_leader-user"] = "nobody-here"
    client.post(url, fields)
    member = world.community.joint_group.members.get(position="street_leader")
    assert member.user is None  # refused: no such account, nothing written
    assert world.community.joint_group.members.get(position="stationed_cadre").user is not None
    wumin = UserFactory(username="wumin", full_name="吴敏")
    fields["street_leader-user"] = "wumin"
    fields["stationed_cadre-user"] = "sunli"
    client.post(url, fields)
    member.refresh_from_db()
    assert member.user == wumin
    assert "wumin" in client.get(url).content.decode()  # the form shows whose account


# --- 联户长: 10–30 households, per district (seed 003) ----------------------------------------
def test_a_household_leader_links_the_districts_range_of_households(world):
    from django.core.exceptions import ValidationError
    from django.db import IntegrityError, transaction

    from liaison.models import LinkSettings

    def register(n):
        return services.household_leader_create(
            actor=world.governor, block=world.block, name="赵桂兰", households=n
        )

    for refused in (9, 31):  # the default: 10–30
        with pytest.raises(ValidationError) as error:
            register(refused)
        assert "10" in str(error.value) and "30" in str(error.value)
    register(10)
    register(30)
    LinkSettings.objects.create(
        district=world.district, household_leader_min=5, household_leader_max=40
    )
    register(40)
    with pytest.raises(ValidationError):
        register(41)
    # The model's outer bound stays 5–50.
    with pytest.raises(IntegrityError), transaction.atomic():
        LinkSettings.objects.filter(district=world.district).update(household_leader_max=60)
