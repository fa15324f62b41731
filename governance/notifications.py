"""Queue notices in the outbox (governance.models.Notification, Delivery) inside the caller's
transaction, read and mark them for their recipient, and relay the deliveries."""

from __future__ import annotations

import json
import logging
import urllib.request
from collections.abc import Iterable
from datetime import datetime, timedelta

from celery.exceptions import SoftTimeLimitExceeded
from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.core.mail import get_connection, send_mail
from django.db import connection, transaction
from django.db.models import F, Q, QuerySet
from django.utils import timezone
from django.utils.translation import gettext

from governance import polls
from governance.models import Delivery, Notification, User
from governance.privacy import mask_phones_in_text

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
    so a notice exists exactly when the change it tells of was committed. A phone number in
    the title or body (a case's description quoted, a return's note) is masked here, once,
    for the page, the e-mail and the group robot alike: it is shown whole only through the
    audited reveal on the case page.
    """
    title, body = mask_phones_in_text(title), mask_phones_in_text(body)
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
    polls.bump(polls.bell_topic(r.recipient_id) for r in rows)  # their bells, on commit
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
    if notices.filter(read_at__isnull=True).update(read_at=now or timezone.now()):
        polls.bump([polls.bell_topic(user.pk)])
    return True


def notifications_mark_all_read(*, user, now: datetime | None = None) -> int:
    marked = Notification.objects.filter(recipient_id=user.pk, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
    if marked:
        polls.bump([polls.bell_topic(user.pk)])
    return marked


def notifications_settle(*, link: str, now: datetime) -> int:
    """Mark read, for everyone, the unread notices that point to ``link``: once the thing
    they tell of is over (a case closed), they are no longer anybody's to do (issue 18:
    notices stayed unread after their case closed). Runs in the caller's transaction."""
    unread = Notification.objects.filter(link=link, read_at__isnull=True)
    polls.bump(polls.bell_topic(r) for r in unread.values_list("recipient_id", flat=True))
    return unread.update(read_at=now)


# --- Delivery outside the application: the outbox relay ---------------------------------
# A relay leases rows (a conditional UPDATE that also counts the attempt), then sends them one
# by one, each *fenced*: right before sending, a compare-and-swap renews the row's lease only
# if it is still ours (same attempt, same lease); the row is marked delivered only under
# that renewed lease. Two relays at once never send one row twice, and a relay whose lease
# ran out (a slow mail server, a paused process) does not send a row another relay took
# meanwhile. A relay killed after sending but before marking can resend that one row when
# its lease runs out: a group robot has no idempotency key, so "at most one repeat after a
# crash" is the best any sender can do; the window is the milliseconds between send and mark.
#
# The relay runs in its own worker on its own queue (governance/celery.py), so a mail server
# that hangs holds only relays, never the deadline scan.
LEASE = timedelta(minutes=2)
SEND_TIMEOUT = 10.0  # seconds a send may wait on the network; a hung robot must not hold us
MAX_ATTEMPTS = 8
# One row at a time, newest first (see _lease): a fresh breach waits for at most the send in
# progress in each relay, not for a batch of them (at 1.5 s a message, a batch of 6 would
# hold it 9 s). Leasing costs a millisecond beside a send's tens or thousands.
BATCH = 1


class DeliveryFailed(Exception):
    pass


def relay_limits() -> tuple[timedelta, float, int]:
    """The lease, the per-send timeout and the batch in force: settings
    ``OUTBOX_LEASE_SECONDS``, ``OUTBOX_SEND_TIMEOUT`` and ``OUTBOX_BATCH`` override the
    defaults, and a combination that breaks the rule of ``relay_batch`` is refused."""
    lease = timedelta(
        seconds=float(getattr(settings, "OUTBOX_LEASE_SECONDS", LEASE.total_seconds()))
    )
    timeout = float(getattr(settings, "OUTBOX_SEND_TIMEOUT", SEND_TIMEOUT))
    batch = int(getattr(settings, "OUTBOX_BATCH", BATCH))
    return lease, timeout, relay_batch(lease=lease, send_timeout=timeout, batch=batch)


def relay_batch(*, lease: timedelta, send_timeout: float, batch: int) -> int:
    """Check how many rows one relay may lease at a time.

    Every row of a batch must still be leased when its turn comes, even if each send before
    it waits out the whole timeout, and its own send needs time too: so batch × send timeout
    stays within half the lease. A batch, lease or timeout that breaks this is refused, not
    quietly trimmed (a 100-row batch at 10 s outlived the 2-minute lease: another relay took
    the rows and sent them again).
    """
    if batch < 1 or batch * send_timeout > lease.total_seconds() / 2:
        raise ImproperlyConfigured(
            f"outbox relay: a batch of {batch} × a send timeout of {send_timeout:g} s must fit "
            f"in half the lease of {lease.total_seconds():g} s"
        )
    return batch


def _absolute(link: str) -> str:
    base = getattr(settings, "SITE_URL", "").rstrip("/")
    return f"{base}{link}" if link and base else link


def _send_email(delivery: Delivery, *, timeout: float) -> None:
    link = _absolute(delivery.link)
    body = "\n\n".join(p for p in (delivery.body, link) if p)
    # Django's SMTP backend waits forever by default (EMAIL_TIMEOUT None): bound every
    # network operation of this send, whatever the settings say.
    configured = getattr(settings, "EMAIL_TIMEOUT", None)
    sent = send_mail(
        subject=delivery.title,
        message=body,
        from_email=None,
        recipient_list=[delivery.target],
        fail_silently=False,
        connection=get_connection(timeout=min(configured or timeout, timeout)),
    )
    if not sent:
        raise DeliveryFailed("the mail server accepted no recipient")


def _send_wecom(delivery: Delivery, *, timeout: float) -> None:
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
        with urllib.request.urlopen(request, timeout=timeout) as response:  # noqa: S310
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


def _lease(*, now: datetime, batch: int, lease: timedelta) -> list[Delivery]:
    """Take up to ``batch`` pending rows for this relay alone, newest first.

    Newest first: when a slow mail server leaves a backlog, what is already late stays late
    whatever the order, while a breach written a second ago can still be told on time
    (DESIGN §4: within 15 s of due). Nothing is dropped; the backlog follows.
    """
    with transaction.atomic():
        picked = _pending(now).order_by("-created_at", "-pk")
        if connection.vendor == "postgresql":
            picked = picked.select_for_update(skip_locked=True)
        leased = []
        for delivery in picked[:batch]:
            won = (
                _pending(now)
                .filter(pk=delivery.pk, attempts=delivery.attempts)
                .update(leased_until=now + lease, attempts=F("attempts") + 1)
            )
            if won:  # another relay did not take it first
                # (attempts, leased_until) is now our fencing token for this row.
                delivery.attempts += 1
                delivery.leased_until = now + lease
                leased.append(delivery)
        return leased


def _ours(delivery: Delivery) -> QuerySet[Delivery]:
    """The row, only while this relay's lease on it stands (nobody leased it since)."""
    return Delivery.objects.filter(
        pk=delivery.pk,
        attempts=delivery.attempts,
        leased_until=delivery.leased_until,
        delivered_at__isnull=True,
    )


def _release(rows: list[Delivery]) -> None:
    """Give back rows leased but not tried, so another relay takes them now, not when the
    lease ends; the attempt they were charged is given back too."""
    for delivery in rows:
        _ours(delivery).update(leased_until=None, attempts=F("attempts") - 1)


def _send_fenced(
    delivery: Delivery, *, now: datetime | None, lease: timedelta, timeout: float
) -> str:
    """Send one leased row; returns "delivered", "failed" or "skipped" (the lease was lost)."""
    moment = now or timezone.now()
    # The fence: renew the lease only if it is still ours, so the send has a whole lease
    # before anyone else may take the row, and a row taken meanwhile is left to its taker.
    if not _ours(delivery).update(leased_until=moment + lease):
        logger.info("delivery %s: leased by another relay meanwhile; not sent here", delivery.pk)
        return "skipped"
    delivery.leased_until = moment + lease
    try:
        SENDERS[delivery.channel](delivery, timeout=timeout)
    except SoftTimeLimitExceeded:
        # The task's time is up: not a failure of this target. The row keeps its lease (it
        # may have gone out) and is retried when the lease ends.
        raise
    except Exception as exc:  # any failure of one target must not stop the others
        logger.warning("delivery %s to %s failed: %s", delivery.pk, delivery.target, exc)
        backoff = timedelta(minutes=2 ** min(delivery.attempts - 1, 6))
        _ours(delivery).update(leased_until=moment + backoff, last_error=str(exc)[:300])
        return "failed"
    if not _ours(delivery).update(delivered_at=timezone.now(), leased_until=None, last_error=""):
        # Only when one send outlived a whole lease (each network wait is bounded by the
        # timeout, far below the lease): another relay may send it again.
        logger.warning("delivery %s was sent after its lease was taken", delivery.pk)
    return "delivered"


def deliveries_relay(*, now: datetime | None = None, batch: int | None = None) -> dict[str, int]:
    """Send what the outbox holds for e-mail and group robots; safe to run twice at once.

    A run leases batch after batch (``OUTBOX_BATCH`` rows, default one) until the outbox is
    empty or half its lease has passed; then it stops leasing, sends what it holds and
    returns with ``more`` set, so the caller goes on in a fresh run (each row is leased by a
    run that has time to send it). ``skipped`` counts rows whose lease another relay took.
    A failed send is retried by a later run after a back-off (1, 2, 4 … minutes), up to
    MAX_ATTEMPTS; the last error stays on the row for the administrator.
    """
    lease, timeout, default_batch = relay_limits()
    batch = (
        default_batch
        if batch is None
        else relay_batch(lease=lease, send_timeout=timeout, batch=batch)
    )
    started = timezone.now()
    result = {"delivered": 0, "failed": 0, "skipped": 0, "more": 0}
    while True:
        if timezone.now() - started >= lease / 2:
            result["more"] = 1
            return result
        leased = _lease(now=now or timezone.now(), batch=batch, lease=lease)
        for i, delivery in enumerate(leased):
            try:
                result[_send_fenced(delivery, now=now, lease=lease, timeout=timeout)] += 1
            except SoftTimeLimitExceeded:
                _release(leased[i + 1 :])
                raise
        if len(leased) < batch:
            return result
