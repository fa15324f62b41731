"""Where a report belongs: the block of a map point or of a typed address. Shared by the
residents' pages and Open311, which both take reports from outside."""

from __future__ import annotations

import re

from django.core.cache import cache

from blocks.models import Area


def open_areas(level: str):
    return Area.objects.filter(level=level, closed_on__isnull=True)


def block_at_point(lat: float, lon: float) -> Area | None:
    """The open block the point lies in (blocks.geo owns the geometry), or None."""
    try:
        from blocks import geo
    except ImportError:  # point-in-block lookup not installed: residents choose by hand
        return None
    # Expected API: blocks.geo.block_at(lat, lon) -> Area | None. Until it has that name the
    # resident is asked to choose by hand rather than shown an error page.
    find = getattr(geo, "block_at", None)
    if find is None:
        return None
    block = find(lat, lon)
    if block is None or block.level != Area.Level.BLOCK or block.closed_on is not None:
        return None
    return block


def _stem(name: str) -> str:
    """白石社区 → 白石, 白石社区第1区块 → 白石社区第1: what people leave out when they type."""
    for suffix in ("区块", "网格", "社区", "居委会", "村委会", "村"):
        if name.endswith(suffix) and len(name) > len(suffix) + 1:
            return name[: -len(suffix)]
    return name


def address_suggestions(text: str, *, limit: int = 6) -> list[Area]:
    """Open blocks whose name, or whose community's name, appears in the typed address (or
    the other way round). A suggestion only: the resident picks one."""
    text = re.sub(r"\s+", "", text or "")
    if len(text) < 2:
        return []
    communities = cache.get("public:community-names")
    if communities is None:
        communities = list(open_areas(Area.Level.COMMUNITY).values_list("id", "name"))
        cache.set("public:community-names", communities, timeout=600)
    matched_communities = [
        pk for pk, name in communities if _stem(name) in text or (len(text) >= 2 and text in name)
    ]
    blocks = list(
        open_areas(Area.Level.BLOCK)
        .filter(parent_id__in=matched_communities)
        .select_related("parent")
        .order_by("code")[:200]
    )
    blocks += list(
        open_areas(Area.Level.BLOCK)
        .filter(name__icontains=text)
        .exclude(parent_id__in=matched_communities)
        .select_related("parent")
        .order_by("code")[:limit]
    )

    def score(block: Area) -> tuple[int, str]:
        # The block's own name in the address beats its community's.
        if block.name in text or _stem(block.name) in text:
            return (0, block.code)
        return (1, block.code)

    return sorted(blocks, key=score)[:limit]
