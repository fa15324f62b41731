from django.contrib import admin
from django.contrib.auth.admin import GroupAdmin as BaseGroupAdmin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.contrib.auth.forms import AdminPasswordChangeForm
from django.contrib.auth.models import Group
from django.db import models
from django.utils.translation import gettext_lazy as _

from governance.audit import AuditedAdminMixin
from governance.models import Delivery, User, WebhookTarget

# Every admin of this app is audited (AuditedAdminMixin first in the bases); other apps'
# admins do the same: ``class XAdmin(AuditedAdminMixin, admin.ModelAdmin)``.


class InitialPasswordForm(AdminPasswordChangeForm):
    """A password an administrator sets is an initial one: its owner changes it first (等保)."""

    def save(self, commit=True):
        if self.cleaned_data.get("set_usable_password", True):
            self.user.must_change_password = True
        return super().save(commit=commit)


@admin.register(User)
class UserAdmin(AuditedAdminMixin, BaseUserAdmin):
    change_password_form = InitialPasswordForm
    list_display = ("username", "full_name", "phone", "is_active", "is_staff")
    search_fields = ("username", "full_name", "phone")
    fieldsets = (
        (None, {"fields": ("username", "password")}),
        (_("Personal info"), {"fields": ("full_name", "phone", "email")}),
        (
            _("Permissions"),
            {"fields": ("is_active", "is_staff", "is_superuser", "groups", "user_permissions")},
        ),
        (_("Important dates"), {"fields": ("last_login", "date_joined", "must_change_password")}),
    )
    add_fieldsets = (
        (
            None,
            {"classes": ("wide",), "fields": ("username", "full_name", "password1", "password2")},
        ),
    )
    readonly_fields = ("must_change_password",)

    def save_model(self, request, obj, form, change):
        if not change and obj.has_usable_password():
            obj.must_change_password = True  # the administrator knows it: an initial password
        super().save_model(request, obj, form, change)


admin.site.unregister(Group)


@admin.register(Group)
class GroupAdmin(AuditedAdminMixin, BaseGroupAdmin):
    pass


@admin.register(WebhookTarget)
class WebhookTargetAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """The WeCom / 政务微信 group robots of street desks and departments."""

    list_display = ("name", "area_code", "department", "is_active")
    list_filter = ("is_active", "department")
    search_fields = ("name", "area_code")
    formfield_overrides = {models.URLField: {"assume_scheme": "https"}}


@admin.register(Delivery)
class DeliveryAdmin(admin.ModelAdmin):
    """What was sent by e-mail or to a group robot, and what failed: read-only."""

    list_display = ("created_at", "channel", "target", "title", "attempts", "delivered_at")
    list_filter = ("channel", ("delivered_at", admin.EmptyFieldListFilter))
    search_fields = ("target", "title", "dedupe_key")
    date_hierarchy = "created_at"

    def get_readonly_fields(self, request, obj=None):
        return [f.name for f in self.model._meta.fields]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False
