"""The links in Chromium: a cadre records a visit on a phone, the block governor makes the
finding a case in one click, and the case page shows the community's five officials; a
household leader reports through their link without an account. No sideways scrolling on
375 px, no console error or Content-Security-Policy violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from events.models import Event
from liaison import services
from liaison.models import HouseholdMatter, VisitFinding
from tests.browser.conftest import snap, watch_console
from tests.liaison.conftest import make_links
from tests.liaison.test_flows import _five

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def links(world, depts):
    return make_links(world, depts)


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_visit_finding_becomes_a_case_showing_the_five_officials(
    browser, phone_page, phone_console_errors, page, live_server, login, world, depts, links
):
    services.joint_group_set(
        actor=world.dispatcher, community=world.community, members=_five(world, depts)
    )
    # The cadre, on a phone, from the navigation to a saved visit with one finding.
    login(phone_page, links.cadre_user)
    phone_page.goto(f"{live_server.url}/events/")
    phone_page.locator(".main-nav a[href='/links/visits/']").first.click()
    form = phone_page.locator("#visit-form")
    form.locator("select[name=block]").select_option(str(world.block.pk))
    form.locator("input[name=households_visited]").fill("14")
    form.locator("textarea[name=finding_0]").fill("7栋楼道堆放杂物堵塞消防通道")
    form.locator("input[name=finding_0_building]").fill("7栋")
    assert fits_the_screen(phone_page)
    snap(phone_page, "links-visit-form-phone")
    form.locator("button[type=submit]").click()
    phone_page.wait_for_url("**/links/visits/*/")
    expect(phone_page.locator("#findings li[data-state=open]")).to_contain_text("7栋楼道堆放杂物")
    assert fits_the_screen(phone_page)
    assert phone_console_errors == []

    # The governor, on a desktop: the finding waits on the visits page; one click makes a case.
    errors = watch_console(page)
    login(page, world.governor)
    page.goto(f"{live_server.url}/links/visits/")
    finding = VisitFinding.objects.get()
    page.locator(f"#open-findings li[data-finding='{finding.pk}'] a").click()
    row = page.locator(f"#findings li[data-finding='{finding.pk}']")
    row.locator("select[name$=category]").select_option(str(world.category.pk))
    row.locator("form.filters button[type=submit]").click()
    event = Event.objects.get()
    page.wait_for_url(f"**/events/{event.number}/")
    expect(page.locator("#joint-group")).to_contain_text("周志强")
    expect(page.locator("#joint-group")).to_contain_text("马桂英")
    expect(page.locator("main")).to_contain_text("7栋楼道堆放杂物")
    snap(page, "links-case-with-five-officials")
    assert errors == []


def test_household_leader_reports_through_the_link_on_a_phone(
    phone_page, phone_console_errors, live_server, world, links
):
    leader, token = services.household_leader_create(
        actor=world.governor, block=world.block, name="赵桂兰", phone="13812345678", households=20
    )
    phone_page.goto(f"{live_server.url}/links/h/{token}/")
    expect(phone_page.locator("h1")).to_contain_text("赵桂兰")
    phone_page.locator("textarea[name=description]").fill("5栋门口路灯坏了一周")
    phone_page.locator("main button[type=submit]").click()
    expect(phone_page.locator(".messages")).to_be_visible()
    expect(phone_page.locator("main")).to_contain_text("5栋门口路灯坏了一周")
    assert HouseholdMatter.objects.get().channel == HouseholdMatter.Channel.LINK
    assert "13812345678" not in phone_page.content()
    assert fits_the_screen(phone_page)
    assert phone_console_errors == []


def test_public_ledger_on_a_phone(phone_page, phone_console_errors, live_server, world, depts):
    item = services.ledger_enter(actor=world.dispatcher, street=world.street, year=2026,
                                 title="白石社区加装电梯 4 台", department=depts.zjj.department)  # fmt: skip
    services.ledger_track(actor=world.dispatcher, item_id=item.pk, progress=60, note="2 台已完工",
                          public_note="2 台已完工")  # fmt: skip
    phone_page.goto(f"{live_server.url}/links/public/ledger/{world.street.code}/?year=2026")
    expect(phone_page.locator("#public-ledger")).to_contain_text("白石社区加装电梯 4 台")
    expect(phone_page.locator("#public-ledger")).to_contain_text("60%")
    assert fits_the_screen(phone_page)
    assert phone_console_errors == []
