"""The leaders' dashboard in Chromium at 1920×1080 and on a 375 px phone: the charts and
the map draw (ECharts, no tiles): the district's streets by outline and name, a street's
blocks with its communities' outlines; a click drills down one level; the legend tells
"no cases" from "none overdue"; a number opens its cases; the big screen draws dark and
fits 1920×1080 without scrolling; no console error or CSP violation."""

from __future__ import annotations

import re

import pytest
import time_machine
from django.utils import translation
from django.utils.translation import gettext
from playwright.sync_api import expect

from blocks.models import Area
from dashboards import rollup
from tests.blocks.conftest import square
from tests.browser.conftest import _page, snap, watch_console
from tests.dashboard.conftest import NOW, story  # noqa: F401  (the hand-built story)

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

NOVEMBER = "?period=custom&from=2026-11-01&to=2026-11-30"
CHARTS = ("chart-trend", "chart-category", "chart-channel", "chart-priority", "chart-map")


def _box(west: float, east: float) -> dict:
    ring = [[west, 27.85], [east, 27.85], [east, 27.86], [west, 27.86], [west, 27.85]]
    return {"type": "Polygon", "coordinates": [ring]}


@pytest.fixture
def mapped(story):  # noqa: F811
    """The story's areas with boundaries (three blocks side by side; their community and
    street around them); the clock (server and all) at the story's now."""
    for i, code in enumerate(("430302001001001", "430302001001002", "430302002001001")):
        Area.objects.filter(code=code).update(boundary=square(112.90 + 0.01 * i, 27.85))
    for code in ("430302001", "430302001001"):
        Area.objects.filter(code=code).update(
            boundary=_box(112.90, 112.92), centre_lat=27.855, centre_lon=112.91
        )
    for code in ("430302002", "430302002001"):
        Area.objects.filter(code=code).update(
            boundary=_box(112.92, 112.93), centre_lat=27.855, centre_lon=112.925
        )
    with time_machine.travel(NOW, tick=True):
        rollup.rollup()
        yield story


@pytest.fixture
def wide_page(browser, request, live_server):
    yield from _page(browser, request, viewport={"width": 1920, "height": 1080})


def drawn(page, ids) -> None:
    for chart_id in ids:
        expect(page.locator(f"#{chart_id}")).to_have_attribute("data-drawn", "1")
        # ECharts draws on a canvas (the map: an SVG) inside the container.
        assert page.locator(f"#{chart_id} :is(canvas, svg)").count() >= 1, chart_id


def click_map(page, lon: float, lat: float) -> None:
    """Click the map where the point (lon, lat) is drawn."""
    page.locator("#chart-map").scroll_into_view_if_needed()
    box = page.locator("#chart-map").bounding_box()
    point = page.evaluate(
        """([lon, lat]) => echarts.getInstanceByDom(document.getElementById('chart-map'))
            .convertToPixel({geoIndex: 0}, [lon, lat])""",
        [lon, lat],
    )
    x, y = box["x"] + point[0], box["y"] + point[1]
    # Hover first and let the highlight settle: a click during the chart's redraw is lost.
    page.mouse.move(x, y)
    page.wait_for_timeout(400)
    page.mouse.click(x, y)


def map_texts(page) -> list[str]:
    return page.eval_on_selector_all("#chart-map svg text", "els => els.map(e => e.textContent)")


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

    # The district's map is its streets, each named on its outline; the legend tells "no
    # cases" (grey) from 0 (none overdue).
    chart_width = page.evaluate(
        "echarts.getInstanceByDom(document.getElementById('chart-map')).getWidth()"
    )
    assert chart_width > 500
    texts = " ".join(map_texts(page))
    assert "雨湖路街道" in texts and "城正街街道" in texts
    with translation.override("zh-hans"):
        assert gettext("No cases") in texts
    assert "0" in map_texts(page)

    # Click a street: its dashboard, its blocks on the map under its community's outline.
    click_map(page, 112.905, 27.855)
    page.wait_for_url("**/dashboard/430302001/")
    expect(page.locator("h1")).to_contain_text("雨湖路街道")
    drawn(page, ("chart-trend", "chart-map"))
    assert "白石社区" in map_texts(page)
    # Click a block: the same dashboard one level down again.
    click_map(page, 112.915, 27.855)
    page.wait_for_url("**/dashboard/430302001001002/")
    expect(page.locator("h1")).to_contain_text("白石社区第2区块")
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
    assert page.evaluate("document.documentElement.scrollWidth <= 375")
    # The map has room to read and to tap; no table squeezes a cell to a character a line.
    assert page.locator("#chart-map").bounding_box()["height"] >= 300
    narrowest = page.evaluate(
        """() => Math.min(...[...document.querySelectorAll('main td')]
              .filter(td => td.offsetParent && td.textContent.trim())
              .map(td => td.getBoundingClientRect().width))"""
    )
    assert narrowest >= 40, narrowest
    snap(page, "dashboard-street-375")
    assert phone_console_errors == []


def test_the_big_screen_draws_dark_and_fits_1920_by_1080(wide_page, live_server, login, mapped):
    page = wide_page
    problems = watch_console(page)
    login(page, mapped.world.leader)
    page.goto(f"{live_server.url}/dashboard/430302/screen/{NOVEMBER}")
    drawn(page, (*CHARTS, "chart-departments"))
    background = page.evaluate("getComputedStyle(document.body).backgroundColor")
    assert background == "rgb(11, 26, 46)"
    expect(page.locator(".bs-kpi[data-measure=new] .value")).to_have_text("10")
    # One screen: nothing to scroll, and every chart has room to draw.
    size = page.evaluate(
        "[document.documentElement.scrollWidth, document.documentElement.scrollHeight]"
    )
    assert size[0] <= 1920 and size[1] <= 1080, size
    for chart_id in (*CHARTS, "chart-departments"):
        box = page.locator(f"#{chart_id}").bounding_box()
        assert box["height"] >= 200 and box["y"] + box["height"] <= 1080, chart_id
    # The time it was updated reads as a clock, not an ISO timestamp.
    expect(page.locator("#bs-now")).to_have_text(re.compile(r"^\d\d:\d\d:\d\d$"))
    snap(page, "dashboard-big-screen-1920")
    assert problems == []
