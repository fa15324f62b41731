"""Django admin for the territory and the roster (DESIGN §1: administrators' master data).

Postings are ended, never deleted; roster changes made here go through the services'
rules (one active governor/supervisor, roles at the right level) and into the audit log.
"""

from django.contrib import admin, messages
from django.core.exceptions import ValidationError
from django.utils.translation import gettext_lazy as _

from blocks import services
from blocks.models import Area, Department, DepartmentMember, Posting, TerritoryImport
from governance.audit import AuditedAdminMixin, audit
from governance.models import AuditEntry


class ActiveFilter(admin.SimpleListFilter):
    title = _("active")
    parameter_name = "active"

    def lookups(self, request, model_admin):
        return [("yes", _("active")), ("no", _("ended"))]

    def queryset(self, request, queryset):
        if self.value() == "yes":
            return queryset.filter(ended_on__isnull=True)
        if self.value() == "no":
            return queryset.filter(ended_on__isnull=False)
        return queryset


class PostingInline(admin.TabularInline):
    model = Posting
    fields = ("user", "role", "assistant_kind", "started_on", "ended_on", "note")
    readonly_fields = fields
    extra = 0
    can_delete = False
    show_change_link = True

    def has_add_permission(self, request, obj=None):
        return False

    def get_queryset(self, request):
        return super().get_queryset(request).filter(ended_on__isnull=True).select_related("user")


@admin.register(Area)
class AreaAdmin(admin.ModelAdmin):
    list_display = ("code", "name", "level", "parent", "households", "closed_on")
    list_filter = ("level", ("closed_on", admin.EmptyFieldListFilter))
    search_fields = ("=code", "code", "name")
    list_select_related = ("parent",)
    raw_id_fields = ("parent",)
    readonly_fields = ("created_at", "updated_at")
    inlines = [PostingInline]
    list_per_page = 100

    def get_readonly_fields(self, request, obj=None):
        # Codes are the materialized path and the history of cases: never changed.
        if obj is not None:
            return (*self.readonly_fields, "code", "level", "parent")
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):
        return False  # areas are closed (closed_on), never deleted

    def save_model(self, request, obj, form, change):
        super().save_model(request, obj, form, change)
        audit(
            action=AuditEntry.Action.ADMIN_CHANGE,
            actor=request.user,
            request=request,
            object_type="area",
            object_id=obj.code,
            reason="change" if change else "create",
            detail={"fields": sorted(form.changed_data)},
        )


@admin.register(Posting)
class PostingAdmin(admin.ModelAdmin):
    list_display = ("area", "role", "assistant_kind", "user", "started_on", "ended_on")
    list_filter = ("role", ActiveFilter, "assistant_kind", "legal_kind")
    search_fields = ("=area__code", "area__name", "user__username", "user__full_name")
    list_select_related = ("area", "user")
    raw_id_fields = ("user", "area")
    actions = ["end_postings"]

    def get_readonly_fields(self, request, obj=None):
        # A posting, once made, is history: only its end date and note change.
        if obj is not None:
            return (
                "user", "area", "role", "assistant_kind", "legal_kind", "pairing", "started_on",
                "ended_on",
            )  # fmt: skip
        return ()

    def has_delete_permission(self, request, obj=None):
        return False

    def save_model(self, request, obj, form, change):
        if change:
            super().save_model(request, obj, form, change)
            audit(
                action=AuditEntry.Action.ROSTER_CHANGE,
                actor=request.user,
                request=request,
                object_type="posting",
                object_id=obj.pk,
                reason="change",
                detail={"fields": sorted(form.changed_data)},
            )
            return
        # The form has already checked the constraints (one active governor …) and shown
        # their message; the service checks the role's level and writes the audit entry.
        created = services.posting_create(
            actor=request.user,
            user=obj.user,
            area=obj.area,
            role=obj.role,
            assistant_kind=obj.assistant_kind,
            legal_kind=obj.legal_kind,
            pairing=obj.pairing,
            started_on=obj.started_on,
            note=obj.note,
            request=request,
        )
        obj.pk = created.pk

    @admin.action(description=_("End the selected postings today"))
    def end_postings(self, request, queryset):
        ended = 0
        for posting in queryset.filter(ended_on__isnull=True).select_related("area", "user"):
            try:
                services.posting_end(actor=request.user, posting=posting, request=request)
            except ValidationError as error:
                self.message_user(request, " ".join(error.messages), messages.WARNING)
                continue
            ended += 1
        self.message_user(request, _("%(n)d postings ended.") % {"n": ended})


@admin.register(TerritoryImport)
class TerritoryImportAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("file_name", "area", "created_by", "status", "total", "created_at")
    list_filter = ("status",)
    readonly_fields = [f.name for f in TerritoryImport._meta.fields if f.name != "id"]
    exclude = ("rows",)

    def has_add_permission(self, request):
        return False


class MemberInline(admin.TabularInline):
    model = DepartmentMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Department)
class DepartmentAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "short_name", "code", "district", "is_active")
    list_filter = ("district", "is_active")
    search_fields = ("name", "short_name", "code")
    inlines = [MemberInline]
