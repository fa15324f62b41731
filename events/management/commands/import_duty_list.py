"""python manage.py import_duty_list 430302 清单.xlsx [--list duty|own|cooperation]
[--replace] [--dry-run]: the same checks and all-or-nothing write as the import page."""

from __future__ import annotations

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.files import File
from django.core.management.base import BaseCommand, CommandError

from blocks.models import Area
from events import duty_lists


class Command(BaseCommand):
    help = "Import a district's duty list (or the street's own / cooperation list) from XLSX/CSV."

    def add_arguments(self, parser):
        parser.add_argument("district", help="the district's 6-digit code")
        parser.add_argument("file", type=Path, help="an .xlsx or .csv file")
        parser.add_argument(
            "--list", dest="kind", default=duty_lists.DutyList.DUTY,
            choices=[kind for kind, _label in duty_lists.DutyList.CHOICES],
        )  # fmt: skip
        parser.add_argument("--replace", action="store_true", help="remove items not in the file")
        parser.add_argument("--dry-run", action="store_true", help="check only, write nothing")

    def handle(self, *args, district, file, kind, replace, dry_run, **options):
        area = Area.objects.filter(code=district, level=Area.Level.DISTRICT).first()
        if area is None:
            raise CommandError(f"no district {district}")
        if not file.is_file():
            raise CommandError(f"no file {file}")
        with file.open("rb") as handle:
            upload = File(handle, name=file.name)  # the reader tells XLSX from CSV by the name
            try:
                report = duty_lists.duty_list_import_file(
                    actor=None, district=area, kind=kind, upload=upload, replace=replace,
                    dry_run=dry_run,
                )  # fmt: skip
            except ValidationError as error:
                raise CommandError(" ".join(error.messages)) from error
        for row in report.rows:
            if row.outcome != "unchanged":
                label = duty_lists.OUTCOMES.get(row.outcome, row.outcome)
                self.stdout.write(f"{row.row}\t{row.number}\t{label}\t{row.message}")
        summary = ", ".join(
            f"{duty_lists.OUTCOMES[o]} {report.count(o)}"
            for o in ("created", "updated", "unchanged")
        )
        if report.errors:
            raise CommandError(f"{len(report.errors)} rows have problems: nothing was imported.")
        self.stdout.write(
            f"{report.list_label}: {summary}, removed {report.removed}"
            + (" (dry run: nothing written)" if dry_run else "")
        )
