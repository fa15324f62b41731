"""Token authentication for apps, and the issue and revocation of tokens (each on the audit
log: a token is a login). Kept apart from the views: DRF imports this module while it loads
its own views, so it must not import them back."""

from __future__ import annotations

import hashlib
import secrets
from datetime import timedelta

from django.db import transaction
from django.http import HttpRequest
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from rest_framework import authentication, exceptions

from governance.audit import audit
from governance.models import ApiToken, AuditEntry

TOKEN_DAYS = 30
LAST_USED_EVERY = timedelta(minutes=1)
VIA = "api_token"  # how the audit log tells an app's login from the pages' ones


def _hash(key: str) -> str:
    return hashlib.sha256(key.encode()).hexdigest()


def token_issue(
    *, user, name: str = "", request: HttpRequest | None = None, now=None
) -> tuple[ApiToken, str]:
    """A new token for ``user`` and its key (shown once, never stored), on the audit log as
    a login. The key is not logged."""
    now = now or timezone.now()
    key = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user, key_hash=_hash(key), name=name[:80], created_at=now,
            expires_at=now + timedelta(days=TOKEN_DAYS),
        )  # fmt: skip
        audit(
            action=AuditEntry.Action.LOGIN, actor=user, request=request,
            object_type="api_token", object_id=token.pk, detail={"via": VIA, "name": token.name},
        )  # fmt: skip
    return token, key


def token_revoke(*, token: ApiToken, request: HttpRequest | None = None, now=None) -> bool:
    """Revoke ``token``, on the audit log as a logout; False if it was revoked already (two
    revocations at once: one of them revokes and is logged)."""
    with transaction.atomic():
        revoked = ApiToken.objects.filter(pk=token.pk, revoked_at__isnull=True).update(
            revoked_at=now or timezone.now()
        )
        if revoked:
            audit(
                action=AuditEntry.Action.LOGOUT, actor=token.user, request=request,
                object_type="api_token", object_id=token.pk,
                detail={"via": VIA, "name": token.name},
            )  # fmt: skip
    return bool(revoked)


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
