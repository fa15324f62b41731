"""Uploaded tables (CSV or XLSX) in, small workbooks out: the one reader and writer of every
import (territory, 12345 transfers, duty lists) and of their row-by-row reports, and the
one way a table becomes a sheet that reads in a spreadsheet (``table_sheet``: widths,
frozen header, number formats).

A table's columns are found by title, Chinese or English (``columns``: our name → accepted
titles), in any order; rows that are entirely empty are skipped, and each row keeps the
number a spreadsheet shows (``"row"``; the header is row 1) so that a report can point at it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Mapping, Sequence
from datetime import datetime
from itertools import chain, islice
from typing import NamedTuple

from django.core.exceptions import ValidationError
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook, load_workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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


# Number formats of the cells a table holds (Excel's codes).
PERCENT = "0.0%"  # a rate, stored as the fraction (0.875 shows 87.5%)
DECIMAL = "0.00"
DATETIME = "yyyy-mm-dd hh:mm"
MIN_WIDTH, MAX_WIDTH = 6, 60
SAMPLE_ROWS = 200


class Formatted(NamedTuple):
    """A cell with a number format of its own (a column mixing rates and counts)."""

    value: object
    number_format: str


def _text_width(value) -> int:
    """Columns a value takes on screen: a CJK character is two."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 16
    if isinstance(value, float):
        return 8
    text = str(value)
    longest = max(text.splitlines() or [""], key=len)
    return sum(2 if unicodedata.east_asian_width(ch) in "WF" else 1 for ch in longest)


def table_sheet(
    workbook: Workbook,
    title: str,
    header: Sequence,
    rows: Iterable[Sequence],
    *,
    above: Iterable[Sequence] = (),
    formats: Mapping[int, str] | None = None,
):
    """A sheet of ``workbook`` that reads in a spreadsheet: ``above`` (a title line), the
    header in bold and frozen, the rows with a filter, each column as wide as what it holds
    (judged by the first ``SAMPLE_ROWS``: a write-only workbook streams the rest);
    ``formats`` maps a column's index to its number format (e.g. ``PERCENT``) and a
    ``Formatted`` value brings its own; datetimes are shown to the minute."""
    sheet = workbook.create_sheet(title[:31])  # Excel's limit on a sheet's name
    formats = dict(formats or {})
    above = [list(line) for line in above]
    rows = iter(rows)
    sample = [list(row) for row in islice(rows, SAMPLE_ROWS)]

    def number_format(index: int, value) -> str | None:
        if isinstance(value, Formatted):
            return value.number_format
        if isinstance(value, int | float) and not isinstance(value, bool):
            return formats.get(index)
        return DATETIME if isinstance(value, datetime) else None

    widths = [_text_width(h) for h in header]
    for row in sample:
        widths += [0] * (len(row) - len(widths))
        for index, value in enumerate(row):
            raw = value.value if isinstance(value, Formatted) else value
            shown = 8 if number_format(index, value) in (PERCENT, DECIMAL) else _text_width(raw)
            widths[index] = max(widths[index], shown)
    for index, width in enumerate(widths, start=1):
        sheet.column_dimensions[get_column_letter(index)].width = min(
            MAX_WIDTH, max(MIN_WIDTH, width + 2)
        )
    header_row = len(above) + 1
    sheet.freeze_panes = f"A{header_row + 1}"

    def cell(index: int, value, *, bold: bool = False) -> WriteOnlyCell:
        written = WriteOnlyCell(sheet, value.value if isinstance(value, Formatted) else value)
        if bold:
            written.font = Font(bold=True)
        if fmt := number_format(index, value):
            written.number_format = fmt
        return written

    for line in above:
        sheet.append(line)
    sheet.append([cell(i, h, bold=True) for i, h in enumerate(header)])
    last = header_row
    for row in chain(sample, rows):
        sheet.append([cell(i, v) for i, v in enumerate(row)])
        last += 1
    if last > header_row:
        sheet.auto_filter.ref = f"A{header_row}:{get_column_letter(max(len(widths), 1))}{last}"
    return sheet


def new_workbook() -> Workbook:
    """A workbook without the empty sheet openpyxl starts with (``table_sheet`` adds them)."""
    workbook = Workbook()
    workbook.remove(workbook.active)
    return workbook


def workbook_bytes(rows: Iterable[Sequence], *, title: str) -> bytes:
    """One sheet of ``rows`` (the first is the header) as an .xlsx file."""
    rows = iter(rows)
    workbook = new_workbook()
    table_sheet(workbook, title, next(rows, []), rows)
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
