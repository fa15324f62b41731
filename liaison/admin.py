from django.contrib import admin

from governance.audit import AuditedAdminMixin
from liaison.models import (
    ActivityEntry,
    CadreLink,
    DemandList,
    DeployedCadre,
    HouseholdLeader,
    HouseholdMatter,
    JointGroup,
    JointGroupEvaluation,
    JointGroupMember,
    JointMeeting,
    LedgerItem,
    LinkSettings,
    PartyMember,
    PartyOrganisation,
    ProblemList,
    ServiceItem,
    Visit,
    VisitFinding,
    Wish,
)


# --- the links between levels (issue 8) -----------------------------------------------------
# Master data (cadres, the five officials, registrations) is kept here by administrators; the
# workflow records (visits, matters, wishes, lists, ledger) are written only by the services
# behind the pages and the API, so the admin shows them read-only.
class ReadOnlyAdmin(AuditedAdminMixin, admin.ModelAdmin):
    def has_add_permission(self, request, obj=None):
        return False

    def has_change_permission(self, request, obj=None):
        return False

    def has_delete_permission(self, request, obj=None):
        return False


class CadreLinkInline(admin.TabularInline):
    model = CadreLink
    extra = 0
    fields = ("area", "role", "started_on", "ended_on")
    readonly_fields = ("area", "role", "started_on")
    can_delete = False

    def has_add_permission(self, request, obj=None):
        return False  # the street links cadres on its page (liaison:cadres), with its checks


@admin.register(DeployedCadre)
class DeployedCadreAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("__str__", "level", "kind", "department", "district", "is_active")
    list_filter = ("level", "kind", "district", "is_active")
    search_fields = ("user__full_name", "user__username", "unit")
    raw_id_fields = ("user",)
    inlines = [CadreLinkInline]


class JointGroupMemberInline(admin.TabularInline):
    model = JointGroupMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(JointGroup)
class JointGroupAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("community", "area_code", "note")
    search_fields = ("community__name", "area_code")
    readonly_fields = ("area_code",)
    raw_id_fields = ("community",)
    inlines = [JointGroupMemberInline]

    def save_model(self, request, obj, form, change):
        obj.area_code = obj.community.code
        super().save_model(request, obj, form, change)


@admin.register(PartyOrganisation)
class PartyOrganisationAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "community", "registered_on", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "area_code")
    fields = ("name", "contact_name", "is_active")

    def has_add_permission(self, request):
        return False  # registered on the community's page, by its staff


@admin.register(PartyMember)
class PartyMemberAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "community", "organisation", "user", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "area_code", "user__username")
    fields = ("name", "organisation", "user", "is_active")
    raw_id_fields = ("organisation", "user")

    def has_add_permission(self, request):
        return False


@admin.register(HouseholdLeader)
class HouseholdLeaderAdmin(AuditedAdminMixin, admin.ModelAdmin):
    list_display = ("name", "block", "households", "covers", "is_active")
    list_filter = ("is_active",)
    search_fields = ("name", "area_code")
    # The phone is personal data (masked in lists); the report token is never shown.
    fields = ("name", "households", "covers", "is_active")

    def has_add_permission(self, request):
        return False


for model, columns in (
    (Visit, ("visited_on", "block", "cadre", "kind", "households_visited")),
    (VisitFinding, ("__str__", "area_code", "state", "event")),
    (HouseholdMatter, ("__str__", "leader", "channel", "state", "reported_at")),
    (Wish, ("title", "community", "state", "member", "posted_at")),
    (JointGroupEvaluation, ("member", "year", "direction", "score")),
    (DemandList, ("__str__", "state", "submitted_at")),
    (ProblemList, ("__str__", "state", "published_at")),
    (ServiceItem, ("__str__", "department", "due_on", "state")),
    (JointMeeting, ("__str__", "street", "year", "quarter")),
    (LedgerItem, ("__str__", "street", "department", "state", "progress")),
    (ActivityEntry, ("at", "actor", "verb", "object_type", "object_id")),
):
    # A resident's phone stays out of the admin (masked everywhere but for the handler).
    extra = {"exclude": ("resident_phone",)} if model is Wish else {}
    admin.site.register(
        model,
        type(f"{model.__name__}Admin", (ReadOnlyAdmin,), {"list_display": columns, **extra}),
    )


@admin.register(LinkSettings)
class LinkSettingsAdmin(AuditedAdminMixin, admin.ModelAdmin):
    """A district's range of households per 联户长 (seed 003: 10–30)."""

    list_display = ("district", "household_leader_min", "household_leader_max")
