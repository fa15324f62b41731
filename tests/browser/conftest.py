"""Browser fixtures: Debian's Chromium driven by Playwright against pytest-django's live server.

Never downloads a browser. Without /usr/bin/chromium the browser tests are skipped with a
reason, and REQUIRE_SERVICES=1 (CI) turns that into a failure. Every page is screenshotted
into test-artifacts/ when its test ends.
"""

from __future__ import annotations

import os
import re
from pathlib import Path

import pytest

from tests.factories import PASSWORD

CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
    "--no-first-run",
]
ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"


def pytest_collection_modifyitems(config, items):
    if Path(CHROMIUM).exists():
        return
    for item in items:
        if "browser" in item.keywords:
            item.missing_service = (
                f"needs Debian's chromium at {CHROMIUM} (apt-get install chromium)"
            )


@pytest.fixture(scope="session")
def browser():
    # Playwright's sync API runs an event loop in this thread; Django's ORM calls made by the
    # test itself (not the live server) must still be allowed.
    os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
    from playwright.sync_api import sync_playwright

    with sync_playwright() as playwright:
        instance = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        yield instance
        instance.close()


def snap(page, name: str) -> None:
    """Keep a screenshot of this moment in test-artifacts/ (besides the one at the end)."""
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)


def _page(browser, request, **context_options):
    context = browser.new_context(locale="zh-CN", **context_options)
    page = context.new_page()
    page.set_default_timeout(15_000)
    yield page
    ARTIFACTS.mkdir(exist_ok=True)
    name = re.sub(r"[^\w.-]+", "_", request.node.nodeid.split("::", 1)[-1])
    try:
        page.screenshot(path=str(ARTIFACTS / f"{name}.png"), full_page=True)
    finally:
        context.close()


@pytest.fixture
def page(browser, request, live_server):
    """A desktop page (1280×800), Chinese locale."""
    yield from _page(browser, request, viewport={"width": 1280, "height": 800})


@pytest.fixture
def phone_page(browser, request, live_server):
    """A phone page (375×812, touch), Chinese locale."""
    yield from _page(
        browser, request, viewport={"width": 375, "height": 812}, is_mobile=True, has_touch=True
    )


@pytest.fixture
def login(live_server):
    """``login(page, user)``: log in through the real login form; ``user`` is a user or a
    username (every test user has the factories' PASSWORD)."""

    def do(page, user):
        username = getattr(user, "username", user)
        page.goto(f"{live_server.url}/login/")
        page.locator("input[name=username]").fill(username)
        page.locator("input[name=password]").fill(PASSWORD)
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state()
        assert "/login/" not in page.url, f"login failed for {username}"

    return do


def watch_console(page) -> list[str]:
    """Start recording ``page``'s console errors and uncaught exceptions. Chromium reports a
    Content-Security-Policy violation (an inline script or style, a request elsewhere) as a
    console error, so it lands here too. Returns the list, which grows as the page runs."""
    problems: list[str] = []
    page.on(
        "console",
        lambda message: (
            problems.append(f"console {message.type}: {message.text}")
            if message.type == "error"
            else None
        ),
    )
    page.on("pageerror", lambda error: problems.append(f"page error: {error}"))
    return problems


@pytest.fixture
def console_errors(page):
    """Console errors, page errors and CSP violations of ``page``, to assert on."""
    return watch_console(page)


@pytest.fixture
def phone_console_errors(phone_page):
    """Console errors, page errors and CSP violations of ``phone_page``, to assert on."""
    return watch_console(phone_page)
