"""The monthly report of a district or street (月度报告): a printable page and an XLSX
workbook (summary, by street, by department, by category, overdue list). Generated from the
data already in the system (DESIGN §6a), with the dashboard's own numbers; residents'
names and phones are masked (DESIGN §6)."""

from __future__ import annotations

import io
import logging
from datetime import date, timedelta

from django.db.models import OuterRef, Subquery
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from blocks.models import Area
from dashboards import board, present
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
from events.models import Deadline
from events.selectors import event_queryset
from governance.models import User
from governance.privacy import mask_phone
from governance.spreadsheets import DECIMAL, PERCENT, Formatted, new_workbook, table_sheet

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
    summary = board.summary(reader=reader)
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

    # Exactly the cases the summary counts as overdue (the set of events.stats): open, with
    # a running clock past its due time; the earliest such due time is the one missed.
    start, end = period.bounds
    missed = Deadline.objects.filter(event=OuterRef("pk")).filter(stats.running_overdue_q(now))
    late = (
        stats.with_facts(
            event_queryset(user=user).filter(
                area_code__startswith=area.code, created_at__gte=start, created_at__lt=end
            ),
            now=now,
            only={"f_overdue"},
        )
        .filter(stats.event_sets(now)["overdue"])
        .annotate(missed_due=Subquery(missed.order_by("due_at").values("due_at")[:1]))
        .select_related("block__parent__parent", "category__parent")
        .order_by("missed_due", "created_at")
    )
    overdue = [
        {
            "number": e.number,
            "street": e.block.parent.parent.name if e.block.parent_id else "",
            "community": e.block.parent.name if e.block.parent_id else "",
            "block": e.block.name,
            "category": str(e.category),
            "status": e.get_status_display(),
            "created_at": timezone.localtime(e.created_at),
            "due_at": timezone.localtime(e.missed_due),
            "reporter": mask_name(e.reporter_name),
            "phone": mask_phone(e.reporter_phone),
        }
        for e in late[:OVERDUE_ROWS]
    ]
    progress(5)
    rates = _rates(counts, weights)
    summary_rows = [
        {"name": name, "label": str(label), "value": counts[name], "formula": formula,
         **present.shown(counts[name])}
        for name, label, formula in stats.COUNTS
    ] + [
        {"name": m.name, "label": str(m.label), "value": rates[m.name],
         "formula": stats.formula(m, weights), **present.shown(rates[m.name])}
        for m in stats.RATES + stats.AVERAGES
    ]  # fmt: skip
    return {
        "period": period,
        "counts": counts,
        "summary": summary,
        "summary_rows": summary_rows,
        "count_labels": {name: str(label) for name, label, _f in stats.COUNTS},
        "rates": rates,
        "by_area": by_area,
        "departments": departments,
        "department_measures": board.ranking_cells(departments),
        "categories": categories,
        "overdue": overdue,
        "scoring": scoring.describe(),
        "measures": stats.RATES + stats.AVERAGES,
    }


def is_large(*, area: Area, month: date) -> bool:
    counts = Reader(code=area.code, period=month_period(month), now=timezone.now()).totals()
    return counts["new"] > LARGE_REPORT_CASES


def _cell(result) -> object:
    """A measure as a spreadsheet cell: a rate as its fraction shown in %, an average in
    its unit (minutes, hours) to two decimals, a count as it is."""
    if isinstance(result, stats.Rate):
        return Formatted(result.value, PERCENT)
    if isinstance(result, stats.Average):
        return Formatted(result.value, DECIMAL)
    return getattr(result, "value", result)


def _fraction(rate: dict | None) -> Formatted:
    """A rate already turned into a dict (``Rate.as_dict()``) as a cell."""
    return Formatted((rate or {}).get("value"), PERCENT)


def workbook(report: dict, *, area: Area) -> Workbook:
    """The report as a workbook: the summary, then sheets that count as it does (by street
    or community and by category end on a total equal to it; the overdue sheet lists the
    cases of its overdue count)."""
    book = new_workbook()
    measures = report["measures"]

    rows = []
    for row in report["summary_rows"]:
        result = row["value"]
        if isinstance(result, stats.Rate):
            parts = [result.numerator, result.denominator]
        elif isinstance(result, stats.Average):
            # The total time in the average's own unit: minutes or hours.
            parts = [Formatted(result.total_seconds / result.unit_seconds, DECIMAL), result.count]
        else:
            parts = [None, None]
        rows.append([row["label"], _cell(result), *parts, row["formula"]])
    table_sheet(
        book, _("Summary"),
        [_("Measure"), _("Value"), _("Numerator"), _("Denominator"), _("Formula")], rows,
        above=[[area.name, f"{report['period'].start:%Y-%m}"]],
    )  # fmt: skip

    labels = {name: str(label) for name, label, _f in stats.COUNTS}
    counted = ("new", "open", "overdue", "closed")
    header = [labels[name] for name in counted] + [str(m.label) for m in measures]

    def line(counts, rates):
        return [counts[name] for name in counted] + [_cell(rates[m.name]) for m in measures]

    total = line(report["counts"], report["rates"])
    table_sheet(
        book, _("By street") if len(area.code) == 6 else _("By community"),
        [_("Code"), _("Area name"), *header],
        [[row["code"], row["name"], *line(row["counts"], row["rates"])]
         for row in report["by_area"]] + [[_("Total"), area.name, *total]],
    )  # fmt: skip

    measure = stats.MEASURES
    sheet = table_sheet(
        book, _("By department"),
        [_("Rank"), _("Department"), _("Cases"), _("Parts dispatched"),
         str(measure["report_in_rate"].label), str(measure["resolution_rate"].label),
         str(measure["satisfaction_rate"].label), str(measure["return_rate"].label),
         _("Supervised"), str(measure["supervised_on_time_rate"].label),
         _("Case score"), _("Street's score"), _("Composite score"), _("Note")],
        [[row["rank"], row["name"], row["cases"], row["parts"],
          _fraction(row["report_in_rate"]), _fraction(row["resolution_rate"]),
          _fraction(row["satisfaction_rate"]), _fraction(row["return_rate"]),
          row["supervised"], _fraction(row["supervised_on_time_rate"]),
          row["case_score"], row["street_score"],
          row["composite"] if row["composite"] is not None else _("awaiting evaluation"),
          _("small sample") if row["small_sample"] else ""]
         for row in report["departments"]],
        formats={10: DECIMAL, 11: DECIMAL, 12: DECIMAL},
    )  # fmt: skip
    sheet.append([])
    sheet.append([report["scoring"]])

    table_sheet(
        book, _("By category"), [_("Category"), *header],
        [[row["name"], *line(row["counts"], row["rates"])] for row in report["categories"]]
        + [[_("Total"), *total]],
    )  # fmt: skip

    table_sheet(
        book, _("Overdue"),
        [_("Case number"), _("Street"), _("Community"), _("Block"), _("Category"),
         _("Status"), _("Logged at"), _("Due"), _("Reporter"), _("Reporter phone")],
        [[row["number"], row["street"], row["community"], row["block"], row["category"],
          row["status"], row["created_at"].replace(tzinfo=None),
          row["due_at"].replace(tzinfo=None), row["reporter"], row["phone"]]
         for row in report["overdue"]],
    )  # fmt: skip
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
