"""Panels that the apps above ``events`` add to the case page.

The lower app offers the hook and never names the upper ones (STYLE §1); an upper app
registers its template in ``AppConfig.ready`` (liaison: the 五者同责 card of the community).
A panel's template gets the case page's context (``event`` among it).
"""

from __future__ import annotations

CASE_PAGE_PANELS: list[str] = []


def register_case_panel(template_name: str) -> None:
    if template_name not in CASE_PAGE_PANELS:
        CASE_PAGE_PANELS.append(template_name)
