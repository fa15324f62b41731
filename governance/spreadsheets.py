"""Uploaded tables (CSV or XLSX) in, small workbooks out: the one reader and writer of every
import (territory, 12345 transfers, duty lists) and of their row-by-row reports.

A table's columns are found by title, Chinese or English (``columns``: our name → accepted
titles), in any order; rows that are entirely empty are skipped, and each row keeps the
number a spreadsheet shows (``"row"``; the header is row 1) so that a report can point at it.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Mapping, Sequence

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook

from governance.uploads import spreadsheet_kind

XLSX_CONTENT_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def cell_text(value) -> str:
    """A cell as the text its author typed (Excel stores 12 as 12.0)."""
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _raw_table(upload) -> list[list]:
    if spreadsheet_kind(upload) == "xlsx":  # by content, not by the file's name (issue 10)
        try:
            sheet = load_workbook(upload, read_only=True, data_only=True).active
            return [list(row) for row in sheet.iter_rows(values_only=True)]
        except Exception as error:
            raise ValidationError(_("This is not an XLSX workbook.")) from error
    raw = upload.read()
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError:
        # Excel on Chinese Windows saves CSV as GBK.
        text = raw.decode("gb18030", errors="replace")
    return list(csv.reader(io.StringIO(text)))


def read_table(
    upload,
    *,
    columns: Mapping[str, Sequence[str]],
    required: Sequence[str],
    max_rows: int,
    as_text: bool = True,
) -> list[dict]:
    """The rows of an uploaded .xlsx or .csv file, keyed by our column names.

    ``as_text=False`` keeps the cells' own values (a date stays a datetime); empty cells
    are ``""`` either way.
    """
    table = _raw_table(upload)
    if not table:
        raise ValidationError(_("The file is empty."))
    header = [cell_text(h).lower() for h in table[0]]
    index = {}
    for key, titles in columns.items():
        accepted = {t.lower() for t in titles}
        for position, title in enumerate(header):
            if title in accepted:
                index[key] = position
    missing = [columns[k][0] for k in required if k not in index]
    if missing:
        raise ValidationError(_("Missing columns: %(columns)s") % {"columns": "、".join(missing)})
    rows = []
    for number, values in enumerate(table[1:], start=2):
        if not any(cell_text(v) for v in values):
            continue
        if len(rows) == max_rows:
            raise ValidationError(_("At most %(n)s rows per file.") % {"n": max_rows})
        row = {}
        for key, position in index.items():
            value = values[position] if position < len(values) else None
            row[key] = cell_text(value) if as_text else ("" if value is None else value)
        row["row"] = number
        rows.append(row)
    if not rows:
        raise ValidationError(_("The file has no rows below its header."))
    return rows


def workbook_bytes(rows: Iterable[Sequence], *, title: str) -> bytes:
    """One sheet of ``rows`` (the first is the header) as an .xlsx file."""
    workbook = Workbook()
    sheet = workbook.active
    sheet.title = title[:31]  # Excel's limit on a sheet's name
    for row in rows:
        sheet.append(list(row))
    return workbook_saved(workbook)


def workbook_saved(workbook: Workbook) -> bytes:
    """A built workbook as the bytes of an .xlsx file."""
    buffer = io.BytesIO()
    workbook.save(buffer)
    return buffer.getvalue()


def download(
    body: bytes, filename: str, *, stamped: bool = False, content_type: str = XLSX_CONTENT_TYPE
) -> HttpResponse:
    """A file to save (every export and report of the product answers with this);
    ``stamped`` puts the local date and time before the extension."""
    if stamped:
        stem, _dot, extension = filename.rpartition(".")
        filename = f"{stem}-{timezone.localtime():%Y%m%d-%H%M}.{extension}"
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{filename}"'
    return response
