"""Domain errors that services raise and pages/API turn into a clear message (STYLE §3), and
the one way a page turns a service's refusal into a message."""

from collections.abc import Callable
from typing import Any, NamedTuple

from django.contrib import messages
from django.core.exceptions import ObjectDoesNotExist, PermissionDenied, ValidationError
from django.http import Http404, HttpRequest
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


# Every kind of refusal a service raises; anything else is a bug and stays a 500.
REFUSALS = (DomainError, ValidationError, PermissionDenied)


def refusal_message(error: Exception) -> str:
    """What a person is told when a service refuses, in their language."""
    if isinstance(error, DomainError):
        return str(error.message)
    if isinstance(error, ValidationError):
        return " ".join(str(m) for m in error.messages)
    return str(error) or str(_("You may not do this."))


class Outcome(NamedTuple):
    ok: bool
    value: Any = None


def page_act(request: HttpRequest, call: Callable[[], Any], success: str | None = None) -> Outcome:
    """Run a service for a page: a refusal becomes an error message (and ``ok`` is false),
    success the ``success`` message; an object outside the user's area stays a 404."""
    try:
        value = call()
    except REFUSALS as error:
        messages.error(request, refusal_message(error))
        return Outcome(False)
    except ObjectDoesNotExist:
        raise Http404 from None
    if success:
        messages.success(request, success)
    return Outcome(True, value)
