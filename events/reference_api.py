"""Reference data an app needs (issue 19): ``GET /api/departments/`` and
``GET /api/categories/``, the codes that ``POST /api/events/`` (``category``) and
``POST /api/events/{id}/dispatch/`` (``lead``, ``cooperating``) take.

Both are read like every resource: signed in (401 otherwise), scoped to the caller's
districts — those of their postings, or of their department — so a department's code, which
is unique only within its district, always means the one dispatch will find. They are small
(a district has tens of departments, the catalogue about a hundred matters) and change
rarely: one answer, not pages, for an app to load whole and keep.
"""

from __future__ import annotations

from collections import defaultdict

from django.db.models import Prefetch, Q, QuerySet
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import generics, serializers

from blocks.access import DISTRICT_CODE_LENGTH, scope_for
from blocks.models import Department
from events.models import Category, DutyItem, Priority


# --- reads, scoped to the caller -------------------------------------------------------------
def caller_districts(*, user) -> set[str] | None:
    """Codes of the districts the user works in; ``None``: every one (a superuser)."""
    scope = scope_for(user)
    if scope.is_superuser:
        return None
    districts = {code[:DISTRICT_CODE_LENGTH] for code in scope.codes if code}
    districts |= set(
        Department.objects.filter(pk__in=scope.department_ids).values_list(
            "district__code", flat=True
        )
    )
    return districts


def _in_districts(districts: set[str] | None) -> Q:
    return Q() if districts is None else Q(district__code__in=districts)


def departments_for(*, user) -> QuerySet[Department]:
    """The active departments of the user's districts: those dispatch may name."""
    return (
        Department.objects.filter(_in_districts(caller_districts(user=user)), is_active=True)
        .select_related("district")
        .order_by("district__code", "code")
    )


def duty_rows_for(*, user) -> dict[str, list[DutyItem]]:
    """The duty-list rows of the user's districts that name a category, by its code."""
    rows = (
        DutyItem.objects.filter(_in_districts(caller_districts(user=user)))
        .exclude(category_code="")
        .select_related("district", "lead")
        .prefetch_related(Prefetch("cooperating", queryset=Department.objects.order_by("code")))
        .order_by("district__code", "number")
    )
    by_code: dict[str, list[DutyItem]] = defaultdict(list)
    for row in rows:
        by_code[row.category_code].append(row)
    return by_code


def active_categories() -> list[Category]:
    """The catalogue, each group followed by its matters."""
    categories = list(Category.objects.filter(is_active=True).select_related("parent"))

    def place(c: Category) -> tuple:
        group = c.parent or c
        return (group.sort_order, group.code, c.parent_id is not None, c.sort_order, c.code)

    return sorted(categories, key=place)


# --- answers ---------------------------------------------------------------------------------
class DepartmentSerializer(serializers.ModelSerializer):
    district = serializers.CharField(source="district.code", read_only=True)

    class Meta:
        model = Department
        fields = ["id", "code", "name", "short_name", "district"]
        extra_kwargs = {
            "id": {"help_text": "for the case list's department filter"},
            "code": {"help_text": "what dispatch's lead and cooperating take"},
        }


class DutySerializer(serializers.ModelSerializer):
    """A row of a district's 属地管理事项清单: who leads a matter, who cooperates."""

    district = serializers.CharField(source="district.code", read_only=True)
    lead = serializers.CharField(source="lead.code", read_only=True)
    cooperating = serializers.SlugRelatedField(slug_field="code", many=True, read_only=True)

    class Meta:
        model = DutyItem
        fields = ["district", "number", "matter", "lead", "cooperating"]


class CategorySerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(
        slug_field="code", read_only=True, allow_null=True,
        help_text="the group's code; null for a group, which only filters lists (cases are "
        "logged with a matter's code)",
    )  # fmt: skip
    # A plain string: the case's "priority" carries the enum (one name for one choice set).
    default_priority = serializers.CharField(
        read_only=True, help_text=" | ".join(Priority.values) + ": the colour a new case gets"
    )
    duty = serializers.SerializerMethodField(
        help_text="the duty list's row for this matter in each of the caller's districts (its "
        "own, else its group's, as the dispatch desk suggests); empty when none names it",
    )

    class Meta:
        model = Category
        fields = ["code", "name", "parent", "default_priority", "duty"]

    @staticmethod
    def _rows(rows: dict[str, list[DutyItem]], category: Category) -> list[DutyItem]:
        own = rows.get(category.code, [])
        districts = {row.district_id for row in own}
        inherited = [
            row
            for row in (rows.get(category.parent.code, []) if category.parent_id else [])
            if row.district_id not in districts
        ]
        return sorted([*own, *inherited], key=lambda row: row.district.code)

    @extend_schema_field(DutySerializer(many=True))
    def get_duty(self, category: Category) -> list[dict]:
        # Read once for the whole list (the context is the list's), at answer time only.
        rows = self.context.get("duty_rows")
        if rows is None:
            rows = self.context["duty_rows"] = duty_rows_for(user=self.context["request"].user)
        return DutySerializer(self._rows(rows, category), many=True).data


class ReferenceList(generics.ListAPIView):
    # Small, whole lists: no pages, no filters (see the module's docstring).
    pagination_class = None
    filter_backends: list = []


@extend_schema(summary="The departments of the caller's districts (dispatch's codes)")
class DepartmentListView(ReferenceList):
    serializer_class = DepartmentSerializer

    def get_queryset(self):
        return departments_for(user=self.request.user)


@extend_schema(
    summary="The active case categories, with each matter's lead and cooperating departments"
)
class CategoryListView(ReferenceList):
    serializer_class = CategorySerializer

    def get_queryset(self):
        return active_categories()
