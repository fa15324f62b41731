"""Bring the dashboards' summary tables up to date once (what beat runs every 30 s), or
rebuild them from the cases (after a bulk load, which writes no change marks)."""

from django.core.management.base import BaseCommand

from dashboards import rollup


class Command(BaseCommand):
    help = "Roll up the dashboards' summary tables (--rebuild: from scratch)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every row")
        parser.add_argument("--area", default="", help="only under this area code (--rebuild)")

    def handle(self, *args, rebuild: bool = False, area: str = "", **options):
        if rebuild:
            rows = rollup.rebuild(area_code=area)
            self.stdout.write(f"rebuilt {rows} summary rows")
        else:
            self.stdout.write(str(rollup.rollup()))
