"""Assisted services (帮代办, issue 20; seeds 000 and 002): the catalogue, asking for one from
each channel, the booked clock (预约服务), closing and rating it like any case, and its counts
apart from complaints."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest
from django.core.exceptions import ValidationError
from django.utils import translation
from django.utils.html import escape
from django.utils.translation import gettext

from dashboards import board, rollup
from dashboards.selectors import Period, Reader
from events import services
from events.categories import ASSISTED_SERVICES
from events.deadlines import add_working_days
from events.models import (
    Category,
    CategoryKind,
    Channel,
    ClockKind,
    DeadlinePolicy,
    Event,
    Satisfaction,
    Status,
)

pytestmark = pytest.mark.django_db

TZ = ZoneInfo("Asia/Shanghai")
T = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)  # a Tuesday
H, M, D = timedelta(hours=1), timedelta(minutes=1), timedelta(days=1)
NOVEMBER = Period("custom", date(2026, 11, 1), date(2026, 12, 1))


def service(code="assist-social-security-card") -> Category:
    return Category.objects.get(code=code)


def clock(event, kind):
    return event.deadlines.get(kind=kind)


def test_the_catalogue_is_sixteen_services_each_with_its_time_limit(world):
    services_ = Category.objects.filter(kind=CategoryKind.ASSISTED_SERVICE, parent__isnull=False)
    assert services_.count() == len(ASSISTED_SERVICES) == 16
    # Seed 000 names two of the 16: 医保缴费 and 低保申请.
    assert {"医保缴费", "低保申请"} <= set(services_.values_list("name", flat=True))
    for category in services_:
        for policy_set in ("seeds", "hotline"):
            row = DeadlinePolicy.objects.get(
                policy_set=policy_set, kind=ClockKind.RESOLVE, category=category, district=None
            )
            assert 1 <= row.working_days <= 3


def test_staff_log_a_booked_service_the_clock_counts_from_the_booked_time(world):
    booked = T + 2 * D + H  # Thursday 10:00
    event = services.event_log(
        actor=world.governor, block=world.block, category=service(),
        description="王奶奶的社保卡丢了，代为补办", reporter_phone="13812345678",
        booked_at=booked, now=T,
    )  # fmt: skip
    assert event.status == Status.IN_BLOCK and event.booked_at == booked
    resolve = clock(event, ClockKind.RESOLVE)
    # 社保卡办理: 3 working days from the booked time, not from now.
    assert resolve.started_at == booked
    assert resolve.due_at == add_working_days(booked, 3) == datetime(2026, 11, 17, 10, 0, tzinfo=TZ)


def test_a_residents_booking_still_gets_its_fifteen_minutes(world):
    booked = T + D
    event = services.event_log(
        actor=None, block=world.block, category=service("assist-elderly-card"),
        description="想办老年证", reporter_phone="13812345678", booked_at=booked, now=T,
    )  # fmt: skip
    assert event.status == Status.PENDING and event.channel == Channel.SELF_REPORT
    assert clock(event, ClockKind.RESPOND).due_at == T + 15 * M  # 一呼即应
    services.event_accept(actor=world.governor, event_id=event.pk, now=T + 5 * M)
    resolve = clock(event, ClockKind.RESOLVE)
    assert (resolve.started_at, resolve.due_at) == (booked, add_working_days(booked, 2))


def test_the_services_limit_outranks_the_colour(world):
    # A red colour gives a complaint 24 hours; a service keeps its own limit.
    event = services.event_log(
        actor=world.governor, block=world.block, category=service("assist-disability-card"),
        priority="red", description="残疾证换领", now=T,
    )  # fmt: skip
    assert clock(event, ClockKind.RESOLVE).due_at == add_working_days(T, 3)
    complaint = services.event_log(
        actor=world.governor, block=world.block, category=world.category, priority="red",
        description="占道", now=T,
    )  # fmt: skip
    assert clock(complaint, ClockKind.RESOLVE).due_at == T + 24 * H


PAST = "The booked time has passed: choose a later time."


@pytest.mark.parametrize(
    ("code", "booked", "message"),
    [
        ("city-street-vending", T + D, "Only an assisted service can be booked for a time."),
        ("assist-social-security-card", T - H, PAST),
        ("assist-social-security-card", T + 61 * D, "A service can be booked at most %(days)s days ahead."),
    ],
)  # fmt: skip
def test_a_wrong_booking_is_refused_and_nothing_written(world, code, booked, message):
    with pytest.raises(ValidationError) as refused:
        services.event_log(
            actor=world.governor, block=world.block, category=Category.objects.get(code=code),
            description="x", booked_at=booked, now=T,
        )  # fmt: skip
    assert refused.value.messages == [gettext(message) % {"days": 60}]
    assert not Event.objects.exists()


def _service_closed(world, *, at, late=False, satisfaction=None, code=None):
    """A resident asks, the block takes it, does it (in time or a week late), the supervisor
    verifies; then the resident rates it."""
    event = services.event_log(
        actor=None, block=world.block, category=service(code or "assist-utility-payment"),
        description="代缴电费", reporter_phone="13812345678", now=at,
    )  # fmt: skip
    services.event_accept(actor=world.governor, event_id=event.pk, now=at + 5 * M)
    done = at + (7 * D if late else 2 * H)
    services.event_resolve(
        actor=world.governor, event_id=event.pk, note="已代缴电费200元，收据交给本人", now=done
    )
    event = services.event_verify(actor=world.supervisor, event_id=event.pk, now=done + H)
    if satisfaction:
        event = services.event_rate(
            actor=None, event_id=event.pk, satisfaction=satisfaction, resolved=True,
            now=done + 2 * H,
        )  # fmt: skip
    return event


def test_services_are_counted_apart_from_complaints_on_the_dashboard(world):
    now = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
    # Complaints: one closed (rated satisfied), one open.
    complaint = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="占道",
        now=T,
    )  # fmt: skip
    services.event_resolve(actor=world.governor, event_id=complaint.pk, note="已劝离", now=T + H)
    services.event_verify(actor=world.supervisor, event_id=complaint.pk, now=T + 2 * H)
    services.event_rate(actor=None, event_id=complaint.pk, satisfaction=Satisfaction.SATISFIED,
                        resolved=True, now=T + 3 * H)  # fmt: skip
    services.event_log(
        actor=None, block=world.block, category=world.category, description="噪音", now=T
    )
    # Services: done in time and satisfied; done late and dissatisfied… resolved; done in
    # time, not rated; one still open (booked); one invalid (not counted).
    a = _service_closed(world, at=T, satisfaction=Satisfaction.SATISFIED)
    b = _service_closed(world, at=T, late=True, satisfaction=Satisfaction.BASICALLY_SATISFIED)
    c = _service_closed(world, at=T)
    services.event_log(
        actor=world.governor, block=world.block, category=service(), description="补卡",
        booked_at=T + D, now=T,
    )  # fmt: skip
    invalid = services.event_log(
        actor=None, block=world.block, category=service(), description="x", now=T
    )
    services.event_invalidate(
        actor=world.governor, event_id=invalid.pk, reason="重复提交", now=T + M
    )
    assert a.status == b.status == c.status == Status.CLOSED

    rollup.rollup(now=now)
    summary = board.summary(reader=Reader(code="430302", period=NOVEMBER, now=now))
    counts = summary["counts"]
    # Complaints only in every existing count (hand count: 2 logged, 1 closed, 1 open).
    assert (counts["new"], counts["closed"], counts["open"], counts["invalid"]) == (2, 1, 1, 0)
    assert summary["on_time_rate"]["denominator"] == 1
    assert summary["satisfaction_rate"]["denominator"] == 1
    # Services apart: 4 asked (the invalid one not counted), 3 done, 2 in time, 2 rated.
    assert counts["assisted_requests"] == 4
    assert counts["assisted_closed"] == 3
    assert summary["assisted_on_time_rate"]["numerator"] == 2
    assert summary["assisted_on_time_rate"]["denominator"] == 3
    assert summary["assisted_satisfaction_rate"]["percent"] == 100.0
    assert summary["assisted_satisfaction_rate"]["denominator"] == 2


# --- each channel, end to end (pages and the API), with scoping --------------------------
@pytest.fixture
def api():
    """``api(user)``: an API client signed in as ``user``."""
    from rest_framework.test import APIClient

    def make(user) -> APIClient:
        client = APIClient()
        client.default_format = "json"
        client.force_authenticate(user)
        return client

    return make


def _local(moment: datetime) -> str:
    """What a datetime-local input sends."""
    return moment.astimezone(TZ).strftime("%Y-%m-%dT%H:%M")


def _tomorrow_ten() -> datetime:
    from django.utils import timezone

    return (timezone.now().astimezone(TZ) + D).replace(hour=10, minute=0, second=0, microsecond=0)


def _take_it_through(world, event, api):
    """The block takes it, does it (noting what it did), the supervisor verifies, the
    resident rates it on the tracking page's service — like any case."""
    governor, supervisor = api(world.governor), api(world.supervisor)
    if event.status == Status.PENDING:
        assert governor.post(f"/api/events/{event.number}/accept/", {}).status_code == 200
    done = governor.post(
        f"/api/events/{event.number}/resolve/", {"note": "已代为办理，证件已送到本人手中"}
    )
    assert done.status_code == 200, done.content
    # Whoever did it does not verify it (separation of duties): the supervisor does.
    assert governor.post(f"/api/events/{event.number}/verify/", {}).status_code == 403
    assert supervisor.post(f"/api/events/{event.number}/verify/", {}).status_code == 200
    event = services.event_rate(
        actor=None, event_id=event.pk, satisfaction=Satisfaction.SATISFIED, resolved=True
    )
    assert event.status == Status.CLOSED and event.rated_at is not None
    return event


def _scoped(world, api, event):
    """Insider sees it; the neighbour block, another street and a department do not (404)."""
    from blocks.models import Department, DepartmentMember
    from tests.factories import UserFactory

    path = f"/api/events/{event.number}/"
    assert api(world.governor).get(path).status_code == 200
    assert api(world.dispatcher).get(path).status_code == 200
    listed = api(world.governor).get("/api/assisted-requests/").json()["results"]
    assert event.number in [row["number"] for row in listed]
    officer = UserFactory(username="officer-x")
    department = Department.objects.create(district=world.district, code="mzj", name="民政")
    DepartmentMember.objects.create(department=department, user=officer)
    for outsider in (world.neighbour, world.other_dispatcher, world.far_governor, officer):
        assert api(outsider).get(path).status_code == 404
        rows = api(outsider).get("/api/assisted-requests/").json()["results"]
        assert event.number not in [row["number"] for row in rows]
        assert api(outsider).post(f"{path}accept/", {}).status_code == 404


def test_a_resident_books_a_service_on_the_public_page(client, world, api):
    page = client.get("/r/?kind=service").content.decode()
    assert "社保卡办理" in page and 'name="booked_at"' in page
    assert "占道经营" not in page  # the service page lists the catalogue only
    assert "社保卡办理" not in client.get("/r/").content.decode()  # and the report page not
    booked = _tomorrow_ten()
    response = client.post("/r/", {
        "kind": "service", "street": world.street.pk, "community": world.community.pk,
        "block": world.block.pk, "category": service().pk, "description": "帮我母亲补办社保卡",
        "reporter_phone": "13812345678", "booked_at": _local(booked),
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:2000]
    event = Event.objects.get()
    assert (event.category, event.booked_at, event.channel) == (
        service(),
        booked,
        Channel.SELF_REPORT,
    )
    shown = booked.astimezone(TZ).strftime("%Y-%m-%d %H:%M")
    track = client.get(f"/r/t/{event.tracking_code}/").content.decode()
    assert f'id="booked-at">{shown}<' in track
    _scoped(world, api, event)
    event = _take_it_through(world, event, api)
    assert clock(event, ClockKind.RESOLVE).started_at == booked
    client.force_login(world.governor)
    assert shown in client.get(f"/events/{event.number}/").content.decode()


def test_a_past_booking_on_the_public_page_is_refused_in_the_residents_words(client, world):
    past = _tomorrow_ten() - 3 * D
    response = client.post("/r/", {
        "kind": "service", "block": world.block.pk, "category": service().pk,
        "description": "补办社保卡", "reporter_phone": "13812345678", "booked_at": _local(past),
    }, HTTP_ACCEPT_LANGUAGE="zh-hans")  # fmt: skip
    assert response.status_code == 400
    with translation.override("zh-hans"):
        assert escape(gettext(PAST)) in response.content.decode()
    assert not Event.objects.exists()
    # A complaint's matter is not a service.
    response = client.post("/r/", {
        "kind": "service", "block": world.block.pk, "category": world.category.pk,
        "description": "x", "reporter_phone": "13812345678",
    })  # fmt: skip
    assert response.status_code == 400 and not Event.objects.exists()


def test_a_household_leader_asks_for_a_service_and_the_block_takes_it(client, world, api):
    from liaison import services as liaison_services
    from liaison.models import HouseholdMatter

    leader, token = liaison_services.household_leader_create(
        actor=world.governor, block=world.block, name="赵桂兰", phone="13812345678",
        households=24,
    )  # fmt: skip
    page = client.get(f"/links/h/{token}/").content.decode()
    assert "老年证办理" in page
    booked = _tomorrow_ten()
    elderly = service("assist-elderly-card")
    response = client.post(f"/links/h/{token}/", {
        "description": "5栋刘大爷腿脚不便，想办老年证", "service": elderly.pk,
        "booked_at": _local(booked),
    })  # fmt: skip
    assert response.status_code == 302
    event = HouseholdMatter.objects.get().event
    assert (event.category, event.booked_at, event.channel) == (
        elderly,
        booked,
        Channel.HOUSEHOLD_LEADER,
    )
    # A booked time without a service is refused, nothing written.
    response = client.post(f"/links/h/{token}/", {"description": "x", "booked_at": _local(booked)})
    assert response.status_code == 200 and HouseholdMatter.objects.count() == 1
    # The block's list preselects the service on the accept form.
    client.force_login(world.governor)
    listing = client.get("/links/households/").content.decode()
    assert f'<option value="{elderly.pk}" selected>' in listing
    _scoped(world, api, event)
    _take_it_through(world, event, api)


def test_staff_log_a_service_at_the_workbench_with_a_booked_time(client, world, api):
    client.force_login(world.governor)
    page = client.get("/events/workbench/").content.decode()
    assert 'id="booked-field"' in page and 'data-service="1"' in page
    booked = _tomorrow_ten()
    response = client.post("/events/new/", {
        "block": world.block.pk, "category": service("assist-residence-permit").pk,
        "description": "租户小王的居住证代办", "reporter_phone": "13812345678",
        "booked_at": _local(booked),
    })  # fmt: skip
    assert response.status_code == 302, response.content.decode()[:3000]
    event = Event.objects.get()
    assert event.status == Status.IN_BLOCK and event.booked_at == booked
    assert clock(event, ClockKind.RESOLVE).due_at == add_working_days(booked, 3)
    _scoped(world, api, event)
    _take_it_through(world, event, api)


def test_the_dashboard_shows_services_in_their_own_block(client, world):
    import html as html_lib

    at = datetime.now(TZ) - 5 * H
    done = _service_closed(world, at=at, satisfaction=Satisfaction.SATISFIED)
    complaint = services.event_log(
        actor=world.governor, block=world.block, category=world.category, description="占道",
        now=at,
    )  # fmt: skip
    client.force_login(world.leader)
    page = client.get("/dashboard/430302/?period=month").content.decode()
    block = page.split('id="assisted"')[1].split("</section>")[0]
    assert 'data-measure="assisted_closed"' in block
    assert "100" in block.split('data-measure="assisted_satisfaction_rate"')[1]
    # The number opens the list of exactly the counted requests.
    link = block.split('data-measure="assisted_requests"')[0].rsplit('href="', 1)[1].split('"')[0]
    listing = client.get(html_lib.unescape(link)).content.decode()
    assert done.number in listing and complaint.number not in listing
