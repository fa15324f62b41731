"""Login protection (DESIGN §6; 等保 2.0 level 3): lockout after repeated failures, password
strength, session idle and absolute timeouts, forced change of initial passwords, and the
audit of logins."""

from __future__ import annotations

import re
from datetime import datetime
from urllib.parse import urlsplit

from django.conf import settings
from django.contrib import messages
from django.contrib.auth import logout
from django.contrib.auth.backends import ModelBackend
from django.contrib.auth.signals import user_logged_in, user_logged_out, user_login_failed
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.dispatch import receiver
from django.http import HttpResponse, JsonResponse
from django.shortcuts import redirect
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from governance import polls, ratelimit
from governance.audit import audit
from governance.models import AuditEntry
from governance.twofactor import requires_second_factor

LOCKOUT_FAILURES = 5
LOCKOUT_SECONDS = 15 * 60
IDLE_SECONDS = 30 * 60
ABSOLUTE_SECONDS = 12 * 3600


def _keys(request, username: str) -> list[str]:
    keys = [f"login-failures:user:{(username or '').strip().lower()}"]
    ip = ratelimit.client_ip(request)
    if ip:
        keys.append(f"login-failures:ip:{ip}")
    return keys


def is_locked(request, username: str) -> bool:
    return any(ratelimit.count(key) >= LOCKOUT_FAILURES for key in _keys(request, username))


class LockoutBackend(ModelBackend):
    """The model backend, refusing any attempt while the account name or the address has
    failed LOCKOUT_FAILURES times in the last 15 minutes — known account or not, so the
    lockout tells an attacker nothing about which names exist."""

    def authenticate(self, request, username=None, password=None, **kwargs):
        if request is not None and is_locked(request, username):
            raise PermissionDenied(_("Too many failed logins. Try again in 15 minutes."))
        return super().authenticate(request, username=username, password=password, **kwargs)


@receiver(user_login_failed)
def _login_failed(sender, credentials, request=None, **kwargs):
    username = credentials.get("username", "")
    for key in _keys(request, username):
        ratelimit.hit(key, window=LOCKOUT_SECONDS)
    audit(
        action=AuditEntry.Action.LOGIN_FAILED, request=request, username=username[:150],
        success=False, detail={"locked": is_locked(request, username)},
    )  # fmt: skip


@receiver(user_logged_in)
def _logged_in(sender, request, user, **kwargs):
    cache.delete_many(_keys(request, user.get_username()))
    if request is not None and hasattr(request, "session"):
        request.session["started_at"] = timezone.now().timestamp()
    audit(action=AuditEntry.Action.LOGIN, actor=user, request=request)


@receiver(user_logged_out)
def _logged_out(sender, request, user, **kwargs):
    if user is not None:
        audit(action=AuditEntry.Action.LOGOUT, actor=user, request=request)


class StrengthValidator:
    """At least 12 characters, or at least 8 with three of: lower case, upper case, digits,
    other characters."""

    def validate(self, password, user=None):
        classes = sum(
            bool(re.search(pattern, password))
            for pattern in (r"[a-z]", r"[A-Z]", r"[0-9]", r"[^a-zA-Z0-9]")
        )
        if len(password) >= 12 or (len(password) >= 8 and classes >= 3):
            return
        raise ValidationError(
            _(
                "Use at least 12 characters, or at least 8 with three of: lower case, "
                "upper case, digits and other characters."
            ),
            code="password_too_weak",
        )

    def get_help_text(self):
        return _(
            "At least 12 characters, or 8 with three of: lower case, upper case, digits, others."
        )


API_SETUP_REQUIRED = gettext_lazy(
    "Change your initial password (and turn on the second factor, if asked) on the web page first."
)


def is_background(request) -> bool:
    """A request the page makes by itself rather than a navigation: an htmx request (the
    bell's and the queue's polls, the duplicate hint, a progress bar) or a script's fetch
    of JSON (the dashboard's refresh). What it gets back is swapped into a page or parsed,
    never shown as a page of its own."""
    if request.headers.get("HX-Request") == "true":
        return request.headers.get("HX-Boosted") != "true"  # a boosted link navigates
    accept = request.headers.get("Accept", "")
    return "application/json" in accept and "text/html" not in accept


# htmx stops polling on this status (and, with ``HX-Reswap: none``, swaps nothing).
HTMX_STOP_POLLING = 286


def background_refusal(request, *, setup_pending: bool) -> HttpResponse:
    """What a background request gets where a navigation would be sent to the login page or
    to the forced password change / second-factor enrolment (issue 18: the bell's poll was
    redirected to the password page and swapped it into the header, whose bell polled again,
    148 requests in 10 s).

    htmx: 286 with ``HX-Reswap: none`` — a poll stops and nothing is swapped in, whatever
    the element's hx-swap. Deliberately no ``HX-Redirect``/``HX-Refresh``: the request was
    not the user's action, and a navigation they did not ask for would throw away what they
    are typing (the duplicate hint asks while a case is being logged). The user's own next
    navigation or submit meets the login page or the password change, as every page does.
    A script's JSON: 401 (no session) or 403 (account setup pending) with the API's error
    body, which the script can tell from data."""
    if request.headers.get("HX-Request") == "true":
        response = HttpResponse(status=HTMX_STOP_POLLING)
        response["HX-Reswap"] = "none"
        return response
    if setup_pending:
        body, status = {"code": "account_setup_required", "message": str(API_SETUP_REQUIRED)}, 403
    else:
        body, status = {"code": "not_authenticated", "message": str(SIGNED_OUT)}, 401
    return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})


SIGNED_OUT = gettext_lazy("You are not logged in. Please log in again.")
# Where a navigation is sent when the session cannot go on as it is.
GATES = ("login", "password_change", "second_factor")


class SessionPolicyMiddleware:
    """Idle timeout (30 min), absolute timeout (12 h), "log out everywhere", and the forced
    change of an initial password. A background request (``is_background``) is never
    redirected to the login page or the password change, whether by this middleware or by
    a view's ``login_required``: it gets ``background_refusal`` instead."""

    # A forced password change does not block logging out, the change itself, assets, the
    # public pages, the API (token clients) or the admin.
    EXEMPT = ("/login/", "/logout/", "/password/", "/static/", "/i18n/", "/healthz", "/r/", "/api/")
    # Requests a page makes by itself on a timer (the bell's and the workbench queue's
    # polls) are not the user's activity: they must not keep an unattended session alive
    # past its idle timeout.
    BACKGROUND = ("/notifications/unread/", "/events/workbench/queue/")

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self._gate(request) or self.get_response(request)
        if response.status_code in (301, 302) and is_background(request):
            target = urlsplit(response.get("Location", "")).path
            if target in {reverse(name) for name in GATES}:
                user = getattr(request, "user", None)
                pending = user is not None and user.is_authenticated
                return background_refusal(request, setup_pending=pending)
        return response

    def _gate(self, request) -> HttpResponse | None:
        """A response instead of the page, or None to go on."""
        now = timezone.now().timestamp()
        session = request.session
        user = getattr(request, "user", None)
        if user is None or not user.is_authenticated:
            return None
        started = session.setdefault("started_at", now)
        last_seen = session.get("last_seen", started)
        valid_after = user.sessions_valid_after.timestamp() if user.sessions_valid_after else 0
        if _timed_out(now, started, last_seen) or started < valid_after:
            logout(request)
            messages.info(request, _("Your session has ended. Please log in again."))
            return redirect(f"{reverse('login')}?next={request.path}")
        # Written at most once a minute: a session saved on every page view is a database
        # write per request (the idle timeout does not need the second).
        if not request.path.startswith(self.BACKGROUND) and now - last_seen >= 60:
            session["last_seen"] = now
        must_enrol = requires_second_factor(user) and not user.totp_enabled
        if (user.must_change_password or must_enrol) and request.path.startswith("/api/"):
            # A session on the API (the browsable API, a page's script) is not the way round
            # the change of an initial password or the second factor: refuse, in the API's
            # error format. (Token clients are not seen here: their token was only issued
            # once both were done.)
            return JsonResponse(
                {"code": "account_setup_required", "message": str(API_SETUP_REQUIRED)},
                status=403,
            )
        exempt = request.path.startswith((*self.EXEMPT, "/" + settings.ADMIN_URL))
        if user.must_change_password and not exempt:
            return redirect("password_change")
        if must_enrol and not request.path.startswith((*self.EXEMPT, "/account/second-factor/")):
            return redirect("second_factor")
        return None


class UnchangedPollMiddleware:
    """An unchanged poll (governance/polls.py) answered 204 as soon as the session is read,
    from the session and Redis alone: no user loaded, no query, and none of the middleware
    below it (locale, CSRF, messages, headers of a page) run for an empty answer. A 2,700-
    strong staff's pages poll ~180 times a second (issue 21). A session past its timeouts
    goes on to SessionPolicyMiddleware to be ended; one ended "everywhere" (a field of the
    user) gets only empty answers until its poll has news, and is ended then."""

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        if request.path.startswith(SessionPolicyMiddleware.BACKGROUND):
            session = request.session
            started = session.get("started_at")
            if (
                started is not None
                and not _timed_out(
                    timezone.now().timestamp(), started, session.get("last_seen", started)
                )
                and polls.unchanged(request)
            ):
                return polls.unchanged_response()
        return self.get_response(request)


def _timed_out(now: float, started: float, last_seen: float) -> bool:
    """Idle past IDLE_SECONDS or signed in past ABSOLUTE_SECONDS (timestamps)."""
    return now - last_seen > IDLE_SECONDS or now - started > ABSOLUTE_SECONDS


def sessions_end_everywhere(*, user, now: datetime | None = None) -> None:
    """Every session of ``user`` ends at its next request (e.g. a lost phone)."""
    user.sessions_valid_after = now or timezone.now()
    user.save(update_fields=["sessions_valid_after"])
