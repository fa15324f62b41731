"""Thin Celery tasks of the dashboards: the summary roll-up and the monthly report."""

from celery import shared_task

from dashboards import reports, rollup


@shared_task(name="dashboards.tasks.rollup_stats")
def rollup_stats() -> dict[str, int]:
    """Beat runs it every STATS_ROLLUP_SECONDS: the dashboard is at most that stale."""
    return rollup.rollup()


@shared_task(name="dashboards.tasks.build_report")
def build_report(job_id: int) -> str:
    return reports.run_job(job_id).status
