"""The leaders' dashboard in Chromium at 1920×1080 and on a 375 px phone: the charts and
the map of block boundaries draw (ECharts, no tiles), a click on a block drills down, a
number opens its cases, the big screen draws dark; no console error or CSP violation."""

from __future__ import annotations

import pytest
import time_machine
from playwright.sync_api import expect

from blocks.models import Area
from dashboards import rollup
from tests.blocks.conftest import square
from tests.browser.conftest import _page, snap, watch_console
from tests.dashboard.conftest import NOW, story  # noqa: F401  (the hand-built story)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOVEMBER = "?period=custom&from=2026-11-01&to=2026-11-30"
CHARTS = ("chart-trend", "chart-category", "chart-channel", "chart-priority", "chart-map")


@pytest.fixture
def mapped(story):  # noqa: F811
    """The story's blocks with boundaries; the clock (server and all) at the story's now."""
    for i, code in enumerate(("430302001001001", "430302001001002", "430302002001001")):
        Area.objects.filter(code=code).update(boundary=square(112.90 + 0.01 * i, 27.85))
    with time_machine.travel(NOW, tick=True):
        rollup.rollup()
        yield story


@pytest.fixture
def wide_page(browser, request, live_server):
    yield from _page(browser, request, viewport={"width": 1920, "height": 1080})


def drawn(page, ids) -> None:
    for chart_id in ids:
        expect(page.locator(f"#{chart_id}")).to_have_attribute("data-drawn", "1")
        # ECharts draws on a canvas inside the container: something was painted.
        assert page.locator(f"#{chart_id} canvas").count() >= 1, chart_id


def test_the_district_dashboard_draws_and_drills_down_at_1920(
    wide_page, live_server, login, mapped
):
    page = wide_page
    problems = watch_console(page)
    login(page, mapped.world.leader)
    page.goto(f"{live_server.url}/dashboard/430302/{NOVEMBER}")
    expect(page.locator("h1")).to_contain_text("雨湖区")
    expect(page.locator(".kpi-new .value")).to_have_text("10")
    expect(page.locator(".kpi-overdue .value")).to_have_text("4")
    drawn(page, CHARTS)
    # The tooltip of a rate is its formula, in Chinese.
    title = page.locator("#rates tr[data-measure=on_time_rate] abbr").get_attribute("title")
    assert title.startswith("按期办结率 =")
    snap(page, "dashboard-district-1920")

    # Click the first block on the map: the same dashboard one level down.
    page.locator("#chart-map").scroll_into_view_if_needed()
    box = page.locator("#chart-map").bounding_box()
    chart_width = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('chart-map')).getWidth()"
    )
    assert chart_width > 300
    point = page.evaluate(
        """() => {
          const c = echarts.getInstanceByDom(document.getElementById('chart-map'));
          return c.convertToPixel({seriesIndex: 0}, [112.905, 27.855]);
        }"""
    )
    page.mouse.click(box["x"] + point[0], box["y"] + point[1])
    page.wait_for_url("**/dashboard/430302001001001/")
    expect(page.locator("h1")).to_contain_text("白石社区第1区块")
    drawn(page, ("chart-trend", "chart-map"))

    # A number opens exactly its cases.
    page.goto(f"{live_server.url}/dashboard/430302001/{NOVEMBER}")
    page.locator(".kpi-overdue").click()
    page.wait_for_url("**/events/?**")
    expect(page.locator("h1 .chip")).to_have_text("3")
    assert problems == []


def test_the_dashboard_fits_a_phone(phone_page, phone_console_errors, live_server, login, mapped):
    page = phone_page
    login(page, mapped.world.dispatcher)
    page.goto(f"{live_server.url}/dashboard/{NOVEMBER}")
    page.wait_for_url("**/dashboard/430302001/**")
    drawn(page, CHARTS)
    expect(page.locator("select[name=period]")).to_have_value("custom")
    assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")
    snap(page, "dashboard-street-375")
    assert phone_console_errors == []


def test_the_big_screen_draws_dark(wide_page, live_server, login, mapped):
    page = wide_page
    problems = watch_console(page)
    login(page, mapped.world.leader)
    page.goto(f"{live_server.url}/dashboard/430302/screen/{NOVEMBER}")
    drawn(page, (*CHARTS, "chart-departments"))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 26, 46)"
    expect(page.locator(".bs-kpi[data-measure=new] .value")).to_have_text("10")
    snap(page, "dashboard-big-screen-1920")
    assert problems == []
