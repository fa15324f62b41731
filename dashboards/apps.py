from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Leaders' dashboard")

    def ready(self) -> None:
        from blocks.panels import register_area_panel
        from dashboards import signals  # noqa: F401 - marks a changed case's block-day

        # A block's card shows each governor's 15-minute response rate (issue 17).
        register_area_panel("dashboards/_block_response_panel.html")
