"""Yellow and red cards (预警 / 超时) of a case's clocks, as lists and the case page show them;
``mask_phones`` for free text on every page (the links' and dashboards' too)."""

from __future__ import annotations

from datetime import datetime

from django import template
from django.urls import reverse
from django.utils import formats
from django.utils.html import format_html
from django.utils.text import Truncator
from django.utils.timesince import timesince, timeuntil
from django.utils.timezone import template_localtime
from django.utils.translation import gettext as _

from events.models import ClockKind, Priority, Status
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
def supervision_badge(card: str | None, due) -> str:
    """督办's chip on a row: a red card with its day, or a yellow card."""
    if not card:
        return ""
    if card == "red":
        text = _("Red card")
        if due:
            day = formats.date_format(template_localtime(due), "m-d")
            text = format_html("{} · {}", text, _("by %(day)s") % {"day": day})
    else:
        text = _("Yellow card")
    return format_html(
        '<span class="chip supervision-badge card-{}" data-supervision="{}">{}</span>',
        card, card, text,
    )  # fmt: skip


def _choice_label(choices, value) -> str:
    """A choice's label (``get_FOO_display`` hashes every choice's lazy label at each call:
    a tenth of a 50-row list's time)."""
    try:
        return str(choices(value).label)
    except ValueError:
        return value


@register.simple_tag
def case_row(event, now: datetime) -> str:
    """One case of the workbench's queue, rendered here rather than by an included template:
    the queue is 50 rows redrawn at every poll, and the template language spent ten times
    this function's time resolving each row's two dozen variables (issue 21). ``event`` is
    a row of events.selectors.workbench_queue with its ``owner`` (events.responsibility)."""
    owner = getattr(event, "owner", None)
    waiting = (
        format_html(
            '<span class="owner" data-owner="{}">{}</span>',
            owner.kind,
            _("waiting on %(owner)s") % {"owner": owner},
        )  # fmt: skip
        if owner and owner.kind != "block"
        else ""
    )
    age = _("%(age)s ago") % {"age": timesince(event.created_at, now)}
    return format_html(
        '<li class="case-row" data-number="{number}">'
        '<a href="{url}" class="case-link">'
        '<span class="chip colour-{priority}">{priority_label}</span> '
        "<strong>{number}</strong> "
        '<span class="muted">{category}</span> {waiting} {clock} {card}</a>'
        '<div class="case-desc">{description}</div>'
        '<div class="muted small">{block} · {status} · {age}</div>'
        "</li>",
        number=event.number,
        url=reverse("events:detail", args=[event.number]),
        priority=event.priority,
        priority_label=_choice_label(Priority, event.priority),
        category=event.category.name,
        waiting=waiting,
        clock=clock_badge(event, now),
        card=supervision_badge(event.supervision_card, event.supervision_due),
        description=Truncator(mask_phones_in_text(event.description)).chars(60),
        block=event.block.name,
        status=_choice_label(Status, event.status),
        age=age,
    )


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
def clock_row(clock, now: datetime) -> str:
    """One clock of the deadline board, rendered here for the reason ``case_row`` is: the
    board lists up to 500 clocks, and the template language spent most of the page's time
    resolving each row's variables (issue 21)."""
    owner = clock_party(clock)
    event = clock.event
    return format_html(
        '<tr data-clock="{kind}"><td><a href="{url}">{number}</a> '
        '<span class="chip colour-{priority}">{priority_label}</span></td>'
        "<td>{kind_label}</td>"
        '<td><strong class="owner" data-owner="{owner_kind}">{owner}</strong></td>'
        "<td>{block}</td><td>{due} {state}</td></tr>",
        kind=clock.kind,
        url=reverse("events:detail", args=[event.number]),
        number=event.number,
        priority=event.priority,
        priority_label=_choice_label(Priority, event.priority),
        kind_label=_choice_label(ClockKind, clock.kind),
        owner_kind=owner.kind,
        owner=owner,
        block=event.block.name,
        due=formats.date_format(template_localtime(clock.due_at), "m-d H:i"),
        state=clock_state(clock, now),
    )


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
