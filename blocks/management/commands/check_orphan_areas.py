from django.core.management.base import BaseCommand, CommandError

from blocks import geo
from blocks.models import Area


class Command(BaseCommand):
    help = (
        "The 插花地带 check: overlapping blocks, parts of a community in no block, blocks "
        "outside their community, blocks without a boundary. Exits with status 1 if any."
    )

    def add_arguments(self, parser):
        parser.add_argument("code", help="check everything under this area code")
        parser.add_argument(
            "--min-m2", type=float, default=geo.MIN_ORPHAN_M2,
            help="ignore pieces smaller than this many square metres",
        )  # fmt: skip

    def handle(self, *args, code: str, min_m2: float, **options):
        if not Area.objects.filter(code=code).exists():
            raise CommandError(f"No area with code {code}.")
        findings = geo.orphan_areas(under=code, min_m2=min_m2)
        for f in findings:
            where = f" at {f.lat},{f.lon}" if f.lat is not None else ""
            size = f" {f.m2:.0f} m²" if f.m2 else ""
            names = " / ".join(f"{n} ({c})" for c, n in f.pairs)
            self.stdout.write(f"{f.kind}: {names}{size}{where}")
        if findings:
            raise CommandError(f"{len(findings)} orphan area problem(s) under {code}.")
        self.stdout.write(self.style.SUCCESS(f"No orphan areas under {code}."))
