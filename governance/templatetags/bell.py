"""The header's bell, drawn with the page (issue 21)."""

from django import template

from governance.notification_views import badge_context

register = template.Library()


@register.inclusion_tag("governance/_notification_badge.html", takes_context=True)
def notification_badge(context) -> dict:
    """The unread count and its next poll's address, in the page itself: asking for them
    by a request of their own at every page load (htmx's ``load`` trigger) cost the server
    a whole request, answered with content, per page view."""
    return badge_context(context["request"])
