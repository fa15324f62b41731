"""Notices (issue 6): the bell and its list page, and delivery by e-mail and group robot."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.core import mail
from django.test import Client
from django.utils import timezone

from events import services
from events.enforcement import enforce_deadlines
from governance.models import Delivery, Notification
from governance.notifications import MAX_ATTEMPTS, deliveries_relay, notify
from tests.events.test_concurrency import run_at_once
from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db


def ran(*, delivered=0, failed=0, skipped=0, more=0) -> dict[str, int]:
    """What one relay run returns."""
    return {"delivered": delivered, "failed": failed, "skipped": skipped, "more": more}


def tell(world, *recipients, key="k1", title="督办：案件 YH-1 已超时", now=None, **extra):
    notify(
        recipients=recipients, kind="deadline_breach", title=title, dedupe_key=key,
        now=now or timezone.now(), link="/events/YH-1/", body="路灯不亮", **extra,
    )  # fmt: skip


# --- In the application -------------------------------------------------------------------
def test_each_recipient_gets_each_notice_once(world):
    tell(world, world.governor, world.governor.pk, world.supervisor)
    tell(world, world.governor, world.supervisor)  # the same notice written again
    assert Notification.objects.filter(recipient=world.governor).count() == 1
    assert Notification.objects.filter(recipient=world.supervisor).count() == 1


def test_the_list_shows_my_notices_newest_first_and_nobody_elses(world, client):
    now = timezone.now()
    tell(world, world.governor, key="old", title="旧的通知", now=now - timedelta(hours=1))
    tell(world, world.governor, key="new", title="新的通知", now=now)
    tell(world, world.neighbour, key="theirs", title="别人的通知", now=now)
    client.force_login(world.governor)
    page = client.get("/notifications/").content.decode()
    assert page.index("新的通知") < page.index("旧的通知")
    assert "别人的通知" not in page
    assert 'value="/events/YH-1/"' in page  # opening a notice leads to its case
    assert 'href="/notifications/"' in page  # the bell goes to the list


def test_opening_a_notice_marks_it_read_and_goes_to_the_case(world, client):
    tell(world, world.governor)
    notice = Notification.objects.get(recipient=world.governor)
    client.force_login(world.governor)
    response = client.post(f"/notifications/{notice.pk}/read/", {"next": notice.link})
    assert response.status_code == 302 and response["Location"] == "/events/YH-1/"
    notice.refresh_from_db()
    first_read = notice.read_at
    assert first_read is not None
    client.post(f"/notifications/{notice.pk}/read/")  # twice: the first moment stays
    notice.refresh_from_db()
    assert notice.read_at == first_read
    # Somewhere else than this site is never a destination.
    response = client.post(f"/notifications/{notice.pk}/read/", {"next": "https://evil.example/"})
    assert response["Location"] == "/notifications/"


def test_another_persons_notice_is_not_found_and_get_does_not_mark(world, client):
    tell(world, world.supervisor)
    notice = Notification.objects.get()
    client.force_login(world.governor)
    assert client.post(f"/notifications/{notice.pk}/read/").status_code == 404
    assert client.get(f"/notifications/{notice.pk}/read/").status_code == 405
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read_and_the_unread_filter(world, client):
    for i in range(3):
        tell(world, world.governor, key=f"k{i}", title=f"通知{i}")
    tell(world, world.supervisor, key="k0")
    client.force_login(world.governor)
    assert "通知2" in client.get("/notifications/?unread=1").content.decode()
    assert client.post("/notifications/read-all/").status_code == 302
    assert not Notification.objects.filter(recipient=world.governor, read_at=None).exists()
    assert Notification.objects.filter(recipient=world.supervisor, read_at=None).exists()
    assert "通知2" not in client.get("/notifications/?unread=1").content.decode()


def test_marking_read_needs_the_csrf_token(world):
    tell(world, world.governor)
    notice = Notification.objects.get()
    browser = Client(enforce_csrf_checks=True)
    browser.force_login(world.governor)
    assert browser.post(f"/notifications/{notice.pk}/read/").status_code == 403
    assert browser.post("/notifications/read-all/").status_code == 403
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_bell_counts_unread_and_polls_with_htmx(world, client):
    client.force_login(world.governor)
    home = client.get("/notifications/").content.decode()
    # The page draws the bell itself (no request of its own at load), then htmx polls it.
    bell = home.split('id="unread-count"', 1)[1].split("</span>", 1)[0]
    assert 'hx-get="/notifications/unread/' in bell and 'hx-trigger="every 30s"' in bell
    assert "hidden" in bell  # nothing unread: no badge
    for i in range(2):
        tell(world, world.governor, key=f"k{i}")
    badge = client.get("/notifications/unread/").content.decode()
    assert ">2</span>" in badge and "hidden" not in badge and 'hx-trigger="every 30s"' in badge
    page = client.get("/events/workbench/").content.decode()
    assert ">2</span>" in page.split('id="unread-count"', 1)[1]  # every page shows the count
    # The poll of a signed-out page stops (htmx's 286) instead of swapping in the login page.
    assert Client().get("/notifications/unread/").status_code == 286


def test_the_bells_poll_does_not_keep_an_idle_session_alive(world, client):
    client.post("/login/", {"username": "governor", "password": PASSWORD})
    start = timezone.now()
    for minutes in (10, 20, 29):
        with time_machine.travel(start + timedelta(minutes=minutes)):
            assert client.get("/notifications/unread/").status_code == 200
    with time_machine.travel(start + timedelta(minutes=31)):
        # As htmx asks (issue 18: any background request, not this path only).
        assert client.get("/notifications/unread/", HTTP_HX_REQUEST="true").status_code == 286
        response = client.get("/notifications/")
    assert response.status_code == 302 and response["Location"].startswith("/login/")


def test_a_breach_reaches_the_owner_the_supervisor_and_the_desk(world, client):
    start = timezone.now() - timedelta(minutes=20)
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮", now=start
    )
    enforce_deadlines()
    told = set(
        Notification.objects.filter(kind="deadline_breach").values_list(
            "recipient__username", flat=True
        )
    )
    assert told == {"governor", "assistant", "supervisor", "dispatcher"}
    client.force_login(world.supervisor)
    page = client.get("/notifications/").content.decode()
    assert event.number in page and f'value="/events/{event.number}/"' in page


# --- Outside the application: e-mail and the group robot -----------------------------------
def test_the_group_robot_gets_one_markdown_message(world, group_robot, settings):
    settings.SITE_URL = "https://jdb.example.gov.cn"
    tell(world, world.dispatcher, webhooks=[group_robot.url, group_robot.url])
    assert deliveries_relay() == ran(delivered=1)
    assert deliveries_relay() == ran()  # run again: nothing twice
    (message,) = group_robot.received
    assert message["path"] == "/cgi-bin/webhook/send?key=street-desk"
    assert message["content_type"].startswith("application/json")
    assert message["body"]["msgtype"] == "markdown"
    content = message["body"]["markdown"]["content"]
    assert content.splitlines()[0] == "**督办：案件 YH-1 已超时**"
    assert "(https://jdb.example.gov.cn/events/YH-1/)" in content
    assert Delivery.objects.get().delivered_at is not None


def test_e_mail_goes_to_recipients_with_an_address(world, settings):
    settings.EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
    settings.SITE_URL = "https://jdb.example.gov.cn"
    world.supervisor.email = "jian@example.gov.cn"
    world.supervisor.save()
    tell(world, world.supervisor, world.governor)  # the governor has no address
    tell(world, world.supervisor)  # the same notice again
    deliveries_relay()
    deliveries_relay()
    (message,) = mail.outbox
    assert message.to == ["jian@example.gov.cn"]
    assert message.subject == "督办：案件 YH-1 已超时"
    assert "https://jdb.example.gov.cn/events/YH-1/" in message.body


def test_a_refusing_robot_is_retried_later_and_then_given_up(world, group_robot):
    group_robot.state.errcode = 93000
    start = timezone.now()
    tell(world, world.dispatcher, webhooks=[group_robot.url], now=start)
    assert deliveries_relay(now=start) == ran(failed=1)
    delivery = Delivery.objects.get()
    assert "93000" in delivery.last_error and delivery.delivered_at is None
    assert deliveries_relay(now=start + timedelta(seconds=30)) == ran()
    group_robot.state.errcode = 0
    assert deliveries_relay(now=start + timedelta(minutes=3))["delivered"] == 1
    assert len(group_robot.received) == 2
    # A robot that never answers right is given up after MAX_ATTEMPTS, not hammered forever.
    group_robot.state.errcode = 93000
    tell(world, world.dispatcher, key="k2", webhooks=[group_robot.url], now=start)
    later = start
    for _ in range(MAX_ATTEMPTS + 3):
        later += timedelta(days=1)
        deliveries_relay(now=later)
    assert Delivery.objects.get(dedupe_key="k2").attempts == MAX_ATTEMPTS


def test_an_unreachable_robot_fails_cleanly(world, group_robot):
    url = group_robot.url.replace("127.0.0.1:", "127.0.0.1:1")  # nobody listens there
    tell(world, world.dispatcher, webhooks=[url])
    assert deliveries_relay() == ran(failed=1)
    assert Delivery.objects.get().last_error


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_relays_at_once_send_each_message_once(world, group_robot):
    for i in range(40):
        tell(world, world.dispatcher, key=f"k{i}", title=f"案件{i}", webhooks=[group_robot.url])
    outcomes = run_at_once(
        lambda: deliveries_relay(batch=3), lambda: deliveries_relay(batch=3),
        lambda: deliveries_relay(batch=3),
    )  # fmt: skip
    assert all(isinstance(o, dict) for o in outcomes), outcomes
    assert sum(o["delivered"] for o in outcomes) == 40
    firsts = [m["body"]["markdown"]["content"].splitlines()[0] for m in group_robot.received]
    assert len(firsts) == len(set(firsts)) == 40


def test_the_command_relays_the_outbox_once_for_cron(world, group_robot):
    from io import StringIO

    from django.core.management import call_command

    tell(world, world.dispatcher, webhooks=[group_robot.url])
    out = StringIO()
    call_command("deliver_notifications", stdout=out)
    call_command("deliver_notifications", stdout=out)
    assert out.getvalue().splitlines() == ["delivered 1, failed 0", "delivered 0, failed 0"]
    assert len(group_robot.received) == 1


# --- The API (apps) --------------------------------------------------------------------------
def test_the_api_lists_counts_and_marks_my_notices_only(world, client):
    tell(world, world.governor, key="a", title="甲")
    tell(world, world.governor, key="b", title="乙")
    tell(world, world.neighbour, key="a", title="邻居的")
    theirs = Notification.objects.get(recipient=world.neighbour)
    client.force_login(world.governor)
    listed = client.get("/api/notifications/").json()
    assert listed["count"] == 2 and {n["title"] for n in listed["results"]} == {"甲", "乙"}
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 2}
    mine = listed["results"][0]["id"]
    body = client.post(f"/api/notifications/{mine}/read/").json()
    assert body["id"] == mine and body["read_at"]
    assert client.get("/api/notifications/?unread=1").json()["count"] == 1
    assert client.post(f"/api/notifications/{theirs.pk}/read/").status_code == 404
    assert client.post("/api/notifications/read-all/").json() == {"marked": 1}
    assert client.get("/api/notifications/unread-count/").json() == {"unread": 0}
    theirs.refresh_from_db()
    assert theirs.read_at is None
    client.logout()
    assert client.get("/api/notifications/").status_code in (401, 403)


# --- The relay's leases, its fence and its time (issue 19) ----------------------------------
def slow_robot(monkeypatch, group_robot, step, on_send=None):
    """The group robot's sender, taking ``step`` of (travelled) time per message; ``on_send``
    runs during a send, e.g. another relay taking rows meanwhile."""
    from governance import notifications

    sends = []
    real = notifications.SENDERS[Delivery.Channel.WECOM]

    def send(delivery, **options):
        sends.append(delivery.dedupe_key)
        step(len(sends))
        if on_send:
            on_send(len(sends), delivery)
        real(delivery, **options)

    monkeypatch.setitem(notifications.SENDERS, Delivery.Channel.WECOM, send)
    return sends


def test_a_row_whose_lease_another_relay_took_is_not_sent_again(world, group_robot, monkeypatch):
    """Sends slower than the timeout promised (a paused process): the third row's lease
    runs out while the relay is busy, another relay takes and sends it, and the first relay,
    whose fence finds the lease gone, leaves it alone instead of sending it twice."""
    start = timezone.now()
    for i in range(3):
        tell(world, world.dispatcher, key=f"k{i}", title=f"案件{i}", webhooks=[group_robot.url],
             now=start - timedelta(seconds=i))  # fmt: skip
    with time_machine.travel(start, tick=False) as clock:
        other = []

        def meanwhile(n, delivery):
            if n == 2:  # 1.4 leases after the first relay leased its batch
                other.append(deliveries_relay())

        def first_relays_sends_are_slow(n):
            if n <= 2:
                clock.shift(timedelta(seconds=84))

        sends = slow_robot(monkeypatch, group_robot, first_relays_sends_are_slow, meanwhile)
        first = deliveries_relay(batch=3)
    assert first == ran(delivered=2, skipped=1, more=1)  # 168 s: past half its lease
    assert other == [ran(delivered=1)]
    assert sorted(sends) == ["k0", "k1", "k2"]  # each row sent once, by one relay
    assert len(group_robot.received) == 3
    assert not Delivery.objects.filter(delivered_at=None).exists()


def test_delivered_is_not_marked_under_a_lease_another_relay_holds(world, group_robot, monkeypatch):
    from governance import notifications

    start = timezone.now()
    tell(world, world.dispatcher, webhooks=[group_robot.url], now=start)
    taken = []
    with time_machine.travel(start, tick=False) as clock:

        def outlive_the_lease(n):
            clock.shift(notifications.LEASE + timedelta(seconds=1))
            # Another relay leases the row while this send is still going.
            taken.extend(
                notifications._lease(now=timezone.now(), batch=6, lease=notifications.LEASE)
            )

        slow_robot(monkeypatch, group_robot, outlive_the_lease)
        assert deliveries_relay() == ran(delivered=1, more=1)
    (theirs,) = taken
    row = Delivery.objects.get()
    # The mark failed its compare-and-swap: the row is still the other relay's to send and
    # mark, with its lease and attempt, not "delivered" under a lease the first relay lost.
    assert row.delivered_at is None
    assert (row.attempts, row.leased_until) == (2, theirs.leased_until)


def test_the_soft_time_limit_is_raised_not_swallowed_and_untried_rows_go_back(
    world, group_robot, monkeypatch
):
    from celery.exceptions import SoftTimeLimitExceeded

    from governance import notifications

    for i in range(3):
        tell(world, world.dispatcher, key=f"k{i}", webhooks=[group_robot.url])

    def out_of_time(delivery, **options):
        raise SoftTimeLimitExceeded()

    monkeypatch.setitem(notifications.SENDERS, Delivery.Channel.WECOM, out_of_time)
    with pytest.raises(SoftTimeLimitExceeded):
        deliveries_relay(batch=3)
    rows = Delivery.objects.order_by("-created_at", "-pk")
    tried, *untried = rows
    # Not a failure of the robot: no error, no back-off; the row keeps its lease (it may have
    # gone out) and is retried when the lease ends.
    assert tried.last_error == "" and tried.leased_until is not None and tried.attempts == 1
    # The rows it never tried are given back at once, their attempt too.
    assert [(r.leased_until, r.attempts) for r in untried] == [(None, 0), (None, 0)]
    assert not group_robot.received


def test_a_run_stops_leasing_after_half_its_lease(world, group_robot, monkeypatch, settings):
    settings.OUTBOX_LEASE_SECONDS = 60
    start = timezone.now()
    for i in range(10):
        tell(world, world.dispatcher, key=f"k{i}", webhooks=[group_robot.url], now=start)
    with time_machine.travel(start, tick=False) as clock:
        slow_robot(monkeypatch, group_robot, lambda n: clock.shift(timedelta(seconds=8)))
        # Leases at 0, 8, 16 and 24 s; at 32 s half the lease is gone: no fifth.
        assert deliveries_relay() == ran(delivered=4, more=1)
        assert Delivery.objects.filter(attempts=0, leased_until=None).count() == 6
        assert deliveries_relay() == ran(delivered=4, more=1)  # the next run goes on
        assert deliveries_relay() == ran(delivered=2)
    assert len(group_robot.received) == 10


def test_batch_times_send_timeout_must_fit_in_half_the_lease(world, settings):
    from django.core.exceptions import ImproperlyConfigured

    from governance.notifications import relay_batch, relay_limits

    assert relay_limits() == (timedelta(minutes=2), 10.0, 1)
    lease = timedelta(minutes=2)
    assert relay_batch(lease=lease, send_timeout=10, batch=6) == 6  # 60 s: half of 120 s
    for batch in (7, 100, 0):
        with pytest.raises(ImproperlyConfigured):
            relay_batch(lease=lease, send_timeout=10, batch=batch)
    with pytest.raises(ImproperlyConfigured):
        deliveries_relay(batch=100)  # the old default: 100 × 10 s outlived a 2-minute lease
    settings.OUTBOX_BATCH = 12
    with pytest.raises(ImproperlyConfigured):
        deliveries_relay()
    settings.OUTBOX_BATCH, settings.OUTBOX_SEND_TIMEOUT = 1, 90  # one send, longer than half
    with pytest.raises(ImproperlyConfigured):
        deliveries_relay()


def test_a_mail_server_that_never_answers_fails_within_the_send_timeout(world, settings):
    import socket
    import time

    settings.EMAIL_BACKEND = "django.core.mail.backends.smtp.EmailBackend"
    settings.OUTBOX_SEND_TIMEOUT = 1
    settings.OUTBOX_LEASE_SECONDS = 10
    with socket.socket() as silent:  # accepts the connection, never greets
        silent.bind(("127.0.0.1", 0))
        silent.listen()
        settings.EMAIL_HOST, settings.EMAIL_PORT = silent.getsockname()
        world.supervisor.email = "jian@example.gov.cn"
        world.supervisor.save()
        tell(world, world.supervisor)
        began = time.monotonic()
        assert deliveries_relay() == ran(failed=1)
        assert time.monotonic() - began < 5
    assert "timed out" in Delivery.objects.get().last_error


def test_the_relay_has_its_own_queue():
    from governance.celery import app

    route = app.amqp.router.route({}, "governance.tasks.deliver_outbox")
    assert route["queue"].name == "outbox"
    assert app.amqp.router.route({}, "events.tasks.enforce_deadlines")["queue"].name == "celery"


def test_a_scan_that_claims_a_breach_kicks_the_relay_when_it_commits(
    world, monkeypatch, django_capture_on_commit_callbacks
):
    from governance.tasks import deliver_outbox

    kicks = []
    monkeypatch.setattr(deliver_outbox, "apply_async", lambda **kw: kicks.append(kw))
    start = timezone.now() - timedelta(minutes=20)
    services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮", now=start
    )
    with django_capture_on_commit_callbacks(execute=False) as callbacks:
        enforce_deadlines()
    assert not kicks  # nothing before the scan's transaction commits
    for callback in callbacks:
        callback()
    assert len(kicks) == 1 and kicks[0]["expires"] == 60
    # A scan that claims nothing kicks nothing.
    with django_capture_on_commit_callbacks(execute=True):
        enforce_deadlines()
    assert len(kicks) == 1


def test_a_kick_the_broker_refuses_does_not_fail_the_scan(
    world, monkeypatch, django_capture_on_commit_callbacks, caplog
):
    from kombu.exceptions import OperationalError

    from governance.tasks import deliver_outbox

    def broker_down(**kw):
        raise OperationalError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(deliver_outbox, "apply_async", broker_down)
    services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮",
        now=timezone.now() - timedelta(minutes=20),
    )  # fmt: skip
    with django_capture_on_commit_callbacks(execute=True):
        assert enforce_deadlines()["breached"] == 1
    # The breach and its notices are committed; beat's next relay run sends the rest.
    assert Notification.objects.filter(kind="deadline_breach").count() == 4
    assert "could not kick the outbox relay" in caplog.text
