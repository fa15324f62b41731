"""The first login (issue 18): an account that must change its initial password meets the
password page, and nothing a page asks by itself (the bell's poll, the queue's poll, a
script's JSON) ever receives a page — not the password page, not the login page."""

from __future__ import annotations

from datetime import timedelta

import pytest
import time_machine
from django.test import Client
from django.utils import timezone

from tests.factories import PASSWORD

pytestmark = pytest.mark.django_db

HTMX = {"HTTP_HX_REQUEST": "true", "HTTP_HX_CURRENT_URL": "http://testserver/events/workbench/"}
JSON = {"HTTP_ACCEPT": "application/json"}


@pytest.fixture
def newcomer(world):
    """The block governor with an initial password, as every real account starts."""
    world.governor.must_change_password = True
    world.governor.save(update_fields=["must_change_password"])
    client = Client()
    client.post("/login/", {"username": "governor", "password": PASSWORD})
    return client


def leaves_the_page_alone(response) -> None:
    """htmx's "stop polling" with nothing to swap in: no redirect for XHR to follow."""
    assert response.status_code == 286, (response.status_code, response.get("Location"))
    assert response["HX-Reswap"] == "none"
    assert response.content == b""


@pytest.mark.parametrize("path", ["/notifications/unread/", "/events/workbench/queue/"])
def test_a_poll_under_a_forced_change_gets_no_page(newcomer, path):
    leaves_the_page_alone(newcomer.get(path, **HTMX))


def test_a_scripts_json_under_a_forced_change_is_told_why(newcomer, world):
    response = newcomer.get(f"/dashboard/{world.district.code}/data.json", **JSON)
    assert response.status_code == 403
    assert response.json()["code"] == "account_setup_required"


def test_a_navigation_under_a_forced_change_still_leads_to_the_password_page(newcomer):
    response = newcomer.get("/events/workbench/")
    assert response.status_code == 302 and response["Location"] == "/password/"


@pytest.mark.parametrize("path", ["/notifications/unread/", "/events/workbench/queue/"])
def test_a_poll_after_the_idle_timeout_gets_no_page(world, path):
    client = Client()
    client.post("/login/", {"username": "governor", "password": PASSWORD})
    with time_machine.travel(timezone.now() + timedelta(minutes=31)):
        leaves_the_page_alone(client.get(path, **HTMX))
        # The user's own next click meets the login page, as before.
        assert client.get("/events/workbench/")["Location"].startswith("/login/")


def test_a_poll_of_a_signed_out_page_gets_no_login_page(db):
    leaves_the_page_alone(Client().get("/events/workbench/queue/", **HTMX))
    response = Client().get("/dashboard/430302/data.json", **JSON)
    assert response.status_code == 401 and response.json()["code"] == "not_authenticated"


def test_the_password_page_does_not_poll_and_offers_no_menu(newcomer):
    html = newcomer.get("/password/").content.decode()
    assert 'name="new_password1"' in html
    assert "hx-trigger" not in html and "every 30s" not in html
    assert 'href="/events/workbench/"' not in html  # no menu of pages that lead back here


def test_after_the_change_the_governor_lands_on_the_workbench(newcomer):
    response = newcomer.post(
        "/password/",
        {
            "old_password": PASSWORD,
            "new_password1": "Shiny-New-Pass-2026",
            "new_password2": "Shiny-New-Pass-2026",
        },
        follow=True,
    )
    assert response.redirect_chain[-1][0] == "/events/workbench/"
    assert "您的密码已修改。" in response.content.decode()
    assert 'id="unread-count"' in response.content.decode()  # the bell is back
