"""How the leaders' numbers read (issue 18): a rate as a percentage, a duration in hours
and minutes, a time in local time, a fraction without a stray ".0". The dashboard, the big
screen and the monthly report show every number through these, so they read the same."""

from __future__ import annotations

from datetime import datetime

from django.utils import timezone
from django.utils.translation import gettext as _

from events import stats

DASH = "–"


def local(value: datetime | None) -> datetime | None:
    """An aware time in the local time zone (templates format it, JSON writes it in ISO)."""
    return timezone.localtime(value) if value else None


def number_text(value: float | int | None) -> str:
    """7.0 → "7", 7.5 → "7.5" (a weighted numerator may have a fraction)."""
    if value is None:
        return DASH
    if float(value).is_integer():
        return str(int(value))
    return f"{value:.2f}".rstrip("0")


def percent_text(percent: float | None) -> str:
    return DASH if percent is None else f"{percent:.1f}%"


def duration_text(seconds: float | None) -> str:
    """A duration as a leader reads it: 45秒, 3分38秒, 46时42分 (hours past a day stay
    hours: a deadline is counted in hours)."""
    if seconds is None:
        return DASH
    seconds = int(round(seconds))
    if seconds < 60:
        return _("%(s)d s") % {"s": seconds}
    if seconds < 3600:
        minutes, rest = divmod(seconds, 60)
        if not rest:
            return _("%(m)d min") % {"m": minutes}
        return _("%(m)d min %(s)d s") % {"m": minutes, "s": rest}
    hours, rest = divmod(round(seconds / 60), 60)
    if not rest:
        return _("%(h)d h") % {"h": hours}
    return _("%(h)d h %(m)d min") % {"h": hours, "m": rest}


def shown(result: stats.Rate | stats.Average | object) -> dict:
    """What a measure's cells show: ``display`` (its value), ``numerator_display`` and
    ``denominator_display``. A rate: 87.5%, 14, 16; an average: 3分38秒, the total time,
    the number of cases."""
    if isinstance(result, stats.Rate):
        return {
            "display": percent_text(result.percent),
            "numerator_display": number_text(result.numerator),
            "denominator_display": number_text(result.denominator),
        }
    if isinstance(result, stats.Average):
        average = result.total_seconds / result.count if result.count else None
        return {
            "display": duration_text(average),
            "numerator_display": duration_text(result.total_seconds),
            "denominator_display": number_text(result.count),
        }
    value = getattr(result, "value", result)
    return {"display": number_text(value), "numerator_display": "", "denominator_display": ""}


def rate_display(entry: dict | None) -> str:
    """A rate already turned into a dict (``Rate.as_dict()``) as a percentage."""
    return percent_text((entry or {}).get("percent"))
