from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class DashboardsConfig(AppConfig):
    name = "dashboards"
    verbose_name = _("Leaders' dashboard")

    def ready(self) -> None:
        from dashboards import signals  # noqa: F401 - marks a changed case's block-day
