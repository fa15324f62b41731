"""Bring the dashboards' summary tables up to date once (what beat runs every 30 s), or
rebuild them from the cases (after a bulk load, which writes no change marks): inline,
printing each chunk, or queued for the worker like the administrators' page does."""

from django.core.management.base import BaseCommand, CommandError

from dashboards import rebuild as rebuild_job
from dashboards import rollup
from governance.errors import DomainError


class Command(BaseCommand):
    help = "Roll up the dashboards' summary tables (--rebuild: from scratch)."

    def add_arguments(self, parser):
        parser.add_argument("--rebuild", action="store_true", help="recompute every row")
        parser.add_argument("--area", default="", help="only under this area code (--rebuild)")
        parser.add_argument(
            "--queue", action="store_true", help="with --rebuild: run it in the worker instead"
        )

    def handle(self, *args, rebuild: bool = False, area: str = "", queue: bool = False, **options):
        if queue and not rebuild:
            raise CommandError("--queue goes with --rebuild")
        if not rebuild:
            self.stdout.write(str(rollup.rollup()))
            return
        if queue:
            self._queue(area)
            return

        def progress(done: int, total: int) -> None:
            self.stdout.write(f"  {done}/{total}")

        rows = rollup.rebuild(area_code=area, progress=progress)
        self.stdout.write(f"rebuilt {rows} summary rows")

    def _queue(self, area: str) -> None:
        try:
            job = rebuild_job.rebuild_start(actor=None, area_code=area)
        except DomainError as error:
            raise CommandError(str(error.message)) from None
        self.stdout.write(f"queued rebuild {job.pk}: {job.total_chunks} steps")
