"""Idempotency-Key on every POST that creates something (DESIGN §7, issue 9).

An app on a bad mobile network sends the same POST again when it did not see the answer.
With the same ``Idempotency-Key`` header, by the same user, within 24 hours, it gets the
first answer again (status and body) and nothing more is created. The same key with another
request (other path or other body) is refused with 422, never answered with the first result.

One implementation for every such endpoint: the :func:`idempotent` decorator on a DRF view
method. The key row is written in the same transaction as what the view creates, so a
retry that arrives while the first request is still running waits on the key's unique
index and then replays the committed answer (or runs itself if the first one failed).
"""

from __future__ import annotations

import functools
import hashlib
import json
from datetime import timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter
from rest_framework.response import Response
from rest_framework.utils.encoders import JSONEncoder

from events.models import IdempotencyKey
from governance.errors import DomainError

HEADER = "Idempotency-Key"
KEPT_FOR = timedelta(hours=24)
MAX_KEY_LENGTH = IdempotencyKey._meta.get_field("key").max_length

# For the OpenAPI schema of every decorated endpoint.
IDEMPOTENCY_PARAMETER = OpenApiParameter(
    name=HEADER,
    type=OpenApiTypes.STR,
    location=OpenApiParameter.HEADER,
    required=False,
    description=(
        "Any unique string (e.g. a UUID), at most 100 characters. The same key by the same "
        "user within 24 h returns the first response and creates nothing more."
    ),
)


class IdempotencyKeyReused(DomainError):
    code = "idempotency_key_reused"
    status = 422
    default_message = _("This Idempotency-Key was already used for a different request.")


class IdempotencyKeyInvalid(DomainError):
    code = "idempotency_key_invalid"
    status = 400
    default_message = _("The Idempotency-Key header must be 1 to 100 printable characters.")


def _canonical(value):
    """The request's data in a stable form; files count by their name, size and content."""
    if isinstance(value, UploadedFile):
        digest = hashlib.sha256()
        for chunk in value.chunks():
            digest.update(chunk)
        value.seek(0)
        return {"file": value.name, "size": value.size, "sha256": digest.hexdigest()}
    if hasattr(value, "lists"):  # QueryDict / MultiValueDict (form and multipart bodies)
        return {k: [_canonical(v) for v in vs] for k, vs in sorted(value.lists())}
    if isinstance(value, dict):
        return {str(k): _canonical(v) for k, v in sorted(value.items(), key=lambda kv: str(kv[0]))}
    if isinstance(value, list | tuple):
        return [_canonical(v) for v in value]
    return value


def request_fingerprint(request) -> str:
    data = {"data": request.data, "files": getattr(request, "FILES", {})}
    canonical = json.dumps(
        [request.method, request.path, _canonical(data)],
        cls=JSONEncoder, sort_keys=True, ensure_ascii=False,
    )  # fmt: skip
    return hashlib.sha256(canonical.encode()).hexdigest()


def _replay(record: IdempotencyKey) -> Response:
    response = Response(record.response_body, status=record.status_code)
    response["Idempotent-Replayed"] = "true"
    return response


def _store(record: IdempotencyKey, response: Response) -> None:
    IdempotencyKey.objects.filter(pk=record.pk).update(
        status_code=response.status_code,
        response_body=json.loads(json.dumps(response.data, cls=JSONEncoder)),
    )


def _claim(request, key: str, fingerprint: str) -> IdempotencyKey | None:
    """The key's new row, or None if the key was already used (in the last 24 h)."""
    for _attempt in range(2):
        try:
            with transaction.atomic():
                return IdempotencyKey.objects.create(
                    user=request.user, key=key, request_hash=fingerprint
                )
        except IntegrityError:
            # A key older than 24 h is forgotten: the same key then starts afresh.
            expired = IdempotencyKey.objects.filter(
                user=request.user, key=key, created_at__lte=timezone.now() - KEPT_FOR
            ).delete()[0]
            if not expired:
                return None
    return None


def prune_expired(*, now=None, batch: int = 5000) -> int:
    """Forget the keys older than 24 h (beat, daily), a batch per statement so that no
    long delete holds up intake; returns how many went."""
    cutoff = (now or timezone.now()) - KEPT_FOR
    removed = 0
    while True:
        ids = list(
            IdempotencyKey.objects.filter(created_at__lte=cutoff).values_list("pk", flat=True)[
                :batch
            ]
        )
        if not ids:
            return removed
        removed += IdempotencyKey.objects.filter(pk__in=ids).delete()[0]


def idempotent(view_method):
    """Decorate a DRF view method (``create``, an ``@action``) that creates something."""

    @functools.wraps(view_method)
    def wrapper(self, request, *args, **kwargs):
        key = request.headers.get(HEADER)
        if key is None:
            return view_method(self, request, *args, **kwargs)
        key = key.strip()
        if not key or len(key) > MAX_KEY_LENGTH or not key.isprintable():
            raise IdempotencyKeyInvalid()
        fingerprint = request_fingerprint(request)
        with transaction.atomic():
            record = _claim(request, key, fingerprint)
            if record is None:
                # Another request with this key committed first (or we waited for it to).
                record = IdempotencyKey.objects.get(user=request.user, key=key)
                if record.request_hash != fingerprint:
                    raise IdempotencyKeyReused()
                return _replay(record)
            response = view_method(self, request, *args, **kwargs)
            if not 200 <= response.status_code < 300:
                # A refused request created nothing: forget the key so that a corrected
                # request may use it.
                transaction.set_rollback(True)
                return response
            _store(record, response)
        return response

    return wrapper
