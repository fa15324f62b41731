"""Yellow and red cards (预警 / 超时) of a case's clocks, as lists and the case page show them;
``mask_phones`` for free text on every page (the links' and dashboards' too)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.utils.html import format_html
from django.utils.timesince import timeuntil
from django.utils.translation import gettext as _

from events.responsibility import clock_party, row_party
from governance.privacy import mask_phones_in_text, phones_in_text

register = template.Library()


def _card(due_at: datetime | None, warn_at: datetime | None, now: datetime) -> tuple[str, str]:
    if due_at is None:
        return "", ""
    if now >= due_at:
        return "card-red", _("overdue by %(t)s") % {"t": timeuntil(now, due_at)}
    left = _("%(t)s left") % {"t": timeuntil(due_at, now)}
    if warn_at is not None and now >= warn_at:
        return "card-yellow", left
    return "card-none", left


@register.simple_tag
def clock_badge(event, now: datetime) -> str:
    """The nearest open clock of a list row (annotated by events.selectors.event_queryset)."""
    css, text = _card(getattr(event, "due_at", None), getattr(event, "warn_at", None), now)
    if not css:
        return ""
    warn = event.warn_at.isoformat() if getattr(event, "warn_at", None) else ""
    return format_html(
        '<span class="clock {}" data-due="{}" data-warn="{}">{}</span>',
        css, event.due_at.isoformat(), warn, text,
    )  # fmt: skip


@register.simple_tag
def clock_state(clock, now: datetime) -> str:
    if clock.cancelled_at:
        return _("cancelled")
    if clock.met_at:
        late = clock.met_at > clock.due_at
        return _("met late") if late else _("met on time")
    css, text = _card(clock.due_at, clock.warn_at, now)
    # data-warn too, or countdown.js would turn a yellow card back to none at its first tick.
    warn = clock.warn_at.isoformat() if clock.warn_at else ""
    return format_html(
        '<span class="clock {}" data-due="{}" data-warn="{}">{}</span>',
        css, clock.due_at.isoformat(), warn, text,
    )  # fmt: skip


@register.simple_tag
def clock_owner(clock):
    """Who must act on a clock: 区块, 区块监督员, 街道派单台, 区指挥中心 or the department
    (events.responsibility)."""
    return clock_party(clock)


@register.simple_tag
def row_owner(event):
    """Whose turn a list row's case is (the owner of its next clock)."""
    return row_party(event)


@register.filter(is_safe=True)
def mask_phones(value):
    """Phone numbers typed into free text, masked (governance.privacy, DESIGN §6). Put it
    first, before ``truncatechars``: a cut must not leave a number's head standing whole."""
    return mask_phones_in_text(str(value)) if value else value


@register.filter
def has_phones(value) -> bool:
    """Whether free text holds a phone number (the case page then offers the reveal)."""
    return bool(phones_in_text(str(value))) if value else False
