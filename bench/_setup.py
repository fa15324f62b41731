"""Shared set-up of the benchmarks: a PostgreSQL database of their own, migrated, and a
small territory to hang rows on. Benchmarks print their figures; they assert nothing."""

from __future__ import annotations

import json
import os
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
RESULTS = ROOT / "bench" / "results"
DEFAULT_URL = "postgres://postgres@127.0.0.1:5432/governance_bench"


def setup_django() -> None:
    """Point Django at the bench database, create and migrate it: BENCH_DATABASE_URL, else
    ``<DATABASE_URL>_bench`` when DATABASE_URL is PostgreSQL (so two checkouts don't share
    one), else ``governance_bench``."""
    url = database_url()
    os.environ["BENCH_DATABASE_URL"] = os.environ["DATABASE_URL"] = url
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "governance.settings")
    sys.path.insert(0, str(ROOT))
    import psycopg

    name = url.rsplit("/", 1)[1]
    admin_url = url.rsplit("/", 1)[0] + "/postgres"
    with psycopg.connect(admin_url, autocommit=True) as conn:
        exists = conn.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone()
        if not exists:
            conn.execute(f'CREATE DATABASE "{name}"')
    import django

    django.setup()
    from django.core.management import call_command

    call_command("migrate", verbosity=0)


def database_url() -> str:
    """The bench database's URL (see setup_django)."""
    if os.environ.get("BENCH_DATABASE_URL"):
        return os.environ["BENCH_DATABASE_URL"]
    main = os.environ.get("DATABASE_URL", "")
    if main.startswith(("postgres://", "postgresql://")):
        return main.split("?", 1)[0] + "_bench"
    return DEFAULT_URL


def report(name: str, figures: dict) -> None:
    """One line per measure, and a JSON file under bench/results/."""
    for key, value in figures.items():
        print(f"{name}.{key}: {value}")
    RESULTS.mkdir(parents=True, exist_ok=True)
    (RESULTS / f"{name}.json").write_text(json.dumps(figures, indent=2, ensure_ascii=False))
