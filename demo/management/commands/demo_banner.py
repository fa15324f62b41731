"""`make run`'s last word: once web, worker and beat are up (/healthz green), the address and
the demo logins again, below the start-up lines that scrolled `seed_demo`'s away (issue 18).

A process of Procfile.dev: it stays up after printing, since honcho stops every process
when one ends; Ctrl-C stops it with the others."""

from __future__ import annotations

import threading
import time
import urllib.error
import urllib.request

from django.core.management.base import BaseCommand

from blocks.models import Area
from demo.management.commands.seed_demo import demo_password, logins
from demo.territory import DISTRICT_CODE


def is_up(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=3) as response:
            return response.status == 200
    except (urllib.error.URLError, OSError):  # a 503 (HTTPError) or not listening yet
        return False


class Command(BaseCommand):
    help = "Wait until /healthz is green, then print the address and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument("--url", default="http://127.0.0.1:8000", help="the web's address")
        parser.add_argument("--every", type=float, default=2.0, help="seconds between polls")
        parser.add_argument("--timeout", type=float, default=300.0)
        parser.add_argument(
            "--exit", action="store_true", help="exit after printing (not under honcho)"
        )

    def handle(self, *args, url, every, timeout, exit, **options):
        deadline = time.monotonic() + timeout
        up = is_up(f"{url}/healthz")
        while not up and time.monotonic() < deadline:
            time.sleep(every)
            up = is_up(f"{url}/healthz")
        district = Area.objects.get(code=DISTRICT_CODE)
        password, _ = demo_password()
        state = (
            "Ready: web, worker and beat are up."
            if up
            else f"Not all up after {timeout:.0f} s (see {url}/healthz)."
        )
        rule = "=" * 64
        self.stdout.write(
            f"{rule}\n{state} Open {url}/\n{logins(district=district, password=password)}\n{rule}"
        )
        self.stdout.flush()
        if not exit:
            threading.Event().wait()  # until Ctrl-C: honcho stops all when one process ends
