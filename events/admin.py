import secrets

from django.contrib import admin

from events.models import (
    Category,
    Deadline,
    DeadlineChange,
    DeadlinePolicy,
    DistrictSettings,
    DutyItem,
    Event,
    Open311Client,
    Photo,
    StreetDutyItem,
    TimelineEntry,
    WorkingDayOverride,
)
from governance.audit import AuditedAdminMixin


@admin.register(Category)
class CategoryAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "code", "default_priority", "is_active", "sort_order")
    list_filter = ("default_priority", "is_active", "parent")
    search_fields = ("code", "name", "keywords")
    list_editable = ("default_priority", "is_active", "sort_order")


class TimelineInline(admin.TabularInline):
    model = TimelineEntry
    extra = 0
    can_delete = False
    fields = ("at", "action", "from_status", "to_status", "actor", "note")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class DeadlineInline(admin.TabularInline):
    model = Deadline
    extra = 0
    can_delete = False
    fields = ("kind", "started_at", "warn_at", "due_at", "met_at", "warned_at", "breached_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


class PhotoInline(admin.TabularInline):
    model = Photo
    extra = 0
    can_delete = False
    fields = ("stage", "image", "created_at")
    readonly_fields = fields

    def has_add_permission(self, request, obj=None):
        return False


@admin.register(Event)
class EventAdmin(admin.ModelAdmin):
    """Read-only: a case changes only through the workflow services, never by hand."""

    list_display = ("number", "status", "priority", "category", "block", "created_at")
    list_filter = ("status", "priority", "channel", "handler_level")
    search_fields = ("number", "tracking_code", "description")
    date_hierarchy = "created_at"
    list_select_related = ("category", "category__parent", "block")
    raw_id_fields = ("block", "handler", "created_by", "merged_into")
    exclude = ("reporter_phone",)
    inlines = [TimelineInline, DeadlineInline, PhotoInline]

    def has_add_permission(self, request):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


@admin.register(DistrictSettings)
class DistrictSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("district", "policy_set", "auto_whistle_on_breach", "community_dispatch")


@admin.register(DeadlinePolicy)
class DeadlinePolicyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = (
        "policy_set",
        "kind",
        "district",
        "category",
        "priority",
        "minutes",
        "working_days",
    )
    list_filter = ("policy_set", "kind", "priority", "district")
    list_editable = ("minutes", "working_days")
    raw_id_fields = ("category",)


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("day", "is_working_day", "note")
    list_filter = ("is_working_day",)
    date_hierarchy = "day"
    search_fields = ("note",)


@admin.register(DeadlineChange)
class DeadlineChangeAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("deadline", "kind", "state", "requested_by", "requested_at", "decided_by")
    list_filter = ("kind", "state")
    raw_id_fields = ("deadline", "requested_by", "decided_by")

    def has_change_permission(self, request, obj=None):
        return False  # decided on the case page, where the timeline records it


@admin.register(Open311Client)
class Open311ClientAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "is_active", "created_at")
    readonly_fields = ("api_key",)

    def save_model(self, request, obj, form, change):
        if not obj.api_key:
            obj.api_key = secrets.token_urlsafe(32)
        super().save_model(request, obj, form, change)


@admin.register(DutyItem)
class DutyItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("number", "matter", "category_code", "lead", "district")
    list_filter = ("district", "lead")
    search_fields = ("matter", "category_code")
    filter_horizontal = ("cooperating",)


@admin.register(StreetDutyItem)
class StreetDutyItemAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("kind", "number", "matter", "category_code", "district")
    list_filter = ("district", "kind")
    search_fields = ("matter",)
