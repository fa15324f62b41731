from django.contrib import admin

from liaison.models import Department, DepartmentMember, DutyItem, StreetDutyItem


class MemberInline(admin.TabularInline):
    model = DepartmentMember
    extra = 0
    raw_id_fields = ("user",)


@admin.register(Department)
class DepartmentAdmin(admin.ModelAdmin):
    list_display = ("name", "short_name", "code", "district", "is_active")
    list_filter = ("district", "is_active")
    search_fields = ("name", "short_name", "code")
    inlines = [MemberInline]


@admin.register(DutyItem)
class DutyItemAdmin(admin.ModelAdmin):
    list_display = ("number", "matter", "category_code", "lead", "district")
    list_filter = ("district", "lead")
    search_fields = ("matter", "category_code")
    filter_horizontal = ("cooperating",)


@admin.register(StreetDutyItem)
class StreetDutyItemAdmin(admin.ModelAdmin):
    list_display = ("kind", "number", "matter", "category_code", "district")
    list_filter = ("district", "kind")
    search_fields = ("matter",)
