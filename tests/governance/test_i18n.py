"""The Chinese catalogue is complete and compiled; pages speak Chinese by default, and English
once the user switches with the header's language switch."""

import re
from html import unescape
from pathlib import Path

import polib
import pytest

from blocks.models import Posting
from tests.factories import UserFactory, area, post

LOCALE = Path(__file__).resolve().parents[2] / "locale"
ZH = LOCALE / "zh_Hans" / "LC_MESSAGES"

# Two English words in a row: what a Chinese user would see where a string escaped translation
# (an untranslated msgid, or English typed into a template without {% translate %}).
ENGLISH_PHRASE = re.compile(r"\b[A-Za-z]{2,}\s+[A-Za-z]{2,}\b")


def visible_text(html: str) -> str:
    """The text a user sees: no head, scripts, tags or attributes."""
    body = html.split("<body", 1)[-1]
    body = re.sub(r"<(script|style|template)\b.*?</\1>", " ", body, flags=re.S)
    body = re.sub(r"<[^>]+>", " ", body)
    return " ".join(unescape(body).split())


def test_every_string_has_a_chinese_translation():
    po = polib.pofile(str(ZH / "django.po"))
    assert len(po) > 100, "the catalogue is nearly empty: run make messages"
    missing = [e.msgid for e in po.untranslated_entries()]
    fuzzy = [e.msgid for e in po.fuzzy_entries()]
    assert not missing, f"{len(missing)} untranslated, e.g. {missing[:10]}"
    assert not fuzzy, f"{len(fuzzy)} fuzzy (a guess by msgmerge, not a translation): {fuzzy[:10]}"


def test_translations_keep_their_placeholders():
    po = polib.pofile(str(ZH / "django.po"))
    placeholder = re.compile(r"%\(\w+\)[sd]|%[sd]|\{\{ *\w+ *\}\}")
    wrong = []
    for entry in po.translated_entries():
        pairs = (
            [(entry.msgid_plural, s) for s in entry.msgstr_plural.values()]
            if entry.msgid_plural
            else [(entry.msgid, entry.msgstr)]
        )
        for source, target in pairs:
            if sorted(placeholder.findall(source)) != sorted(placeholder.findall(target)):
                wrong.append((source, target))
    assert not wrong, wrong[:5]


@pytest.mark.parametrize("language", ["zh_Hans", "en"])
def test_the_compiled_catalogue_matches_the_source(language):
    folder = LOCALE / language / "LC_MESSAGES"
    po = {
        (e.msgctxt, e.msgid): e.msgstr_plural or e.msgstr
        for e in polib.pofile(str(folder / "django.po"))
        if e.translated()  # what msgfmt compiles: neither empty, fuzzy nor obsolete
    }
    mo = {
        (e.msgctxt, e.msgid): e.msgstr_plural or e.msgstr
        for e in polib.mofile(str(folder / "django.mo"))
        if e.msgid
    }
    assert po == mo, "run: make messages (compilemessages) and commit locale/"


@pytest.fixture
def leader(db):
    district = area("430302", "雨湖区")
    street = area("430302001", "雨湖路街道")
    area("430302001001", "白石社区")
    area("430302001001001", "白石社区第1区块", households=350)
    area("430302002", "城正街街道")
    user = UserFactory(username="leader", full_name="李主任")
    post(user, district, Posting.Role.LEADER)
    return user, street


def test_login_page_is_chinese_by_default_and_english_after_switching(client, db):
    html = client.get("/login/").content.decode()
    text = visible_text(html)
    assert '<html lang="zh-hans">' in html
    assert "<title>登录 · 区块治理平台</title>" in html
    for label in ("区块治理平台", "登录", "用户名", "密码", "简体中文"):
        assert label in text
    assert not ENGLISH_PHRASE.findall(text.replace("English", "")), text

    response = client.post("/i18n/setlang/", {"language": "en", "next": "/login/"}, follow=True)
    html = response.content.decode()
    text = visible_text(html)
    assert '<html lang="en">' in html
    for label in ("Block governance platform", "Log in", "Username", "Password"):
        assert label in text
    assert "用户名" not in text and "密码" not in text


def test_area_browser_is_chinese_by_default_and_english_after_switching(client, leader):
    user, street = leader
    client.force_login(user)
    response = client.get("/areas/", follow=True)
    assert response.status_code == 200
    html = response.content.decode()
    text = visible_text(html)
    assert '<html lang="zh-hans">' in html
    # The header, the navigation and the area table, as the leader sees them.
    for label in ("事件", "时限", "区域", "退出登录", "下级区域", "区块数", "户数", street.name):
        assert label in text, label
    english = ENGLISH_PHRASE.findall(text.replace("English", ""))
    assert not english, f"English on a Chinese page: {english}"
    for word in ("Cases", "Deadlines", "Log out", "Households"):
        assert word not in text

    client.post("/i18n/setlang/", {"language": "en", "next": "/areas/"})
    html = client.get("/areas/", follow=True).content.decode()
    text = visible_text(html)
    assert '<html lang="en">' in html
    for label in ("Cases", "Deadlines", "Areas", "Log out", "Areas below", "Households"):
        assert label in text, label
    for label in ("退出登录", "下级区域", "户数"):
        assert label not in text, label
    # The data stays as it is: names of places are not translated.
    assert street.name in text


def test_block_page_speaks_chinese_including_roles_and_households(client, leader):
    user, _ = leader
    governor = UserFactory(username="wang", full_name="王治理")
    area("430302002001", "和平社区")
    block = area("430302002001001", "和平社区第1区块", households=342)
    post(governor, block, Posting.Role.GOVERNOR)
    client.force_login(user)
    text = visible_text(client.get(f"/areas/{block.code}/").content.decode())
    for label in ("区块团队（1+N+1）", "区块治理员", "王治理", "342 户", "编码"):
        assert label in text, label
    assert not ENGLISH_PHRASE.findall(text.replace("English", "")), text
