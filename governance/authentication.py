"""Token authentication for apps. Kept apart from the views: DRF imports this module while
it loads its own views, so it must not import them back."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from governance.models import ApiToken

TOKEN_DAYS = 30
LAST_USED_EVERY = timedelta(minutes=1)


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(*, user, name: str = "", now=None) -> tuple[ApiToken, str]:
    now = now or timezone.now()
    key = secrets.token_urlsafe(32)
    token = ApiToken.objects.create(
        user=user, key_hash=_hash(key), name=name[:80], created_at=now,
        expires_at=now + timedelta(days=TOKEN_DAYS),
    )  # fmt: skip
    return token, key


class TokenAuthentication(authentication.BaseAuthentication):
    keyword = "Token"

    def authenticate(self, request):
        header = authentication.get_authorization_header(request).split()
        if not header or header[0].lower() != self.keyword.lower().encode():
            return None
        if len(header) != 2:
            raise exceptions.AuthenticationFailed(_("Invalid token header."))
        now = timezone.now()
        token = (
            ApiToken.objects.select_related("user")
            .filter(key_hash=_hash(header[1].decode(errors="replace")), revoked_at__isnull=True)
            .filter(expires_at__gt=now)
            .first()
        )
        if token is None or not token.user.is_active:
            raise exceptions.AuthenticationFailed(_("The token is invalid, expired or revoked."))
        # Written at most once a minute: an app's every request writing the same row would
        # queue them all on its lock (bench/intake.py).
        if token.last_used_at is None or now - token.last_used_at > LAST_USED_EVERY:
            ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        return token.user, token

    def authenticate_header(self, request):
        return self.keyword
