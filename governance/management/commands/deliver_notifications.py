from django.core.management.base import BaseCommand

from governance.notifications import deliveries_relay


class Command(BaseCommand):
    help = (
        "Send the e-mails and group-robot messages waiting in the outbox once (what Celery "
        "beat runs with every deadline scan); safe to run beside the workers."
    )

    def handle(self, *args, **options):
        result = deliveries_relay()
        self.stdout.write(f"delivered {result['delivered']}, failed {result['failed']}")
