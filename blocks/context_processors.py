from django.http import HttpRequest

from blocks.access import scope_for


def navigation(request: HttpRequest) -> dict:
    """What the page header shows: the user's areas (from the roster) and their role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    scope = scope_for(user)
    return {"user_scope": scope}
