from django.apps import AppConfig
from django.utils.translation import gettext_lazy as _


class BlocksConfig(AppConfig):
    name = "blocks"
    verbose_name = _("Territory")

    def ready(self):
        # Connects the signal that drops the point-in-block index when a block is saved.
        from django.db.models.signals import post_delete, post_save

        from blocks import geo  # noqa: F401
        from blocks.models import Area, DepartmentMember, Posting
        from governance import identity

        # Scopes are remembered between requests until the roster changes (issue 21).
        for model in (Posting, DepartmentMember, Area):
            post_save.connect(identity.changed, sender=model, dispatch_uid=f"identity-{model}")
            post_delete.connect(identity.changed, sender=model, dispatch_uid=f"identity-d-{model}")
