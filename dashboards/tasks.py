"""Thin Celery tasks of the dashboards: the summary roll-up and its full rebuild, and the
monthly report."""

from celery import shared_task

from dashboards import reports, rollup


@shared_task(name="dashboards.tasks.rollup_stats")
def rollup_stats() -> dict[str, int]:
    """Beat runs it every STATS_ROLLUP_SECONDS: the dashboard is at most that stale."""
    return rollup.rollup()


@shared_task(name="dashboards.tasks.rebuild_stats")
def rebuild_stats(job_id: int, step: int = 0) -> None:
    """One step of a summary rebuild, then the next queued behind whatever else waits: a
    task per chunk keeps each inside the task time limit and lets deadline scans and the
    roll-up run between two chunks."""
    following = rollup.rebuild_step(job_id, step)
    if following is not None:
        rebuild_stats.delay(job_id, following)


@shared_task(name="dashboards.tasks.build_report")
def build_report(job_id: int) -> str:
    return reports.run_job(job_id).status
