"""Simplified Chinese whatever the browser asks (issue 18: the product is Chinese-first);
English only by the header's switch, and remembered. Apps on the API still get errors in the
language they ask for (README: "in the caller's language")."""

from __future__ import annotations

import pytest

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("asked", ["en", "en-US,en;q=0.9", "de-DE", "zh-TW"])
def test_a_browser_asking_for_another_language_gets_chinese(client, asked):
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE=asked).content.decode()
    assert '<html lang="zh-hans">' in html and "登录" in html


def test_english_by_the_switch_is_remembered_across_browser_sessions(client):
    response = client.post(
        "/i18n/setlang/", {"language": "en", "next": "/login/"}, HTTP_ACCEPT_LANGUAGE="zh-CN"
    )
    cookie = response.cookies["django_language"]
    assert cookie.value == "en"
    assert int(cookie["max-age"]) >= 365 * 24 * 3600  # not a cookie lost with the browser
    html = client.get("/login/", HTTP_ACCEPT_LANGUAGE="zh-CN").content.decode()
    assert '<html lang="en">' in html and "Log in" in html
    client.post("/i18n/setlang/", {"language": "zh-hans", "next": "/login/"})
    assert "登录" in client.get("/login/", HTTP_ACCEPT_LANGUAGE="en").content.decode()


def test_an_app_on_the_api_still_gets_the_language_it_asks_for(client):
    english = client.post("/api/auth/token/", {}, HTTP_ACCEPT_LANGUAGE="en").json()
    chinese = client.post("/api/auth/token/", {}).json()
    assert english["message"] != chinese["message"]
    assert english["message"].isascii() and not chinese["message"].isascii()
