"""The first login on a 375 px phone (issue 18): an account with an initial password meets a
full-width password form, the page asks nothing by itself (no poll swapping the password page
into the header, over and over), and after the change it lands on its work."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from tests.browser.conftest import snap
from tests.factories import PASSWORD

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def test_first_login_on_a_phone_changes_the_password_and_lands_on_the_workbench(
    phone_page, phone_console_errors, live_server, login, world
):
    world.governor.must_change_password = True
    world.governor.save(update_fields=["must_change_password"])
    page = phone_page
    requests: list[str] = []
    page.on(
        "request",
        lambda request: None if "/static/" in request.url else requests.append(request.url),
    )

    login(page, world.governor)
    page.wait_for_url(f"{live_server.url}/password/")
    requests.clear()
    page.wait_for_timeout(4_000)  # the bell polled at once ("load"), then every answer again
    assert requests == [], (
        f"the password page asked {len(requests)} times by itself: {requests[:5]}"
    )

    # One page, one form, as wide as the phone allows (not squeezed into the header).
    expect(page.locator("form input[name=new_password1]")).to_have_count(1)
    field = page.locator("input[name=new_password1]").bounding_box()
    assert field["width"] >= 280, field
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    snap(page, "first-login-password-phone")

    page.locator("input[name=old_password]").fill(PASSWORD)
    page.locator("input[name=new_password1]").fill("Shiny-New-Pass-2026")
    page.locator("input[name=new_password2]").fill("Shiny-New-Pass-2026")
    page.locator("button[type=submit].primary").click()
    page.wait_for_url(f"{live_server.url}/events/workbench/")
    expect(page.locator("main")).to_contain_text("您的密码已修改。")
    expect(page.locator("#log-form button[type=submit]")).to_be_visible()
    assert phone_console_errors == []
