"""Objects the URL walk's entries of access_table_more.py need beyond the world of
tests/governance/test_url_walk.py: ``world.more``."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from dashboards import reports
from dashboards.models import ReportJob
from events import duty_lists
from tests.governance.access_table import GOV


def build_more(world) -> SimpleNamespace:
    """A monthly report of block A built for its governor (as the XLSX button does), and an
    "own duties" list file to import."""
    job = ReportJob.objects.create(
        created_by=world.users[GOV], area_code=world.block.code, month=date(2026, 11, 1)
    )
    reports.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE, job.error
    return SimpleNamespace(
        report_job=job, own_list=duty_lists.template_xlsx(duty_lists.DutyList.OWN)
    )
