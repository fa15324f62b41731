"""Filters of case lists, shared by the pages, the export and the API (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from events.models import OPEN_STATUSES, Category, Channel, Event, Priority, Status


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    open = django_filters.BooleanFilter(method="filter_open", label=_("Open only"))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("Colour"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    category = django_filters.ModelChoiceFilter(
        queryset=Category.objects.select_related("parent"),
        method="filter_category",
        label=_("Category"),
    )
    area = django_filters.CharFilter(method="filter_area", label=_("Area code"))
    created_from = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="gte", label=_("Logged from")
    )
    created_to = django_filters.IsoDateTimeFilter(
        field_name="created_at", lookup_expr="lt", label=_("Logged before")
    )
    updated_from = django_filters.IsoDateTimeFilter(
        field_name="updated_at", lookup_expr="gte", label=_("Updated from")
    )
    overdue = django_filters.BooleanFilter(method="filter_overdue", label=_("Overdue"))

    class Meta:
        model = Event
        fields: list[str] = []

    def filter_q(self, queryset, name, value):
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(
            Q(number__icontains=value)
            | Q(description__icontains=value)
            | Q(address__icontains=value)
        )

    def filter_open(self, queryset, name, value):
        if value is None:
            return queryset
        lookup = Q(status__in=[s.value for s in OPEN_STATUSES])
        return queryset.filter(lookup if value else ~lookup)

    def filter_category(self, queryset, name, value):
        return queryset.filter(Q(category=value) | Q(category__parent=value))

    def filter_area(self, queryset, name, value):
        # The caller's scope is already applied; this narrows to one area's code prefix.
        return queryset.filter(area_code__startswith=value.strip())

    def filter_overdue(self, queryset, name, value):
        if value is None:
            return queryset
        overdue = Q(
            deadlines__met_at__isnull=True,
            deadlines__cancelled_at__isnull=True,
            deadlines__due_at__lte=timezone.now(),
        )
        if value:
            return queryset.filter(overdue).distinct()
        return queryset.exclude(overdue)
