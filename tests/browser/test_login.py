"""Logging in on a 375 px phone: Chinese by default, the header's switch turns the site English,
and the browser reports no console error and no Content-Security-Policy violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from blocks.models import Posting
from tests.browser.conftest import snap, watch_console
from tests.factories import UserFactory, area, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


@pytest.fixture
def leader():
    """A district leader: no block or desk of their own, so the login lands on the dashboard."""
    district = area("430302", "雨湖区")
    area("430302001", "雨湖路街道", households=0)
    area("430302002", "城正街街道")
    user = UserFactory(username="lizhuren", full_name="李主任")
    post(user, district, Posting.Role.LEADER)
    return user


def fits_the_screen(page) -> bool:
    """Nothing sticks out sideways: the page does not scroll horizontally on the phone."""
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_login_on_a_phone_in_chinese_then_switch_to_english(
    phone_page, phone_console_errors, live_server, leader
):
    page = phone_page
    page.goto(f"{live_server.url}/login/")
    assert page.viewport_size["width"] == 375

    # The login page speaks Chinese before anyone chose a language.
    expect(page.locator("html")).to_have_attribute("lang", "zh-hans")
    expect(page).to_have_title("登录 · 区块治理平台")
    expect(page.locator("h1")).to_have_text("登录")
    expect(page.locator("label", has_text="用户名")).to_be_visible()
    expect(page.locator("label", has_text="密码")).to_be_visible()
    expect(page.locator("select[name=language] option:checked")).to_have_text("简体中文")
    assert fits_the_screen(page)
    snap(page, "login-phone-zh")

    page.locator("input[name=username]").fill(leader.username)
    page.locator("input[name=password]").fill("Correct-Horse-42")
    page.locator("form button[type=submit]", has_text="登录").click()

    # The leader lands on the dashboard (issue 18: each role on its work); its areas, in
    # Chinese, are one click away.
    page.wait_for_url(f"{live_server.url}/dashboard/**")
    page.locator(".main-nav a[href='/areas/']").click()
    page.wait_for_url(f"{live_server.url}/areas/**")
    expect(page.locator("h1")).to_contain_text("雨湖区")
    expect(page.locator("main")).to_contain_text("下级区域")
    expect(page.locator("main")).to_contain_text("雨湖路街道")
    expect(page.locator(".header-tools")).to_contain_text("李主任")
    expect(page.locator("button", has_text="退出登录")).to_be_visible()
    assert fits_the_screen(page)
    snap(page, "areas-phone-zh")

    # The header's switch: choosing English reloads the same page in English.
    areas_url = page.url
    page.locator("select[name=language]").select_option("en")
    expect(page.locator("html")).to_have_attribute("lang", "en")
    assert page.url == areas_url
    expect(page.locator("main")).to_contain_text("Areas below")
    expect(page.locator("button", has_text="Log out")).to_be_visible()
    expect(page.locator(".main-nav")).to_contain_text("Cases")
    expect(page.locator("main")).not_to_contain_text("下级区域")
    # Names of places are data, not interface: they stay as they are.
    expect(page.locator("h1")).to_contain_text("雨湖区")
    assert fits_the_screen(page)
    snap(page, "areas-phone-en")

    # The choice is remembered: logging out lands on an English login page.
    page.locator("button", has_text="Log out").click()
    page.wait_for_url(f"{live_server.url}/login/**")
    expect(page.locator("h1")).to_have_text("Log in")

    assert phone_console_errors == [], phone_console_errors


def test_the_watch_catches_a_csp_violation(phone_page, live_server, db):
    """The check above can fail: an inline style, forbidden by the site's policy, is caught."""
    problems = watch_console(phone_page)
    phone_page.goto(f"{live_server.url}/login/")
    assert problems == []
    phone_page.evaluate(
        "document.head.appendChild(document.createElement('style')).textContent = 'h1{}'"
    )
    phone_page.wait_for_timeout(300)
    assert any("Content Security Policy" in p for p in problems), problems
