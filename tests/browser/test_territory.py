"""The area browser, the block card and the roster editor in Chromium, in Chinese, on a
375 px phone and on a desktop: no sideways scrolling, the boundary drawn by ECharts, no
console error or Content-Security-Policy violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from blocks.models import Posting
from tests.blocks.conftest import square
from tests.browser.conftest import snap
from tests.factories import UserFactory, area, post

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
]
Role = Posting.Role


@pytest.fixture
def territory():
    district = area("430302", "雨湖区")
    street = area("430302001", "雨湖路街道")
    community = area("430302001001", "白石社区", boundary=square(112.90, 27.85, size=0.02))
    block = area("430302001001001", "白石社区第1区块", households=352,
                 boundary=square(112.90, 27.85))  # fmt: skip
    area("430302001001002", "白石社区第2区块", households=341, boundary=square(112.91, 27.85))
    people = {}
    for username, name, phone, where, role in (
        ("zhanghua", "张华", "13912345678", block, Role.GOVERNOR),
        ("liping", "李萍", "13812340000", block, Role.ASSISTANT),
        ("wangjun", "王军", "13712349999", block, Role.SUPERVISOR),
        ("leader", "区领导", "", district, Role.LEADER),
        ("jiedao", "街道管理员", "", street, Role.STREET_ADMIN),
    ):
        people[username] = UserFactory(username=username, full_name=name, phone=phone)
        post(people[username], where, role)
    return {
        "district": district,
        "street": street,
        "community": community,
        "block": block,
        **people,
    }


def fits_the_screen(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def test_a_leader_drills_down_to_the_block_card_on_a_phone(
    phone_page, phone_console_errors, live_server, login, territory
):
    page = phone_page
    login(page, territory["leader"])
    page.goto(f"{live_server.url}/areas/")
    expect(page.locator("h1")).to_contain_text("雨湖区")
    page.get_by_role("link", name="雨湖路街道").click()
    expect(page.locator("h1")).to_contain_text("雨湖路街道")
    page.get_by_role("link", name="白石社区", exact=True).click()
    expect(page.locator("main")).to_contain_text("白石社区第2区块")
    assert fits_the_screen(page)
    page.get_by_role("link", name="白石社区第1区块").click()

    card = page.locator("main")
    expect(card).to_contain_text("352")
    expect(page.locator("tr[data-role=governor]")).to_contain_text("张华")
    expect(page.locator("tr[data-role=governor]")).to_contain_text("139****5678")
    expect(page.locator("tr[data-role=supervisor]")).to_contain_text("王军")
    assert "13912345678" not in page.content()
    expect(page.locator("#boundary-chart")).to_have_attribute("data-drawn", "1")
    assert page.locator("#boundary-chart canvas").count() == 1
    assert fits_the_screen(page)
    snap(page, "block-card-phone")
    assert phone_console_errors == []


def test_a_street_admin_replaces_the_governor_on_a_desktop(
    page, console_errors, live_server, login, territory
):
    login(page, territory["jiedao"])
    block = territory["block"]
    page.goto(f"{live_server.url}/areas/{territory['community'].code}/blocks/")
    expect(page.locator("#block-teams")).to_contain_text("张华")
    page.locator("#block-teams tr", has_text="白石社区第2区块").get_by_text("空缺").first.wait_for()
    page.locator("#block-teams tr", has_text="白石社区第1区块").get_by_role(
        "link", name="编辑人员"
    ).click()
    page.wait_for_url(f"**/areas/{block.code}/roster/")

    # Two clicks: open "replace the governor", appoint the assistant.
    replace = page.locator("details.replace[data-role=governor]")
    replace.locator("summary").click()
    replace.locator("li", has_text="李萍").get_by_role("button", name="任命为区块治理员").click()
    expect(page.locator(".messages")).to_contain_text("李萍 现为该区块的区块治理员")
    expect(page.locator("#holders tr[data-role=governor]")).to_contain_text("李萍")
    expect(page.locator("main")).to_contain_text("历史")
    snap(page, "roster-desktop")

    # Adding a second governor by hand is refused, in Chinese.
    form = page.locator("#add-posting")
    form.locator("select[name=user]").select_option(label="张华（zhanghua）")
    form.locator("select[name=role]").select_option("governor")
    form.get_by_role("button", name="添加").click()
    expect(page.locator("#add-posting .form-error")).to_contain_text("该区块已有在任治理员")
    assert console_errors == []
