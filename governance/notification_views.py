"""The bell and the notifications page: a user's own notices, newest first (issue 6)."""

from __future__ import annotations

from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils.http import url_has_allowed_host_and_scheme
from django.views.decorators.http import require_GET, require_POST

from governance import polls
from governance.notifications import (
    notification_mark_read,
    notifications_for,
    notifications_mark_all_read,
    notifications_unread_count,
)

PAGE_SIZE = 30
# htmx stops polling on this status: an ended session must not keep asking.
HTMX_STOP_POLLING = 286


@login_required
@require_GET
def notification_list(request: HttpRequest) -> HttpResponse:
    unread_only = request.GET.get("unread") == "1"
    notices = notifications_for(user=request.user)
    if unread_only:
        notices = notices.filter(read_at__isnull=True)
    page = Paginator(notices, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(
        request,
        "governance/notification_list.html",
        {
            "page": page,
            "unread_only": unread_only,
            "unread": notifications_unread_count(user=request.user),
        },
    )


@require_GET
def notification_badge(request: HttpRequest) -> HttpResponse:
    """The unread count in the header bell, which polls it every 30 s (every page draws it
    first, governance/templatetags/bell.py). An unchanged poll never gets here: the
    session middleware answers it 204."""
    if not request.user.is_authenticated:
        return HttpResponse(status=HTMX_STOP_POLLING)
    return render(request, "governance/_notification_badge.html", badge_context(request))


def badge_context(request: HttpRequest) -> dict:
    """The bell's count and the address of its next poll. The version first, then the count
    (governance/polls.py): the next poll, sent with this version, is answered 204 without a
    query until a notice of the user changes; until then the count is kept in the cache
    too, so that every page drawing the bell does not count again."""
    path = reverse("governance:notification_badge")
    current = polls.remember(request, path=path, topics=[polls.bell_topic(request.user.pk)])
    if current:
        key = f"unread:{request.user.pk}:{current}"
        unread = cache.get(key)
        if unread is None:
            unread = notifications_unread_count(user=request.user)
            cache.set(key, unread, 3600)
    else:
        unread = notifications_unread_count(user=request.user)
    return {
        "unread": unread,
        "poll_url": polls.poll_url(path, current),
        "poll_seconds": polls.interval(),
    }


def _next(request: HttpRequest, fallback: str) -> str:
    target = request.POST.get("next", "")
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return fallback


@login_required
@require_POST
def notification_read(request: HttpRequest, notification_id: int) -> HttpResponse:
    """Mark one notice read; with ``next`` (the case it tells of) go there, else back."""
    if not notification_mark_read(user=request.user, notification_id=notification_id):
        raise Http404  # another person's notice is simply not there
    return redirect(_next(request, "governance:notifications"))


@login_required
@require_POST
def notification_read_all(request: HttpRequest) -> HttpResponse:
    notifications_mark_all_read(user=request.user)
    return redirect("governance:notifications")
