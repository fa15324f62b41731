"""API clients for the personas of tests/conftest.py (STYLE §6: insider, neighbour, outsider,
other department, read-only leader, anonymous)."""

from __future__ import annotations

import pytest
from django.core.cache import cache
from rest_framework.test import APIClient

from events import services
from events.models import Event


@pytest.fixture(autouse=True)
def _fresh_cache():
    # The throttles count in the cache (Redis in CI): every test starts with none used.
    cache.clear()


@pytest.fixture
def api():
    """``api(user)``: an API client signed in as ``user`` (``None``: anonymous)."""

    def make(user=None) -> APIClient:
        client = APIClient()
        client.default_format = "json"
        if user is not None:
            client.force_authenticate(user)
        return client

    return make


def logged(world, **extra) -> Event:
    """A case the world's governor logged himself (so it is in the block, his to handle)."""
    fields = {"description": "东门有人占道摆摊", "reporter_phone": "13812345678", **extra}
    return services.event_log(
        actor=world.governor, block=world.block, category=world.category, **fields
    )


def pending(world, **extra) -> Event:
    """A resident's report waiting for the block to accept it."""
    fields = {"description": "楼道灯坏了", "reporter_phone": "13812345678", **extra}
    return services.event_log(actor=None, block=world.block, category=world.category, **fields)
