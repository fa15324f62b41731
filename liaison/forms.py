"""Forms of the link pages: they only parse; the services check and write.

Every POST of a link page goes through one of these. A choice of an object (a block, a
community, a member…) is limited to a queryset the view takes from ``liaison.selectors``,
so an object outside the user's scope is simply not a valid choice. Texts the services
require are left optional here: the service says what is missing, in its own words.
"""

from __future__ import annotations

from collections.abc import Iterable

from django import forms
from django.contrib.auth import get_user_model
from django.utils.translation import gettext_lazy as _

from events.assisted import assisted_services
from events.forms import BookedAtField, category_choices
from events.models import Category, Priority
from liaison.models import CadreLink, HouseholdLeader, JointGroupEvaluation, JointGroupMember, Visit


def _refused(message) -> dict:
    """A choice's errors, missing or not among the user's, said as one plain sentence."""
    return {"required": message, "invalid_choice": message}


CHOOSE_COMMUNITY = _refused(_("Choose a community you work for."))
CHOOSE_STREET = _refused(_("Choose a street."))


class ScopedForm(forms.Form):
    """A form whose object choices the view passes in, from liaison.selectors (so they are
    the user's scope): ``choices_from`` maps each keyword argument to the field it fills."""

    choices_from: dict[str, str] = {}

    def __init__(self, *args, **kwargs):
        querysets = {keyword: kwargs.pop(keyword) for keyword in self.choices_from}
        super().__init__(*args, **kwargs)
        for keyword, queryset in querysets.items():
            self.fields[self.choices_from[keyword]].queryset = queryset


class ActionForm(forms.Form):
    """Which of a page's forms was sent: its hidden ``action`` (or ``kind``) field, one of
    the page's own; ``default`` when the field is left out."""

    def __init__(
        self, data, *, actions: Iterable[str], name: str = "action", default: str | None = None
    ):
        super().__init__(data)
        self.name, self.default = name, default
        self.fields[name] = forms.ChoiceField(
            choices=[(a, a) for a in actions], required=default is None
        )

    @property
    def action(self) -> str | None:
        """The action sent, or None (not one of the page's: nothing to do, a 404)."""
        if not self.is_valid():
            return None
        return self.cleaned_data[self.name] or self.default


class CategoryForm(forms.Form):
    """What a finding or a household leader's matter is, when it becomes a case."""

    category = forms.TypedChoiceField(label=_("Matter"), coerce=int)
    priority = forms.ChoiceField(
        choices=[("", _("default for the matter"))] + Priority.choices,
        required=False, label=_("Colour"),
    )  # fmt: skip

    def __init__(self, *args, initial_code: str = "", **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["category"].choices = category_choices()
        if initial_code:
            found = Category.objects.filter(code=initial_code, is_active=True).first()
            if found:
                self.fields["category"].initial = found.pk

    def clean_category(self):
        try:
            return Category.objects.get(pk=self.cleaned_data["category"], is_active=True)
        except Category.DoesNotExist:
            raise forms.ValidationError(_("Choose a matter from the list.")) from None


class VisitForm(forms.Form):
    block = forms.ModelChoiceField(
        queryset=None, label=_("Block"), error_messages=_refused(_("Choose a block."))
    )
    cadre = forms.ModelChoiceField(queryset=None, label=_("Cadre"), required=False)
    kind = forms.ChoiceField(choices=Visit.Kind.choices, label=_("Kind"))
    visited_on = forms.DateField(
        label=_("Date"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    households_visited = forms.IntegerField(min_value=0, max_value=2000, initial=0,
                                            label=_("Households visited"))  # fmt: skip
    participants = forms.IntegerField(min_value=0, max_value=2000, initial=0,
                                      label=_("Participants (meetings)"))  # fmt: skip
    summary = forms.CharField(max_length=2000, required=False, label=_("Summary"),
                              widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    FINDING_ROWS = 3

    def __init__(self, *args, blocks, cadres=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["block"].queryset = blocks
        if cadres is None:
            del self.fields["cadre"]
        else:
            self.fields["cadre"].queryset = cadres
            self.fields["cadre"].required = True
        choices = [("", "—")] + [
            (c.code, c.name)
            for c in Category.objects.filter(is_active=True, parent__isnull=False).order_by(
                "sort_order", "code"
            )
        ]
        for n in range(self.FINDING_ROWS):
            self.fields[f"finding_{n}"] = forms.CharField(
                max_length=2000, required=False, label=_("Matter found"),
                widget=forms.Textarea(attrs={"rows": 2}),
            )  # fmt: skip
            self.fields[f"finding_{n}_category"] = forms.ChoiceField(
                choices=choices, required=False, label=_("Matter")
            )
            self.fields[f"finding_{n}_building"] = forms.CharField(
                max_length=60, required=False, label=_("Building / unit")
            )

    def findings(self) -> list[dict]:
        data = self.cleaned_data
        return [
            {
                "description": data[f"finding_{n}"],
                "category_code": data[f"finding_{n}_category"],
                "building": data[f"finding_{n}_building"],
            }
            for n in range(self.FINDING_ROWS)
            if data.get(f"finding_{n}", "").strip()
        ]

    def finding_rows(self):
        return [
            (self[f"finding_{n}"], self[f"finding_{n}_category"], self[f"finding_{n}_building"])
            for n in range(self.FINDING_ROWS)
        ]


class CadreLinkForm(ScopedForm):
    cadre = forms.ModelChoiceField(queryset=None, label=_("Cadre"))
    area = forms.ModelChoiceField(
        queryset=None, label=_("Block or community"),
        error_messages=_refused(_("Choose an open block or community.")),
    )  # fmt: skip
    role = forms.ChoiceField(choices=CadreLink.Role.choices, label=_("Role"))

    choices_from = {"cadres": "cadre", "areas": "area"}


class FindingCloseForm(forms.Form):
    """Solved on the spot (the button sends ``solved=1``) or not a case (``0``)."""

    solved = forms.TypedChoiceField(
        choices=[("1", _("Solved on the spot")), ("0", _("Not a case"))],
        coerce=lambda value: value == "1", required=False, empty_value=False,
    )  # fmt: skip
    note = forms.CharField(max_length=300, required=False, label=_("Note"))


class HouseholdLeaderForm(ScopedForm):
    block = forms.ModelChoiceField(
        queryset=None, label=_("Block"), error_messages=_refused(_("Choose an open block."))
    )
    name = forms.CharField(max_length=40, label=_("Name"))
    phone = forms.RegexField(regex=r"^\+?[0-9\- ]{5,20}$", required=False, label=_("Phone"))
    households = forms.IntegerField(
        min_value=HouseholdLeader.MIN_HOUSEHOLDS, max_value=HouseholdLeader.MAX_HOUSEHOLDS,
        initial=20, label=_("Households linked"),
    )  # fmt: skip
    covers = forms.CharField(max_length=120, required=False, label=_("Which households"))

    choices_from = {"blocks": "block"}


class MatterReportForm(forms.Form):
    description = forms.CharField(max_length=2000, label=_("What is the matter?"),
                                  widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    building = forms.CharField(max_length=60, required=False, label=_("Building / unit"))
    # 帮代办 (issue 20): the leader asks the block to do a service for a household, maybe
    # at a booked time (预约服务).
    service = forms.ModelChoiceField(
        queryset=Category.objects.none(), required=False, empty_label="—",
        label=_("Or a service to be done for a household (optional)"),
    )  # fmt: skip
    booked_at = BookedAtField()

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["service"].queryset = assisted_services()

    def clean(self):
        data = super().clean()
        if data.get("booked_at") and not data.get("service"):
            self.add_error("booked_at", _("Choose the service to book a time for it."))
        return data


class ReasonForm(forms.Form):
    """Why: a household leader's matter declined, a resident's number shown."""

    reason = forms.CharField(max_length=300, required=False, label=_("Reason"))


class NoteForm(forms.Form):
    """What was done (a wish fulfilled, a service item's progress) or why (cancelled)."""

    note = forms.CharField(max_length=2000, required=False, label=_("Note"))


# --- dual registration and wishes -----------------------------------------------------------
class OrganisationForm(ScopedForm):
    community = forms.ModelChoiceField(
        queryset=None, label=_("Community"), error_messages=CHOOSE_COMMUNITY
    )
    name = forms.CharField(max_length=100, required=False, label=_("Name"))
    contact_name = forms.CharField(max_length=40, required=False, label=_("Contact"))

    choices_from = {"communities": "community"}


class MemberForm(ScopedForm):
    community = forms.ModelChoiceField(
        queryset=None, label=_("Community where they live"), error_messages=CHOOSE_COMMUNITY
    )
    name = forms.CharField(max_length=40, required=False, label=_("Name"))
    phone = forms.CharField(max_length=20, required=False, label=_("Phone"))
    organisation = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Organisation"),
        error_messages={"invalid_choice": _("No such organisation.")},
    )  # fmt: skip
    # The account by its username: cleaned_data["username"] is the user.
    username = forms.ModelChoiceField(
        queryset=None, required=False, to_field_name="username",
        label=_("Account (username), to take wishes themselves"),
        error_messages={"invalid_choice": _("No account with that username.")},
    )  # fmt: skip

    choices_from = {
        "communities": "community",
        "organisations": "organisation",
        "accounts": "username",
    }


class WishForm(ScopedForm):
    community = forms.ModelChoiceField(
        queryset=None, label=_("Community"), error_messages=CHOOSE_COMMUNITY
    )
    title = forms.CharField(max_length=100, required=False, label=_("Wish"))
    description = forms.CharField(max_length=1000, required=False, label=_("Details"))
    resident_name = forms.CharField(max_length=40, required=False, label=_("Resident"))
    resident_phone = forms.CharField(max_length=20, required=False, label=_("Resident phone"))

    choices_from = {"communities": "community"}


class WishAssignForm(ScopedForm):
    member = forms.ModelChoiceField(
        queryset=None, error_messages=_refused(_("Choose a member registered with this community."))
    )

    choices_from = {"members": "member"}


# --- joint responsibility (五者同责) ---------------------------------------------------------
class JointGroupForm(forms.Form):
    """The five officials, one row of fields a position (``<position>-name`` …)."""

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        for position in JointGroupMember.Position.values:
            self.fields[f"{position}-name"] = forms.CharField(
                max_length=40, required=False, label=_("Name")
            )
            self.fields[f"{position}-title"] = forms.CharField(
                max_length=80, required=False, label=_("Post")
            )
            self.fields[f"{position}-department"] = forms.ModelChoiceField(
                queryset=departments, required=False, label=_("Department"),
                error_messages={"invalid_choice": _("Choose a department of this district.")},
            )  # fmt: skip
            # An official with an account reads the community's cases and hears of its
            # overdue and 督办 notices (issue 20, seed 004).
            self.fields[f"{position}-user"] = forms.ModelChoiceField(
                queryset=get_user_model().objects.filter(is_active=True), required=False,
                to_field_name="username", label=_("Account (user name)"),
                error_messages={"invalid_choice": _("No account has this user name.")},
            )  # fmt: skip

    def members(self) -> dict[str, dict]:
        """The rows as ``services.joint_group_set`` takes them."""
        data = self.cleaned_data
        return {
            p: {
                "name": data[f"{p}-name"],
                "title": data[f"{p}-title"],
                "department": data[f"{p}-department"],
                "user": data[f"{p}-user"],
            }
            for p in JointGroupMember.Position.values
        }


class JointGroupEvaluationForm(ScopedForm):
    """One official rated by the community (upward) or rating it (downward), for a year."""

    member = forms.ModelChoiceField(queryset=None, label=_("Official"))
    year = forms.IntegerField(min_value=2000, max_value=2100, label=_("Year"))
    direction = forms.ChoiceField(
        choices=JointGroupEvaluation.Direction.choices, label=_("Direction"),
        error_messages=_refused(_("Choose the direction.")),
    )  # fmt: skip
    score = forms.IntegerField(
        min_value=0, max_value=100, label=_("Score (0–100)"),
        error_messages={
            key: _("A score is from 0 to 100.")
            for key in ("required", "invalid", "min_value", "max_value")
        },
    )  # fmt: skip
    comment = forms.CharField(max_length=300, required=False, label=_("Comment"))

    choices_from = {"members": "member"}


# --- the quarterly loop ---------------------------------------------------------------------
class QuarterForm(ScopedForm):
    """Open a quarter's list: the current quarter unless another is given."""

    year = forms.IntegerField(min_value=2000, max_value=2100, required=False, label=_("Year"))
    quarter = forms.TypedChoiceField(
        choices=[(q, f"Q{q}") for q in (1, 2, 3, 4)], coerce=int, required=False,
        empty_value=None, label=_("Quarter"), error_messages=_refused(_("Choose a quarter.")),
    )  # fmt: skip

    def when(self, today: tuple[int, int]) -> dict[str, int]:
        """``year`` and ``quarter`` as given, each defaulting to ``today``'s."""
        year, quarter = today
        data = self.cleaned_data
        return {"year": data["year"] or year, "quarter": data["quarter"] or quarter}


class DemandListOpenForm(QuarterForm):
    community = forms.ModelChoiceField(
        queryset=None, label=_("Community"), error_messages=CHOOSE_COMMUNITY
    )

    choices_from = {"communities": "community"}


class ProblemListOpenForm(QuarterForm):
    street = forms.ModelChoiceField(queryset=None, label=_("Street"), error_messages=CHOOSE_STREET)

    choices_from = {"streets": "street"}


class DemandCasesForm(ScopedForm):
    """Cases picked for the demand list: only the community's, and only those the user sees."""

    event = forms.ModelMultipleChoiceField(
        queryset=None, required=False,
        error_messages={"invalid_choice": _("That case is not in this community.")},
    )  # fmt: skip

    choices_from = {"cases": "event"}


class DemandFindingsForm(ScopedForm):
    finding = forms.ModelMultipleChoiceField(
        queryset=None, required=False,
        error_messages={"invalid_choice": _("That finding is not in this community.")},
    )  # fmt: skip

    choices_from = {"findings": "finding"}


class DemandTextForm(forms.Form):
    text = forms.CharField(max_length=1000, required=False, label=_("Need"))


class DemandItemForm(ScopedForm):
    """One need of the list (to remove it)."""

    item = forms.ModelChoiceField(queryset=None, label=_("Need"))

    choices_from = {"items": "item"}


class ProblemForm(ScopedForm):
    """The street groups submitted needs into one problem."""

    title = forms.CharField(max_length=120, required=False, label=_("Problem"))
    description = forms.CharField(max_length=2000, required=False, label=_("Description"))
    item = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Needs submitted by the communities"),
        error_messages={
            "invalid_choice": _("Some of those needs are grouped already or not submitted.")
        },
    )  # fmt: skip

    choices_from = {"items": "item"}


class ClaimForm(ScopedForm):
    problem = forms.ModelChoiceField(queryset=None, widget=forms.HiddenInput, label=_("Problem"))
    department = forms.ModelChoiceField(queryset=None, label=_("Department"))
    responsible = forms.ModelChoiceField(queryset=None, label=_("Responsible person"))
    due_on = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    choices_from = {"problems": "problem", "departments": "department", "people": "responsible"}

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["responsible"].label_from_instance = lambda u: u.get_full_name() or u.username

    def claim(self) -> dict:
        """The claim as ``services.service_claim`` takes it."""
        data = dict(self.cleaned_data)
        data["problem_id"] = data.pop("problem").pk
        return data


class LedgerEnterForm(ScopedForm):
    street = forms.ModelChoiceField(queryset=None, label=_("Street"), error_messages=CHOOSE_STREET)
    year = forms.IntegerField(min_value=2000, max_value=2100, label=_("Year"))
    title = forms.CharField(max_length=120, label=_("Matter"))
    description = forms.CharField(max_length=2000, required=False, label=_("Description"),
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    department = forms.ModelChoiceField(
        queryset=None, required=False, label=_("Lead department"),
        error_messages={"invalid_choice": _("Choose a department of this district.")},
    )  # fmt: skip
    target_on = forms.DateField(required=False, label=_("Target date"),
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))  # fmt: skip

    choices_from = {"streets": "street", "departments": "department"}


class LedgerTrackForm(forms.Form):
    progress = forms.IntegerField(min_value=0, max_value=99, label=_("Progress (%)"))
    note = forms.CharField(max_length=1000, label=_("What has been done"),
                           widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    public_note = forms.CharField(max_length=200, required=False, label=_("Public summary"))


class LedgerCloseForm(forms.Form):
    evidence = forms.CharField(max_length=2000, label=_("Evidence"),
                               widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    evidence_file = forms.FileField(required=False, label=_("Evidence file (photo or PDF)"))
    public_note = forms.CharField(max_length=200, required=False, label=_("Public summary"))


class MeetingForm(ScopedForm):
    street = forms.ModelChoiceField(queryset=None, label=_("Street"), error_messages=CHOOSE_STREET)
    held_on = forms.DateField(
        label=_("Held on"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )
    title = forms.CharField(max_length=120, label=_("Title"))
    attendees = forms.CharField(max_length=2000, required=False, label=_("Attendees"),
                                widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    record = forms.CharField(max_length=10000, label=_("Record"),
                             widget=forms.Textarea(attrs={"rows": 5}))  # fmt: skip
    service_items = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Service items decided"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("A meeting decides only its own street's items.")},
    )  # fmt: skip
    ledger_items = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Ledger items decided"),
        widget=forms.CheckboxSelectMultiple,
        error_messages={"invalid_choice": _("A meeting decides only its own street's items.")},
    )  # fmt: skip

    choices_from = {
        "streets": "street",
        "service_items": "service_items",
        "ledger_items": "ledger_items",
    }


# --- task admission (准入) ---------------------------------------------------------------------
class TaskAdmissionForm(ScopedForm):
    """A department records a task it pushes down to a street or community."""

    department = forms.ModelChoiceField(
        queryset=None,
        label=_("From department"),
        error_messages=_refused(_("Choose a department you work for.")),
    )
    area = forms.ModelChoiceField(
        queryset=None,
        label=_("To street or community"),
        error_messages=_refused(_("Choose a street or community of the district.")),
    )
    matter = forms.CharField(max_length=200, required=False, label=_("Task"))
    detail = forms.CharField(max_length=2000, required=False, label=_("Details"))
    due = forms.DateField(required=False, label=_("To be done by"))
    list_item = forms.ModelChoiceField(
        queryset=None,
        required=False,
        label=_("Under list item"),
        error_messages=_refused(_("No such item on the district's lists.")),
    )
    basis = forms.CharField(
        max_length=300,
        required=False,
        label=_("Basis for an exception"),
        help_text=_(
            "Only for a task that is not on the lists: the central deployment or provincial "
            "rule that requires it. The district's administrators then decide."
        ),
    )

    choices_from = {"departments": "department", "areas": "area", "items": "list_item"}
