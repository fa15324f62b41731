"""Copy the official working-day calendar of some years into the editable table."""

from datetime import date, timedelta

import chinese_calendar
from django.core.management.base import BaseCommand, CommandError

from events.models import WorkingDayOverride


class Command(BaseCommand):
    help = (
        "Store the official holidays and swapped working days (调休) of the given years in the "
        "working-day table, which administrators then maintain (e.g. for a year the "
        "chinese-calendar package does not know yet). Days already in the table are kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("years", nargs="+", type=int)

    def handle(self, *args, years, **options):
        for year in years:
            day, created = date(year, 1, 1), 0
            try:
                while day.year == year:
                    official = chinese_calendar.is_workday(day)
                    if official != (day.weekday() < 5):  # only the exceptions are stored
                        _detail, name = chinese_calendar.get_holiday_detail(day)
                        _row, was = WorkingDayOverride.objects.get_or_create(
                            day=day, defaults={"is_working_day": official, "note": name or ""}
                        )
                        created += was
                    day += timedelta(days=1)
            except NotImplementedError as error:
                raise CommandError(
                    f"{year}: the calendar package does not know this year yet; enter its "
                    "holidays in the admin (working-day overrides)."
                ) from error
            self.stdout.write(f"{year}: {created} days stored")
