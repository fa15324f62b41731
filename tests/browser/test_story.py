"""The whole story in Chromium, with a real Celery worker and beat enforcing the clocks
(issue 11): a resident reports on a phone; the governor accepts and whistles; the street
dispatches to a lead and a cooperating department; the lead reports in and, while the officer
looks at the inbox, the deadline warning arrives without a reload; feedback with a photo; the
street verifies; the resident rates; the leader's numbers count the case.

Screenshots of every step land in test-artifacts/story-*.png.
"""

from __future__ import annotations

import re

import pytest
from playwright.sync_api import expect

from events.models import Assignment, ClockKind, Deadline, DeadlinePolicy, Event, PolicySet, Status
from tests.browser.conftest import snap
from tests.browser.test_dispatch_walk import photo
from tests.procs import start_celery, stop, wait_for

pytestmark = [
    pytest.mark.browser,
    pytest.mark.postgres,
    pytest.mark.redis,
    pytest.mark.django_db(transaction=True),
]


@pytest.fixture
def worker_and_beat(tmp_path):
    """The Celery processes of `make run`, scanning the clocks every 2 s."""
    env = {"DEADLINE_SCAN_SECONDS": "2", "HEARTBEAT_SECONDS": "2"}
    worker = start_celery("worker", tmp_path, "--concurrency", "1", **env)
    beat = start_celery("beat", tmp_path, "--schedule", str(tmp_path / "beat-schedule"), **env)
    yield
    stop(beat)
    stop(worker)


def switch_user(page, login, user) -> None:
    page.context.clear_cookies()
    login(page, user)


def test_the_whole_story_from_a_residents_phone_to_the_leaders_numbers(
    browser, phone_page, page, login, live_server, world, depts, tmp_path, worker_and_beat
):
    # The lead department has one minute to resolve once it reports in, so that the 80 %
    # warning (48 s) falls inside the test.
    DeadlinePolicy.objects.create(
        policy_set=PolicySet.SEEDS, district=world.district, kind=ClockKind.RESOLVE, minutes=1
    )

    # 1. A resident reports on a phone, without an account.
    phone = phone_page
    phone.goto(f"{live_server.url}/r/")
    phone.locator("#id_street").select_option(label=world.street.name)
    expect(phone.locator("#id_community option", has_text=world.community.name)).to_have_count(1)
    phone.locator("#id_community").select_option(label=world.community.name)
    expect(phone.locator("#id_block option", has_text=world.block.name)).to_have_count(1)
    phone.locator("#id_block").select_option(label=world.block.name)
    phone.locator("#id_category").select_option(label=world.category.name)
    phone.locator("#id_description").fill("小区东门每天晚上有人占道摆摊，堵住了人行道")
    phone.locator("#id_reporter_phone").fill("13812345678")
    phone.locator("#report-submit").click()
    phone.wait_for_url(re.compile(r"/r/done/\w+/$"))
    snap(phone, "story-1-resident-reported")
    event = Event.objects.get()
    assert event.status == Status.PENDING
    tracking_url = f"{live_server.url}/r/t/{event.tracking_code}/"
    case_url = f"{live_server.url}/events/{event.number}/"

    # 2. The governor accepts it and whistles it up to the street.
    login(page, world.governor)
    page.goto(case_url)
    page.locator('form[data-action="accept"] button[type=submit]').click()
    expect(page.locator("#status")).to_have_text("区块办理中")
    page.locator("details.more-action summary", has_text="吹哨").click()
    form = page.locator('form[data-action="whistle"]')
    form.locator("select[name=reason]").select_option("law_enforcement")
    form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("已吹哨至街道")
    snap(page, "story-2-governor-whistled")

    # 3. The street dispatches to the lead (城管执法) and one cooperating department (市场监管).
    switch_user(page, login, world.dispatcher)
    page.goto(f"{live_server.url}/events/{event.number}/dispatch/")
    expect(page.locator("#suggestion")).to_contain_text("城管执法")
    page.locator("input[name=cooperating]").evaluate_all(
        "els => els.forEach(e => e.checked = false)"
    )
    page.locator("label", has_text="市场监管").locator("input[name=cooperating]").check()
    page.locator("form button[type=submit]", has_text="派单").click()
    page.wait_for_url(f"{live_server.url}/events/console/")
    snap(page, "story-3-dispatched")
    parts = {p.department.code: p for p in Assignment.objects.filter(event=event)}
    assert set(parts) == {"cgzf", "scjg"}

    # 4. The lead reports in; the inbox stays open and the warning arrives without a reload.
    switch_user(page, login, depts.cgzf.officer)
    page.goto(f"{live_server.url}/events/inbox/")
    page.locator(f'li[data-number="{event.number}"] button', has_text="报到").click()
    page.goto(f"{live_server.url}/events/inbox/?tab=in_hand")
    row = page.locator(f'li[data-number="{event.number}"]')
    expect(row.locator(".clock")).to_have_class(re.compile("card-none"))
    # The worker's scan marks the warning once (a real Celery beat and worker)…
    wait_for(
        lambda: Deadline.objects.filter(
            assignment=parts["cgzf"], kind=ClockKind.RESOLVE, warned_at__isnull=False
        ).exists(),
        timeout=90,
        every=1,
    )
    # …and the page the officer has open shows the yellow card, with no reload.
    expect(row.locator(".clock")).to_have_class(re.compile("card-yellow"), timeout=30_000)
    snap(page, "story-4-warning-without-reload")

    # 5. Feedback with a photo from the lead, a written answer from the cooperating one.
    row.locator("summary", has_text="反馈处理情况").click()
    row.locator("textarea[name=note]").fill("已到现场，摊位已清理，设置了提示牌")
    row.locator("input[name=photos]").set_input_files(photo(tmp_path))
    row.locator("button", has_text="提交反馈").click()
    page.wait_for_load_state()
    switch_user(page, login, depts.scjg.officer)
    page.goto(f"{live_server.url}/events/inbox/")
    page.locator(f'li[data-number="{event.number}"] button', has_text="报到").click()
    page.goto(f"{live_server.url}/events/inbox/?tab=in_hand")
    row = page.locator(f'li[data-number="{event.number}"]')
    row.locator("summary", has_text="反馈处理情况").click()
    row.locator("textarea[name=note]").fill("已配合核查摊主证照")
    row.locator("button", has_text="提交反馈").click()
    page.wait_for_load_state()

    # 6. The street verifies and closes.
    switch_user(page, login, world.dispatcher)
    page.goto(case_url)
    expect(page.locator("#status")).to_have_text("待核查")
    page.locator('form[data-action="verify"] button[type=submit]').click()
    expect(page.locator("#status")).to_have_text("已结案")
    expect(page.locator("#departments")).to_contain_text("摊位已清理")
    snap(page, "story-6-verified")

    # 7. The resident rates it on the phone.
    phone.goto(tracking_url)
    phone.locator("input[name=satisfaction][value=satisfied]").check()
    phone.locator("input[name=resolved][value='1']").check()
    phone.locator("#rate-form button[type=submit]").click()
    expect(phone.locator("#rating-done")).to_be_visible()
    snap(phone, "story-7-resident-rated")
    event.refresh_from_db()
    assert event.satisfaction == "satisfied" and event.resolved_by_resident is True

    # 8. The leader's dashboard counts it: the block's closed and rated numbers include the
    #    case, and the closed number opens a list that holds it.
    switch_user(page, login, world.leader)
    page.goto(f"{live_server.url}/dashboard/{world.block.code}/")
    expect(page.locator(".kpi-closed .value")).to_have_text("1")
    expect(page.locator(".kpi-rated .value")).to_have_text("1")
    expect(page.locator("#rates tr[data-measure=satisfaction_rate]")).to_contain_text("100")
    snap(page, "story-8-leaders-numbers")
    page.locator(".kpi-closed").click()
    expect(page.locator("body")).to_contain_text(event.number)
    snap(page, "story-8-leaders-closed-cases")
