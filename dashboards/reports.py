"""The monthly report of a district or street (月度报告): a printable page and an XLSX
workbook (summary, by street, by department, by category, overdue list). Generated from the
data already in the system (DESIGN §6a), with the dashboard's own numbers; residents'
names and phones are masked (DESIGN §6)."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta

from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from blocks.models import Area
from dashboards import board
from dashboards.models import ReportJob
from dashboards.selectors import (
    Period,
    Reader,
    area_names,
    department_ranking,
    dim_labels,
    scoring_for,
    two_way_scores,
)
from events import stats
from events.selectors import event_queryset
from governance.models import User
from governance.privacy import mask_phone

logger = logging.getLogger(__name__)

# More cases than this in the month: the workbook is built by a worker, with a progress bar.
LARGE_REPORT_CASES = 2000
OVERDUE_ROWS = 5000


def month_period(month: date) -> Period:
    start = month.replace(day=1)
    end = (start.replace(day=28) + timedelta(days=4)).replace(day=1)
    return Period("custom", start, end)


def mask_name(name: str) -> str:
    """张三丰 → 张**: the family name only."""
    name = (name or "").strip()
    return name[:1] + "*" * (len(name) - 1) if len(name) > 1 else name


def _rates(counts, weights) -> dict:
    return {name: m.compute(counts, weights) for name, m in stats.MEASURES.items()}


def monthly_report(*, user, area: Area, month: date, progress=None) -> dict:
    """Every table of the report, as rows. ``progress(step)`` is told after each part."""
    progress = progress or (lambda step: None)
    now = timezone.now()
    period = month_period(month)
    reader = Reader(code=area.code, period=period, now=now)
    scoring = scoring_for(area.code)
    weights = scoring.rate_weights
    counts = reader.totals()
    summary = board.summary(code=area.code, period=period, now=now, counts=counts)
    progress(1)

    child_counts = reader.children()
    names = area_names(child_counts)
    for child in Area.objects.filter(parent=area, closed_on__isnull=True):
        names.setdefault(child.code, child)
    empty = dict.fromkeys(stats.COUNT_NAMES, 0)
    by_area = [
        {"code": code, "name": names[code].name, "counts": child_counts.get(code, empty),
         "rates": _rates(child_counts.get(code, empty), weights)}
        for code in sorted(names)
    ]  # fmt: skip
    progress(2)

    two_way, _streets = two_way_scores(code=area.code, period=period)
    departments = department_ranking(
        code=area.code, counts=reader.departments(), scoring=scoring, two_way=two_way
    )
    progress(3)

    by_category = reader.by("category")
    labels = dim_labels("category", by_category)
    categories = sorted(
        (
            {"name": labels.get(key, key), "counts": c, "rates": _rates(c, weights)}
            for key, c in by_category.items()
        ),
        key=lambda r: -r["counts"]["new"],
    )
    progress(4)

    sets = stats.event_sets(now)
    start, end = period.bounds
    late = (
        stats.with_facts(
            event_queryset(user=user).filter(
                area_code__startswith=area.code, created_at__gte=start, created_at__lt=end
            ),
            now=now,
            only={"f_overdue", "f_late_resolve"},
        )
        .filter(sets["overdue"] | (sets["resolved"] & Q(f_late_resolve=True)))
        .select_related("block__parent__parent", "category__parent")
        .order_by("created_at")
    )
    overdue = [
        {
            "number": e.number,
            "street": e.block.parent.parent.name if e.block.parent_id else "",
            "community": e.block.parent.name if e.block.parent_id else "",
            "block": e.block.name,
            "category": str(e.category),
            "status": e.get_status_display(),
            "open_overdue": e.status in stats.OPEN,
            "created_at": timezone.localtime(e.created_at).replace(tzinfo=None),
            "resolved_at": timezone.localtime(e.resolved_at).replace(tzinfo=None)
            if e.resolved_at
            else None,
            "reporter": mask_name(e.reporter_name),
            "phone": mask_phone(e.reporter_phone),
        }
        for e in late[:OVERDUE_ROWS]
    ]
    progress(5)
    return {
        "period": period,
        "counts": counts,
        "summary": summary,
        "rates": _rates(counts, weights),
        "by_area": by_area,
        "departments": departments,
        "categories": categories,
        "overdue": overdue,
        "scoring": scoring.describe(),
        "measures": stats.RATES + stats.AVERAGES,
    }


def is_large(*, area: Area, month: date) -> bool:
    counts = Reader(code=area.code, period=month_period(month), now=timezone.now()).totals()
    return counts["new"] > LARGE_REPORT_CASES


def _percent(rate) -> float | None:
    return getattr(rate, "percent", None) if isinstance(rate, stats.Rate) else rate.value


def workbook(report: dict, *, area: Area) -> Workbook:
    book = Workbook(write_only=True)
    measures = report["measures"]

    sheet = book.create_sheet(_("Summary"))
    sheet.append([area.name, f"{report['period'].start:%Y-%m}"])
    sheet.append([_("Measure"), _("Value"), _("Numerator"), _("Denominator"), _("Formula")])
    for name, label, formula in stats.COUNTS:
        sheet.append([str(label), report["counts"][name], None, None, formula])
    for m in measures:
        item = report["summary"][m.name]
        if isinstance(report["rates"][m.name], stats.Rate):
            sheet.append([str(m.label), item["percent"], item["numerator"], item["denominator"],
                          item["formula"]])  # fmt: skip
        else:
            sheet.append([str(m.label), item["value"], item["total_seconds"], item["count"],
                          item["formula"]])  # fmt: skip

    header = [_("New"), _("Open"), _("Overdue"), _("Closed")] + [str(m.label) for m in measures]

    def line(counts, rates):
        return [counts["new"], counts["open"], counts["overdue"], counts["closed"]] + [
            _percent(rates[m.name]) for m in measures
        ]

    sheet = book.create_sheet(_("By street") if len(area.code) == 6 else _("By community"))
    sheet.append([_("Code"), _("Name"), *header])
    for row in report["by_area"]:
        sheet.append([row["code"], row["name"], *line(row["counts"], row["rates"])])

    sheet = book.create_sheet(_("By department"))
    sheet.append([_("Rank"), _("Department"), _("Parts dispatched"), _("Response rate"),
                  _("Resolution rate"), _("Satisfaction rate"), _("Return rate"),
                  _("Case score"), _("Street's score"), _("Composite score")])  # fmt: skip
    for row in report["departments"]:
        sheet.append([row["rank"], row["name"], row["parts"], row["response_rate"]["percent"],
                      row["resolution_rate"]["percent"], row["satisfaction_rate"]["percent"],
                      row["return_rate"]["percent"], row["case_score"], row["street_score"],
                      row["composite"]])  # fmt: skip
    sheet.append([report["scoring"]])

    sheet = book.create_sheet(_("By category"))
    sheet.append([_("Category"), *header])
    for row in report["categories"]:
        sheet.append([row["name"], *line(row["counts"], row["rates"])])

    sheet = book.create_sheet(_("Overdue"))
    sheet.append([_("Case number"), _("Street"), _("Community"), _("Block"), _("Category"),
                  _("Status"), _("Logged at"), _("Resolved at"), _("Reporter"),
                  _("Reporter phone")])  # fmt: skip
    for row in report["overdue"]:
        sheet.append([row["number"], row["street"], row["community"], row["block"],
                      row["category"], row["status"], row["created_at"], row["resolved_at"],
                      row["reporter"], row["phone"]])  # fmt: skip
    return book


def run_job(job_id: int) -> ReportJob:
    """Build one report job's workbook, telling the job its progress after each part."""
    job = ReportJob.objects.get(pk=job_id)
    if job.status == ReportJob.Status.DONE:
        return job  # a redelivered task: already built
    ReportJob.objects.filter(pk=job.pk).update(status=ReportJob.Status.RUNNING, done_steps=0)
    try:
        user = User.objects.get(pk=job.created_by_id)
        area = Area.objects.get(code=job.area_code)

        def progress(step: int) -> None:
            ReportJob.objects.filter(pk=job.pk).update(done_steps=step)

        report = monthly_report(user=user, area=area, month=job.month, progress=progress)
        buffer = io.BytesIO()
        workbook(report, area=area).save(buffer)
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.DONE, content=buffer.getvalue(), done_steps=job.steps,
            finished_at=timezone.now(),
        )  # fmt: skip
    except Exception as error:
        logger.exception("monthly report %s failed", job.pk)
        ReportJob.objects.filter(pk=job.pk).update(
            status=ReportJob.Status.FAILED, error=str(error)[:300], finished_at=timezone.now()
        )
    job.refresh_from_db()
    return job
