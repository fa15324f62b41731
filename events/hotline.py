"""12345 hotline transfers (转办): a batch in the hotline's usual columns becomes cases with
channel "hotline", keeping the hotline's own case number. Every row is checked first and a
row-by-row report says what happened to each; a file with any bad row imports nothing (fix
the row, send the file again), and rows already imported are skipped, never doubled.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from blocks.access import scope_for
from blocks.models import Area
from events import services
from events.locating import address_suggestions, open_areas
from events.models import Category, Channel, Event
from governance import spreadsheets
from governance.text import cell_refusal, control_character, found_in, visible

# The hotline's column names (and English ones for apps sending JSON).
COLUMNS = {
    "number": ("工单编号", "number"),
    "called_at": ("来电时间", "called_at"),
    "name": ("来电人", "name"),
    "phone": ("联系电话", "phone"),
    "address": ("诉求地址", "address"),
    "description": ("诉求内容", "description"),
    "matter": ("事项", "matter"),
    "block_code": ("区块编码", "block_code"),
}
MAX_ROWS = 5000


@dataclass
class RowResult:
    row: int
    number: str
    outcome: str  # "imported", "skipped", "error"
    message: str = ""
    case_number: str = ""


@dataclass
class ImportReport:
    rows: list[RowResult] = field(default_factory=list)

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "error"]

    @property
    def imported(self) -> int:
        return sum(r.outcome == "imported" for r in self.rows)

    @property
    def skipped(self) -> int:
        return sum(r.outcome == "skipped" for r in self.rows)


def read_rows(upload) -> list[dict]:
    """Rows of an uploaded XLSX or CSV file, keyed by our column names (a call time typed
    as a date stays a datetime)."""
    return spreadsheets.read_table(
        upload, columns=COLUMNS, required=("number", "description", "matter"),
        max_rows=MAX_ROWS, as_text=False,
    )  # fmt: skip


def _category(value: str, categories: list[Category]) -> Category | None:
    value = value.strip()
    for category in categories:
        if value in (category.code, category.name, str(category)):
            return category
    return None


def _called_at(value, now: datetime) -> datetime | None:
    if isinstance(value, datetime):
        return timezone.make_aware(value) if timezone.is_naive(value) else value
    if not str(value).strip():
        return now
    parsed = parse_datetime(str(value).strip().replace("/", "-"))
    if parsed is None:
        return None
    return timezone.make_aware(parsed) if timezone.is_naive(parsed) else parsed


def hotline_import(*, actor, rows: list[dict], now: datetime | None = None) -> ImportReport:
    """Check every row, then import them all in one transaction, or none if any is bad."""
    now = now or timezone.now()
    scope = scope_for(actor)
    categories = list(
        Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")
    )
    numbers = [str(r.get("number", "")).strip() for r in rows]
    known = set(
        Event.objects.filter(
            # A number with a control character is a row error below; PostgreSQL refuses NUL.
            channel=Channel.HOTLINE,
            external_number__in=[n for n in numbers if not control_character(n)],
        ).values_list("external_number", flat=True)
    )
    report, plan, seen = ImportReport(), [], set()
    for position, row in enumerate(rows, start=2):  # row 1 is the header
        position = row.get("row", position)  # blank rows of the file were skipped
        number = str(row.get("number", "")).strip()
        result = RowResult(row=position, number=visible(number), outcome="error")
        report.rows.append(result)
        found = found_in({k: v for k, v in row.items() if k in COLUMNS})
        if found:
            result.message = cell_refusal(COLUMNS[found[0]][0], found[1])
            continue
        if not number:
            result.message = _("No hotline case number.")
            continue
        if number in known or number in seen:
            result.outcome, result.message = "skipped", _("Already imported.")
            continue
        seen.add(number)
        description = str(row.get("description", "")).strip()
        if not description:
            result.message = _("No description.")
            continue
        category = _category(str(row.get("matter", "")), categories)
        if category is None:
            result.message = _("Unknown matter “%(matter)s”.") % {"matter": row.get("matter", "")}
            continue
        block_code = str(row.get("block_code", "")).strip()
        block = open_areas(Area.Level.BLOCK).filter(code=block_code).first() if block_code else None
        if block is None:
            found = address_suggestions(str(row.get("address", "")), limit=1)
            block = found[0] if found else None
        if block is None:
            result.message = _("No block found for this address; add the block code.")
            continue
        if not scope.can_act_in_block(block.code):
            result.message = _("%(block)s is outside your area.") % {"block": block.name}
            continue
        called_at = _called_at(row.get("called_at", ""), now)
        if called_at is None:
            result.message = _("The call time is not a date and time.")
            continue
        result.outcome, result.message = "imported", block.name
        plan.append((result, block, category, description, called_at, row))
    if report.errors:
        for result, *_rest in plan:
            result.outcome, result.message = (
                "checked",
                _("Correct; not imported because of other rows."),
            )
        return report
    with transaction.atomic():
        for result, block, category, description, called_at, row in plan:
            event = services.event_log(
                actor=actor, channel=Channel.HOTLINE, block=block, category=category,
                description=description, reporter_name=str(row.get("name", ""))[:40],
                reporter_phone=str(row.get("phone", ""))[:20],
                address=str(row.get("address", ""))[:200], external_number=result.number,
                now=min(called_at, now),
            )  # fmt: skip
            result.case_number = event.number
    return report


def hotline_import_file(*, actor, upload, now: datetime | None = None) -> ImportReport:
    if not scope_for(actor).codes_for({"dispatcher", "street_admin", "governor", "assistant"}):
        raise PermissionDenied(_("You may not import hotline transfers."))
    return hotline_import(actor=actor, rows=read_rows(upload), now=now)


def report_workbook(report: ImportReport) -> bytes:
    """The row-by-row report as XLSX, to download and fix the file with."""
    labels = {"imported": _("imported"), "skipped": _("skipped"), "error": _("error"),
              "checked": _("correct")}  # fmt: skip
    rows = [[_("Row"), COLUMNS["number"][0], _("Outcome"), _("Message"), _("Case number")]]
    rows += [[r.row, r.number, labels[r.outcome], r.message, r.case_number] for r in report.rows]
    return spreadsheets.workbook_bytes(rows, title=_("Report"))
