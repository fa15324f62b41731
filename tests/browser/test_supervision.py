"""督办 in Chromium (issue 17 item 7, "done when"): the district leader finds a case from the
case list, puts it under a red card on the case page; the officer of the department handling
it sees the red card in the inbox on a phone; the dashboard counts it as 督办数."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from events import services
from events.deadlines import SHANGHAI
from events.models import Supervision
from tests.browser.conftest import snap, watch_console

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_a_leader_puts_a_red_card_the_officer_sees_it_the_dashboard_counts_it(
    page, phone_page, live_server, login, world, depts
):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="东门有人占道摆摊，堵住了人行道",
    )  # fmt: skip
    services.event_whistle(actor=world.governor, event_id=event.pk, reason="law_enforcement")
    services.event_dispatch(actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department)
    due = timezone.localtime(timezone.now(), SHANGHAI).date() + timedelta(days=3)

    # The leader reaches the case from the navigation's case list.
    problems = watch_console(page)
    login(page, world.leader)
    page.goto(f"{live_server.url}/events/")
    page.get_by_role("link", name=event.number).click()
    section = page.locator("#supervision")
    expect(section).to_be_visible()
    form = section.locator("form[data-action=supervise]")
    expect(form).to_be_visible()  # open: a leader has nothing else to do here
    form.locator("input[name=card][value=red]").check()
    form.locator("textarea[name=note]").fill("三日内取缔并回复")
    form.locator("input[name=due]").fill(due.isoformat())
    form.locator("button[type=submit]").click()
    page.wait_for_load_state()
    red = section.locator(".supervision-card[data-card=red]")
    expect(red).to_contain_text("三日内取缔并回复")
    expect(red).to_contain_text(due.isoformat())
    snap(page, "supervision-case-page-leader-1280")
    assert Supervision.objects.get(event=event).card == "red"

    # The officer of the department handling it sees the red card in the inbox (phone).
    login(phone_page, depts.cgzf.officer)
    phone_page.goto(f"{live_server.url}/events/inbox/")
    row = phone_page.locator(f".case-row[data-number='{event.number}']")
    expect(row.locator(".supervision-badge[data-supervision=red]")).to_be_visible()
    assert phone_page.evaluate("document.documentElement.scrollWidth") <= 375
    snap(phone_page, "supervision-inbox-officer-375")

    # The dashboard counts it (督办数, ``supervised``).
    page.goto(f"{live_server.url}/dashboard/430302/")
    expect(page.locator("a[data-measure=supervised] .value").first).to_have_text("1")
    assert problems == []
