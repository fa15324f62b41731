"""The summary's full rebuild as a worker job (issue 21): administrators start it from a
page with a confirm step and follow its progress bar; the worker runs it one chunk per task
(``rollup.rebuild_step``), so it never holds a transaction for long nor blocks a read.

System administrators rebuild any district or street; a district's administrators those of
their district. One rebuild of overlapping areas at a time: a district's and one of its
streets' would redo the same rows twice."""

from __future__ import annotations

from datetime import timedelta

from django.contrib.auth.decorators import login_required
from django.core.exceptions import PermissionDenied
from django.db import connection, transaction
from django.db.models import Q
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_http_methods

from blocks.access import scope_for
from blocks.models import Area, Posting
from dashboards import rollup, tasks
from dashboards.models import RollupRebuild
from dashboards.selectors import visible_area
from governance.audit import audit
from governance.errors import DomainError, page_act
from governance.models import AuditEntry

# An active job no step has touched for this long was abandoned (its worker and message
# gone): it no longer holds its area. A step takes seconds, a whole community at 10 M cases
# about a minute.
ABANDONED_AFTER = timedelta(minutes=30)
START_LOCK_KEY = 7_302_002  # pg advisory lock: one start at a time checks for overlaps
LEVELS = (Area.Level.DISTRICT, Area.Level.STREET)


def may_rebuild(user, code: str) -> bool:
    """System administrators anywhere; a district's administrators in their district."""
    return scope_for(user).covers(code, {Posting.Role.ADMINISTRATOR})


def overlapping(code: str) -> Q:
    """Jobs of ``code``, of an area above it, or of one under it."""
    return Q(area_code__startswith=code) | Q(area_code__in=[code[:n] for n in range(len(code))])


def rebuild_start(*, actor, area_code: str, request: HttpRequest | None = None) -> RollupRebuild:
    """Queue a full rebuild of ``area_code`` for the worker (audited when someone asks).
    Refused while a rebuild of an overlapping area is queued or running."""
    if actor is not None and not may_rebuild(actor, area_code):
        raise PermissionDenied(_("Only administrators rebuild the summary."))
    now = timezone.now()
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SELECT pg_advisory_xact_lock(%s)", [START_LOCK_KEY])
        active = RollupRebuild.objects.filter(
            overlapping(area_code), status__in=RollupRebuild.ACTIVE
        )
        active.filter(touched_at__lt=now - ABANDONED_AFTER).update(
            status=RollupRebuild.Status.FAILED, finished_at=now,
            error=_("Abandoned: no progress for %(minutes)d minutes.")
            % {"minutes": ABANDONED_AFTER.total_seconds() // 60},
        )  # fmt: skip
        busy = active.filter(status__in=RollupRebuild.ACTIVE).first()
        if busy is not None:
            raise DomainError(
                _("A rebuild of %(area)s is already under way; start again when it is done.")
                % {"area": busy.area_code or _("every area")},
                code="rebuild_running",
            )
        job = RollupRebuild.objects.create(
            area_code=area_code, created_by=actor, chunks=rollup.rebuild_chunks(area_code)
        )
        if actor is not None:
            audit(
                action=AuditEntry.Action.ADMIN_CHANGE, actor=actor, request=request,
                object_type="summary_rebuild", object_id=area_code or "*",
                detail={"job": job.pk, "chunks": len(job.chunks)},
            )  # fmt: skip
        transaction.on_commit(lambda: tasks.rebuild_stats.delay(job.pk, 0))
    return job


def _area(request: HttpRequest, code: str) -> Area:
    area = visible_area(user=request.user, code=code)  # 404 outside the user's areas
    if area.level not in LEVELS:
        raise Http404
    if not may_rebuild(request.user, area.code):
        raise PermissionDenied(_("Only administrators rebuild the summary."))
    return area


def _shown(request: HttpRequest, area: Area) -> RollupRebuild | None:
    """The job asked for (``?job=``, the progress bar's poll), else the latest of the area
    or of an area overlapping it."""
    jobs = RollupRebuild.objects.filter(overlapping(area.code)).select_related("created_by")
    asked = request.GET.get("job", "")
    if asked:
        return jobs.filter(pk=int(asked)).first() if asked.isdigit() else None
    return jobs.first()


@login_required
@require_http_methods(["GET", "POST"])
def rebuild_page(request: HttpRequest, code: str) -> HttpResponse:
    """重建汇总: the confirm step, then the job's progress bar (polled every second)."""
    area = _area(request, code)
    if request.method == "POST":
        page_act(
            request,
            lambda: rebuild_start(actor=request.user, area_code=area.code, request=request),
            success=_("The rebuild is queued; the dashboards stay readable meanwhile."),
        )
        return redirect("dashboard:rebuild", code=area.code)
    job = _shown(request, area)
    if request.headers.get("HX-Request"):
        if job is None:
            raise Http404
        return render(request, "dashboards/_rebuild_progress.html", {"job": job, "area": area})
    return render(request, "dashboards/rebuild.html", {"job": job, "area": area})
