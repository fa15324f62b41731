"""Import a district's duty lists from XLSX/CSV (issue 5): the 属地管理事项清单 (matter →
lead department 主体责任 and cooperating ones 配合责任; seed 001: 历下's 81 items) and the
street's own duty list and cooperation list (seed 000: 雨湖's 35 and 21 items).

Columns (Chinese or English titles, any order; ``TEMPLATE`` builds the file to fill in):

- 序号 / number: the item's number in the list, its key: a number already in the list is
  updated, a new one is added (importing the same file twice changes nothing);
- 事项 / matter: what the item covers;
- 分类编码 / category_code: optional, the case category the matter covers (its code, or its
  name as the category list shows it) — the dispatcher's suggestion is found by it;
- 主体责任部门 / lead and 配合责任部门 / cooperating (duty list only): departments of the
  district by name, short name or code; several cooperating ones separated by 、 , ; or /;
- 备注 / note (duty list only).

Every row is checked first; one bad row (unknown department, unknown category, a duplicate
row…) and nothing is written, and the report says row by row why. A good file is written in
one transaction and put on the audit log. ``replace`` also removes the items of that list
the file no longer has (a revised list, 动态调整).
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from blocks.access import scope_for
from blocks.models import Area, Department
from events.categories import category_catalogue
from events.models import DutyItem, StreetDutyItem
from governance import spreadsheets
from governance.audit import audit
from governance.models import AuditEntry
from governance.text import cell_refusal, found_in, visible

MAX_ROWS = 2000


class DutyList:
    """The three lists of a district a file may fill."""

    DUTY = "duty"
    OWN = StreetDutyItem.Kind.OWN.value
    COOPERATION = StreetDutyItem.Kind.COOPERATION.value
    COMMUNITY_SELF = StreetDutyItem.Kind.COMMUNITY_SELF.value
    COMMUNITY_ASSIST = StreetDutyItem.Kind.COMMUNITY_ASSIST.value
    COMMUNITY_NEGATIVE = StreetDutyItem.Kind.COMMUNITY_NEGATIVE.value
    CHOICES = [
        (DUTY, gettext_lazy("Duty list (属地管理事项清单)")),
        (OWN, gettext_lazy("The street's own duties (街道职责清单)")),
        (COOPERATION, gettext_lazy("The street's cooperation list (街道配合事项清单)")),
        (COMMUNITY_SELF, gettext_lazy("Communities' self-governance matters (社区依法自治事项)")),
        (
            COMMUNITY_ASSIST,
            gettext_lazy("Communities assist the government (社区依法协助政府事项)"),
        ),
        (COMMUNITY_NEGATIVE, gettext_lazy("Never to be put on a community (社区负面事项)")),
    ]
    # The lists that hold only numbered matters (the duty list names departments too).
    MATTER_LISTS = (OWN, COOPERATION, COMMUNITY_SELF, COMMUNITY_ASSIST, COMMUNITY_NEGATIVE)


COLUMNS = {
    "number": ("序号", "number"),
    "matter": ("事项", "matter"),
    "category_code": ("分类编码", "category_code", "category code"),
    "lead": ("主体责任部门", "lead"),
    "cooperating": ("配合责任部门", "cooperating"),
    "note": ("备注", "note"),
}
LIST_COLUMNS = {
    DutyList.DUTY: ("number", "matter", "category_code", "lead", "cooperating", "note"),
    **dict.fromkeys(DutyList.MATTER_LISTS, ("number", "matter", "category_code")),
}
REQUIRED = {
    DutyList.DUTY: ("number", "matter", "lead"),
    **dict.fromkeys(DutyList.MATTER_LISTS, ("number", "matter")),
}
SEPARATORS = re.compile(r"[、,，;；/\n]+")


@dataclass
class RowResult:
    row: int | str
    number: str
    matter: str
    outcome: str = "error"  # created, updated, unchanged, error, checked
    message: str = ""


@dataclass
class DutyImportReport:
    kind: str
    district_code: str
    file_name: str = ""
    rows: list[RowResult] = field(default_factory=list)
    removed: int = 0
    dry_run: bool = False

    @property
    def errors(self) -> list[RowResult]:
        return [r for r in self.rows if r.outcome == "error"]

    def count(self, outcome: str) -> int:
        return sum(r.outcome == outcome for r in self.rows)

    @property
    def written(self) -> bool:
        return not self.errors and not self.dry_run

    @property
    def list_label(self) -> str:
        return str(dict(DutyList.CHOICES)[self.kind])


# --- who may --------------------------------------------------------------------------
def may_import(user, district: Area) -> bool:
    """The lists are the district's (they bind every street): its administrators import."""
    return district.level == Area.Level.DISTRICT and scope_for(user).can_edit_roster(district.code)


def may_read(user, district: Area) -> bool:
    """Administrators of the district or of one of its streets read and download the lists."""
    scope = scope_for(user)
    if may_import(user, district):
        return True
    codes = scope.codes_for({"street_admin", "administrator"})
    return any(code.startswith(district.code) for code in codes)


# --- reading ------------------------------------------------------------------------------
def read_rows(upload, *, kind: str) -> list[dict]:
    columns = {k: COLUMNS[k] for k in LIST_COLUMNS[kind]}
    return spreadsheets.read_table(
        upload, columns=columns, required=REQUIRED[kind], max_rows=MAX_ROWS
    )


def _department_finder(departments: Sequence[Department]) -> Callable[[str], list[Department]]:
    """A name → the departments it may mean (code, full name or short name)."""
    index: dict[str, list[Department]] = {}
    for department in departments:
        for name in {department.code, department.name, department.short_name} - {""}:
            index.setdefault(name.lower(), []).append(department)
    return lambda name: index.get(name.strip().lower(), [])


def _category_code(value: str, catalogue: dict[str, str]) -> str | None:
    value = value.strip()
    if value in catalogue:
        return value
    by_name = [code for code, name in catalogue.items() if value in (name, name.split(" › ")[-1])]
    return by_name[0] if len(by_name) == 1 else None


def _find_department(name: str, find) -> tuple[Department | None, str]:
    found = find(name)
    if len(found) == 1:
        return found[0], ""
    if not found:
        return None, _("Unknown department “%(name)s”.") % {"name": name}
    return None, _("“%(name)s” could mean several departments; use its code.") % {"name": name}


def _check_row(row: dict, *, kind: str, find, catalogue: dict[str, str]) -> tuple[str, dict]:
    """Why ``row`` cannot be imported ("" if it can), and the values to write."""
    found = found_in(row)
    if found:
        return cell_refusal(COLUMNS[found[0]][0], found[1]), {}
    number_text, matter = row.get("number", ""), row.get("matter", "")
    if not re.fullmatch(r"[0-9]{1,5}", number_text) or not 1 <= int(number_text) <= 32767:
        return _("The number (序号) must be a whole number from 1."), {}
    if not matter:
        return _("The matter (事项) is empty."), {}
    if len(matter) > DutyItem._meta.get_field("matter").max_length:
        return _("The matter is longer than 200 characters."), {}
    values = {"number": int(number_text), "matter": matter, "category_code": ""}
    if row.get("category_code", ""):
        code = _category_code(row["category_code"], catalogue)
        if code is None:
            return _("Unknown category “%(code)s”: use a code of the category list.") % {
                "code": row["category_code"]
            }, {}
        values["category_code"] = code
    if kind != DutyList.DUTY:
        return "", values
    if not row.get("lead", ""):
        return _("The lead department (主体责任部门) is empty."), {}
    lead, problem = _find_department(row["lead"], find)
    if problem:
        return problem, {}
    cooperating = []
    for name in SEPARATORS.split(row.get("cooperating", "")):
        if not name.strip():
            continue
        department, problem = _find_department(name, find)
        if problem:
            return problem, {}
        if department == lead:
            return _("%(name)s is the lead; it cannot also cooperate.") % {"name": name}, {}
        if department not in cooperating:
            cooperating.append(department)
    note = row.get("note", "")
    if len(note) > DutyItem._meta.get_field("note").max_length:
        return _("The note is longer than 200 characters."), {}
    values.update(lead=lead, cooperating=cooperating, note=note)
    return "", values


def _existing(kind: str, district: Area) -> dict[int, DutyItem | StreetDutyItem]:
    if kind == DutyList.DUTY:
        items = DutyItem.objects.filter(district=district).prefetch_related("cooperating")
    else:
        items = StreetDutyItem.objects.filter(district=district, kind=kind)
    found: dict[int, DutyItem | StreetDutyItem] = {}
    for item in items.order_by("number", "pk"):
        found.setdefault(item.number, item)
    return found


def _same(item, values: dict) -> bool:
    fields = ("matter", "category_code", "lead", "note")
    if any(getattr(item, f) != values[f] for f in fields if f in values):
        return False
    if "cooperating" in values:
        return {d.pk for d in item.cooperating.all()} == {d.pk for d in values["cooperating"]}
    return True


# --- the import ---------------------------------------------------------------------------
def duty_list_import(
    *, actor, district: Area, kind: str, rows: list[dict], replace: bool = False,
    dry_run: bool = False, file_name: str = "", request=None,
) -> DutyImportReport:  # fmt: skip
    """Check every row, then write them all in one transaction, or none if any is bad.

    ``actor=None`` is the management command (an operator at the server)."""
    if kind not in LIST_COLUMNS:
        raise ValidationError(_("Choose which list the file is."))
    if actor is not None and not may_import(actor, district):
        raise PermissionDenied(_("Only the district's administrators import its duty lists."))
    report = DutyImportReport(
        kind=kind, district_code=district.code, file_name=file_name, dry_run=dry_run
    )
    catalogue = category_catalogue()
    with transaction.atomic():
        # Two imports of the same district at once: the second waits and checks afresh.
        Area.objects.select_for_update().filter(pk=district.pk).first()
        departments = list(Department.objects.filter(district=district, is_active=True))
        find = _department_finder(departments)
        existing = _existing(kind, district)
        plan: list[tuple[RowResult, dict]] = []
        numbers: dict[int, int | str] = {}
        codes: dict[str, int | str] = {}
        for position, row in enumerate(rows, start=2):
            result = RowResult(  # as the report can show them (governance/text.py)
                row=row.get("row", position),
                number=visible(str(row.get("number", ""))),
                matter=visible(str(row.get("matter", ""))),
            )
            report.rows.append(result)
            reason, values = _check_row(row, kind=kind, find=find, catalogue=catalogue)
            if not reason and values["number"] in numbers:
                reason = _("The number %(number)s is also on row %(row)s.") % {
                    "number": values["number"], "row": numbers[values["number"]]}  # fmt: skip
            code = values.get("category_code", "")
            if not reason and code and code in codes:
                reason = _("The category %(code)s is also on row %(row)s.") % {
                    "code": code, "row": codes[code]}  # fmt: skip
            if reason:
                result.message = reason
                continue
            numbers[values["number"]] = result.row
            if code:
                codes[code] = result.row
            item = existing.get(values["number"])
            if item is None:
                result.outcome, result.message = "created", ""
            elif _same(item, values):
                result.outcome = "unchanged"
            else:
                result.outcome = "updated"
            plan.append((result, values))
        if kind == DutyList.DUTY and not report.errors:
            # A category names one item of the district's list (a database constraint):
            # an item the file leaves as it is may already hold it.
            for item in existing.values():
                kept = item.number not in numbers and not replace
                if kept and item.category_code and item.category_code in codes:
                    line = next(r for r, v in plan if v["category_code"] == item.category_code)
                    line.outcome = "error"
                    line.message = _(
                        "The category %(code)s is already on item %(number)s (%(matter)s)."
                    ) % {"code": item.category_code, "number": item.number, "matter": item.matter}
        stale = [item for number, item in existing.items() if number not in numbers]
        if report.errors:
            for result, _values in plan:
                if result.outcome != "error":
                    result.outcome = "checked"
                    result.message = _("Correct; not imported because of other rows.")
            return report
        report.removed = len(stale) if replace else 0
        if dry_run:
            return report
        if replace and stale:
            model = DutyItem if kind == DutyList.DUTY else StreetDutyItem
            model.objects.filter(pk__in=[i.pk for i in stale]).delete()
        if kind == DutyList.DUTY:
            # Two items may swap their categories: free the codes first (the constraint
            # on one category per district is checked row by row).
            moving = [existing[v["number"]].pk for r, v in plan if r.outcome == "updated"]
            DutyItem.objects.filter(pk__in=moving).update(category_code="")
        for result, values in plan:
            if result.outcome == "unchanged":
                continue
            _write(kind=kind, district=district, item=existing.get(values["number"]), values=values)
        audit(
            action=AuditEntry.Action.ADMIN_CHANGE,
            actor=actor,
            request=request,
            username="" if actor is not None else "manage.py",
            object_type="duty_list",
            object_id=district.code,
            reason=f"import {kind}",
            detail={
                "list": kind,
                "file": file_name,
                "rows": len(rows),
                "created": report.count("created"),
                "updated": report.count("updated"),
                "unchanged": report.count("unchanged"),
                "removed": report.removed,
            },
        )
    return report


def _write(*, kind: str, district: Area, item, values: dict) -> None:
    if kind == DutyList.DUTY:
        cooperating = values.pop("cooperating")
        if item is None:
            item = DutyItem(district=district)
        for key, value in values.items():
            setattr(item, key, value)
        item.save()
        item.cooperating.set(cooperating)
        return
    if item is None:
        item = StreetDutyItem(district=district, kind=kind)
    for key, value in values.items():
        setattr(item, key, value)
    item.save()


def duty_list_import_file(
    *, actor, district: Area, kind: str, upload, replace: bool = False, dry_run: bool = False,
    request=None,
) -> DutyImportReport:  # fmt: skip
    if actor is not None and not may_import(actor, district):
        raise PermissionDenied(_("Only the district's administrators import its duty lists."))
    return duty_list_import(
        actor=actor, district=district, kind=kind, rows=read_rows(upload, kind=kind),
        replace=replace, dry_run=dry_run, file_name=getattr(upload, "name", "")[:200],
        request=request,
    )  # fmt: skip


# --- files to download ----------------------------------------------------------------------
def _header(kind: str) -> list[str]:
    return [COLUMNS[key][0] for key in LIST_COLUMNS[kind]]


def _list_rows(kind: str, district: Area) -> list[list]:
    rows = []
    for number, item in sorted(_existing(kind, district).items()):
        line = [number, item.matter, item.category_code]
        if kind == DutyList.DUTY:
            line += [
                item.lead.short_name or item.lead.name,
                "、".join(d.short_name or d.name for d in item.cooperating.all()),
                item.note,
            ]
        rows.append(line)
    return rows


# One example row per list in the template, so that its author sees the expected form.
EXAMPLES = {
    DutyList.DUTY: [1, "占道经营、店外经营的查处", "city-street-vending", "城管执法", "市场监管、公安",
                    ""],
    DutyList.OWN: [1, "网格化服务管理", ""],
    DutyList.COOPERATION: [1, "违法建设查处", "city-illegal-building"],
    DutyList.COMMUNITY_SELF: [1, "召开居民会议，讨论决定本社区公共事务", ""],
    DutyList.COMMUNITY_ASSIST: [1, "协助开展人口普查等统计调查", ""],
    DutyList.COMMUNITY_NEGATIVE: [1, "行政执法、拆迁拆违等事项", ""],
}  # fmt: skip


def template_xlsx(kind: str) -> bytes:
    """An empty list with its header and one example row, to fill in."""
    return spreadsheets.workbook_bytes(
        [_header(kind), EXAMPLES[kind]], title=str(dict(DutyList.CHOICES)[kind])
    )


def list_xlsx(kind: str, district: Area) -> bytes:
    """The list as it stands, in the import's columns: edit it and import it back."""
    return spreadsheets.workbook_bytes(
        [_header(kind), *_list_rows(kind, district)], title=str(dict(DutyList.CHOICES)[kind])
    )


OUTCOMES = {
    "created": gettext_lazy("added"),
    "updated": gettext_lazy("updated"),
    "unchanged": gettext_lazy("unchanged"),
    "error": gettext_lazy("error"),
    "checked": gettext_lazy("correct"),
}


def report_xlsx(report: DutyImportReport) -> bytes:
    rows = [[_("Row"), COLUMNS["number"][0], COLUMNS["matter"][0], _("Outcome"), _("Reason")]]
    rows += [
        [r.row, r.number, r.matter, str(OUTCOMES.get(r.outcome, r.outcome)), r.message]
        for r in report.rows
    ]
    return spreadsheets.workbook_bytes(rows, title=_("Report"))
