"""Domain errors that services raise and pages/API turn into a clear message (STYLE §3)."""

from django.utils.translation import gettext_lazy as _


class DomainError(Exception):
    """A request the rules refuse. ``code`` is machine-readable; the message is for people."""

    code = "invalid"
    status = 400
    default_message = _("This action is not allowed.")

    def __init__(self, message=None, *, code: str | None = None):
        self.message = message or self.default_message
        if code:
            self.code = code
        super().__init__(str(self.message))


class StateConflict(DomainError):
    """Somebody else changed the object first (two users acting at once: one wins)."""

    code = "conflict"
    status = 409
    default_message = _("This case has already been handled by someone else.")
