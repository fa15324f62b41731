from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blocks.models import Area, Department, Posting

# Whom the roster editor posts where (issue 20): at a block its 1+N+1 team, its compound
# heads and building workers (seed 002) and its legal team (三官一律, seeds 002, 004); at a
# community its grid head (seed 002), 社区专员 (seed 001) and first secretaries (seed 004).
ROSTER_ROLES = {
    Area.Level.BLOCK: (
        *Posting.BLOCK_TEAM_ROLES,
        Posting.Role.COMPOUND_HEAD,
        Posting.Role.BUILDING_WORKER,
        Posting.Role.LEGAL,
    ),
    Area.Level.COMMUNITY: (
        Posting.Role.GRID_HEAD,
        Posting.Role.COMMUNITY_COMMISSIONER,
        Posting.Role.FIRST_SECRETARY,
    ),
}


class PostingForm(forms.Form):
    """Add one person to a block's team, or to those serving a community (the roster)."""

    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label=_("Person"))
    role = forms.ChoiceField(choices=(), label=_("Role"))
    assistant_kind = forms.ChoiceField(
        choices=[("", "—"), *Posting.AssistantKind.choices],
        required=False,
        label=_("Assistant kind"),
    )
    legal_kind = forms.ChoiceField(
        choices=[("", "—"), *Posting.LegalKind.choices],
        required=False,
        label=_("Legal team kind"),
    )
    pairing = forms.ModelChoiceField(
        queryset=Department.objects.none(),
        required=False,
        label=_("Paired department"),
        error_messages={"invalid_choice": _("Choose a department of this district.")},
    )
    started_on = forms.DateField(
        label=_("Started on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, people=None, area: Area | None = None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["user"].queryset = people
        level = area.level if area is not None else Area.Level.BLOCK
        self.fields["role"].choices = [(r.value, r.label) for r in ROSTER_ROLES.get(level, ())]
        if area is not None:
            self.fields["pairing"].queryset = Department.objects.filter(
                district__code=area.code[:6], is_active=True
            )
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username}（{u.username}）"
        )

    def clean(self):
        data = super().clean()
        if data.get("role") == Posting.Role.ASSISTANT and not data.get("assistant_kind"):
            self.add_error("assistant_kind", _("Choose the kind of assistant."))
        if data.get("role") != Posting.Role.ASSISTANT:
            data["assistant_kind"] = ""
        if data.get("role") == Posting.Role.LEGAL and not data.get("legal_kind"):
            self.add_error("legal_kind", _("Choose police officer, prosecutor, judge or lawyer."))
        if data.get("role") != Posting.Role.LEGAL:
            data["legal_kind"] = ""
        if data.get("role") == Posting.Role.FIRST_SECRETARY and not data.get("pairing"):
            self.add_error("pairing", _("Choose the department paired with the community."))
        if data.get("role") != Posting.Role.FIRST_SECRETARY:
            data["pairing"] = None
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
