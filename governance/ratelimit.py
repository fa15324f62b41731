"""Counting requests per client for rate limits and lockouts, in the shared cache (Redis in
production, so every web process sees the same counts)."""

from __future__ import annotations

from django.conf import settings
from django.core.cache import cache
from django.http import HttpRequest


def client_ip(request: HttpRequest | None) -> str:
    """The client's address. Behind N trusted reverse proxies (TRUSTED_PROXIES = N) it is the
    Nth address from the right of X-Forwarded-For: the left part is the client's to forge."""
    if request is None:
        return ""
    proxies = settings.TRUSTED_PROXIES
    if proxies:
        forwarded = [
            part.strip()
            for part in request.META.get("HTTP_X_FORWARDED_FOR", "").split(",")
            if part.strip()
        ]
        if len(forwarded) >= proxies:
            return forwarded[-proxies]
    return request.META.get("REMOTE_ADDR", "") or ""


def hit(key: str, *, window: int = 3600) -> int:
    """Count one more event under ``key`` for ``window`` seconds; returns the new count."""
    # add() then incr(): atomic on Redis, so parallel requests cannot both slip under a limit.
    cache.add(key, 0, timeout=window)
    try:
        return cache.incr(key)
    except ValueError:  # expired between add() and incr()
        cache.set(key, 1, timeout=window)
        return 1


def count(key: str) -> int:
    return cache.get(key) or 0
