"""What an uploaded spreadsheet is, told by its content, never by its name (issue 10).

Photos have their own check (events/photos.py, Pillow reads them). Imports (territory,
hotline transfers) accept an XLSX workbook or a CSV text file: a workbook named .csv is read
as a workbook, a CSV named .xlsx as text, and anything else (an old .xls, a program, an
image) is refused before any parser sees it.
"""

from __future__ import annotations

from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _

ZIP_MAGIC = b"PK\x03\x04"  # an XLSX workbook is a ZIP archive
SNIFF_BYTES = 64 * 1024


def spreadsheet_kind(upload) -> str:
    """``"xlsx"`` or ``"csv"``, from the first bytes of ``upload``; a ValidationError
    otherwise. The file is left at its start."""
    upload.seek(0)
    head = upload.read(SNIFF_BYTES)
    upload.seek(0)
    if isinstance(head, str):
        head = head.encode()
    if head.startswith(ZIP_MAGIC):
        return "xlsx"
    if b"\x00" not in head and _is_text(head):  # (empty: "the file is empty" comes next)
        return "csv"
    raise ValidationError(_("Send an .xlsx or .csv file."))


def _is_text(head: bytes) -> bool:
    # Excel on Chinese Windows saves CSV as GBK (gb18030 reads it); a cut at the end of the
    # sample may split a character, so a few undecodable trailing bytes are forgiven.
    for encoding in ("utf-8-sig", "gb18030"):
        try:
            head.decode(encoding)
            return True
        except UnicodeDecodeError as error:
            if error.start >= len(head) - 3:
                return True
    return False
