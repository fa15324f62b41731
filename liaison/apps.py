from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liaison"
    verbose_name = _("Links between levels")

    def ready(self) -> None:
        from blocks.access import register_reader
        from events.panels import register_case_panel
        from events.recipients import register_community_recipients
        from liaison import (
            joint,
            signals,  # noqa: F401  (a household leader's matter follows its case)
        )

        # The community's five officials (五者同责) on the page of each of its cases.
        register_case_panel("liaison/_event_links.html")
        # 五者同责 that acts (issue 20, seed 004): the five read the community's cases and
        # hear of its overdue and 督办 notices.
        register_reader(joint.officials_reads)
        register_community_recipients(joint.officials_of)
