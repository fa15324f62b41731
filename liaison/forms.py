"""Forms of the link pages: they only parse; the services check and write."""

from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from events.forms import category_choices
from events.models import Category, Priority
from liaison.models import CadreLink, HouseholdLeader, Visit


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
    block = forms.ModelChoiceField(queryset=None, label=_("Block"))
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


class CadreLinkForm(forms.Form):
    cadre = forms.ModelChoiceField(queryset=None, label=_("Cadre"))
    area = forms.ModelChoiceField(queryset=None, label=_("Block or community"))
    role = forms.ChoiceField(choices=CadreLink.Role.choices, label=_("Role"))

    def __init__(self, *args, cadres, areas, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["cadre"].queryset = cadres
        self.fields["area"].queryset = areas


class HouseholdLeaderForm(forms.Form):
    block = forms.ModelChoiceField(queryset=None, label=_("Block"))
    name = forms.CharField(max_length=40, label=_("Name"))
    phone = forms.RegexField(regex=r"^\+?[0-9\- ]{5,20}$", required=False, label=_("Phone"))
    households = forms.IntegerField(
        min_value=HouseholdLeader.MIN_HOUSEHOLDS, max_value=HouseholdLeader.MAX_HOUSEHOLDS,
        initial=20, label=_("Households linked"),
    )  # fmt: skip
    covers = forms.CharField(max_length=120, required=False, label=_("Which households"))

    def __init__(self, *args, blocks, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["block"].queryset = blocks


class MatterReportForm(forms.Form):
    description = forms.CharField(max_length=2000, label=_("What is the matter?"),
                                  widget=forms.Textarea(attrs={"rows": 3}))  # fmt: skip
    building = forms.CharField(max_length=60, required=False, label=_("Building / unit"))


class ClaimForm(forms.Form):
    department = forms.ModelChoiceField(queryset=None, label=_("Department"))
    responsible = forms.ModelChoiceField(queryset=None, label=_("Responsible person"))
    due_on = forms.DateField(
        label=_("Deadline"), widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d")
    )

    def __init__(self, *args, departments, people, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["department"].queryset = departments
        self.fields["responsible"].queryset = people
        self.fields["responsible"].label_from_instance = lambda u: u.get_full_name() or u.username


class LedgerEnterForm(forms.Form):
    street = forms.ModelChoiceField(queryset=None, label=_("Street"))
    year = forms.IntegerField(min_value=2000, max_value=2100, label=_("Year"))
    title = forms.CharField(max_length=120, label=_("Matter"))
    description = forms.CharField(max_length=2000, required=False, label=_("Description"),
                                  widget=forms.Textarea(attrs={"rows": 2}))  # fmt: skip
    department = forms.ModelChoiceField(queryset=None, required=False, label=_("Lead department"))
    target_on = forms.DateField(required=False, label=_("Target date"),
                                widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"))  # fmt: skip

    def __init__(self, *args, streets, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets
        self.fields["department"].queryset = departments


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


class MeetingForm(forms.Form):
    street = forms.ModelChoiceField(queryset=None, label=_("Street"))
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
    )  # fmt: skip
    ledger_items = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Ledger items decided"),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip

    def __init__(self, *args, streets, service_items, ledger_items, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["street"].queryset = streets
        self.fields["service_items"].queryset = service_items
        self.fields["ledger_items"].queryset = ledger_items
