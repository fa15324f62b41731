from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Resident requests")

    def ready(self) -> None:
        from blocks.panels import register_area_panel
        from events.deadlines import calendar_probe
        from governance.health import register_probe

        register_probe("calendar", calendar_probe)
        # How often an area's cases called the legal team (三官一律, issue 20).
        register_area_panel("events/_legal_calls_panel.html")
