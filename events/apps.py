from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Resident requests")

    def ready(self) -> None:
        from events.deadlines import calendar_probe
        from governance.health import register_probe

        register_probe("calendar", calendar_probe)
