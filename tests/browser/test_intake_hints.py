"""Two small things of issue 18 on a phone: the duplicate hint's case opens beside the
half-typed intake form instead of replacing it, and after "use my location" the resident's
street, community and block selects show the block found (not 请选择)."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from events import services
from tests.browser.conftest import snap

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def square(lon: float, lat: float, size: float = 0.01) -> dict:
    ring = [[lon, lat], [lon + size, lat], [lon + size, lat + size], [lon, lat + size], [lon, lat]]
    return {"type": "Polygon", "coordinates": [ring]}


def test_the_duplicate_hint_opens_the_case_beside_the_half_typed_form(
    phone_page, live_server, login, world
):
    earlier = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="小区门口有人占道摆摊卖水果",
    )  # fmt: skip
    page = phone_page
    login(page, world.governor)
    page.locator("#id_reporter_phone").fill("13812345678")
    page.locator("#id_category").select_option(str(world.category.pk))
    page.locator("#id_description").fill("门口有人摆摊卖水果")
    hint = page.locator("#similar a", has_text=earlier.number)
    expect(hint).to_be_visible()
    with page.context.expect_page() as opened:
        hint.click()
    opened.value.wait_for_load_state()
    assert opened.value.url.endswith(f"/events/{earlier.number}/")
    # The form is still there, as typed.
    assert page.url.endswith("/events/workbench/")
    expect(page.locator("#id_description")).to_have_value("门口有人摆摊卖水果")
    expect(page.locator("#id_reporter_phone")).to_have_value("13812345678")


def test_use_my_location_shows_the_block_in_the_selects(browser, request, live_server, world):
    world.block.boundary = square(112.90, 27.85)
    world.block.save()
    world.neighbour_block.boundary = square(112.91, 27.85)
    world.neighbour_block.save()
    context = browser.new_context(
        locale="zh-CN", viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True,
        geolocation={"latitude": 27.855, "longitude": 112.915}, permissions=["geolocation"],
    )  # fmt: skip
    try:
        page = context.new_page()
        page.goto(f"{live_server.url}/r/")
        page.locator("#locate-button").click()
        expect(page.locator("#locate-status")).to_contain_text(world.neighbour_block.name)
        expect(page.locator("#id_street option:checked")).to_have_text(world.street.name)
        expect(page.locator("#id_community option:checked")).to_have_text(world.community.name)
        expect(page.locator("#id_block option:checked")).to_have_text(world.neighbour_block.name)
        snap(page, "public-report-located-phone")
    finally:
        context.close()
