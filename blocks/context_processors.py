from django.http import HttpRequest


def navigation(request: HttpRequest) -> dict:
    """What the page header shows: the user's areas (from the roster) and their role."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {}
    from blocks.access import scope_for

    scope = scope_for(user)
    return {"user_scope": scope}
