"""Deadline scan cost against closed history (DESIGN §9: independent of closed clocks).

Loads 10 k open clocks (100 of them overdue) into a PostgreSQL bench database, times the
scan, then adds 1 M closed clocks beside them and times it again. Prints one line per
figure and writes bench/results/deadlines.json.

    python bench/deadlines.py          # BENCH_DATABASE_URL to use another database
"""

from __future__ import annotations

import statistics
import time
from datetime import timedelta

from _setup import report, setup_django

OPEN = 10_000
DUE_NOW = 100
CLOSED = 1_000_000


def copy_rows(cursor, table: str, columns: list[str], rows) -> None:
    with cursor.copy(f"COPY {table} ({', '.join(columns)}) FROM STDIN") as copy:
        for row in rows:
            copy.write_row(row)


def main() -> None:
    setup_django()
    from django.db import connection
    from django.utils import timezone

    from blocks.models import Area
    from events.enforcement import enforce_deadlines
    from events.models import Category

    now = timezone.now()
    with connection.cursor() as c:
        c.execute(
            "TRUNCATE events_deadline, events_timelineentry, events_photo, events_assignment, "
            "events_event, governance_notification, governance_delivery CASCADE"
        )
    district, _ = Area.objects.get_or_create(
        code="990000", defaults={"name": "基准区", "level": "district"}
    )
    street, _ = Area.objects.get_or_create(
        code="990000001", defaults={"name": "基准街道", "level": "street", "parent": district}
    )
    community, _ = Area.objects.get_or_create(
        code="990000001001", defaults={"name": "基准社区", "level": "community", "parent": street}
    )
    block, _ = Area.objects.get_or_create(
        code="990000001001001", defaults={"name": "基准区块", "level": "block", "parent": community}
    )
    category = Category.objects.get(code="city-street-vending")

    connection.ensure_connection()
    raw = connection.connection
    with raw.cursor() as cur:
        copy_rows(
            cur, "events_event",
            ["number", "tracking_code", "channel", "status", "handler_level", "block_id",
             "area_code", "address", "building", "category_id", "priority", "description",
             "reporter_name", "reporter_phone", "reporter_phone_index", "closing_reason",
             "whistle_reason", "whistle_note", "district_whistle_note", "external_number",
             "rework_count", "satisfaction", "rating_comment", "created_at", "updated_at"],
            (
                (f"BENCH-{i:08d}", f"B{i:09d}", "block_staff", "in_block", "block", block.pk,
                 block.code, "", "", category.pk, "yellow", "bench", "", "", "", "", "", "", "",
                 "", 0, "", "", now, now)
                for i in range(OPEN)
            ),
        )  # fmt: skip
        cur.execute("SELECT id FROM events_event ORDER BY id")
        event_ids = [r[0] for r in cur.fetchall()]
        open_rows = []
        for i, event_id in enumerate(event_ids):
            due = now - timedelta(minutes=5) if i < DUE_NOW else now + timedelta(hours=1 + i % 150)
            # Not-yet-due clocks started now, so none of them is due for a warning either.
            started = due - timedelta(days=5) if i < DUE_NOW else now
            warn = started + (due - started) * 0.8
            # Overdue ones are already warned, so the scan's work is the breaches alone.
            warned = warn if i < DUE_NOW else None
            open_rows.append((event_id, "resolve", started, warn, due, 0, warned))
        copy_rows(
            cur, "events_deadline",
            ["event_id", "kind", "started_at", "warn_at", "due_at", "paused_seconds", "warned_at"],
            open_rows,
        )  # fmt: skip
    if not raw.autocommit:
        raw.commit()
    with connection.cursor() as c:
        c.execute("ANALYZE events_deadline")

    def measure(label: str) -> dict:
        start = time.perf_counter()
        first = enforce_deadlines(now=timezone.now())
        claiming = time.perf_counter() - start
        idle = []
        for _ in range(20):
            t = time.perf_counter()
            enforce_deadlines(now=timezone.now())
            idle.append(time.perf_counter() - t)
        return {
            f"{label}_breaches_claimed": first["breached"],
            f"{label}_scan_claiming_ms": round(claiming * 1000, 1),
            f"{label}_scan_idle_median_ms": round(statistics.median(idle) * 1000, 2),
        }

    figures = {"open_clocks": OPEN, "overdue_clocks": DUE_NOW}
    figures.update(measure("10k_open"))

    with raw.cursor() as cur:
        step = 0

        def closed_rows():
            nonlocal step
            for i in range(CLOSED):
                started = now - timedelta(days=365) + timedelta(seconds=i * 30)
                due = started + timedelta(minutes=15)
                yield (
                    event_ids[i % OPEN],
                    "respond",
                    started,
                    started + timedelta(minutes=12),
                    due,
                    0,
                    started + timedelta(minutes=5),
                )
                step += 1

        t = time.perf_counter()
        copy_rows(
            cur, "events_deadline",
            ["event_id", "kind", "started_at", "warn_at", "due_at", "paused_seconds", "met_at"],
            closed_rows(),
        )  # fmt: skip
        figures["closed_load_seconds"] = round(time.perf_counter() - t, 1)
    with connection.cursor() as c:
        c.execute("ANALYZE events_deadline")
        # The same overdue clocks, unclaimed again, for a like-for-like second run.
        c.execute(
            "UPDATE events_deadline SET breached_at = NULL WHERE kind = 'resolve' AND due_at < now()"
        )
        c.execute("DELETE FROM governance_notification")
    figures["closed_clocks"] = CLOSED
    figures.update(measure("10k_open_1m_closed"))
    figures["idle_ratio_1m_vs_10k"] = round(
        figures["10k_open_1m_closed_scan_idle_median_ms"] / figures["10k_open_scan_idle_median_ms"],
        2,
    )
    figures["claiming_ratio_1m_vs_10k"] = round(
        figures["10k_open_1m_closed_scan_claiming_ms"] / figures["10k_open_scan_claiming_ms"], 2
    )
    report("deadlines", figures)


if __name__ == "__main__":
    main()
