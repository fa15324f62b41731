"""The audit page: administrators search the append-only log (issue 10). Read-only: the page
has no form that writes, and the model refuses updates and deletes anyway."""

from __future__ import annotations

import django_filters
from django import forms
from django.contrib.auth.decorators import login_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext_lazy as _
from django.views.decorators.http import require_GET

from governance.audit import audit_entries_for, can_view_audit
from governance.models import AuditEntry

PAGE_SIZE = 50


class AddressFilter(django_filters.Filter):
    field_class = forms.GenericIPAddressField


class AuditFilter(django_filters.FilterSet):
    who = django_filters.CharFilter(label=_("Who"), method="filter_who")
    action = django_filters.ChoiceFilter(label=_("Action"), choices=AuditEntry.Action.choices)
    since = django_filters.DateFilter(label=_("From"), field_name="at", lookup_expr="date__gte")
    until = django_filters.DateFilter(label=_("To"), field_name="at", lookup_expr="date__lte")
    obj = django_filters.CharFilter(label=_("Object"), method="filter_object")
    # Validated as an address: a malformed one is a form error, not a database error.
    ip = AddressFilter(label=_("IP address"), field_name="ip")
    success = django_filters.BooleanFilter(label=_("Result"), field_name="success")

    class Meta:
        model = AuditEntry
        fields: list[str] = []

    def filter_who(self, queryset, name, value):
        return queryset.filter(Q(username__icontains=value) | Q(actor__full_name__icontains=value))

    def filter_object(self, queryset, name, value):
        return queryset.filter(Q(object_id=value) | Q(object_type__icontains=value))


@login_required
@require_GET
def audit_log(request: HttpRequest) -> HttpResponse:
    if not can_view_audit(request.user):
        raise Http404  # not an administrator: the page is not there for them
    filterset = AuditFilter(request.GET, queryset=audit_entries_for(user=request.user))
    page = Paginator(filterset.qs, PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    return render(
        request,
        "governance/audit_log.html",
        {"filter": filterset, "page": page, "query": query.urlencode()},
    )
