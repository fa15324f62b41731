"""The legal team's calls on an area's card (三官一律, issue 20)."""

from __future__ import annotations

from django import template

from events.legal import legal_calls as count_legal_calls

register = template.Library()


@register.simple_tag
def legal_calls(code: str) -> int:
    return count_legal_calls(code)
