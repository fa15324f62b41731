from datetime import timedelta

from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from governance.models import AuditEntry

RETENTION_DAYS = 180  # DESIGN §6: access logs of personal data are kept at least 180 days


class Command(BaseCommand):
    help = f"Delete audit entries older than the retention (at least {RETENTION_DAYS} days)."

    def add_arguments(self, parser):
        parser.add_argument("--days", type=int, default=RETENTION_DAYS)

    def handle(self, *args, days, **options):
        days = max(days, RETENTION_DAYS)
        cutoff = timezone.now() - timedelta(days=days)
        with transaction.atomic():
            if connection.vendor == "postgresql":
                with connection.cursor() as cursor:
                    cursor.execute("SET LOCAL governance.audit_prune = 'on'")
            # The queryset's delete() is refused on purpose; this is the one way out.
            deleted = AuditEntry.objects.filter(at__lt=cutoff)._raw_delete(connection.alias)
        self.stdout.write(f"deleted {deleted} audit entries older than {days} days")
