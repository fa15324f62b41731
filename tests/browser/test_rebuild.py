"""重建汇总 in Chromium (issue 21): a district's administrator confirms the rebuild and
watches the progress bar, polled by htmx, run to the end while a real worker works; no
console error or CSP violation."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from blocks.models import Posting
from dashboards import rollup
from dashboards.models import RollupRebuild, StatCell
from tests.browser.conftest import snap, watch_console
from tests.dashboard.conftest import story  # noqa: F401  (the hand-built story)
from tests.factories import UserFactory, post
from tests.procs import start_celery, stop

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


def test_an_administrator_confirms_and_watches_the_bar_fill(
    story,  # noqa: F811
    page,
    login,
    live_server,
    tmp_path,
):
    rollup.rollup()
    admin = UserFactory(username="qu-admin")
    post(admin, story.world.district, Posting.Role.ADMINISTRATOR)
    StatCell.objects.filter(level="block").delete()  # a summary gone wrong
    problems = watch_console(page)
    worker = start_celery("worker", tmp_path, "--pool", "solo", "--concurrency", "1")
    try:
        login(page, admin)
        page.goto(f"{live_server.url}/dashboard/430302/rebuild/")
        expect(page.locator("#rebuild-progress")).to_have_count(0)
        page.locator("details.confirm-step > summary").click()
        page.locator("details.confirm-step button.danger").click()
        bar = page.locator("#rebuild-progress")
        expect(bar).to_be_visible()
        expect(bar).to_have_attribute("data-status", "done", timeout=90_000)
        expect(bar.locator("progress")).to_have_attribute("value", "100")
        snap(page, "rebuild-done")
    finally:
        stop(worker)
    assert RollupRebuild.objects.get().status == "done"
    assert StatCell.objects.filter(level="block").exists()
    assert problems == []
