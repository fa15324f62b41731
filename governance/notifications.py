"""Queue notices in the outbox (governance.models.Notification), inside the caller's transaction."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from governance.models import Delivery, Notification, User


def notify(
    *,
    recipients: Iterable,
    kind: str,
    title: str,
    dedupe_key: str,
    now: datetime,
    body: str = "",
    link: str = "",
    payload: dict | None = None,
    webhooks: Iterable[str] = (),
) -> None:
    """Write one notice per recipient; a notice already written (same key) is not repeated.

    Callers run inside their own ``transaction.atomic()``,
    so a notice exists exactly when the change it tells of was committed.
    """
    rows = [
        Notification(
            recipient_id=getattr(r, "pk", r),
            kind=kind,
            title=title[:200],
            body=body,
            link=link,
            dedupe_key=dedupe_key,
            payload=payload or {},
            created_at=now,
        )
        for r in {getattr(r, "pk", r) for r in recipients if r is not None}
    ]
    Notification.objects.bulk_create(rows, ignore_conflicts=True)
    # E-mail to those who have an address; the group robots of the desk / departments.
    emails = (
        User.objects.filter(pk__in=[r.recipient_id for r in rows])
        .exclude(email="")
        .values_list("email", flat=True)
    )
    targets = [(Delivery.Channel.EMAIL, e) for e in emails]
    targets += [(Delivery.Channel.WECOM, url) for url in set(webhooks)]
    Delivery.objects.bulk_create(
        [
            Delivery(
                channel=channel,
                target=target,
                dedupe_key=dedupe_key,
                title=title[:200],
                body=body,
                link=link,
                created_at=now,
            )  # fmt: skip
            for channel, target in targets
        ],
        ignore_conflicts=True,
    )
