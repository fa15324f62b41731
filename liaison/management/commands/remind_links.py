from django.core.management.base import BaseCommand

from liaison.services import links_remind


class Command(BaseCommand):
    help = (
        "Remind departments of service items due within three days or overdue, and streets of "
        "ledger items past their target (once per item and day; safe to run twice)."
    )

    def handle(self, *args, **options):
        sent = links_remind()
        self.stdout.write(
            f"service items: {sent['service_items']}, ledger items: {sent['ledger_items']}"
        )
