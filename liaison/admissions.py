"""Task admission (准入): what a department pushes down to a street or a community is
recorded and checked against the lists of what may be asked of it (DESIGN §3, §6a 减负).

* 雨湖 (seed 000): the street's 35 own duties and 21 matters it cooperates on; the
  communities' 20 self-governance matters, 30 matters they assist the government with and 8
  that may never be put on them. Matters not on the lists may not be pushed down.
* 历下 (seed 001): 交办街道事项准入机制 — a task outside the lists is void unless a central
  deployment or a provincial rule requires it; then the district approves it (准入审批).

A task on the lists is admitted at once; one that is not is refused, citing the rule, or —
with the basis for an exception — goes to the district's administrators, who admit or
refuse it. A negative-list matter is refused and cannot be approved. Every step is one
transaction: the row, an activity entry and the notices.
"""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import transaction
from django.db.models import Count, Q, QuerySet
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks.access import Role, scope_for
from blocks.models import Area, Department, DepartmentMember, Posting
from events.models import StreetDutyItem
from governance.audit import audit
from governance.errors import StateConflict
from governance.models import AuditEntry
from governance.notifications import notify
from liaison.models import ActivityEntry, TaskAdmission

Kind = StreetDutyItem.Kind
State = TaskAdmission.State
# What may be asked of each level; the negative list may never be put on a community.
ADMITTING_LISTS = {
    Area.Level.STREET: (Kind.OWN, Kind.COOPERATION),
    Area.Level.COMMUNITY: (Kind.COMMUNITY_ASSIST,),
}
NEVER = (Kind.COMMUNITY_NEGATIVE,)
COMMUNITY_CODE_LENGTH = Area.CODE_LENGTH[Area.Level.COMMUNITY]


# --- who sees, who decides ---------------------------------------------------------------------
def _visible_q(user) -> Q:
    """The department that pushed it, the street or community it was pushed to (a block's
    team reads its community's), and the district's leaders and administrators."""
    scope = scope_for(user)
    if scope.is_superuser:
        return Q()
    communities = {code[:COMMUNITY_CODE_LENGTH] for code in scope.block_team_codes()}
    return (
        Q(department_id__in=scope.department_ids)
        | scope.area_q("area_code")
        | Q(area_code__in=sorted(communities))
    )


def admissions(*, user) -> QuerySet[TaskAdmission]:
    return TaskAdmission.objects.filter(_visible_q(user)).select_related(
        "department", "area", "list_item", "created_by", "decided_by"
    )


def may_approve(user, admission: TaskAdmission) -> bool:
    """The district's administrators (the office that keeps the lists) decide exceptions."""
    return scope_for(user).covers(admission.area_code[:6], {Role.ADMINISTRATOR})


def pushing_departments(user) -> QuerySet[Department]:
    """The departments the user may push a task down for: the ones they work for."""
    scope = scope_for(user)
    rows = Department.objects.filter(is_active=True)
    return rows if scope.is_superuser else rows.filter(pk__in=scope.department_ids)


def target_areas(department: Department) -> QuerySet[Area]:
    """The streets and communities of the department's district."""
    return Area.objects.filter(
        code__startswith=department.district.code,
        level__in=(Area.Level.STREET, Area.Level.COMMUNITY),
        closed_on__isnull=True,
    ).order_by("code")


def list_items(department: Department) -> QuerySet[StreetDutyItem]:
    return StreetDutyItem.objects.filter(district=department.district).order_by("kind", "number")


# --- the check -----------------------------------------------------------------------------
def check(area: Area, item: StreetDutyItem | None) -> tuple[bool, bool, str]:
    """(admitted, may be approved as an exception, the rule applied) for a task pushed to
    ``area`` under ``item``."""
    admitting = ADMITTING_LISTS.get(area.level, ())
    if item is not None and item.kind in NEVER:
        rule = _(
            "Item %(number)s of the communities' negative list (%(matter)s): never to be put on "
            "a community, not even by approval (seed 000)."
        )
        return False, False, rule % {"number": item.number, "matter": item.matter}
    if item is not None and item.kind in admitting:
        rule = _("On the list “%(list)s”, item %(number)s: %(matter)s.")
        return (
            True,
            True,
            rule
            % {
                "list": item.get_kind_display(),
                "number": item.number,
                "matter": item.matter,
            },
        )
    if area.level == Area.Level.STREET:
        rule = _(
            "Not on the street's duty list or cooperation list: matters not on them may not be "
            "pushed onto the street (seeds 000, 001). With a central deployment or a provincial "
            "rule as the basis, ask the district's approval."
        )
    else:
        rule = _(
            "Not on the list of matters communities assist the government with: matters not on "
            "it may not be put on a community (seed 000). With a central deployment or a "
            "provincial rule as the basis, ask the district's approval."
        )
    return False, True, rule


# --- writes --------------------------------------------------------------------------------
def _log(*, actor, verb: str, admission: TaskAdmission, now: datetime, note: str = "") -> None:
    ActivityEntry.objects.create(
        at=now, actor=actor, verb=verb, object_type="taskadmission", object_id=admission.pk,
        area_code=admission.area_code, note=note[:2000],
    )  # fmt: skip


def _link(admission: TaskAdmission) -> str:
    return reverse("liaison:admission_detail", args=[admission.pk])


def _area_people(area: Area) -> list[int]:
    """Who answers for the street or community: the street's administrators and desk, and
    for a community the governors of its blocks too."""
    street_code = area.code[: Area.CODE_LENGTH[Area.Level.STREET]]
    q = Q(area__code=street_code, role__in=(Role.STREET_ADMIN, Role.DISPATCHER))
    if area.level == Area.Level.COMMUNITY:
        q |= Q(area__code__startswith=area.code, area__level=Area.Level.BLOCK, role=Role.GOVERNOR)
    return list(
        Posting.objects.filter(q, ended_on__isnull=True)
        .values_list("user_id", flat=True)
        .distinct()
    )


def _department_people(admission: TaskAdmission) -> list[int]:
    return list(
        DepartmentMember.objects.filter(
            department=admission.department, ended_on__isnull=True
        ).values_list("user_id", flat=True)
    )


def _approvers(admission: TaskAdmission) -> list[int]:
    return list(
        Posting.objects.filter(
            area__code=admission.area_code[:6], role=Role.ADMINISTRATOR, ended_on__isnull=True
        ).values_list("user_id", flat=True)
    )


def _tell(recipients: Iterable[int], admission: TaskAdmission, *, what: str, now) -> None:
    titles = {
        "admitted": _("Task admitted: %(matter)s (from %(department)s)"),
        "refused": _("Task refused: %(matter)s (to %(area)s)"),
        "approval": _("Task waiting for your approval: %(matter)s (%(department)s → %(area)s)"),
        "approved": _("Task admitted by the district's approval: %(matter)s"),
        "rejected": _("The district refused the task: %(matter)s"),
    }
    title = titles[what] % {
        "matter": admission.matter,
        "department": admission.department,
        "area": admission.area.name,
    }
    notify(
        recipients=recipients, kind="task_admission", title=title,
        body=admission.rule if what != "approval" else admission.basis,
        dedupe_key=f"admission:{admission.pk}:{what}", now=now, link=_link(admission),
    )  # fmt: skip


def _required(value: str, message: str, length: int) -> str:
    value = (value or "").strip()
    if not value:
        raise ValidationError(message)
    return value[:length]


def task_admission_submit(
    *, actor, department_id: int, area_id: int, matter: str, detail: str = "",
    due=None, list_item_id: int | None = None, basis: str = "", now: datetime | None = None,
) -> TaskAdmission:  # fmt: skip
    """A department records a task it pushes down; the lists decide at once. With a basis
    for an exception, a task that is not on them goes to the district's approval."""
    now = now or timezone.now()
    department = Department.objects.select_related("district").filter(pk=department_id).first()
    if department is None or department not in pushing_departments(actor):
        raise PermissionDenied(_("Only the department's own staff push its tasks down."))
    area = target_areas(department).filter(pk=area_id).first()
    if area is None:
        raise ValidationError(_("Choose a street or community of the department's district."))
    item = None
    if list_item_id:
        item = list_items(department).filter(pk=list_item_id).first()
        if item is None:
            raise ValidationError(_("No such item on the district's lists."))
    matter = _required(matter, _("Say what the task is."), 200)
    if due is not None and due < timezone.localdate(now):
        raise ValidationError(_("The date to be done by is already past."))
    admitted, approvable, rule = check(area, item)
    basis = (basis or "").strip()[:300]
    if admitted:
        state = State.ADMITTED
    elif basis and approvable:
        state = State.AWAITING_APPROVAL
    else:
        state = State.REFUSED
    with transaction.atomic():
        admission = TaskAdmission.objects.create(
            department=department, area=area, area_code=area.code, matter=matter,
            detail=(detail or "").strip()[:2000], due=due, list_item=item, state=state,
            rule=rule, basis=basis if state == State.AWAITING_APPROVAL else "",
            created_by=actor, created_at=now,
        )  # fmt: skip
        _log(actor=actor, verb=state, admission=admission, now=now, note=rule)
        if state == State.ADMITTED:
            _tell(_area_people(area), admission, what="admitted", now=now)
        elif state == State.AWAITING_APPROVAL:
            _tell(_approvers(admission), admission, what="approval", now=now)
        else:
            _tell(_department_people(admission), admission, what="refused", now=now)
    return admission


def _locked(actor, admission_id: int) -> TaskAdmission:
    row = (
        TaskAdmission.objects.select_for_update(of=("self",))
        .select_related("department", "area")
        .filter(_visible_q(actor), pk=admission_id)
        .first()
    )
    if row is None:
        raise TaskAdmission.DoesNotExist
    return row


def _state(admission: TaskAdmission, *states: str) -> None:
    if admission.state not in states:
        raise StateConflict(
            _("This task is now “%(state)s”.") % {"state": admission.get_state_display()}
        )


def task_admission_ask_approval(
    *, actor, admission_id: int, basis: str, now: datetime | None = None
) -> TaskAdmission:
    """A refused task, not on the negative list, goes to the district with its basis."""
    now = now or timezone.now()
    basis = _required(
        basis, _("Give the basis: the central deployment or provincial rule that requires it."), 300
    )
    with transaction.atomic():
        admission = _locked(actor, admission_id)
        if admission.department not in pushing_departments(actor):
            raise PermissionDenied(_("Only the department's own staff push its tasks down."))
        _state(admission, State.REFUSED)
        if not check(admission.area, admission.list_item)[1]:
            raise ValidationError(_("A negative-list matter cannot be approved."))
        admission.state, admission.basis = State.AWAITING_APPROVAL, basis
        admission.save(update_fields=["state", "basis"])
        _log(actor=actor, verb="ask_approval", admission=admission, now=now, note=basis)
        _tell(_approvers(admission), admission, what="approval", now=now)
    return admission


def task_admission_decide(
    *, actor, admission_id: int, approve: bool, note: str = "", now: datetime | None = None
) -> TaskAdmission:
    """准入审批: the district's administrators admit the exception or refuse it."""
    now = now or timezone.now()
    with transaction.atomic():
        admission = _locked(actor, admission_id)
        if not may_approve(actor, admission):
            raise PermissionDenied(_("Only the district's administrators decide exceptions."))
        _state(admission, State.AWAITING_APPROVAL)
        if not approve:
            note = _required(note, _("Say why the task is refused."), 300)
        admission.state = State.APPROVED if approve else State.REJECTED
        admission.decided_by, admission.decided_at = actor, now
        admission.decision_note = (note or "").strip()[:300]
        admission.save(update_fields=["state", "decided_by", "decided_at", "decision_note"])
        _log(actor=actor, verb=admission.state, admission=admission, now=now, note=note)
        audit(
            actor=actor, action=AuditEntry.Action.TASK_ADMISSION,
            object_type="taskadmission", object_id=str(admission.pk),
            detail={"state": admission.state, "basis": admission.basis,
                    "note": admission.decision_note},
        )  # fmt: skip
        what = "approved" if approve else "rejected"
        _tell(_department_people(admission), admission, what=what, now=now)
        if approve:
            _tell(_area_people(admission.area), admission, what="admitted", now=now)
    return admission


# --- 减负: what each department pushed down ------------------------------------------------
def counts_by_department(*, area_code: str, since, until) -> list[dict]:
    """Per department, the tasks it pushed down into ``area_code`` in [since, until): how
    many, admitted on the lists, admitted by approval, refused (refused, or approval
    refused), waiting — the 减负 figures leaders watch."""
    rows = (
        TaskAdmission.objects.filter(
            area_code__startswith=area_code, created_at__gte=since, created_at__lt=until
        )
        .values("department_id", "department__name")
        .annotate(
            pushed=Count("pk"),
            admitted=Count("pk", filter=Q(state=State.ADMITTED)),
            approved=Count("pk", filter=Q(state=State.APPROVED)),
            refused=Count("pk", filter=Q(state__in=(State.REFUSED, State.REJECTED))),
            waiting=Count("pk", filter=Q(state=State.AWAITING_APPROVAL)),
        )
        .order_by("-refused", "-pushed", "department__name")
    )
    return [
        {"department": r["department__name"], **{k: r[k] for k in
         ("department_id", "pushed", "admitted", "approved", "refused", "waiting")}}
        for r in rows
    ]  # fmt: skip
