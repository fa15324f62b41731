"""Pages of the leaders' dashboard (领导驾驶舱): the dashboard of an area, the big screen
(大屏), the data they refresh from, and the monthly report (page and XLSX)."""

from __future__ import annotations

from datetime import date

from django.contrib.auth.decorators import login_required
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from dashboards import board, evaluations, rebuild, reports, tasks
from dashboards.models import ReportJob
from dashboards.selectors import LATEST_DAY, PERIODS, period_for, visible_area
from governance.audit import audit
from governance.errors import page_act
from governance.models import AuditEntry
from governance.spreadsheets import download


def _date(value: str | None) -> date | None:
    try:
        return date.fromisoformat(value) if value else None
    except ValueError:
        return None


def _period(request: HttpRequest, now):
    return period_for(
        request.GET.get("period"),
        today=timezone.localdate(now),
        start=_date(request.GET.get("from")),
        end=_date(request.GET.get("to")),
    )


def _context(request: HttpRequest, code: str | None) -> dict:
    now = timezone.now()
    area = visible_area(user=request.user, code=code)
    period = _period(request, now)
    data = board.build(
        user=request.user, area=area, period=period, now=now,
        map_measure=request.GET.get("measure", "overdue"),
    )  # fmt: skip
    return {
        "area": area,
        "period": period,
        "periods": PERIODS,
        "data": data,
        "map_measures": [(m, board.measure_label(m)) for m in board.MAP_MEASURES],
        "data_url": reverse("dashboard:data", kwargs={"code": area.code})
        + "?"
        + request.GET.urlencode(),
        # The area's administrators may rebuild its summary rows (dashboards/rebuild.py).
        "may_rebuild": area.level in rebuild.LEVELS
        and rebuild.may_rebuild(request.user, area.code),
    }


@login_required
@require_GET
def home(request: HttpRequest) -> HttpResponse:
    area = visible_area(user=request.user, code=None)
    url = reverse("dashboard:area", kwargs={"code": area.code})
    query = request.GET.urlencode()
    return redirect(f"{url}?{query}" if query else url)


@login_required
@require_GET
def area_dashboard(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "dashboards/dashboard.html", _context(request, code))


@login_required
@require_GET
def big_screen(request: HttpRequest, code: str) -> HttpResponse:
    return render(request, "dashboards/big_screen.html", _context(request, code))


@login_required
@require_GET
def dashboard_data(request: HttpRequest, code: str) -> JsonResponse:
    """What the charts draw; the big screen polls it (auto-refresh)."""
    return JsonResponse(_context(request, code)["data"], json_dumps_params={"ensure_ascii": False})


def _month(request: HttpRequest) -> date:
    today = timezone.localdate()
    value = request.GET.get("month") or request.POST.get("month") or ""
    try:
        year, month = (int(p) for p in value.split("-")[:2])
        return min(date(year, month, 1), LATEST_DAY)  # 9999-12 has no next month
    except ValueError:
        # The last full month by default.
        first = today.replace(day=1)
        return (first - timezone.timedelta(days=1)).replace(day=1)


@login_required
@require_GET
def monthly_report(request: HttpRequest, code: str) -> HttpResponse:
    """The printable monthly report of a district or street."""
    area = visible_area(user=request.user, code=code)
    month = _month(request)
    report = reports.monthly_report(user=request.user, area=area, month=month)
    return render(
        request, "dashboards/report.html", {"area": area, "month": month, "report": report}
    )


@login_required
@require_POST
def report_xlsx(request: HttpRequest, code: str) -> HttpResponse:
    """The monthly report as XLSX: built at once when small, else by a worker with a
    progress bar. Personal data is masked; the export is audited."""
    area = visible_area(user=request.user, code=code)
    month = _month(request)
    audit(
        action=AuditEntry.Action.EXPORT, actor=request.user, request=request,
        object_type="monthly_report", object_id=area.code, reason=f"{month:%Y-%m}",
    )  # fmt: skip
    job = ReportJob.objects.create(created_by=request.user, area_code=area.code, month=month)
    if reports.is_large(area=area, month=month):
        # A worker builds it once this request's job row is committed.
        transaction.on_commit(lambda: tasks.build_report.delay(job.pk))
        return redirect("dashboard:report_job", pk=job.pk)
    reports.run_job(job.pk)
    return redirect("dashboard:report_download", pk=job.pk)


def _job(request: HttpRequest, pk: int) -> ReportJob:
    """The user's own report, while its area is still theirs: someone moved off a street
    (their posting ended) no longer downloads what they started there."""
    job = ReportJob.objects.filter(pk=pk, created_by=request.user).first()
    if job is None:
        raise Http404
    visible_area(user=request.user, code=job.area_code)
    return job


@login_required
@require_GET
def report_job(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    template = (
        "dashboards/_report_progress.html"
        if request.headers.get("HX-Request")
        else "dashboards/report_job.html"
    )
    return render(request, template, {"job": job})


@login_required
@require_GET
def report_download(request: HttpRequest, pk: int) -> HttpResponse:
    job = _job(request, pk)
    if job.status != ReportJob.Status.DONE or not job.content:
        return redirect("dashboard:report_job", pk=job.pk)
    return download(bytes(job.content), f"monthly-report-{job.area_code}-{job.month:%Y-%m}.xlsx")


@login_required
@require_http_methods(["GET", "POST"])
def two_way_evaluations(request: HttpRequest) -> HttpResponse:
    """双向评价: the month's sheet of a street's desk (its departments) and of a department
    (its streets); each score is given once, by POST of one row."""
    month = _month(request)
    if request.method == "POST":
        page_act(
            request,
            lambda: evaluations.two_way_evaluate(
                actor=request.user, direction=request.POST.get("direction", ""),
                street_code=request.POST.get("street", ""),
                department_id=request.POST.get("department") or 0, month=month,
                score=request.POST.get("score"), comment=request.POST.get("comment", ""),
            ),
            success=_("Evaluation saved."),
        )  # fmt: skip
        return redirect(f"{reverse('dashboard:evaluations')}?month={month:%Y-%m}")
    sheet = evaluations.evaluation_sheet(user=request.user, month=month)
    return render(
        request, "dashboards/evaluations.html",
        {"month": month, "sheet": sheet, "rows": sheet["as_street"] + sheet["as_department"]},
    )  # fmt: skip
