"""XLSX exports of the quarterly lists and the livelihood ledger (DESIGN §7), generated from
what is in the system (减负: never re-typed). They hold no resident's phone or name: the
lists carry needs and problems, not people's data, and a number typed into their text is
masked (``_text``). Every export is audited by the view and rate-limited like the case
exports."""

from __future__ import annotations

from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from events.exports import export_allowed
from governance.privacy import mask_phones_in_text as _text
from governance.spreadsheets import download, table_sheet, workbook_saved
from liaison.models import DemandList, ProblemList

__all__ = ["export_allowed"]


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


def _name(person) -> str:
    return (person.get_full_name() or person.username) if person else ""


def xlsx_response(workbook: Workbook, name: str) -> HttpResponse:
    return download(workbook_saved(workbook), f"{name}.xlsx", stamped=True)


def demand_list_workbook(demand: DemandList) -> tuple[Workbook, str]:
    workbook = Workbook(write_only=True)
    items = demand.items.select_related("event", "problem").order_by("id")
    table_sheet(
        workbook, _("Demand list"),
        [_("No."), _("Need"), _("Source"), _("Case number"), _("Grouped into"), _("Added at")],
        ([
            n, _text(item.text), item.get_source_display(), item.event.number if item.event else "",
            _text(item.problem.title) if item.problem else "", _local(item.created_at),
        ] for n, item in enumerate(items, 1)),
        above=[[str(demand.community.name), f"{demand.year}Q{demand.quarter}",
                demand.get_state_display()]],
    )  # fmt: skip
    return workbook, f"demand-list-{demand.area_code}-{demand.year}Q{demand.quarter}"


def problem_list_workbook(plist: ProblemList, problems) -> tuple[Workbook, str]:
    """The problem list and, beside each problem, its service item (服务清单)."""
    workbook = Workbook(write_only=True)

    def rows():
        for problem in problems:
            item = getattr(problem, "service_item", None)  # a problem nobody claimed has none
            yield [
                problem.number, _text(problem.title), len(problem.demand_items.all()),
                str(item.department) if item else "", _name(item.responsible) if item else "",
                item.due_on if item else None, item.get_state_display() if item else _("open"),
                _text(item.result) if item else "",
            ]  # fmt: skip

    table_sheet(
        workbook, _("Problem and service list"),
        [_("No."), _("Problem"), _("Needs grouped"), _("Claimed by"), _("Responsible person"),
         _("Deadline"), _("State"), _("Result")],
        rows(),
        above=[[plist.street.name, f"{plist.year}Q{plist.quarter}", plist.get_state_display()]],
    )  # fmt: skip
    return workbook, f"problem-list-{plist.area_code}-{plist.year}Q{plist.quarter}"


def service_list_workbook(rows) -> tuple[Workbook, str]:
    workbook = Workbook(write_only=True)
    table_sheet(
        workbook, _("Service list"),
        [_("Street"), _("Quarter"), _("Problem"), _("Department"), _("Responsible person"),
         _("Deadline"), _("State"), _("Latest progress"), _("Result"), _("Done at")],
        ([
            item.problem.problem_list.street.name,
            f"{item.problem.problem_list.year}Q{item.problem.problem_list.quarter}",
            _text(item.problem.title), str(item.department), _name(item.responsible),
            item.due_on, item.get_state_display(), _text(item.progress_note),
            _text(item.result), _local(item.done_at),
        ] for item in rows),
    )  # fmt: skip
    return workbook, "service-list"


def ledger_workbook(rows, year: int) -> tuple[Workbook, str]:
    workbook = Workbook(write_only=True)
    table_sheet(
        workbook, _("Livelihood ledger"),
        [_("Street"), _("No."), _("Matter"), _("Lead department"), _("Target date"), _("State"),
         _("Progress (%)"), _("Entered at"), _("Last update"), _("Closed at"), _("Evidence")],
        ([
            item.street.name, item.number, _text(item.title), str(item.department or ""),
            item.target_on, item.get_state_display(), item.progress, _local(item.entered_at),
            _local(item.updated_at), _local(item.closed_at), _text(item.evidence),
        ] for item in rows),
    )  # fmt: skip
    return workbook, f"livelihood-ledger-{year}"
