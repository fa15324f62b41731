"""Write the audit log (governance.models.AuditEntry), and read it for administrators.

Three writers besides the explicit ``audit()`` calls of the pages:
- ``AuditedAdminMixin`` puts every add, change and delete made in the Django admin on the
  log, with who, from where, and Django's own change message. Any app's admin uses it by
  listing it first: ``class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin)``.
- receivers of ``m2m_changed`` and ``pre_save`` log every change of a user's groups,
  permissions or staff/superuser/active flags, and of a group's permissions — from the admin,
  a shell or a command alike (等保 2.0: permission changes are audited).
- the login receivers in ``governance.security``.
"""

from __future__ import annotations

import contextlib
import json
from contextvars import ContextVar

from django.contrib.admin.models import LogEntry
from django.contrib.auth.models import Group
from django.db.models import QuerySet
from django.db.models.signals import m2m_changed, pre_save
from django.dispatch import receiver
from django.http import HttpRequest
from django.utils import timezone

from governance.models import AuditEntry, User
from governance.ratelimit import client_ip

# The admin request being served, so that signal receivers know who acts and from where.
_acting: ContextVar[HttpRequest | None] = ContextVar("audit_acting_request", default=None)


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


@contextlib.contextmanager
def acting(request: HttpRequest):
    token = _acting.set(request)
    try:
        yield
    finally:
        _acting.reset(token)


def _audit_acting(**kwargs) -> AuditEntry:
    request = _acting.get()
    actor = getattr(request, "user", None) if request is not None else None
    return audit(actor=actor, request=request, **kwargs)


# --- Django admin -------------------------------------------------------------------------
class AuditedAdminMixin:
    """Audit every add / change / delete made through this ModelAdmin (put it first)."""

    def _audit_admin(self, request, obj, change: str, message) -> None:
        if isinstance(message, list):  # the admin's structured message: keep it readable
            message = LogEntry(change_message=json.dumps(message)).get_change_message()
        audit(
            action=AuditEntry.Action.ADMIN_CHANGE,
            actor=request.user,
            request=request,
            object_type=obj._meta.label_lower,
            object_id=str(obj.pk),
            detail={"change": change, "object": str(obj)[:200], "message": message or ""},
        )

    def log_addition(self, request, obj, message):
        self._audit_admin(request, obj, "add", message)
        return super().log_addition(request, obj, message)

    def log_change(self, request, obj, message):
        self._audit_admin(request, obj, "change", message)
        return super().log_change(request, obj, message)

    def log_deletions(self, request, queryset):
        # Called before the rows go, one entry per object like the admin's own history.
        for obj in queryset:
            self._audit_admin(request, obj, "delete", "")
        return super().log_deletions(request, queryset)

    # The receivers below run inside these views; they need the acting user and address.
    def changeform_view(self, request, *args, **kwargs):
        with acting(request):
            return super().changeform_view(request, *args, **kwargs)

    def changelist_view(self, request, *args, **kwargs):
        with acting(request):
            return super().changelist_view(request, *args, **kwargs)

    def delete_view(self, request, *args, **kwargs):
        with acting(request):
            return super().delete_view(request, *args, **kwargs)


# --- Permission changes ------------------------------------------------------------------
PERMISSION_FLAGS = ("is_active", "is_staff", "is_superuser")


@receiver(pre_save, sender=User, dispatch_uid="audit_user_flags")
def _user_flags_changed(sender, instance: User, update_fields=None, raw=False, **kwargs):
    if raw or instance.pk is None:
        return
    if update_fields is not None and not set(update_fields) & set(PERMISSION_FLAGS):
        return  # e.g. last_login at every login: no extra query
    before = User.objects.filter(pk=instance.pk).values(*PERMISSION_FLAGS).first()
    if before is None:
        return
    changed = {
        f: [before[f], getattr(instance, f)]
        for f in PERMISSION_FLAGS
        if before[f] != getattr(instance, f)
    }
    if changed:
        _audit_acting(
            action=AuditEntry.Action.PERMISSION_CHANGE,
            object_type="governance.user",
            object_id=str(instance.pk),
            detail={"user": instance.username, "flags": changed},
        )


def _m2m_audit(*, target: str, pk, label: str, action: str, model, pk_set) -> None:
    if action not in ("post_add", "post_remove", "post_clear"):
        return
    if action != "post_clear" and not pk_set:
        return
    names = sorted(str(o) for o in model.objects.filter(pk__in=pk_set)) if pk_set else ["*"]
    _audit_acting(
        action=AuditEntry.Action.PERMISSION_CHANGE,
        object_type=target,
        object_id=str(pk),
        detail={"of": label, action.removeprefix("post_"): names},
    )


@receiver(m2m_changed, sender=User.groups.through, dispatch_uid="audit_user_groups")
def _user_groups_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    # From either side: user.groups.add(g) or group.user_set.add(u).
    for user_pk in (pk_set or []) if reverse else [instance.pk]:
        groups = [instance.pk] if reverse else pk_set
        _m2m_audit(
            target="governance.user", pk=user_pk, label="groups", action=action,
            model=Group, pk_set=groups,
        )  # fmt: skip


@receiver(m2m_changed, sender=User.user_permissions.through, dispatch_uid="audit_user_perms")
def _user_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse:
        return  # a permission's users are never edited from the permission's side
    _m2m_audit(
        target="governance.user", pk=instance.pk, label="permissions", action=action,
        model=model, pk_set=pk_set,
    )  # fmt: skip


@receiver(m2m_changed, sender=Group.permissions.through, dispatch_uid="audit_group_perms")
def _group_permissions_changed(sender, instance, action, reverse, model, pk_set, **kwargs):
    if reverse:
        return
    _m2m_audit(
        target="auth.group", pk=instance.pk, label="permissions", action=action,
        model=model, pk_set=pk_set,
    )  # fmt: skip


# --- Reading: the audit page ---------------------------------------------------------------
def can_view_audit(user) -> bool:
    """Administrators: superusers, or staff given ``governance.view_auditentry``."""
    return bool(
        user.is_authenticated
        and user.is_active
        and (user.is_superuser or (user.is_staff and user.has_perm("governance.view_auditentry")))
    )


def audit_entries_for(*, user) -> QuerySet[AuditEntry]:
    """The whole log for an administrator; nothing for anybody else."""
    if not can_view_audit(user):
        return AuditEntry.objects.none()
    return AuditEntry.objects.select_related("actor").order_by("-at", "-pk")
