"""The second factor (TOTP, any authenticator app): enrolment, and the login step after the
password. Optional for staff; required for administrators in production (等保 2.0)."""

from __future__ import annotations

import pyotp
import segno
from django.conf import settings
from django.contrib import messages
from django.contrib.auth import get_user_model, login
from django.contrib.auth.decorators import login_required
from django.contrib.auth.views import LoginView
from django.http import HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from governance import ratelimit

PENDING = "2fa_pending_user"
ISSUER = "区块治理平台"


def requires_second_factor(user) -> bool:
    """Administrators must use a second factor in production."""
    return settings.PRODUCTION and (user.is_superuser or user.is_staff)


def code_ok(secret: str, code: str) -> bool:
    return bool(secret) and pyotp.TOTP(secret).verify(code.strip().replace(" ", ""), valid_window=1)


def code_refusal(user, code: str) -> str:
    """Why ``code`` is refused (empty when it is the user's current one), counting wrong
    codes: 5 in 15 minutes stop every further try, on the login page and the API alike."""
    key = f"2fa-failures:{user.pk}"
    if ratelimit.count(key) >= 5:
        return _("Too many wrong codes. Log in again in 15 minutes.")
    if code_ok(user.totp_secret, code):
        return ""
    ratelimit.hit(key, window=15 * 60)
    return _("That code is not right. Enter the 6 digits your app shows now.")


class PasswordThenCodeLogin(LoginView):
    """The password first; a user with a second factor then gives the app's code."""

    redirect_authenticated_user = True

    def form_valid(self, form):
        user = form.get_user()
        if not user.totp_enabled:
            return super().form_valid(form)
        self.request.session[PENDING] = user.pk
        self.request.session["2fa_next"] = self.get_success_url()
        return redirect("login_code")


@require_http_methods(["GET", "POST"])
def login_code(request: HttpRequest) -> HttpResponse:
    user_id = request.session.get(PENDING)
    if user_id is None:
        return redirect("login")
    user = get_user_model().objects.get(pk=user_id)
    error = ""
    if request.method == "POST":
        error = code_refusal(user, request.POST.get("code", ""))
        if not error:
            next_url = request.session.pop("2fa_next", None) or settings.LOGIN_REDIRECT_URL
            request.session.pop(PENDING, None)
            login(request, user, backend="governance.security.LockoutBackend")
            return redirect(next_url)
    return render(
        request, "registration/login_code.html", {"error": error}, status=400 if error else 200
    )


@login_required
@require_http_methods(["GET", "POST"])
def second_factor(request: HttpRequest) -> HttpResponse:
    """Turn the second factor on (scan, confirm a code) or off (confirm a code)."""
    user = request.user
    if request.method == "POST":
        code = request.POST.get("code", "")
        if user.totp_enabled:
            if requires_second_factor(user):
                messages.error(request, _("Administrators must keep the second factor on."))
            elif code_ok(user.totp_secret, code):
                user.totp_enabled, user.totp_secret = False, ""
                user.save(update_fields=["totp_enabled", "totp_secret"])
                messages.success(request, _("The second factor is off."))
            else:
                messages.error(request, _("That code is not right."))
        else:
            secret = request.session.get("2fa_new_secret", "")
            if code_ok(secret, code):
                user.totp_secret, user.totp_enabled = secret, True
                user.save(update_fields=["totp_secret", "totp_enabled"])
                request.session.pop("2fa_new_secret", None)
                messages.success(request, _("The second factor is on."))
                return redirect("home")
            messages.error(
                request, _("That code is not right. Enter the 6 digits your app shows now.")
            )
    context = {"enabled": user.totp_enabled}
    if not user.totp_enabled:
        secret = request.session.setdefault("2fa_new_secret", pyotp.random_base32())
        uri = pyotp.TOTP(secret).provisioning_uri(name=user.username, issuer_name=ISSUER)
        context.update(secret=secret, qr=segno.make(uri).svg_inline(scale=4))
    return render(request, "registration/second_factor.html", context)
