"""双向评价 in Chromium on a phone: the street's desk opens the page from the navigation,
picks the month, scores the department that worked on its case; the score takes the form's
place. No sideways scrolling on 375 px, no console error or Content-Security-Policy
violation."""

from __future__ import annotations

import pytest
from django.utils import timezone
from playwright.sync_api import expect

from dashboards.models import StreetDepartmentEvaluation
from events import services
from tests.browser.conftest import snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_the_street_desk_scores_a_department_on_a_phone(
    phone_page, phone_console_errors, live_server, login, world, depts
):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="夜市占道经营", reporter_phone="13812345678",
    )  # fmt: skip
    services.event_whistle(
        actor=world.governor, event_id=event.pk, reason="law_enforcement", note="需要执法"
    )
    services.event_dispatch(actor=world.dispatcher, event_id=event.pk, lead=depts.cgzf.department)
    this_month = f"{timezone.localdate():%Y-%m}"

    login(phone_page, world.dispatcher)
    phone_page.goto(f"{live_server.url}/events/console/")
    phone_page.locator(".main-nav a[href='/dashboard/evaluations/']").first.click()
    phone_page.wait_for_url("**/dashboard/evaluations/**")
    phone_page.locator("input[name=month]").first.fill(this_month)
    phone_page.locator("form.filters.card button[type=submit]").click()
    row = phone_page.locator(
        f"tr[data-evaluation='street_to_department:{world.street.code}:{depts.cgzf.department.pk}']"
    )
    expect(row).to_contain_text("城管执法")
    row.locator("input[name=score]").fill("88")
    row.locator("input[name=comment]").fill("到场及时")
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    snap(phone_page, "evaluations-form-phone")
    row.locator("button[type=submit]").click()
    expect(phone_page.locator(".messages")).to_contain_text("评价已保存")
    expect(row).to_contain_text("88")
    expect(row.locator("input[name=score]")).to_have_count(0)
    given = StreetDepartmentEvaluation.objects.get()
    assert (given.score, given.comment, given.evaluated_by) == (88, "到场及时", world.dispatcher)
    assert phone_page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    assert phone_console_errors == []
