"""The whistle-and-report path walked in the browser (issue 5): the governor whistles, the
street dispatches with the duty list's suggestion, the department reports in and gives
feedback with a photo, the street verifies, the resident rates on the public page."""

from __future__ import annotations

import io

import pytest
from PIL import Image
from playwright.sync_api import expect

from events import services
from events.models import Assignment, Event, Status

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]


def photo(tmp_path):
    path = tmp_path / "feedback.jpg"
    buffer = io.BytesIO()
    Image.new("RGB", (640, 480), (40, 120, 40)).save(buffer, format="JPEG")
    path.write_bytes(buffer.getvalue())
    return str(path)


def test_governor_whistles_street_dispatches_department_reports_in_resident_rates(
    page, console_errors, login, live_server, world, depts, tmp_path
):
    event = services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="商户占道经营，多次劝导无效", reporter_phone="13812345678",
    )  # fmt: skip
    case_url = f"{live_server.url}/events/{event.number}/"

    # The governor whistles it up with a reason.
    login(page, world.governor)
    page.goto(case_url)
    page.locator("details.more-action summary", has_text="吹哨").click()
    form = page.locator('form[data-action="whistle"]')
    form.locator("select[name=reason]").select_option("law_enforcement")
    form.locator("button[type=submit]").click()
    expect(page.locator("#status")).to_have_text("已吹哨至街道")

    # The street's dispatcher finds it on the console and dispatches as the duty list says.
    page.context.clear_cookies()
    login(page, world.dispatcher)
    page.goto(f"{live_server.url}/events/console/")
    row = page.locator(f'li[data-number="{event.number}"]')
    row.locator("a.button", has_text="派单").click()
    expect(page.locator("#suggestion")).to_contain_text("城管执法")
    page.locator("form button[type=submit]", has_text="派单").click()
    page.wait_for_url(f"{live_server.url}/events/console/")
    assert Event.objects.get(pk=event.pk).status == Status.DISPATCHED

    # Each department reports in; the lead gives feedback with a photo, the others too.
    for code in ("cgzf", "scjg", "gaj"):
        officer = getattr(depts, code).officer
        page.context.clear_cookies()
        login(page, officer)
        page.goto(f"{live_server.url}/events/inbox/")
        part = page.locator(f'li[data-number="{event.number}"]')
        part.locator("button", has_text="报到").click()
        page.goto(f"{live_server.url}/events/inbox/?tab=in_hand")
        part = page.locator(f'li[data-number="{event.number}"]')
        part.locator("summary", has_text="反馈处理情况").click()
        part.locator("textarea[name=note]").fill(f"{officer.username} 已到现场处置")
        if code == "cgzf":
            part.locator("input[name=photos]").set_input_files(photo(tmp_path))
        part.locator("button", has_text="提交反馈").click()
        page.wait_for_load_state()
    assert set(Assignment.objects.filter(event=event).values_list("state", flat=True)) == {"done"}

    # The street verifies and closes.
    page.context.clear_cookies()
    login(page, world.dispatcher)
    page.goto(case_url)
    expect(page.locator("#status")).to_have_text("待核查")
    page.locator('form[data-action="verify"] button[type=submit]').click()
    expect(page.locator("#status")).to_have_text("已结案")
    expect(page.locator("#departments")).to_contain_text("已到现场处置")

    # The resident rates on the public tracking page, without an account.
    page.context.clear_cookies()
    event.refresh_from_db()
    page.goto(f"{live_server.url}/r/t/{event.tracking_code}/")
    page.locator("input[name=satisfaction][value=satisfied]").check()
    page.locator("input[name=resolved][value='1']").check()
    page.locator("form button[type=submit]").last.click()
    page.wait_for_load_state()
    event.refresh_from_db()
    assert event.satisfaction == "satisfied" and event.resolved_by_resident is True
    assert not console_errors, console_errors
