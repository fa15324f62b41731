"""The demo district's land (issue 18: "demo boundaries that look like land").

One outline shaped like an old riverside town (the Xiang river is its southern bank), cut
into streets, each street into its communities, each community into its blocks. Every cut
is a Voronoi diagram of points scattered in the region and relaxed a few times towards
their cells' centroids (Lloyd), so cells come out compact and of similar size, then
clipped to the region: each level tiles the one above it with no gap and no overlap, so
the 插花地带 check finds nothing and every point of the district lies in one block.

Deterministic: its own fixed random seed, and coordinates on a 1e-6° grid (about 0.1 m)
shared by neighbours, so two runs draw the same map.
"""

from __future__ import annotations

import random

import shapely
from shapely.geometry import MultiPoint, Point, Polygon, mapping
from shapely.geometry.base import BaseGeometry

# The district's outline (lon, lat), inside the box WEST..EAST × SOUTH..NORTH of
# demo.territory: hills to the north and west, the river bank along the south.
OUTLINE = (
    (112.8625, 27.8720), (112.8660, 27.8860), (112.8700, 27.8990), (112.8770, 27.9110),
    (112.8930, 27.9185), (112.9070, 27.9150), (112.9150, 27.9090), (112.9260, 27.9170),
    (112.9420, 27.9130), (112.9555, 27.9010), (112.9585, 27.8860), (112.9520, 27.8700),
    (112.9400, 27.8575), (112.9250, 27.8500), (112.9080, 27.8455), (112.8900, 27.8425),
    (112.8760, 27.8470), (112.8655, 27.8575),
)  # fmt: skip
GRID = 1e-6  # degrees: every vertex is on this grid
LLOYD_ROUNDS = 12


def outline() -> Polygon:
    return shapely.set_precision(Polygon(OUTLINE), GRID)


def _points_in(region: BaseGeometry, n: int, rng: random.Random) -> list[Point]:
    west, south, east, north = region.bounds
    points: list[Point] = []
    while len(points) < n:
        point = Point(rng.uniform(west, east), rng.uniform(south, north))
        if region.contains(point):
            points.append(point)
    return points


def _cells(region: BaseGeometry, points: list[Point]) -> list[BaseGeometry]:
    """The Voronoi cell of each point (in the points' order), clipped to ``region``."""
    if len(points) == 1:
        return [region]
    diagram = shapely.voronoi_polygons(
        MultiPoint(points), extend_to=region.envelope.buffer(0.01), ordered=True
    )
    return [cell.intersection(region) for cell in diagram.geoms]


def _largest(geom: BaseGeometry) -> Polygon:
    parts = [g for g in getattr(geom, "geoms", [geom]) if isinstance(g, Polygon)]
    return max(parts, key=lambda g: g.area)


def _one_piece_each(cells: list[BaseGeometry]) -> list[BaseGeometry]:
    """A cell clipped by a concave region may fall apart: each stray piece joins the
    neighbour it shares the longest border with, so every area is one polygon."""
    cells = list(cells)
    for i, cell in enumerate(cells):
        main = _largest(cell)
        for piece in getattr(cell, "geoms", []):
            if piece.equals(main) or piece.area == 0:
                continue
            others = [j for j in range(len(cells)) if j != i]
            j = max(others, key=lambda k: cells[k].boundary.intersection(piece.boundary).length)
            cells[j] = cells[j].union(piece)
        cells[i] = main
    return cells


def split(region: BaseGeometry, n: int, rng: random.Random) -> list[Polygon]:
    """``region`` cut into ``n`` compact cells of similar size that tile it exactly,
    numbered as one reads a map: north to south in bands, west to east within a band."""
    points = _points_in(region, n, rng)
    for _round in range(LLOYD_ROUNDS):
        points = [
            cell.centroid if not cell.is_empty else point
            for cell, point in zip(_cells(region, points), points, strict=True)
        ]
    cells = _one_piece_each(_cells(region, points))
    cells = [shapely.set_precision(_largest(c), GRID) for c in cells]
    west, south, east, north = region.bounds
    bands = max(1, round(n**0.5 * (north - south) / max(east - west, 1e-9)))
    height = (north - south) / bands

    def reading_order(cell: Polygon) -> tuple[int, float]:
        centre = cell.representative_point()
        return (min(bands - 1, int((north - centre.y) / height)), centre.x)

    return sorted(cells, key=reading_order)


def geojson(geom: BaseGeometry) -> dict:
    """A polygon as the GeoJSON the territory stores (lists, coordinates on the grid)."""
    shape = mapping(geom)
    return {
        "type": shape["type"],
        "coordinates": [
            [[round(x, 6), round(y, 6)] for x, y in ring] for ring in shape["coordinates"]
        ],
    }


def centre(geom: BaseGeometry) -> tuple[float, float]:
    """(lat, lon) of a point surely inside the area (a concave one's centroid may not be)."""
    point = geom.representative_point()
    return round(point.y, 6), round(point.x, 6)
