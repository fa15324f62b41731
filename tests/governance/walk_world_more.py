"""Objects the URL walk's entries of access_table_more.py need beyond the world of
tests/governance/test_url_walk.py: ``world.more``."""

from __future__ import annotations

from datetime import date
from types import SimpleNamespace

from django.contrib.auth import get_user_model

from blocks.models import Posting
from dashboards import reports
from dashboards.models import ReportJob
from events import duty_lists
from liaison import admissions
from tests.governance.access_table import DEPT, GOV


def build_more(world) -> SimpleNamespace:
    """A monthly report of block A built for its governor (as the XLSX button does), and an
    "own duties" list file to import."""
    job = ReportJob.objects.create(
        created_by=world.users[GOV], area_code=world.block.code, month=date(2026, 11, 1)
    )
    reports.run_job(job.pk)
    job.refresh_from_db()
    assert job.status == ReportJob.Status.DONE, job.error

    # 准入: two tasks 城管 pushed down to block A's community, not on any list: one refused,
    # one waiting for the district's approval.
    def push(basis: str):
        return admissions.task_admission_submit(
            actor=world.users[DEPT], department_id=world.cgzf.pk, area_id=world.block.parent_id,
            matter="协助拆除违章搭建", basis=basis,
        )  # fmt: skip

    # 三官一律 (issue 20): a police officer attached to block A, for the call_legal action.
    police = get_user_model().objects.create_user(username="walk-police", password="x" * 12)
    Posting.objects.create(
        user=police, area=world.block, role=Posting.Role.LEGAL,
        legal_kind=Posting.LegalKind.POLICE,
    )  # fmt: skip

    return SimpleNamespace(
        report_job=job,
        own_list=duty_lists.template_xlsx(duty_lists.DutyList.OWN),
        admission_refused=push(""),
        admission_waiting=push("省政府专项部署"),
    )
