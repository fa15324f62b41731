"""Write the audit log (governance.models.AuditEntry)."""

from __future__ import annotations

from django.http import HttpRequest
from django.utils import timezone

from governance.models import AuditEntry
from governance.ratelimit import client_ip


def audit(
    *,
    action: str,
    actor=None,
    request: HttpRequest | None = None,
    object_type: str = "",
    object_id: str = "",
    reason: str = "",
    detail: dict | None = None,
    success: bool = True,
    username: str = "",
) -> AuditEntry:
    return AuditEntry.objects.create(
        at=timezone.now(),
        actor=actor if getattr(actor, "pk", None) else None,
        username=username or getattr(actor, "username", "") or "",
        action=action,
        object_type=object_type,
        object_id=str(object_id),
        reason=reason[:300],
        detail=detail or {},
        ip=client_ip(request) or None,
        success=success,
    )
