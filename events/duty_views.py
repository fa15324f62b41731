"""The duty lists' import page (issue 5): district administrators upload a list as XLSX or
CSV, see the row-by-row report, and download the template, the current list and the report.
Administrators of the district's streets read the lists and download them."""

from __future__ import annotations

from django import forms
from django.contrib import messages
from django.contrib.auth.decorators import login_required
from django.core.cache import cache
from django.core.exceptions import PermissionDenied, ValidationError
from django.db.models import Count
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blocks.access import scope_for
from blocks.models import Area
from events import duty_lists
from events.models import DutyItem, StreetDutyItem
from governance.spreadsheets import download

REPORT_SECONDS = 3600


class DutyImportForm(forms.Form):
    kind = forms.ChoiceField(label=gettext_lazy("List"), choices=duty_lists.DutyList.CHOICES)
    file = forms.FileField(
        label=gettext_lazy("XLSX or CSV file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".xlsx,.csv"}),
    )
    replace = forms.BooleanField(
        label=gettext_lazy("Remove the items of this list that the file no longer has"),
        required=False,
    )
    dry_run = forms.BooleanField(label=gettext_lazy("Check only, write nothing"), required=False)


def _district(request: HttpRequest, code: str) -> Area:
    """A district whose lists the user may read; anything else is not there for them (a
    street's administrator reads the lists of their district, above their own area)."""
    district = Area.objects.filter(code=code, level=Area.Level.DISTRICT).first()
    if district is None or not duty_lists.may_read(request.user, district):
        raise Http404
    return district


def _report_key(request: HttpRequest) -> str:
    return f"duty-import-report:{request.user.pk}"


@login_required
def duty_home(request: HttpRequest) -> HttpResponse:
    """The import page of the user's district."""
    scope = scope_for(request.user)
    codes = scope.codes_for({"administrator", "street_admin"})
    districts = sorted({c[:6] for c in codes if len(c) >= 6})
    if scope.is_superuser and not districts:
        districts = list(
            Area.objects.filter(level=Area.Level.DISTRICT, closed_on__isnull=True)
            .order_by("code")
            .values_list("code", flat=True)[:1]
        )
    if not districts:
        raise Http404
    return redirect("duties:import", code=districts[0])


@login_required
def duty_import(request: HttpRequest, code: str) -> HttpResponse:
    district = _district(request, code)
    may_import = duty_lists.may_import(request.user, district)
    form = DutyImportForm(request.POST or None, request.FILES or None)
    report = None
    if request.method == "POST":
        if not may_import:
            raise PermissionDenied(_("Only the district's administrators import its duty lists."))
        if form.is_valid():
            data = form.cleaned_data
            try:
                report = duty_lists.duty_list_import_file(
                    actor=request.user, district=district, kind=data["kind"],
                    upload=data["file"], replace=data["replace"], dry_run=data["dry_run"],
                    request=request,
                )  # fmt: skip
            except ValidationError as error:
                form.add_error("file", error.messages)
            else:
                cache.set(_report_key(request), report, timeout=REPORT_SECONDS)
                if report.written:
                    messages.success(request, _("The list has been imported."))
    counts = dict(
        StreetDutyItem.objects.filter(district=district)
        .values_list("kind")
        .annotate(n=Count("pk"))
        .order_by()
    )
    counts[duty_lists.DutyList.DUTY] = DutyItem.objects.filter(district=district).count()
    lists = [
        {"kind": kind, "label": label, "count": counts.get(kind, 0)}
        for kind, label in duty_lists.DutyList.CHOICES
    ]
    return render(
        request,
        "events/duty_import.html",
        {
            "district": district,
            "form": form,
            "may_import": may_import,
            "report": report,
            "lists": lists,
            "outcomes": duty_lists.OUTCOMES,
            "summary": [
                (duty_lists.OUTCOMES[o], report.count(o), o)
                for o in ("created", "updated", "unchanged")
            ]
            if report is not None
            else [],
        },
        status=400 if report is not None and report.errors else 200,
    )


@login_required
def duty_template(request: HttpRequest, kind: str) -> HttpResponse:
    if kind not in duty_lists.LIST_COLUMNS:
        raise Http404
    return download(duty_lists.template_xlsx(kind), f"duty-list-template-{kind}.xlsx")


@login_required
def duty_download(request: HttpRequest, code: str, kind: str) -> HttpResponse:
    district = _district(request, code)
    if kind not in duty_lists.LIST_COLUMNS:
        raise Http404
    return download(duty_lists.list_xlsx(kind, district), f"duty-list-{district.code}-{kind}.xlsx")


@login_required
def duty_report(request: HttpRequest) -> HttpResponse:
    report = cache.get(_report_key(request))
    if report is None:
        messages.error(request, _("The report is no longer kept; import the file again."))
        return redirect("duties:home")
    return download(duty_lists.report_xlsx(report), "duty-list-import-report.xlsx")
