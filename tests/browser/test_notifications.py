"""The bell in a real browser: htmx fills in the unread count, the list opens a case and
marks its notice read, and the case list's cards count down live — with no console error
and no Content-Security-Policy violation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events import services
from events.enforcement import enforce_deadlines
from governance.models import Notification
from tests.browser.conftest import snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_bell_leads_to_the_notice_and_the_case(page, console_errors, live_server, login, world):
    event = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮",
        now=timezone.now() - timedelta(minutes=20),
    )  # fmt: skip
    enforce_deadlines()
    login(page, world.supervisor)
    badge = page.locator(".bell #unread-count")
    expect(badge).to_have_text("1")  # loaded by htmx after the page
    expect(badge).to_be_visible()
    page.locator("a.bell").click()
    page.wait_for_url(f"{live_server.url}/notifications/")
    expect(page.locator("h1")).to_contain_text("通知")
    notice = page.locator("li.notice.unread")
    expect(notice).to_contain_text(event.number)
    snap(page, "notifications-list")
    notice.locator("button.notice-title").click()
    page.wait_for_url(f"{live_server.url}/events/{event.number}/")
    expect(page.locator(".bell #unread-count")).to_be_hidden()
    assert Notification.objects.get(recipient=world.supervisor).read_at is not None
    assert console_errors == []


def test_cards_on_the_case_list_count_down_live(page, console_errors, live_server, login, world):
    login(page, world.dispatcher)
    # Due in 12 s, past its warning: a yellow card that turns red while we watch.
    start = timezone.now() - timedelta(minutes=14, seconds=48)
    services.event_log(
        actor=None, block=world.block, category=world.category, description="x", now=start
    )
    page.goto(f"{live_server.url}/events/")
    card = page.locator("td .clock")
    expect(card).to_have_class("clock card-yellow")
    expect(card).to_contain_text("剩余")
    page.evaluate("document.body.dataset.loaded = 'once'")  # gone if the page reloads
    expect(card).to_have_class("clock card-red", timeout=30_000)
    assert page.evaluate("document.body.dataset.loaded") == "once"
    expect(card).to_contain_text("已超时")
    assert console_errors == []
