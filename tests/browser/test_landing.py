"""Each role lands on its work (issue 18): logging in on a 375 px phone and at a 1440 px desk,
every role sees its own page and its main action, and its own entry first in the menu."""

from __future__ import annotations

import pytest
from playwright.sync_api import expect

from blocks.models import Posting
from events import services
from liaison import services as liaison_services
from liaison.models import DeployedCadre
from tests.browser.conftest import _page, snap
from tests.factories import UserFactory, post

pytestmark = [pytest.mark.browser, pytest.mark.django_db(transaction=True)]

Role = Posting.Role
SIZES = {"phone": (375, 812), "desk": (1440, 900)}


@pytest.fixture
def people(world, depts):
    """The world, with a case dispatched to 城管 (the officer's work, the dispatcher's too), one
    whistled case waiting at the desk, and the personas the world lacks."""
    for description, dispatch in (("东门有人占道摆摊", True), ("南门流动摊贩", False)):
        event = services.event_log(
            actor=world.governor, block=world.block, category=world.category,
            description=description,
        )  # fmt: skip
        services.event_whistle(actor=world.governor, event_id=event.pk, reason="law_enforcement")
        if dispatch:
            services.event_dispatch(
                actor=world.dispatcher,
                event_id=event.pk,
                lead=depts.cgzf.department,
                cooperating=[],
            )
    street_admin = UserFactory(username="streetadmin")
    post(street_admin, world.street, Role.STREET_ADMIN)
    admin = UserFactory(username="admin", is_staff=True, is_superuser=True)
    post(admin, world.district, Role.ADMINISTRATOR)
    cadre = UserFactory(username="cadre")
    DeployedCadre.objects.create(
        user=cadre, district=world.district, level=DeployedCadre.Level.DISTRICT, unit="区委组织部"
    )
    member = UserFactory(username="member")
    registered = liaison_services.member_register(
        actor=world.governor, community=world.community, name="王秀英", phone="13666660000",
        user=member,
    )  # fmt: skip
    wish = liaison_services.wish_post(
        actor=world.governor, community=world.community, title="修理轮椅",
        resident_name="孙奶奶", resident_phone="13700001111",
    )  # fmt: skip
    liaison_services.wish_assign(actor=world.governor, wish_id=wish.pk, member_id=registered.pk)
    return {
        # who: (user, where they land, their main action, their first menu entry)
        "governor": (world.governor, "/events/workbench/", "#log-form button[type=submit]", "/events/workbench/"),
        "dispatcher": (world.dispatcher, "/events/console/", "main a[href$='/dispatch/']", "/events/console/"),
        "officer": (depts.cgzf.officer, "/events/inbox/", "main form button[type=submit]", "/events/inbox/"),
        "leader": (world.leader, f"/dashboard/{world.district.code}/", "main h1", "/dashboard/"),
        "admin": (admin, f"/dashboard/{world.district.code}/", "main h1", "/dashboard/"),
        "streetadmin": (street_admin, f"/areas/{world.street.code}/blocks/", "main a[href$='/roster/']", f"/areas/{world.street.code}/blocks/"),
        "cadre": (cadre, "/links/visits/", "#visit-form button[type=submit]", "/links/visits/"),
        "member": (member, "/links/wishes/", f"main a[href='/links/wishes/{wish.pk}/']", "/links/wishes/"),
    }  # fmt: skip


@pytest.mark.parametrize("size", list(SIZES))
@pytest.mark.parametrize(
    "who",
    ["governor", "dispatcher", "officer", "leader", "admin", "streetadmin", "cadre", "member"],
)
def test_each_role_lands_on_its_work(browser, request, live_server, login, people, who, size):
    width, height = SIZES[size]
    phone = size == "phone"
    pages = _page(
        browser, request, viewport={"width": width, "height": height}, is_mobile=phone,
        has_touch=phone,
    )  # fmt: skip
    page = next(pages)
    try:
        user, landing, action, first_entry = people[who]
        login(page, user)
        assert page.url.split("?")[0] == f"{live_server.url}{landing}", page.url
        expect(page.locator(action).first).to_be_visible()
        expect(page.locator(".main-nav a").first).to_have_attribute("href", first_entry)
        assert page.evaluate("document.documentElement.scrollWidth <= window.innerWidth + 1")
        snap(page, f"landing-{who}-{size}")
    finally:
        next(pages, None)
