"""双向评价 (seed 004; DESIGN §5): each month a street's desk rates every department that
worked on the street's cases that month, and each department rates the street (0–100).
The averages feed the department ranking (selectors.two_way_scores) and the streets' table.

Who rates is checked here: the street's side by its desk (dispatcher or street
administrator posted at that street), the department's side by the department's own people;
only a pair that worked together that month (a part dispatched in it) is rated, once.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, datetime, timedelta
from functools import reduce
from operator import or_

from django.core.exceptions import PermissionDenied, ValidationError
from django.db import IntegrityError, transaction
from django.db.models import Q
from django.utils import timezone
from django.utils.translation import gettext as _

from blocks.access import scope_for
from blocks.models import Area, Department
from dashboards.models import StreetDepartmentEvaluation
from dashboards.rollup import day_bounds
from events.models import Assignment

Direction = StreetDepartmentEvaluation.Direction
STREET_CODE_LENGTH = Area.CODE_LENGTH[Area.Level.STREET]


def month_bounds(month: date) -> tuple[date, date]:
    """The first and last day of ``month``'s month."""
    first = month.replace(day=1)
    following = (first + timedelta(days=32)).replace(day=1)
    return first, following - timedelta(days=1)


def _worked_together(month: date, *, streets=None, departments=None) -> set[tuple[str, int]]:
    """(street code, department id) of every part dispatched in the month."""
    first, last = month_bounds(month)
    start, end = day_bounds(first)[0], day_bounds(last)[1]
    parts = Assignment.objects.filter(dispatched_at__gte=start, dispatched_at__lt=end)
    if departments is not None:
        parts = parts.filter(department_id__in=departments)
    if streets is not None:  # the cases under these codes only, read by the index
        parts = parts.filter(
            reduce(or_, (Q(event__area_code__startswith=c) for c in streets), Q(pk__in=[]))
        )
    return {
        (code[:STREET_CODE_LENGTH], department_id)
        for code, department_id in parts.values_list("event__area_code", "department_id")
        .order_by()
        .distinct()
    }


@dataclass
class SheetRow:
    direction: str
    street: Area
    department: Department
    given: StreetDepartmentEvaluation | None


def evaluation_sheet(*, user, month: date) -> dict[str, list[SheetRow]]:
    """What the user rates this month: as a street's desk (its departments) and as a
    department (its streets), each with the score already given, if any."""
    scope = scope_for(user)
    if scope.is_read_only:
        return {"as_street": [], "as_department": []}
    street_codes = scope.street_desk_codes()
    wanted: dict[str, set[tuple[str, int]]] = {
        Direction.STREET_RATES_DEPARTMENT: (
            _worked_together(month, streets=street_codes) if street_codes else set()
        ),
        Direction.DEPARTMENT_RATES_STREET: (
            _worked_together(month, departments=scope.department_ids)
            if scope.department_ids
            else set()
        ),
    }
    pairs = set().union(*wanted.values())
    streets = {a.code: a for a in Area.objects.filter(code__in={s for s, _d in pairs})}
    departments = Department.objects.in_bulk({d for _s, d in pairs})
    first, last = month_bounds(month)
    given = {
        (e.direction, e.street.code, e.department_id): e
        for e in StreetDepartmentEvaluation.objects.filter(
            period_start=first, period_end=last, department_id__in=departments
        ).select_related("street")
    }
    sheet = {}
    for key, direction in (
        ("as_street", Direction.STREET_RATES_DEPARTMENT),
        ("as_department", Direction.DEPARTMENT_RATES_STREET),
    ):
        sheet[key] = sorted(
            (
                SheetRow(direction, streets[s], departments[d], given.get((direction, s, d)))
                for s, d in wanted[direction]
                if s in streets and d in departments
            ),
            key=lambda row: (row.street.code, row.department.name),
        )
    return sheet


def two_way_evaluate(
    *, actor, direction: str, street_code: str, department_id: int, month: date, score,
    comment: str = "", now: datetime | None = None,
) -> StreetDepartmentEvaluation:  # fmt: skip
    """Give one score of the month, once. The street's desk rates a department, or a
    department's member rates the street; only a pair that worked together that month."""
    if direction not in Direction.values:
        raise ValidationError(_("Choose who rates whom."))
    try:
        score = int(score)
    except (TypeError, ValueError):
        score = -1
    if not 0 <= score <= 100:
        raise ValidationError(_("A score is a whole number from 0 to 100."))
    scope = scope_for(actor)
    if scope.is_read_only:
        raise PermissionDenied(_("You may not give this evaluation."))
    street = Area.objects.filter(code=str(street_code), level=Area.Level.STREET).first()
    department_id = int(department_id) if str(department_id).isdigit() else 0
    department = Department.objects.filter(pk=department_id).first() if department_id else None
    if street is None or department is None:
        raise ValidationError(_("Choose a street and a department."))
    mine = (
        scope.can_act_in_street(street.code)
        if direction == Direction.STREET_RATES_DEPARTMENT
        else scope.can_act_for_department(department.pk)
    )
    if not mine:
        raise PermissionDenied(_("You may not give this evaluation."))
    if not _worked_together(month, streets=[street.code], departments=[department.pk]):
        raise ValidationError(
            _("%(department)s had no part of %(street)s's cases that month.")
            % {"department": department.name, "street": street.name}
        )
    first, last = month_bounds(month)
    try:
        with transaction.atomic():
            return StreetDepartmentEvaluation.objects.create(
                direction=direction, street=street, department=department,
                period_start=first, period_end=last, score=score, comment=comment.strip()[:300],
                evaluated_by=actor, evaluated_at=now or timezone.now(),
            )  # fmt: skip
    except IntegrityError:
        raise ValidationError(_("This evaluation has already been given.")) from None
