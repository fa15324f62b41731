"""Tags of the panels the dashboards app adds to other apps' pages (blocks.panels)."""

from __future__ import annotations

from datetime import timedelta

from django import template
from django.utils import timezone

from dashboards.selectors import Period, block_response_by_governor
from events import stats

register = template.Library()
DAYS = 30


@register.simple_tag
def governors_response(area) -> dict | None:
    """The block's governors' 15-minute response over the last 30 days (None off a block)."""
    if area.level != "block":
        return None
    now = timezone.now()
    today = timezone.localdate(now)
    period = Period("custom", today - timedelta(days=DAYS - 1), today + timedelta(days=1))
    measures = stats.MEASURES
    return {
        "days": DAYS,
        "rows": block_response_by_governor(block=area, period=period, now=now),
        "rate_formula": stats.formula(measures["block_response_rate"]),
        "avg_formula": stats.formula(measures["avg_response_minutes"]),
    }
