"""Every list page of every role at 375 px (issue 18): the document never scrolls sideways
and no table cell or label is squeezed to one character per line, no chip clipped. The world
is the URL walk's (tests/governance/test_url_walk.py: cases at every stage, a department's
parts, the links between levels, an admission, a notice), so each list has rows; the
measurement is test_phone_layout.py's."""

from __future__ import annotations

import pytest

from tests.browser.test_phone_layout import MEASURE
from tests.governance.access_table import ADMIN, DEPT, DISP, GOV, LEADER
from tests.governance.test_url_walk import build_world, extend_world_for_api
from tests.governance.walk_world_more import build_more

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

CONSOLE_TABS = ("to_dispatch", "returned", "overdue", "in_progress", "to_verify", "with_district")
INBOX_TABS = ("to_report_in", "in_hand", "feedback_given", "closed", "returned")
HEADER_MAX = 90  # px at 375: two rows of the header
LINKS = ("/links/", "/links/groups/", "/links/ledger/", "/links/admissions/")


def list_pages(world) -> dict[str, list[str]]:
    """Each role's list pages (username → URLs)."""
    street, block, district = world.street.code, world.block.code, world.district.code
    return {
        f"walk-{GOV}": [
            "/events/workbench/", "/events/", "/events/deadlines/", "/areas/",
            f"/areas/{block}/",
            "/links/visits/", "/links/households/", "/links/wishes/", "/links/registrations/",
            "/links/demand/", *LINKS, "/notifications/",
        ],
        f"walk-{DISP}": [
            *(f"/events/console/?tab={tab}" for tab in CONSOLE_TABS), "/events/",
            "/events/deadlines/", f"/areas/{street}/", f"/areas/{street}/blocks/",
            "/links/cadres/", "/links/coverage/", "/links/problems/",
            "/links/services/", "/links/meetings/", "/links/registrations/", "/links/wishes/",
            "/links/demand/", *LINKS, f"/dashboard/{street}/", "/dashboard/evaluations/",
        ],
        f"walk-{DEPT}": [
            *(f"/events/inbox/?tab={tab}" for tab in INBOX_TABS), "/events/",
            "/links/services/", "/links/problems/", "/links/admissions/", "/links/ledger/",
        ],
        f"walk-{LEADER}": [
            f"/dashboard/{district}/", f"/dashboard/{district}/?period=year",
            f"/dashboard/{street}/", f"/dashboard/{district}/report/?month=2026-11", "/events/",
            "/events/deadlines/", "/areas/", f"/areas/{street}/blocks/", "/links/problems/",
            "/links/meetings/", "/links/ledger/",
        ],
        f"walk-{ADMIN}": [
            "/audit/", f"/duties/{district}/import/", f"/areas/{block}/roster/", "/links/admissions/", "/events/",
            f"/areas/{street}/import/",
        ],
        "walk-cadre": ["/links/visits/", "/links/"],
        "walk-member": ["/links/wishes/", "/links/"],
    }  # fmt: skip


def test_every_list_page_fits_375_px(phone_page, phone_console_errors, login, live_server):
    world = build_world()
    extend_world_for_api(world)
    world.more = build_more(world)
    problems, asked = {}, 0
    for username, urls in list_pages(world).items():
        phone_page.context.clear_cookies()
        login(phone_page, username)
        for url in urls:
            response = phone_page.goto(f"{live_server.url}{url}")
            asked += 1
            if not response.ok:
                problems[f"{username} {url}"] = response.status
                continue
            found = phone_page.evaluate(MEASURE)
            if found["width"] > 375 or found["squeezed"] or found["clipped"]:
                problems[f"{username} {url}"] = found
            # The header is two rows (brand and a menu that scrolls sideways; name, bell,
            # language, log out), not a quarter of the screen: it was four or five.
            header = phone_page.locator(".site-header").bounding_box()["height"]
            if header > HEADER_MAX:
                problems[f"{username} {url} header"] = f"{header:.0f} px high"
    assert asked > 60
    # The measure sees overflow here too: a row wider than the phone is reported.
    phone_page.evaluate(
        "() => { const row = document.createElement('div'); row.style.width = '800px';"
        " row.textContent = '宽'; document.querySelector('main, body').append(row); }"
    )
    assert phone_page.evaluate(MEASURE)["width"] > 375
    assert not problems, "\n".join(f"{where}: {found}" for where, found in problems.items())
    assert not phone_console_errors
