from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlocksConfig(AppConfig):
    name = "blocks"
    verbose_name = _("Territory")

    def ready(self):
        # Connects the signal that drops the point-in-block index when a block is saved.
        from blocks import geo  # noqa: F401
