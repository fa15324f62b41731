"""Thin Celery tasks of the links: load nothing, call the service."""

from celery import shared_task

from liaison.services import links_remind


@shared_task(name="liaison.tasks.remind_links")
def remind_links() -> dict[str, int]:
    """Daily: service items due or overdue, ledger items past target (see links_remind)."""
    return links_remind()
