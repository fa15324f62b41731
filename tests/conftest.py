"""Shared fixtures. Tests that need PostgreSQL or Redis are marked; without the service they
are skipped with a printed reason, and REQUIRE_SERVICES=1 (CI) turns that skip into a failure."""

from __future__ import annotations

import os
from types import SimpleNamespace

import pytest
from django.conf import settings
from django.db import connection

from blocks.models import Department, DepartmentMember, Posting
from events.categories import load_default_categories
from events.deadlines import load_default_policies
from events.models import Category, DeadlinePolicy, DutyItem
from tests.factories import UserFactory, area, post

Role = Posting.Role

REQUIRE_SERVICES = os.environ.get("REQUIRE_SERVICES") == "1"


def _redis_reason() -> str | None:
    url = os.environ.get("REDIS_URL")
    if not url:
        return "needs Redis: set REDIS_URL (e.g. redis://127.0.0.1:6379/0)"
    try:
        import redis

        redis.Redis.from_url(url, socket_connect_timeout=2).ping()
    except Exception as exc:
        return f"needs Redis at {url}: {exc}"
    return None


def pytest_collection_modifyitems(config, items):
    pg_reason = None
    if settings.DATABASES["default"]["ENGINE"] != "django.db.backends.postgresql":
        pg_reason = (
            "needs PostgreSQL: set DATABASE_URL=postgres://postgres@127.0.0.1:5432/governance"
        )
    redis_reason = _redis_reason() if any("redis" in i.keywords for i in items) else None
    for item in items:
        for marker, reason in (("postgres", pg_reason), ("redis", redis_reason)):
            if marker in item.keywords and reason:
                item.missing_service = reason


def pytest_runtest_setup(item):
    reason = getattr(item, "missing_service", None)
    if reason:
        if REQUIRE_SERVICES:
            pytest.fail(f"REQUIRE_SERVICES=1 but this test {reason}", pytrace=False)
        pytest.skip(reason)


@pytest.fixture
def is_postgres() -> bool:
    return connection.vendor == "postgresql"


@pytest.fixture(autouse=True)
def _fast_password_hashing(settings):
    # PBKDF2's deliberate slowness is for attackers, not for the thousand logins of a test run.
    settings.PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]


# Personas and a small territory: a street with two neighbouring blocks, and another street,
# each with its people (STYLE §6: insider, neighbour, outsider).


@pytest.fixture(autouse=True)
def _fresh_cache():
    """Each test starts with an empty cache: failed logins (lockout), rate limits and public
    reports are counted there per account and address, and one test's 127.0.0.1 must not
    count against the next. Only Django's own keys go: on Redis the broker's queues may
    share the database (a running worker's tasks are not thrown away)."""
    from django.core.cache import cache

    client = getattr(cache, "_cache", None)
    if client is None or not hasattr(client, "get_client"):
        cache.clear()
        return
    redis = client.get_client(write=True)
    keys = list(redis.scan_iter(match=cache.make_key("*"), count=1000))
    if keys:
        redis.delete(*keys)


@pytest.fixture
def world(db):
    district = area("430302", "雨湖区")
    street = area("430302001", "雨湖路街道")
    other_street = area("430302002", "城正街街道")
    community = area("430302001001", "白石社区")
    block = area("430302001001001", "白石社区第1区块", households=350)
    neighbour_block = area("430302001001002", "白石社区第2区块", households=340)
    other_community = area("430302002001", "和平社区")
    far_block = area("430302002001001", "和平社区第1区块")
    people = {
        "governor": (block, Role.GOVERNOR),
        "assistant": (block, Role.ASSISTANT),
        "supervisor": (block, Role.SUPERVISOR),
        "neighbour": (neighbour_block, Role.GOVERNOR),
        "dispatcher": (street, Role.DISPATCHER),
        "other_dispatcher": (other_street, Role.DISPATCHER),
        "far_governor": (far_block, Role.GOVERNOR),
        "leader": (district, Role.LEADER),
    }
    users = {}
    for name, (where, role) in people.items():
        users[name] = UserFactory(username=name, phone="13900001111")
        post(users[name], where, role)
    # Transactional tests flush the data migration's categories; put them back.
    load_default_categories(Category)
    load_default_policies(Category, DeadlinePolicy)
    category = Category.objects.get(code="city-street-vending")
    return SimpleNamespace(
        district=district, street=street, other_street=other_street, community=community,
        block=block, neighbour_block=neighbour_block, other_community=other_community,
        far_block=far_block, category=category, red_category=Category.objects.get(code="infra-manhole"),
        **users,
    )  # fmt: skip


# Four departments of the district, each with an officer, and a duty-list row that makes
# 城管 the lead (市场监管, 公安 cooperating) for the world's street-vending category.
@pytest.fixture
def depts(world):
    made = {}
    for code, name in (
        ("cgzf", "城管执法"),
        ("scjg", "市场监管"),
        ("gaj", "公安"),
        ("zjj", "住建"),
    ):
        department = Department.objects.create(district=world.district, code=code, name=name)
        officer = UserFactory(username=f"{code}-officer")
        DepartmentMember.objects.create(department=department, user=officer)
        made[code] = SimpleNamespace(department=department, officer=officer)
    item = DutyItem.objects.create(
        district=world.district, number=1, matter="占道经营的查处",
        category_code=world.category.code, lead=made["cgzf"].department,
    )  # fmt: skip
    item.cooperating.set([made["scjg"].department, made["gaj"].department])
    return SimpleNamespace(**made)
