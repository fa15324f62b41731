"""Admin of the dashboards' settings: how a district scores its departments, and the
periodic two-way evaluations (双向评价) that feed the ranking. Audited like every admin."""

from django.contrib import admin

from dashboards.models import ScoringSettings, StreetDepartmentEvaluation
from governance.audit import AuditedAdminMixin


@admin.register(ScoringSettings)
class ScoringSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["district", "street_share", "response_weight", "resolution_weight",
                    "satisfaction_weight", "basically_satisfied_factor"]  # fmt: skip


@admin.register(StreetDepartmentEvaluation)
class StreetDepartmentEvaluationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ["direction", "street", "department", "period_start", "period_end", "score"]
    list_filter = ["direction", "period_end"]
    exclude = ["evaluated_by", "evaluated_at"]

    def save_model(self, request, obj, form, change):
        if not change:
            obj.evaluated_by = request.user
        super().save_model(request, obj, form, change)
