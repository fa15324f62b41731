import secrets

from django import forms
from django.contrib import admin, messages
from django.core.exceptions import PermissionDenied, ValidationError
from django.shortcuts import redirect
from django.template.response import TemplateResponse
from django.urls import path
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from events import deadlines, working_days
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
        "from_dispatch",
    )
    list_filter = ("policy_set", "kind", "priority", "district")
    list_editable = ("minutes", "working_days")
    raw_id_fields = ("category",)


class CalendarImportForm(forms.Form):
    year = forms.IntegerField(label=gettext_lazy("Year"), min_value=2000, max_value=2100)
    file = forms.FileField(
        label=gettext_lazy("XLSX or CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )


def _guessing_warnings(request) -> None:
    """From 1 December next year's table is due; a year nobody entered is guessed."""
    for year in deadlines.calendar_gaps():
        messages.warning(
            request,
            _(
                "%(year)s: no working-day table has been entered, so its working days are a "
                "guess (Monday to Friday, with 1 January, 1–2 May and 1–3 October off). "
                "Import the year's table."
            )
            % {"year": year},
        )


@admin.register(WorkingDayOverride)
class WorkingDayOverrideAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """Every change of a day moves the open clocks it touches (events.working_days); a
    year's table is imported at once from the list's "import" button."""

    list_display = ("day", "is_working_day", "note")
    list_filter = ("is_working_day",)
    date_hierarchy = "day"
    search_fields = ("note",)
    change_list_template = "events/workingday_change_list.html"

    def get_urls(self):
        return [
            path(
                "import/",
                self.admin_site.admin_view(self.import_view),
                name="events_workingdayoverride_import",
            ),
            *super().get_urls(),
        ]

    def changelist_view(self, request, extra_context=None):
        if request.method == "GET":
            _guessing_warnings(request)
        extra_context = {**(extra_context or {}), "may_import": self._may_import(request)}
        return super().changelist_view(request, extra_context)

    def _may_import(self, request) -> bool:
        return working_days.may_edit_calendar(request.user)

    def _changed(self, request, change: working_days.CalendarChange) -> None:
        if change.days:
            messages.info(
                request,
                _("Days changed: %(days)s. Open clocks moved: %(clocks)s, of %(cases)s cases.")
                % {"days": len(change.days), "clocks": change.clocks, "cases": change.cases},
            )

    def save_model(self, request, obj, form, change):
        before = None
        if change and "day" in form.changed_data:
            before = form.initial.get("day")
        result = working_days.working_days_change(
            actor=request.user,
            set_days={obj.day: (obj.is_working_day, obj.note)},
            remove_days=[before] if before else [],
            source="admin",
            request=request,
        )
        obj.pk = WorkingDayOverride.objects.get(day=obj.day).pk
        self._changed(request, result)

    def delete_model(self, request, obj):
        result = working_days.working_days_change(
            actor=request.user, remove_days=[obj.day], source="admin", request=request
        )
        self._changed(request, result)

    def delete_queryset(self, request, queryset):
        result = working_days.working_days_change(
            actor=request.user,
            remove_days=list(queryset.values_list("day", flat=True)),
            source="admin",
            request=request,
        )
        self._changed(request, result)

    def import_view(self, request):
        if not self._may_import(request):
            raise PermissionDenied
        today = timezone.localdate()
        form = CalendarImportForm(
            request.POST or None,
            request.FILES or None,
            initial={"year": today.year + 1 if today.month >= 10 else today.year},
        )
        report = None
        if request.method == "POST" and form.is_valid():
            try:
                report = working_days.calendar_import(
                    actor=request.user,
                    year=form.cleaned_data["year"],
                    upload=form.cleaned_data["file"],
                    request=request,
                )
            except ValidationError as error:
                form.add_error("file", error.messages)
            else:
                if not report.errors:
                    messages.success(
                        request,
                        _("The working days of %(year)s have been imported.")
                        % {"year": report.year},
                    )
                    self._changed(request, report.change)
                    return redirect("admin:events_workingdayoverride_changelist")
        elif request.method == "GET":
            _guessing_warnings(request)
        context = {
            **self.admin_site.each_context(request),
            "opts": self.model._meta,
            "title": _("Import a year's working days"),
            "form": form,
            "report": report,
        }
        return TemplateResponse(
            request,
            "events/workingday_import.html",
            context,
            status=400 if report is not None and report.errors else 200,
        )


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
