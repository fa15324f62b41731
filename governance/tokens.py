"""Tokens for apps: issue and revoke (POST / DELETE /api/auth/token/). The key is shown once;
only its hash is kept (governance/authentication.py). A token is a login: each one issued,
refused and revoked is on the audit log like the pages' logins and logouts."""

from __future__ import annotations

from django.contrib.auth import authenticate
from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.utils import extend_schema
from rest_framework import exceptions, permissions, serializers, status
from rest_framework.response import Response
from rest_framework.throttling import AnonRateThrottle
from rest_framework.views import APIView

from governance.audit import audit
from governance.authentication import VIA, TokenAuthentication, token_issue, token_revoke
from governance.models import ApiToken, AuditEntry
from governance.twofactor import code_refusal, requires_second_factor


class TokenScheme(OpenApiAuthenticationExtension):
    target_class = "governance.authentication.TokenAuthentication"
    name = "tokenAuth"

    def get_security_definition(self, auto_schema):
        return {"type": "apiKey", "in": "header", "name": "Authorization",
                "description": "Token <key>, from POST /api/auth/token/"}  # fmt: skip


class LoginThrottle(AnonRateThrottle):
    scope = "login"


class TokenRequest(serializers.Serializer):
    username = serializers.CharField()
    password = serializers.CharField(style={"input_type": "password"})
    name = serializers.CharField(required=False, allow_blank=True, max_length=80)
    code = serializers.CharField(
        required=False, allow_blank=True, max_length=10,
        help_text="the authenticator app's 6 digits, for accounts with a second factor",
    )  # fmt: skip


class TokenResponse(serializers.Serializer):
    token = serializers.CharField()
    expires_at = serializers.DateTimeField()


def _refused(request, user, reason: str) -> None:
    """A failed token login past the password (a wrong password is logged by the
    ``user_login_failed`` receiver in governance/security.py, with the lockout's count)."""
    audit(
        action=AuditEntry.Action.LOGIN_FAILED, actor=user, request=request._request,
        success=False, detail={"via": VIA, "reason": reason},
    )  # fmt: skip


class TokenView(APIView):
    """POST: username and password → a token (30 days). DELETE: revoke the token in use."""

    authentication_classes = [TokenAuthentication]
    permission_classes = [permissions.AllowAny]
    throttle_classes = [LoginThrottle]

    # Declared for the schema: without it drf-spectacular warns, and `check --deploy
    # --fail-level WARNING` (CI, issue 10) fails.
    @extend_schema(request=TokenRequest, responses={201: TokenResponse}, auth=[])
    def post(self, request):
        data = TokenRequest(data=request.data)
        data.is_valid(raise_exception=True)
        user = authenticate(
            request._request, username=data.validated_data["username"],
            password=data.validated_data["password"],
        )  # fmt: skip
        if user is None:
            raise exceptions.AuthenticationFailed(_("Wrong username or password."))
        # A token is a login: it must not get round what the login page asks for (the second
        # factor, the change of an initial password), or an app would be the way around them.
        if user.totp_enabled:
            refusal = code_refusal(user, data.validated_data.get("code", ""))
            if refusal:
                _refused(request, user, "second_factor_code")
                raise exceptions.AuthenticationFailed(refusal)
        elif requires_second_factor(user):
            _refused(request, user, "second_factor_required")
            raise exceptions.PermissionDenied(
                _("Turn on the second factor on the web page before using the apps.")
            )
        if user.must_change_password:
            _refused(request, user, "initial_password")
            raise exceptions.PermissionDenied(
                _("Change your initial password on the web page before using the apps.")
            )
        token, key = token_issue(
            user=user, name=data.validated_data.get("name", ""), request=request._request
        )
        return Response(
            TokenResponse({"token": key, "expires_at": token.expires_at}).data,
            status=status.HTTP_201_CREATED,
        )

    @extend_schema(request=None, responses={204: None})
    def delete(self, request):
        if not isinstance(request.auth, ApiToken):
            raise exceptions.NotAuthenticated()
        token_revoke(token=request.auth, request=request._request)
        return Response(status=status.HTTP_204_NO_CONTENT)
