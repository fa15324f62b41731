from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class LiaisonConfig(AppConfig):
    name = "liaison"
    verbose_name = _("Links between levels")

    def ready(self) -> None:
        from events.panels import register_case_panel

        # The community's five officials (五者同责) on the page of each of its cases.
        register_case_panel("liaison/_event_links.html")
