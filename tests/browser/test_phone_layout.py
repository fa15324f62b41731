"""Every list at 375 px (issue 18): no page scrolls sideways, no table cell or label is
squeezed to a character per line, no chip is clipped — for each role that sees the list.
The case list, the deadline board, the console, the inbox, the workbench queue, the case
page and the dispatch page (its cooperating departments' checkboxes), with long texts and
cases at every stage so that each row shape is there."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from events import services
from events.models import Deadline

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

# Visible overflow, squeezed cells/labels and clipped chips, measured by the browser.
MEASURE = """() => {
  const visible = (e) => e.offsetParent !== null && e.textContent.trim();
  // A text broken over lines yet narrower than two characters: one character per line.
  const squeezed = [];
  for (const cell of document.querySelectorAll('td, th, label')) {
    if (!visible(cell)) continue;
    const walker = document.createTreeWalker(cell, NodeFilter.SHOW_TEXT);
    for (let text = walker.nextNode(); text; text = walker.nextNode()) {
      const words = text.textContent.trim();
      if (words.length < 2 || text.parentElement.closest('select, textarea')) continue;
      const range = document.createRange();
      range.selectNodeContents(text);
      const size = parseFloat(getComputedStyle(text.parentElement).fontSize);
      const lines = new Set([...range.getClientRects()].map((r) => Math.round(r.top))).size;
      if (lines > 1 && range.getBoundingClientRect().width < 2 * size) {
        squeezed.push(words.slice(0, 20));
      }
    }
  }
  const clipped = [...document.querySelectorAll('.chip, .clock, .owner')]
    .filter((e) => visible(e) && e.scrollWidth > e.clientWidth + 1)
    .map((e) => e.textContent.trim().slice(0, 20));
  return {width: document.documentElement.scrollWidth, squeezed, clipped};
}"""

LONG = "菜市场外围摆摊堵住人行道，早晚高峰行人只能走机动车道，居民多次反映未果" * 2


@pytest.fixture
def cases(world, depts):
    """A case at each stage the lists show, some overdue, with long texts."""
    log = lambda: services.event_log(  # noqa: E731
        actor=world.governor, block=world.block, category=world.category, description=LONG
    )
    log()  # in the block
    whistled = services.event_whistle(
        actor=world.governor, event_id=log().pk, reason="other", note=LONG[:200]
    )
    dispatched = services.event_whistle(
        actor=world.governor, event_id=log().pk, reason="law_enforcement"
    )
    services.event_dispatch(
        actor=world.dispatcher, event_id=dispatched.pk, lead=depts.cgzf.department,
        cooperating=[depts.scjg.department, depts.gaj.department], note=LONG[:200],
    )  # fmt: skip
    part = dispatched.assignments.get(department=depts.cgzf.department)
    services.assignment_report_in(actor=depts.cgzf.officer, assignment_id=part.pk)
    past = timezone.now() - timedelta(hours=3)
    Deadline.objects.filter(met_at__isnull=True, cancelled_at__isnull=True).update(
        due_at=past, warn_at=past - timedelta(hours=1)
    )
    return {"whistled": whistled, "dispatched": dispatched}


def pages(world, cases):
    whistled, dispatched = cases["whistled"].number, cases["dispatched"].number
    return {
        "governor": [
            "/events/workbench/", "/events/", "/events/deadlines/", f"/events/{dispatched}/",
        ],
        "dispatcher": [
            "/events/console/", "/events/console/?tab=in_progress", "/events/console/?tab=overdue",
            "/events/", "/events/deadlines/", f"/events/{whistled}/dispatch/",
            f"/events/{whistled}/",
        ],
        "cgzf-officer": ["/events/inbox/", "/events/inbox/?tab=in_hand", f"/events/{dispatched}/"],
        "leader": ["/events/", "/events/deadlines/", "/areas/", f"/areas/{world.street.code}/blocks/"],
    }  # fmt: skip


def test_no_list_overflows_or_squeezes_at_375_px(
    phone_page, phone_console_errors, login, live_server, world, cases
):
    problems = {}
    for username, urls in pages(world, cases).items():
        phone_page.context.clear_cookies()
        login(phone_page, username)
        for url in urls:
            phone_page.goto(f"{live_server.url}{url}")
            found = phone_page.evaluate(MEASURE)
            if found["width"] > 375 or found["squeezed"] or found["clipped"]:
                problems[(username, url)] = found
    assert not problems
    assert not phone_console_errors
