from django import forms
from django.contrib.auth import get_user_model
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from blocks.models import Posting

BLOCK_ROLES = [(r.value, r.label) for r in Posting.BLOCK_TEAM_ROLES]


class PostingForm(forms.Form):
    """Add one person to a block's team (the roster editor)."""

    user = forms.ModelChoiceField(queryset=get_user_model().objects.none(), label=_("Person"))
    role = forms.ChoiceField(choices=BLOCK_ROLES, label=_("Role"))
    assistant_kind = forms.ChoiceField(
        choices=[("", "—"), *Posting.AssistantKind.choices],
        required=False,
        label=_("Assistant kind"),
    )
    started_on = forms.DateField(
        label=_("Started on"),
        initial=timezone.localdate,
        widget=forms.DateInput(attrs={"type": "date"}, format="%Y-%m-%d"),
    )

    def __init__(self, *args, people=None, **kwargs):
        super().__init__(*args, **kwargs)
        if people is not None:
            self.fields["user"].queryset = people
        self.fields["user"].label_from_instance = lambda u: (
            f"{u.get_full_name() or u.username}（{u.username}）"
        )

    def clean(self):
        data = super().clean()
        if data.get("role") == Posting.Role.ASSISTANT and not data.get("assistant_kind"):
            self.add_error("assistant_kind", _("Choose the kind of assistant."))
        if data.get("role") != Posting.Role.ASSISTANT:
            data["assistant_kind"] = ""
        return data


class ImportUploadForm(forms.Form):
    file = forms.FileField(
        label=_("CSV or XLSX file"),
        widget=forms.ClearableFileInput(attrs={"accept": ".csv,.xlsx"}),
    )
