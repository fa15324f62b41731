"""Geometry of the territory: which block a map point lies in, and the 插花地带 check.

Boundaries are GeoJSON (lon/lat, WGS-84) on ``Area.boundary``. Placing a point must be
cheap on every resident's report, so each process builds one shapely STRtree over the
open blocks' boundaries and keeps it; a version stamp read from the database (the newest
``updated_at`` of the blocks and their number, one index-only query) tells it when a
boundary changed in any process, and a save in this process drops it at once. Writes
that bypass ``save()`` (``QuerySet.update``) must call ``invalidate()``.
"""

from __future__ import annotations

import math
import threading
from dataclasses import dataclass, field

from django.db.models import Count, Max
from django.db.models.signals import post_save
from shapely import STRtree, prepare
from shapely.geometry import Point, shape
from shapely.geometry.base import BaseGeometry
from shapely.ops import unary_union

from blocks.models import Area

# Pieces smaller than this are drawing noise (shared edges digitised twice), not land.
MIN_ORPHAN_M2 = 100.0
# Metres per degree of latitude; a degree of longitude is this times cos(latitude).
M_PER_DEGREE = 111_320.0


def geometry(boundary: dict | None) -> BaseGeometry | None:
    """The shapely geometry of a GeoJSON Polygon/MultiPolygon (or Feature), None if unusable."""
    if not boundary:
        return None
    if boundary.get("type") == "Feature":
        boundary = boundary.get("geometry") or {}
    try:
        geom = shape(boundary)
    except Exception:
        return None
    if geom.is_empty or geom.geom_type not in ("Polygon", "MultiPolygon"):
        return None
    if not geom.is_valid:
        geom = geom.buffer(0)
    return geom


def boundary_error(boundary) -> str | None:
    """Why a boundary cannot be used (for imports and forms), or None if it is fine."""
    from django.utils.translation import gettext as _

    if not isinstance(boundary, dict):
        return _("The boundary is not a GeoJSON object.")
    geom = geometry(boundary)
    if geom is None:
        return _("The boundary is not a GeoJSON Polygon or MultiPolygon.")
    west, south, east, north = geom.bounds
    if not (-180 <= west <= east <= 180 and -90 <= south <= north <= 90):
        return _("The boundary is not in longitude/latitude (WGS-84).")
    return None


def area_m2(geom: BaseGeometry) -> float:
    """Approximate area in square metres (a local equirectangular projection: blocks are
    small enough that the error is far below a drawing's)."""
    if geom.is_empty:
        return 0.0
    lat = geom.centroid.y
    return geom.area * M_PER_DEGREE * M_PER_DEGREE * math.cos(math.radians(lat))


@dataclass
class _Index:
    version: tuple
    tree: STRtree | None = None
    ids: list[int] = field(default_factory=list)
    codes: list[str] = field(default_factory=list)
    shapes: list[BaseGeometry] = field(default_factory=list)


# Blocks, and the compounds and buildings below them where a district has mapped them
# (三基三元, seed 003: 18- and 21-digit codes): a point is placed in the smallest of them.
LOCATED_LEVELS = (Area.Level.BLOCK, Area.Level.COMPOUND, Area.Level.BUILDING)
BLOCK_CODE_LENGTH = Area.CODE_LENGTH[Area.Level.BLOCK]


_lock = threading.Lock()
_index: _Index | None = None


def _open_blocks():
    return Area.objects.filter(level=Area.Level.BLOCK, closed_on__isnull=True)


def _open_places():
    return Area.objects.filter(level__in=LOCATED_LEVELS, closed_on__isnull=True)


def current_version() -> tuple:
    """The stamp of the boundaries: changes whenever a block, compound or building is saved,
    added or closed."""
    stamp = Area.objects.filter(level__in=LOCATED_LEVELS).aggregate(
        newest=Max("updated_at"), count=Count("id")
    )
    return (stamp["newest"], stamp["count"])


def invalidate() -> None:
    """Forget this process's index (it is rebuilt on the next lookup)."""
    global _index
    with _lock:
        _index = None


def _build(version: tuple) -> _Index:
    ids, codes, shapes = [], [], []
    rows = _open_places().exclude(boundary__isnull=True).values_list("pk", "code", "boundary")
    for pk, code, boundary in rows:
        geom = geometry(boundary)
        if geom is None:
            continue
        prepare(geom)
        ids.append(pk)
        codes.append(code)
        shapes.append(geom)
    return _Index(
        version=version, tree=STRtree(shapes) if shapes else None, ids=ids, codes=codes,
        shapes=shapes,
    )  # fmt: skip


def _get_index() -> _Index:
    global _index
    version = current_version()
    index = _index
    if index is not None and index.version == version:
        return index
    with _lock:
        if _index is None or _index.version != version:
            _index = _build(version)
        return _index


def _hits(lat: float, lon: float) -> list[tuple[str, int]]:
    """(code, id) of every open block, compound and building whose boundary contains the
    point: the smallest first (the longest code), then the lowest code — so a point on the
    shared edge of two areas belongs to the one with the lowest code, whatever the order
    the index was built in."""
    index = _get_index()
    if index.tree is None:
        return []
    point = Point(lon, lat)
    hits = [
        (index.codes[i], index.ids[i])
        for i in index.tree.query(point)
        if index.shapes[i].covers(point)  # covers: a point on the edge counts
    ]
    return sorted(hits, key=lambda hit: (-len(hit[0]), hit[0]))


def block_id_at(lat: float, lon: float) -> int | None:
    """The id of the open block the point lies in, or None (no block there): the block of
    the smallest area around it (a building's or compound's block if only they are drawn)."""
    hits = _hits(lat, lon)
    blocks = [hit for hit in hits if len(hit[0]) == BLOCK_CODE_LENGTH]
    if blocks:
        return blocks[0][1]  # sorted: the lowest code on a shared edge
    if not hits:
        return None
    block_code = hits[0][0][:BLOCK_CODE_LENGTH]
    return _open_blocks().filter(code=block_code).values_list("pk", flat=True).first()


def place_at(lat: float, lon: float) -> Area | None:
    """The smallest open area the point lies in — a building, a compound, else a block."""
    hits = _hits(lat, lon)
    return _open_places().filter(pk=hits[0][1]).first() if hits else None


def block_at(lat: float, lon: float) -> Area | None:
    """The open block the point (WGS-84 lat/lon) lies in, or None if it lies in no block."""
    try:
        lat, lon = float(lat), float(lon)
    except (TypeError, ValueError):
        return None
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return None
    pk = block_id_at(lat, lon)
    if pk is None:
        return None
    return _open_blocks().select_related("parent").filter(pk=pk).first()


def _on_area_saved(sender, instance: Area, **kwargs) -> None:
    if instance.level in LOCATED_LEVELS:
        invalidate()


post_save.connect(_on_area_saved, sender=Area, dispatch_uid="blocks.geo.invalidate")


# --- 插花地带 (orphan_area): land the block division leaves to nobody, or to two ------------


@dataclass
class Finding:
    kind: str  # "overlap", "uncovered", "outside", "no_boundary"
    area_codes: tuple[str, ...]
    area_names: tuple[str, ...]
    m2: float = 0.0
    lat: float | None = None
    lon: float | None = None

    @property
    def pairs(self) -> list[tuple[str, str]]:
        return list(zip(self.area_codes, self.area_names, strict=True))

    @property
    def label(self) -> str:
        from django.utils.translation import gettext as _

        return {
            "overlap": _("blocks overlap"),
            "uncovered": _("part of the community is in no block"),
            "outside": _("block lies outside its community"),
            "no_boundary": _("no boundary drawn"),
        }[self.kind]


def _at(geom: BaseGeometry) -> tuple[float, float]:
    point = geom.representative_point()
    return round(point.y, 6), round(point.x, 6)


def orphan_areas(*, under: str, min_m2: float = MIN_ORPHAN_M2) -> list[Finding]:
    """Every 插花地带 under the code prefix ``under``: blocks overlapping each other, parts of
    a community covered by none of its blocks, blocks reaching out of their community, and
    open blocks with no boundary at all (they cannot be checked). Seed 000: 雨湖 removed 68
    such pieces when it drew its 326 blocks; the division must leave none.
    """
    areas = list(
        Area.objects.filter(
            code__startswith=under,
            level__in=(Area.Level.COMMUNITY, Area.Level.BLOCK),
            closed_on__isnull=True,
        )
        .order_by("code")
        .values("pk", "code", "name", "level", "parent_id", "boundary")
    )
    findings: list[Finding] = []
    blocks = [a for a in areas if a["level"] == Area.Level.BLOCK]
    communities = {a["pk"]: a for a in areas if a["level"] == Area.Level.COMMUNITY}
    shapes: list[BaseGeometry] = []
    placed: list[dict] = []
    for block in blocks:
        geom = geometry(block["boundary"])
        if geom is None:
            findings.append(Finding("no_boundary", (block["code"],), (block["name"],)))
            continue
        shapes.append(geom)
        placed.append(block)

    if shapes:
        tree = STRtree(shapes)
        left, right = tree.query(shapes, predicate="intersects")
        for i, j in zip(left.tolist(), right.tolist(), strict=True):
            if i >= j:
                continue
            piece = shapes[i].intersection(shapes[j])
            m2 = area_m2(piece)
            if m2 >= min_m2:
                lat, lon = _at(piece)
                findings.append(
                    Finding(
                        "overlap",
                        (placed[i]["code"], placed[j]["code"]),
                        (placed[i]["name"], placed[j]["name"]),
                        round(m2),
                        lat,
                        lon,
                    )
                )

    by_community: dict[int, list[BaseGeometry]] = {}
    for block, geom in zip(placed, shapes, strict=True):
        by_community.setdefault(block["parent_id"], []).append(geom)
        community = communities.get(block["parent_id"])
        outline = geometry(community["boundary"]) if community else None
        if outline is not None:
            outside = geom.difference(outline)
            m2 = area_m2(outside)
            if m2 >= min_m2:
                lat, lon = _at(outside)
                findings.append(
                    Finding(
                        "outside",
                        (block["code"], community["code"]),
                        (block["name"], community["name"]),
                        round(m2),
                        lat,
                        lon,
                    )
                )
    for pk, community in communities.items():
        outline = geometry(community["boundary"])
        if outline is None:
            continue
        covered = unary_union(by_community.get(pk, []))
        gap = outline.difference(covered) if not covered.is_empty else outline
        pieces = list(getattr(gap, "geoms", [gap]))
        for piece in pieces:
            m2 = area_m2(piece)
            if m2 >= min_m2:
                lat, lon = _at(piece)
                findings.append(
                    Finding(
                        "uncovered",
                        (community["code"],),
                        (community["name"],),
                        round(m2),
                        lat,
                        lon,
                    )
                )
    return findings
