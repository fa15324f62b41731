"""Filters of case lists, shared by the pages, the export and the API (django-filter)."""

from __future__ import annotations

import django_filters
from django.db.models import Exists, OuterRef, Q
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blocks.models import Department
from events import stats
from events.models import (
    OPEN_STATUSES,
    Assignment,
    Category,
    Channel,
    Deadline,
    Event,
    Priority,
    Status,
    WhistleReason,
)
from governance.api import StrictBooleanFilter


class EventFilter(django_filters.FilterSet):
    q = django_filters.CharFilter(method="filter_q", label=_("Search"))
    status = django_filters.MultipleChoiceFilter(choices=Status.choices, label=_("Status"))
    open = StrictBooleanFilter(method="filter_open", label=_("Open only"))
    priority = django_filters.MultipleChoiceFilter(choices=Priority.choices, label=_("Colour"))
    channel = django_filters.ChoiceFilter(choices=Channel.choices, label=_("Channel"))
    whistle_reason = django_filters.ChoiceFilter(
        choices=WhistleReason.choices, label=_("Whistle reason")
    )
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
    overdue = StrictBooleanFilter(method="filter_overdue", label=_("Overdue"))
    # The dashboard's numbers link here: ``measure`` is the set of cases a number counts
    # (events.stats.event_sets), so the list shows exactly the counted cases.
    measure = django_filters.ChoiceFilter(
        choices=[(name, name) for name in stats.EVENT_SET_NAMES],
        method="filter_measure",
        label=_("Counted as"),
    )
    department = django_filters.ModelChoiceFilter(
        queryset=Department.objects.all(), method="filter_department", label=_("Department")
    )

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
        overdue = Exists(
            Deadline.objects.filter(event=OuterRef("pk")).filter(
                stats.running_overdue_q(timezone.now())
            )
        )
        return queryset.filter(overdue if value else ~overdue)

    def filter_measure(self, queryset, name, value):
        if not value:
            return queryset
        now = timezone.now()
        counted = stats.event_sets(now)[value]
        # Only the facts this set needs: a whole year of cases stays quick to count.
        facts = stats.with_facts(queryset, now=now, only=stats.facts_used(counted))
        return facts.filter(counted)

    def filter_department(self, queryset, name, value):
        """Cases with a live part of the department (a dispatch voided by the lead's
        return does not count: events.stats)."""
        parts = Assignment.objects.filter(event=OuterRef("pk"), department=value).filter(
            stats.live_part()
        )
        return queryset.filter(Exists(parts))
