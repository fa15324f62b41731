from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class EventsConfig(AppConfig):
    name = "events"
    verbose_name = _("Resident requests")

    def ready(self) -> None:
        from events.categories import category_catalogue
        from liaison.imports import register_category_catalogue

        # The duty-list import (liaison, below us) checks category codes against ours.
        register_category_catalogue(category_catalogue)
