from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liaison"
    verbose_name = _("Links between levels")

    def ready(self) -> None:
        from django.db.models.signals import post_delete, post_save

        from blocks.access import register_reader
        from events.panels import register_case_panel
        from events.recipients import register_community_recipients
        from governance import identity
        from liaison import (
            joint,
            signals,  # noqa: F401  (a household leader's matter follows its case)
        )
        from liaison.models import DeployedCadre, JointGroup, JointGroupMember, PartyMember

        # The community's five officials (五者同责) on the page of each of its cases.
        register_case_panel("liaison/_event_links.html")
        # 五者同责 that acts (issue 20, seed 004): the five read the community's cases and
        # hear of its overdue and 督办 notices.
        register_reader(joint.officials_reads)
        register_community_recipients(joint.officials_of)
        # Who reads as one of the five, who is a cadre or a party member: part of what each
        # page remembers of its user (governance/identity.py, issue 21).
        for model in (JointGroup, JointGroupMember, DeployedCadre, PartyMember):
            post_save.connect(identity.changed, sender=model, dispatch_uid=f"identity-{model}")
            post_delete.connect(identity.changed, sender=model, dispatch_uid=f"identity-d-{model}")
