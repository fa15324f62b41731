"""The workbench's polls in a real browser (issue 21): while nothing changes, htmx's polls of
the queue and the bell are answered 204 and the page is left exactly as it is; a case logged in
the governor's block by someone else shows in the queue at the next poll."""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from events import services
from tests.browser.conftest import snap

pytestmark = [
    pytest.mark.browser,
    pytest.mark.django_db(transaction=True),
    pytest.mark.postgres,
    pytest.mark.redis,
]

SECONDS = 2  # the pages poll every POLL_SECONDS; 30 in production


def test_unchanged_polls_leave_the_workbench_alone_and_news_arrives(
    page, console_errors, live_server, login, world, settings
):
    settings.POLL_SECONDS = SECONDS
    waiting = services.event_log(
        actor=None, block=world.block, category=world.category, description="楼道灯不亮"
    )
    answers: list[tuple[str, int]] = []
    page.on(
        "response",
        lambda r: answers.append((r.url.split("?")[0].removeprefix(live_server.url), r.status)),
    )
    login(page, world.governor)
    page.goto(f"{live_server.url}/events/workbench/")
    queue = page.locator("#queue")
    expect(queue).to_contain_text(waiting.number)
    badge = page.locator(".bell #unread-count")
    expect(badge).to_have_attribute("hx-get", re.compile(r"\?v=\w+"))  # loaded, versioned
    expect(queue).to_have_attribute("hx-get", re.compile(r"\?v=\w+"))
    answers.clear()  # from here on, every poll is of an unchanged page
    page.evaluate(
        "document.querySelectorAll('#queue, #unread-count').forEach(e => e.dataset.kept = 'yes')"
    )

    for _ in range(2):  # two polls of each with nothing new: 204, nothing swapped
        with page.expect_response(lambda r: "/events/workbench/queue/" in r.url) as poll:
            pass
        assert poll.value.status == 204
    bell = [status for path, status in answers if path == "/notifications/unread/"]
    assert bell and set(bell) == {204}, bell
    expect(queue).to_have_attribute("data-kept", "yes")
    expect(badge).to_have_attribute("data-kept", "yes")
    snap(page, "workbench-polls-unchanged")

    # The assistant logs a case in the block: the governor's queue shows it at the next poll.
    news = services.event_log(
        actor=world.assistant, block=world.block, category=world.category, description="井盖缺失"
    )
    expect(queue.locator(f'[data-number="{news.number}"]')).to_be_visible(
        timeout=(2 * SECONDS + 2) * 1000
    )
    assert ("/events/workbench/queue/", 200) in answers
    expect(queue).not_to_have_attribute("data-kept", "yes")  # swapped this time
    expect(queue).to_contain_text(waiting.number)
    assert console_errors == []
