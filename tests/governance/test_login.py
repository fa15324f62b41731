"""Login pages in Chinese (the default) and English."""

import pytest

from tests.factories import PASSWORD, UserFactory

pytestmark = pytest.mark.django_db


def test_login_page_is_chinese_by_default(client):
    response = client.get("/login/")
    assert response.status_code == 200
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "密码" in html


def test_login_page_stays_chinese_when_the_browser_asks_for_english(client):
    # Issue 18: Chinese-first; English only by the switch (tests/governance/test_language.py).
    response = client.get("/login/", HTTP_ACCEPT_LANGUAGE="en")
    html = response.content.decode()
    assert '<html lang="zh-hans">' in html
    assert "登录" in html and "Log in" not in html


def test_language_switch_remembers_english(client):
    client.post("/i18n/setlang/", {"language": "en", "next": "/login/"})
    assert "Log in" in client.get("/login/").content.decode()


def test_wrong_password_is_refused_in_chinese(client):
    UserFactory(username="wang")
    response = client.post("/login/", {"username": "wang", "password": "wrong-password"})
    assert response.status_code == 200
    assert "请输入一个正确的" in response.content.decode()


def test_right_password_logs_in(client):
    UserFactory(username="wang")
    response = client.post("/login/", {"username": "wang", "password": PASSWORD})
    assert response.status_code == 302
    assert client.get("/", follow=True).status_code == 200
    assert "_auth_user_id" in client.session
