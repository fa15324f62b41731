from django.core.management.base import BaseCommand

from governance.notifications import deliveries_relay


class Command(BaseCommand):
    help = (
        "Send the e-mails and group-robot messages waiting in the outbox (what the relay "
        "worker does when a scan commits and at every beat tick); safe to run beside it."
    )

    def handle(self, *args, **options):
        delivered = failed = 0
        while True:
            # A run stops leasing at half its lease; the next run goes on with fresh leases.
            result = deliveries_relay()
            delivered, failed = delivered + result["delivered"], failed + result["failed"]
            if not result["more"]:
                break
        self.stdout.write(f"delivered {delivered}, failed {failed}")
