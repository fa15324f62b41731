"""Import communities and blocks from a CSV/XLSX upload (issue 3).

Columns (Chinese or English titles): 编码/code, 上级编码/parent_code, 名称/name, 户数/households,
边界/boundary (GeoJSON, optional). Every row is checked first and gets a line in the report
(row number as the spreadsheet shows it, and the reason in the user's language); a file with
any bad row writes nothing, a good file is written in one transaction. An existing code is
updated (name, households, boundary) — codes never change, so importing twice is harmless.
"""

from __future__ import annotations

import csv
import io
import json
import re

from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks import geo
from blocks.access import scope_for
from blocks.models import Area, TerritoryImport
from governance import spreadsheets
from governance.audit import audit
from governance.models import AuditEntry
from governance.text import cell_refusal, found_in, visible

COLUMNS = {
    "code": ("编码", "区域编码", "code"),
    "parent_code": ("上级编码", "parent_code", "parent code"),
    "name": ("名称", "name"),
    "households": ("户数", "households"),
    "boundary": ("边界", "boundary"),
}
REQUIRED = ("code", "parent_code", "name")
MAX_ROWS = 20_000
# Up to this many rows the page imports while the user waits; more go to a Celery worker
# and the page shows a progress bar.
INLINE_ROWS = 200
# The progress bar is fed by a row update this often (autocommit, outside the write).
PROGRESS_EVERY = 50
# Which level a code of this length is, and which level its parent must be.
# Compounds (小区, 18 digits) and buildings (楼栋, 21 digits) below a block: 三基三元 (seed
# 003) and 霞浦's three-level grid (seed 002).
IMPORT_LEVELS = {
    Area.CODE_LENGTH[Area.Level.COMMUNITY]: (Area.Level.COMMUNITY, Area.Level.STREET),
    Area.CODE_LENGTH[Area.Level.BLOCK]: (Area.Level.BLOCK, Area.Level.COMMUNITY),
    Area.CODE_LENGTH[Area.Level.COMPOUND]: (Area.Level.COMPOUND, Area.Level.BLOCK),
    Area.CODE_LENGTH[Area.Level.BUILDING]: (Area.Level.BUILDING, Area.Level.COMPOUND),
}


def read_table(upload) -> list[dict]:
    """The rows of an uploaded .xlsx or .csv file, keyed by our column names, each with the
    row number a spreadsheet shows (the header is row 1)."""
    rows = spreadsheets.read_table(upload, columns=COLUMNS, required=REQUIRED, max_rows=MAX_ROWS)
    for row in rows:
        found = found_in(row)
        if found:
            # A row error like any other (governance/text.py); kept with U+FFFD in place of
            # such characters, as the job's rows are stored in jsonb, which refuses NUL.
            row.update({k: visible(v) for k, v in row.items() if isinstance(v, str)})
            row["control"] = [found[0], ord(found[1])]
    return rows


def import_create(*, actor, area: Area, upload, request=None) -> TerritoryImport:
    """Record an upload under ``area`` (a street or a district the actor administers)."""
    if not scope_for(actor).can_edit_roster(area.code) or area.level not in (
        Area.Level.DISTRICT,
        Area.Level.STREET,
        Area.Level.COMMUNITY,
    ):
        raise PermissionDenied(_("You may not import areas here."))
    rows = read_table(upload)
    job = TerritoryImport.objects.create(
        created_by=actor,
        area=area,
        file_name=getattr(upload, "name", "")[:200],
        rows=rows,
        total=len(rows),
    )
    audit(
        action=AuditEntry.Action.ADMIN_CHANGE,
        actor=actor,
        request=request,
        object_type="territory_import",
        object_id=job.pk,
        reason="upload",
        detail={"area": area.code, "file": job.file_name, "rows": len(rows)},
    )
    return job


def _check_row(
    row: dict, *, under: str, known: dict, in_file: dict, scope, seen: set
) -> tuple[str, dict | None]:
    """Why ``row`` cannot be imported (an empty string if it can) and the values to write."""
    if row.get("control"):
        column, char = row["control"]
        return cell_refusal(COLUMNS[column][0], chr(char)), None
    code, parent_code, name = row.get("code", ""), row.get("parent_code", ""), row.get("name", "")
    if not re.fullmatch(r"[0-9]+", code or ""):
        return _("The code must be digits."), None
    if len(code) not in IMPORT_LEVELS:
        return _(
            "A code has 12 digits (community), 15 (block), 18 (compound) or 21 (building); "
            "this one has %(n)s."
        ) % {"n": len(code)}, None
    level, parent_level = IMPORT_LEVELS[len(code)]
    if code in seen:
        return _("The code %(code)s appears twice in the file.") % {"code": code}, None
    seen.add(code)
    if parent_code != code[:-3]:
        return _("The parent code must be the first %(n)s digits of the code (%(expected)s).") % {
            "n": len(code) - 3,
            "expected": code[:-3],
        }, None
    if not code.startswith(under):
        return _("%(code)s is not under the area this file is imported into.") % {
            "code": code
        }, None
    if not scope.can_edit_roster(code):
        return _("%(code)s is outside your area.") % {"code": code}, None
    # The parent may come later in the file: communities and blocks in any order.
    parent = known.get(parent_code) or in_file.get(parent_code)
    if parent is None:
        return _("The parent %(code)s does not exist: import it first or add it to the file.") % {
            "code": parent_code
        }, None
    if parent["level"] != parent_level:
        return _("The parent %(code)s is a %(level)s, not a %(expected)s.") % {
            "code": parent_code,
            "level": Area.Level(parent["level"]).label,
            "expected": Area.Level(parent_level).label,
        }, None
    if parent["closed"]:
        return _("The parent %(code)s is closed.") % {"code": parent_code}, None
    existing = known.get(code)
    if existing is not None and existing["closed"]:
        return _("%(code)s is a closed area; codes are never reused.") % {"code": code}, None
    if not name:
        return _("The name is empty."), None
    if len(name) > Area._meta.get_field("name").max_length:
        return _("The name is longer than 64 characters."), None
    households = None
    if row.get("households", ""):
        try:
            households = int(float(row["households"]))
        except ValueError:
            return _("Households must be a whole number."), None
        if households < 0 or households != float(row["households"]):
            return _("Households must be a whole number."), None
    boundary = None
    if row.get("boundary", ""):
        try:
            boundary = json.loads(row["boundary"])
        except ValueError:
            return _("The boundary is not valid JSON."), None
        problem = geo.boundary_error(boundary)
        if problem:
            return problem, None
        if boundary.get("type") == "Feature":
            boundary = boundary["geometry"]
    return "", {
        "code": code,
        "parent_code": parent_code,
        "level": level,
        "name": name,
        "households": households,
        "boundary": boundary,
        "exists": existing is not None,
    }


def import_run(*, import_id: int) -> TerritoryImport:
    """Check every row (feeding the progress bar), then write all of them or none."""
    job = TerritoryImport.objects.select_related("area", "created_by").get(pk=import_id)
    if job.is_finished:  # a redelivered task: the import already ran
        return job
    TerritoryImport.objects.filter(pk=job.pk).update(status=TerritoryImport.Status.CHECKING)
    scope = scope_for(job.created_by)
    codes = {r.get("code", "") for r in job.rows} | {r.get("parent_code", "") for r in job.rows}
    known = {
        code: {"level": level, "closed": closed is not None}
        for code, level, closed in Area.objects.filter(code__in=codes).values_list(
            "code", "level", "closed_on"
        )
    }
    in_file = {
        r.get("code", ""): {"level": IMPORT_LEVELS[len(r.get("code", ""))][0], "closed": False}
        for r in job.rows
        if len(r.get("code", "")) in IMPORT_LEVELS
    }
    report: list[dict] = []
    plan: list[dict] = []
    seen: set[str] = set()
    for position, row in enumerate(job.rows, start=1):
        reason, values = _check_row(
            row, under=job.area.code, known=known, in_file=in_file, scope=scope, seen=seen
        )
        report.append(
            {
                "row": row.get("row", position + 1),
                "code": row.get("code", ""),
                "name": row.get("name", ""),
                "outcome": "error" if reason else "ok",
                "message": reason,
            }
        )
        if values:
            plan.append(values)
        if position % PROGRESS_EVERY == 0:
            TerritoryImport.objects.filter(pk=job.pk).update(checked=position)
    now = timezone.now()
    if any(r["outcome"] == "error" for r in report):
        for line in report:
            if line["outcome"] == "ok":
                line["outcome"] = "checked"
                line["message"] = _("Correct; not imported because of other rows.")
        TerritoryImport.objects.filter(pk=job.pk).update(
            status=TerritoryImport.Status.REJECTED,
            checked=job.total,
            report=report,
            finished_at=now,
        )
        job.refresh_from_db()
        return job
    TerritoryImport.objects.filter(pk=job.pk).update(
        status=TerritoryImport.Status.WRITING, checked=job.total
    )
    created = updated = 0
    with transaction.atomic():
        areas = {a.code: a for a in Area.objects.filter(code__in=codes).select_for_update()}
        # Communities before their blocks, whatever the order of the file.
        for values in sorted(plan, key=lambda v: (len(v["code"]), v["code"])):
            area = areas.get(values["code"])
            fields = {"name": values["name"], "households": values["households"]}
            if values["boundary"] is not None:
                fields["boundary"] = values["boundary"]
                centre = geo.geometry(values["boundary"]).representative_point()
                fields["centre_lat"], fields["centre_lon"] = round(centre.y, 6), round(centre.x, 6)
            if area is None:
                area = Area.objects.create(
                    code=values["code"],
                    level=values["level"],
                    parent=areas[values["parent_code"]],
                    **fields,
                )
                areas[area.code] = area
                created += 1
            else:
                for key, value in fields.items():
                    setattr(area, key, value)
                area.save()
                updated += 1
        existing = {v["code"] for v in plan if v["exists"]}
        for line in report:
            line["outcome"] = "updated" if line["code"] in existing else "created"
        TerritoryImport.objects.filter(pk=job.pk).update(
            status=TerritoryImport.Status.DONE,
            created_count=created,
            updated_count=updated,
            report=report,
            finished_at=timezone.now(),
        )
        audit(
            action=AuditEntry.Action.ADMIN_CHANGE,
            actor=job.created_by,
            object_type="territory_import",
            object_id=job.pk,
            reason="import",
            detail={"area": job.area.code, "created": created, "updated": updated},
        )
    transaction.on_commit(geo.invalidate)
    job.refresh_from_db()
    return job


def import_fail(*, import_id: int, message: str) -> None:
    """Record that a run broke off (nothing was written: the write is one transaction)."""
    TerritoryImport.objects.filter(pk=import_id).exclude(
        status__in=(TerritoryImport.Status.DONE, TerritoryImport.Status.REJECTED)
    ).update(
        status=TerritoryImport.Status.FAILED,
        report=[{"row": "", "code": "", "name": "", "outcome": "error", "message": message}],
        finished_at=timezone.now(),
    )


def _outcome_label(outcome: str) -> str:
    labels = {
        "created": _("created"),
        "updated": _("updated"),
        "error": _("error"),
        "checked": _("correct"),
        "ok": _("correct"),
    }
    return labels.get(outcome, outcome)


def _report_rows(job: TerritoryImport) -> list[list]:
    header = [_("Row"), _("Code"), _("Area name"), _("Outcome"), _("Reason")]
    lines = [header]
    for line in job.report:
        lines.append(
            [
                line["row"],
                line["code"],
                line["name"],
                _outcome_label(line.get("outcome", "")),
                line["message"],
            ]
        )
    return lines


def report_xlsx(job: TerritoryImport) -> bytes:
    return spreadsheets.workbook_bytes(_report_rows(job), title=_("Report"))


def report_csv(job: TerritoryImport) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer)
    writer.writerows(_report_rows(job))
    # A BOM so that Excel on Chinese Windows opens it as UTF-8.
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")
