"""Departments of a district and the lists that say who does what (GLOSSARY: Departments).

The duty list maps a matter to its lead department (主体责任) and cooperating ones (配合责任),
per district (seed 001: 历下's 81-item 属地管理事项清单). A matter is named by the code of a
case category (``category_code``): the list is a document of the district, kept as codes so
that this app needs nothing from the case workflow above it.
"""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from blocks.models import Area


class Department(models.Model):
    """A district-level agency (城管执法, 市场监管, 公安 …) that answers whistles."""

    district = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="departments",
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("district"),
    )
    code = models.SlugField(_("code"), max_length=40)
    name = models.CharField(_("name"), max_length=60)
    short_name = models.CharField(_("short name"), max_length=20, blank=True)
    is_active = models.BooleanField(_("active"), default=True)

    class Meta:
        verbose_name = _("department")
        verbose_name_plural = _("departments")
        ordering = ["district", "code"]
        constraints = [
            models.UniqueConstraint(fields=["district", "code"], name="department_code_unique"),
        ]

    def __str__(self) -> str:
        return self.short_name or self.name


class DepartmentMember(models.Model):
    """A person working for a department; the liaison officer (报到联络员) reports in."""

    class Role(models.TextChoices):
        OFFICER = "officer", _("officer")
        LIAISON_OFFICER = "liaison_officer", _("liaison officer")
        HEAD = "head", _("head")

    department = models.ForeignKey(
        Department, on_delete=models.PROTECT, related_name="members", verbose_name=_("department")
    )
    user = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        on_delete=models.PROTECT,
        related_name="department_memberships",
        verbose_name=_("person"),
    )
    role = models.CharField(_("role"), max_length=16, choices=Role.choices, default=Role.OFFICER)
    started_on = models.DateField(_("started on"), auto_now_add=True)
    ended_on = models.DateField(_("ended on"), null=True, blank=True)

    class Meta:
        verbose_name = _("department member")
        verbose_name_plural = _("department members")
        constraints = [
            models.UniqueConstraint(
                fields=["department", "user"],
                condition=Q(ended_on__isnull=True),
                name="department_member_once",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.user} · {self.department}"


class DutyItem(models.Model):
    """One row of the district's 属地管理事项清单: matter → lead and cooperating departments."""

    district = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="duty_items",
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("district"),
    )
    number = models.PositiveSmallIntegerField(_("item number"))
    matter = models.CharField(_("matter"), max_length=200)
    category_code = models.SlugField(
        _("category code"),
        max_length=40,
        blank=True,
        help_text=_("The case category this matter covers, if any"),
    )
    lead = models.ForeignKey(
        Department,
        on_delete=models.PROTECT,
        related_name="lead_duties",
        verbose_name=_("lead department"),
    )
    cooperating = models.ManyToManyField(
        Department, blank=True, related_name="cooperating_duties", verbose_name=_("cooperating")
    )
    note = models.CharField(_("note"), max_length=200, blank=True)

    class Meta:
        verbose_name = _("duty list item")
        verbose_name_plural = _("duty list")
        ordering = ["district", "number"]
        constraints = [
            models.UniqueConstraint(
                fields=["district", "category_code"],
                condition=~Q(category_code=""),
                name="duty_item_category_once",
            ),
            models.UniqueConstraint(fields=["district", "number"], name="duty_item_number_once"),
        ]

    def __str__(self) -> str:
        return f"{self.number}. {self.matter}"


class StreetDutyItem(models.Model):
    """The street's own duty list (街道职责清单) and its cooperation list (配合事项清单):
    seed 000 — 雨湖 named 35 items a street must do itself and 21 it only helps with;
    matters not on them may not be pushed onto the street."""

    class Kind(models.TextChoices):
        OWN = "own", _("the street's own duty")
        COOPERATION = "cooperation", _("the street cooperates")

    district = models.ForeignKey(
        Area,
        on_delete=models.PROTECT,
        related_name="street_duty_items",
        limit_choices_to={"level": Area.Level.DISTRICT},
        verbose_name=_("district"),
    )
    kind = models.CharField(_("list"), max_length=12, choices=Kind.choices)
    number = models.PositiveSmallIntegerField(_("item number"))
    matter = models.CharField(_("matter"), max_length=200)
    category_code = models.SlugField(_("category code"), max_length=40, blank=True)

    class Meta:
        verbose_name = _("street duty item")
        verbose_name_plural = _("street duty lists")
        ordering = ["district", "kind", "number"]

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.number}. {self.matter}"
