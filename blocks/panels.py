"""Panels that the apps above ``blocks`` add to an area's card (``/areas/<code>/``).

The lower app offers the hook and never names the upper ones (STYLE §1), like the case
page's panels (events/panels.py): an upper app registers its template in
``AppConfig.ready`` (dashboards: each governor's 15-minute response rate on a block's
card). A panel's template gets the area page's context (``area`` among it).
"""

from __future__ import annotations

AREA_PANELS: list[str] = []


def register_area_panel(template_name: str) -> None:
    if template_name not in AREA_PANELS:
        AREA_PANELS.append(template_name)
