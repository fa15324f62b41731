"""Fill the working-day table: a year from the calendar package, or a year's own table."""

from pathlib import Path

from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from events.models import WorkingDayOverride
from events.working_days import calendar_import, official_year, working_days_change


class Command(BaseCommand):
    help = (
        "load_calendar YEAR [YEAR …]: store the official holidays and swapped working days "
        "(调休) the chinese-calendar package knows for those years; days already in the table "
        "are kept. load_calendar YEAR FILE: import that year's table from a CSV or XLSX file "
        "(columns 日期, 休/班, 备注); it replaces the year's days, and nothing is written if a "
        "row is wrong. Either way the open working-day clocks the changed days touch move."
    )

    def add_arguments(self, parser):
        parser.add_argument("args", nargs="+", metavar="YEAR [YEAR …] | YEAR FILE")

    def handle(self, *args, **options):
        if len(args) == 2 and not args[1].isdigit():
            return self._import(self._year(args[0]), Path(args[1]))
        for year in map(self._year, args):
            self._package(year)

    @staticmethod
    def _year(text: str) -> int:
        if not text.isdigit() or not 2000 <= int(text) <= 2100:
            raise CommandError(f"{text!r} is not a year (2000–2100).")
        return int(text)

    def _package(self, year: int) -> None:
        try:
            official = official_year(year)
        except NotImplementedError as error:
            raise CommandError(
                f"{year}: the calendar package does not know this year yet; import its table "
                f"(load_calendar {year} FILE, or admin › working-day overrides › import)."
            ) from error
        kept = set(WorkingDayOverride.objects.filter(day__year=year).values_list("day", flat=True))
        missing = {day: value for day, value in official.items() if day not in kept}
        change = working_days_change(actor=None, set_days=missing, source="package")
        self.stdout.write(
            f"{year}: {len(missing)} days stored, {change.clocks} clocks of "
            f"{change.cases} cases moved"
        )

    def _import(self, year: int, path: Path) -> None:
        if not path.is_file():
            raise CommandError(f"{path}: no such file.")
        with path.open("rb") as upload:
            try:
                report = calendar_import(actor=None, year=year, upload=upload)
            except ValidationError as error:
                raise CommandError(f"{path}: {' '.join(error.messages)}") from error
        if report.errors:
            for row in report.errors:
                self.stderr.write(f"row {row.row}: {row.message}")
            raise CommandError(f"{path}: {len(report.errors)} rows are wrong; nothing written.")
        change = report.change
        self.stdout.write(
            f"{year}: {len(report.rows)} days in the table, {len(change.days)} changed, "
            f"{change.clocks} clocks of {change.cases} cases moved"
        )
