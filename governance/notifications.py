"""Queue notices in the outbox (governance.models.Notification, Delivery) inside the caller's
transaction, read and mark them for their recipient, and relay the deliveries."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta

from django.conf import settings
from django.core.mail import send_mail
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from governance.models import Delivery, Notification, User

logger = logging.getLogger(__name__)


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


# --- In the application: the bell and the list page --------------------------------------
def notifications_for(*, user) -> QuerySet[Notification]:
    """A user's own notices, newest first; nobody reads another person's notices."""
    return Notification.objects.filter(recipient_id=user.pk).order_by("-created_at", "-pk")


def notifications_unread_count(*, user) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).count()


def notification_mark_read(*, user, notification_id: int, now: datetime | None = None) -> bool:
    """Mark one of the user's notices read; returns False when it is not theirs (a 404)."""
    notices = Notification.objects.filter(pk=notification_id, recipient_id=user.pk)
    if not notices.exists():
        return False
    # Marking twice keeps the first moment it was read.
    notices.filter(read_at__isnull=True).update(read_at=now or timezone.now())
    return True


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    return Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )


# --- Delivery outside the application: the outbox relay ---------------------------------
# A relay leases a row (a conditional UPDATE), sends it, then marks it delivered. Two relays
# at once never send one row twice: only one wins the lease. A relay killed after sending
# but before marking can resend that one row when its lease runs out: a group robot has no
# idempotency key, so "at most one repeat after a crash" is the best any sender can do, and
# the lease keeps that window to the few milliseconds between the send and the mark.
LEASE = timedelta(minutes=2)
MAX_ATTEMPTS = 8
SEND_TIMEOUT = 10  # seconds; a hung robot must not hold the worker


class DeliveryFailed(Exception):
    pass


def _absolute(link: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{link}" if link and base else link


def _send_email(delivery: Delivery) -> None:
    link = _absolute(delivery.link)
    body = "\n\n".join(p for p in (delivery.body, link) if p)
    sent = send_mail(
        subject=delivery.title,
        message=body,
        from_email=None,
        recipient_list=[delivery.target],
        fail_silently=False,
    )
    if not sent:
        raise DeliveryFailed("the mail server accepted no recipient")


def _send_wecom(delivery: Delivery) -> None:
    """POST a markdown message to a WeCom / 政务微信 group robot (its documented JSON API:
    ``{"msgtype": "markdown", "markdown": {"content": …}}``, answer ``{"errcode": 0}``).
    The title is the first line, so a group reads the case and the clock at a glance."""
    lines = [f"**{delivery.title}**"]
    if delivery.body:
        lines.append(delivery.body)
    if delivery.link:
        lines.append(f"[{gettext('Open the case')}]({_absolute(delivery.link)})")
    data = json.dumps(
        {"msgtype": "markdown", "markdown": {"content": "\n".join(lines)}}, ensure_ascii=False
    ).encode()
    request = urllib.request.Request(
        delivery.target,
        data=data,
        headers={"Content-Type": "application/json; charset=utf-8"},
        method="POST",
    )
    try:
        with urllib.request.urlopen(request, timeout=SEND_TIMEOUT) as response:  # noqa: S310
            answer = json.loads(response.read() or b"{}")
    except (OSError, ValueError) as exc:
        raise DeliveryFailed(str(exc)) from exc
    if answer.get("errcode", 0) != 0:
        raise DeliveryFailed(f"robot refused: {answer.get('errcode')} {answer.get('errmsg', '')}")


SENDERS = {Delivery.Channel.EMAIL: _send_email, Delivery.Channel.WECOM: _send_wecom}


def _pending(now: datetime) -> QuerySet[Delivery]:
    return Delivery.objects.filter(
        Q(leased_until__isnull=True) | Q(leased_until__lte=now),
        delivered_at__isnull=True,
        attempts__lt=MAX_ATTEMPTS,
    )


def _lease(*, now: datetime, batch: int) -> list[Delivery]:
    """Take up to ``batch`` pending rows for this relay alone."""
    with transaction.atomic():
        picked = _pending(now).order_by("created_at")
        if connection.vendor == "postgresql":
            picked = picked.select_for_update(skip_locked=True)
        leased = []
        for delivery in picked[:batch]:
            won = (
                _pending(now)
                .filter(pk=delivery.pk, attempts=delivery.attempts)
                .update(leased_until=now + LEASE, attempts=F("attempts") + 1)
            )
            if won:  # another relay did not take it first
                leased.append(delivery)
        return leased


def deliveries_relay(*, now: datetime | None = None, batch: int = 100) -> dict[str, int]:
    """Send what the outbox holds for e-mail and group robots; safe to run twice at once.

    A failed send is retried by a later run after a back-off (1, 2, 4 … minutes), up to
    MAX_ATTEMPTS; the last error stays on the row for the administrator.
    """
    result = {"delivered": 0, "failed": 0}
    while True:
        now_ = now or timezone.now()
        leased = _lease(now=now_, batch=batch)
        for delivery in leased:
            try:
                SENDERS[delivery.channel](delivery)
            except Exception as exc:  # any failure of one target must not stop the others
                logger.warning("delivery %s to %s failed: %s", delivery.pk, delivery.target, exc)
                backoff = timedelta(minutes=2 ** min(delivery.attempts, 6))
                Delivery.objects.filter(pk=delivery.pk, delivered_at__isnull=True).update(
                    leased_until=now_ + backoff, last_error=str(exc)[:300]
                )
                result["failed"] += 1
                continue
            Delivery.objects.filter(pk=delivery.pk, delivered_at__isnull=True).update(
                delivered_at=timezone.now(), leased_until=None, last_error=""
            )
            result["delivered"] += 1
        if len(leased) < batch:
            return result
