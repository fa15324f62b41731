from __future__ import annotations

from django import forms
from django.utils.translation import gettext_lazy as _

from blocks.models import Area, Posting
from events.models import (
    CALLBACK_SOURCES,
    Assignment,
    Category,
    CategoryKind,
    Priority,
    Satisfaction,
    SupervisionCard,
    WhistleReason,
)


class MultipleFileInput(forms.ClearableFileInput):
    allow_multiple_selected = True


class PhotosField(forms.FileField):
    """Several photos in one input; each is checked by content in the service."""

    widget = MultipleFileInput(attrs={"accept": "image/jpeg,image/png,image/webp"})

    def clean(self, data, initial=None):
        files = data if isinstance(data, list | tuple) else [data] if data else []
        return [super(PhotosField, self).clean(f, initial) for f in files]


def active_matters(kind: str | None = None) -> list[tuple[int, str, str, str, str]]:
    """The active matters (pk, name, parent's name, keywords, kind) in the catalogue's
    order, in one query (``kind``: only complaints, or only assisted services)."""
    matters = Category.objects.filter(is_active=True, parent__isnull=False)
    if kind is not None:
        matters = matters.filter(kind=kind)
    return list(matters.values_list("pk", "name", "parent__name", "keywords", "kind"))


def category_choices(kind: str | None = None, *, matters=None) -> list:
    """Matters grouped under their parent, for a <select> with optgroups."""
    groups: dict[str, list] = {}
    for pk, name, parent, _keywords, _kind in (
        matters if matters is not None else active_matters(kind)
    ):
        groups.setdefault(parent, []).append((pk, name))
    return [("", "—")] + list(groups.items())


class CategorySelect(forms.Select):
    """Options carry the matter's keywords (data-keywords) for the type-to-find box, and
    mark assisted services (data-service: they can be booked). Its template writes each
    option inline: the intake form is on every workbench, and Django's template per option
    (and per option's attributes) cost more than the rest of the form (issue 21)."""

    template_name = "events/widgets/category_select.html"
    keywords: dict[int, str] = {}
    services: frozenset[int] = frozenset()

    def create_option(self, name, value, label, selected, index, subindex=None, attrs=None):
        option = super().create_option(name, value, label, selected, index, subindex, attrs)
        pk = getattr(value, "value", value)
        option["keywords"] = self.keywords.get(pk, "")
        option["service"] = pk in self.services
        return option


class BookedAtField(forms.DateTimeField):
    """预约服务 (seed 002): when the resident wants the service done; optional."""

    def __init__(self, **kwargs):
        kwargs.setdefault("required", False)
        kwargs.setdefault("label", _("Booked for (optional)"))
        kwargs.setdefault("help_text", _("Assisted services only: the block does it at this time."))
        kwargs.setdefault(
            "widget",
            forms.DateTimeInput(attrs={"type": "datetime-local"}, format="%Y-%m-%dT%H:%M"),
        )
        super().__init__(**kwargs)


class EventLogForm(forms.Form):
    """The block governor's intake form: phone, matter, what, where, a photo (under 30 s)."""

    block = forms.ModelChoiceField(queryset=Area.objects.none(), label=_("Block"))
    reporter_phone = forms.RegexField(
        regex=r"^\+?[0-9\- ]{5,20}$",
        required=False,
        label=_("Resident's phone"),
        error_messages={"invalid": _("Enter a phone number of digits only.")},
        widget=forms.TextInput(attrs={"inputmode": "tel", "autocomplete": "off"}),
    )
    reporter_name = forms.CharField(max_length=40, required=False, label=_("Resident's name"))
    category = forms.TypedChoiceField(label=_("Matter"), coerce=int, widget=CategorySelect)
    priority = forms.ChoiceField(
        choices=[("", _("default for the matter"))] + Priority.choices,
        required=False,
        label=_("Colour"),
    )
    description = forms.CharField(
        max_length=2000, label=_("What is the problem?"), widget=forms.Textarea(attrs={"rows": 3})
    )
    building = forms.CharField(max_length=60, required=False, label=_("Building / unit"))
    address = forms.CharField(max_length=200, required=False, label=_("Address"))
    photos = PhotosField(required=False, label=_("Photos"))
    booked_at = BookedAtField()

    def __init__(self, *args, blocks=None, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["block"].queryset = blocks if blocks is not None else Area.objects.none()
        matters = active_matters()
        self.fields["category"].choices = category_choices(matters=matters)
        widget = self.fields["category"].widget
        widget.keywords = {pk: keywords for pk, _n, _p, keywords, _k in matters if keywords}
        widget.services = frozenset(
            pk for pk, _n, _p, _w, kind in matters if kind == CategoryKind.ASSISTED_SERVICE
        )

    def clean_category(self):
        pk = self.cleaned_data["category"]
        try:
            return Category.objects.get(pk=pk, is_active=True)
        except Category.DoesNotExist:
            raise forms.ValidationError(_("Choose a matter from the list.")) from None


class NoteForm(forms.Form):
    note = forms.CharField(
        max_length=2000, required=False, widget=forms.Textarea(attrs={"rows": 2})
    )
    expected_status = forms.CharField(required=False, widget=forms.HiddenInput)


class WhistleForm(NoteForm):
    reason = forms.ChoiceField(choices=WhistleReason.choices, label=_("Why the block whistles"))


class LegalCallForm(NoteForm):
    """三官一律: the block calls its legal team, or one kind of it, onto a case (issue 20)."""

    kind = forms.ChoiceField(
        choices=[("", _("the whole legal team")), *Posting.LegalKind.choices],
        required=False,
        label=_("Whom to call"),
    )


class ResolveForm(NoteForm):
    photos = PhotosField(required=False, label=_("Photos"))


class InvalidateForm(NoteForm):
    """The case page asks for the reason in its note field; the service and API call it reason."""

    def clean(self):
        data = super().clean()
        data["reason"] = data.get("note", "")
        return data


class MergeForm(NoteForm):
    into = forms.CharField(max_length=32, label=_("Case number it repeats"))


class RatingForm(forms.Form):
    satisfaction = forms.ChoiceField(
        choices=Satisfaction.choices, widget=forms.RadioSelect, label=_("How satisfied are you?")
    )
    resolved = forms.TypedChoiceField(
        choices=[("1", _("Yes")), ("0", _("No"))],
        coerce=lambda v: v == "1",
        widget=forms.RadioSelect,
        label=_("Is the problem resolved?"),
    )
    comment = forms.CharField(
        max_length=500, required=False, label=_("Comment"), widget=forms.Textarea(attrs={"rows": 2})
    )


class CallbackRatingForm(RatingForm):
    """Staff record the resident's answer to a callback (回访), saying who called."""

    source = forms.ChoiceField(
        choices=[(s.value, s.label) for s in CALLBACK_SOURCES],
        initial=CALLBACK_SOURCES[0].value,
        required=False,
        widget=forms.RadioSelect,
        label=_("Who called the resident"),
    )


class DispatchForm(forms.Form):
    lead = forms.ModelChoiceField(queryset=None, label=_("Lead department"))
    cooperating = forms.ModelMultipleChoiceField(
        queryset=None, required=False, label=_("Cooperating departments"),
        widget=forms.CheckboxSelectMultiple,
    )  # fmt: skip
    note = forms.CharField(max_length=300, required=False, label=_("Instructions"))
    expected_status = forms.CharField(required=False, widget=forms.HiddenInput)

    def __init__(self, *args, departments, **kwargs):
        super().__init__(*args, **kwargs)
        self.fields["lead"].queryset = departments
        self.fields["cooperating"].queryset = departments

    def clean(self):
        data = super().clean()
        lead = data.get("lead")
        if lead and lead in data.get("cooperating", []):
            self.add_error("cooperating", _("The lead department cannot also cooperate."))
        return data


class FeedbackForm(forms.Form):
    note = forms.CharField(
        max_length=2000, label=_("What was done"), widget=forms.Textarea(attrs={"rows": 3})
    )
    photos = PhotosField(required=False, label=_("Photos"))


class ReturnForm(forms.Form):
    reason = forms.ChoiceField(choices=Assignment.ReturnReason.choices, label=_("Why return it"))
    note = forms.CharField(max_length=300, label=_("Explanation to the street"))


class EvaluationForm(forms.Form):
    SCORES = [(i, str(i)) for i in range(5, 0, -1)]
    response = forms.TypedChoiceField(choices=SCORES, coerce=int, label=_("Response"))
    handling = forms.TypedChoiceField(choices=SCORES, coerce=int, label=_("Handling"))
    attitude = forms.TypedChoiceField(choices=SCORES, coerce=int, label=_("Attitude"))
    comment = forms.CharField(max_length=300, required=False, label=_("Comment"))


class SupervisionForm(forms.Form):
    """督办 on the case page; the service checks the card, the note and the date."""

    card = forms.ChoiceField(
        label=_("Card"), choices=SupervisionCard.choices, widget=forms.RadioSelect,
        initial=SupervisionCard.YELLOW,
    )  # fmt: skip
    note = forms.CharField(
        label=_("What you ask of the handler"), max_length=500,
        widget=forms.Textarea(attrs={"rows": 2}),
    )  # fmt: skip
    due = forms.DateField(
        label=_("To be done by (red card)"), required=False,
        widget=forms.DateInput(attrs={"type": "date"}),
    )  # fmt: skip
