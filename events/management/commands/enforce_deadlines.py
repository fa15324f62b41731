from django.core.management.base import BaseCommand

from events.enforcement import enforce_deadlines


class Command(BaseCommand):
    help = "Run the deadline scan once (what Celery beat runs every 10 s): warn and breach."

    def handle(self, *args, **options):
        result = enforce_deadlines()
        self.stdout.write(f"breached {result['breached']}, warned {result['warned']}")
