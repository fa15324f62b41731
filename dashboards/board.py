"""One dashboard (领导驾驶舱) as plain data: the page, the big screen, the API and the
monthly report all read it from here, so they cannot disagree."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils.translation import gettext as _

from blocks.models import Area
from dashboards import present
from dashboards.selectors import (
    Period,
    Reader,
    area_names,
    case_list_url,
    department_ranking,
    dim_labels,
    scoring_for,
    two_way_scores,
)
from events import stats
from events.models import Channel, Priority
from liaison import admissions

# Measures a leader may colour the map by (and rank the worst blocks by).
MAP_MEASURES = (
    "overdue",
    "new",
    "on_time_rate",
    "satisfaction_rate",
    "resolution_rate",
    "block_response_rate",
    "report_in_rate",
    "closure_rate",
    "rework_rate",
)
# The big numbers of the cockpit's first screen and of the big screen (those there are).
HEADLINE_COUNTS = ("new", "open", "overdue", "closed")
HEADLINE_RATES = ("on_time_rate", "satisfaction_rate", "report_in_rate", "block_response_rate")
COUNT_LINKS = {"new": "new", "open": "open", "overdue": "overdue", "closed": "closed",
               "rated": "rated", "invalid": "invalid", "merged": "merged",
               "supervised": "supervised"}  # fmt: skip


def _freshness(reader: Reader) -> dict:
    """``as_of`` (what moment the numbers describe), ``rolled_up_at``, ``behind`` and
    ``pending_cells`` (see ``Reader.freshness``), times in local time."""
    fresh = reader.freshness()
    return fresh | {
        "as_of": present.local(fresh["as_of"]),
        "rolled_up_at": present.local(fresh["rolled_up_at"]),
    }


def measure_value(name: str, counts, weights: stats.Weights) -> float | None:
    """A block's value on the map: a count, or a rate in percent."""
    if name in stats.MEASURES:
        result = stats.MEASURES[name].compute(counts, weights)
        return getattr(result, "percent", None) if isinstance(result, stats.Rate) else result.value
    return counts.get(name, 0)


def measure_label(name: str) -> str:
    if name in stats.MEASURES:
        return str(stats.MEASURES[name].label)
    return str({n: label for n, label, _f in stats.COUNTS}.get(name, name))


def higher_is_better(name: str) -> bool:
    if name in stats.MEASURES:
        return stats.MEASURES[name].higher_is_better
    return False


def whistle_reasons(reader: Reader, link=None) -> list[dict]:
    """The cases whistled up in the area and period, by reason (most first); ``link(reason)``
    gives the case list of each."""
    rows = reader.by("reason")
    labels = dim_labels("reason", rows)
    items = [
        {"reason": key, "label": labels.get(key, key), "count": c["whistled"]}
        | ({"link": link(key)} if link else {})
        for key, c in rows.items()
        if c["whistled"]
    ]
    return sorted(items, key=lambda i: (-i["count"], i["reason"]))


def summary(*, reader: Reader) -> dict:
    """Every measure of an area and period, under the names of the glossary, with the
    numerator and denominator of each rate (what ``/api/stats/summary/`` returns)."""
    weights = scoring_for(reader.code).rate_weights
    counts = reader.totals()
    result: dict = {"counts": {name: counts[name] for name in stats.EVENT_SET_NAMES}}
    for name, measure in stats.MEASURES.items():
        result[name] = measure.compute(counts, weights).as_dict() | {
            "formula": stats.formula(measure, weights)
        }
    result["whistle_reasons"] = whistle_reasons(reader)
    return result


def build(*, user, area: Area, period: Period, now: datetime, map_measure: str = "overdue") -> dict:
    code = area.code
    if map_measure not in MAP_MEASURES:
        map_measure = "overdue"
    reader = Reader(code=code, period=period, now=now)
    scoring = scoring_for(code)
    weights = scoring.rate_weights
    counts = reader.totals()

    def link(measure: str = "", **extra) -> str:
        return case_list_url(code=code, period=period, measure=measure, **extra)

    kpis = [
        {"name": name, "label": str(label), "value": counts[name], "formula": formula,
         "link": link(COUNT_LINKS[name]), "headline": name in HEADLINE_COUNTS}
        for name, label, formula in stats.COUNTS
    ]  # fmt: skip
    rates = []
    for measure in stats.RATES + stats.AVERAGES:
        result = measure.compute(counts, weights)
        entry = {"name": measure.name, "label": str(measure.label),
                 "formula": stats.formula(measure, weights), **result.as_dict(),
                 **present.shown(result), "headline": measure.name in HEADLINE_RATES}  # fmt: skip
        if measure.numerator_set:
            entry["numerator_link"] = link(measure.numerator_set)
        if measure.denominator_set:
            entry["denominator_link"] = link(measure.denominator_set)
        rates.append(entry)

    # 帮代办 (assisted services), counted apart from the complaints above (issue 20).
    assisted = [
        {"name": name, "label": str(label), "formula": formula, "display": counts[name],
         "link": link(name)}
        for name, label, formula in stats.ASSISTED_COUNTS
    ] + [
        {"name": m.name, "label": str(m.label), "formula": stats.formula(m, weights),
         **present.shown(m.compute(counts, weights)), "link": link(m.denominator_set)}
        for m in stats.ASSISTED_RATES
    ]  # fmt: skip

    grain, trend_rows = reader.trend()
    trend = {
        "grain": grain,
        "labels": [b.strftime("%m-%d" if grain == "d" else "%Y-%m") for b, _c in trend_rows],
        "new": [c["new"] for _b, c in trend_rows],
        "closed": [c["closed"] for _b, c in trend_rows],
        "overdue": [c["overdue"] for _b, c in trend_rows],
        "on_time_rate": [stats.on_time_rate(c).percent for _b, c in trend_rows],
        "satisfaction_rate": [stats.satisfaction_rate(c, weights).percent for _b, c in trend_rows],
    }

    breakdowns = {}
    filter_of = {"category": "category", "channel": "channel", "priority": "priority"}
    for dim in ("category", "channel", "priority"):
        rows = reader.by(dim)
        labels = dim_labels(dim, rows)
        items = [
            {"key": key, "label": labels.get(key, key), "value": c["new"],
             "overdue": c["overdue"], "link": link("new", **{filter_of[dim]: key})}
            for key, c in rows.items() if c["new"]
        ]  # fmt: skip
        items.sort(key=lambda i: -i["value"])
        breakdowns[dim] = items
    order = {"priority": list(Priority.values), "channel": list(Channel.values)}
    for dim, values in order.items():
        breakdowns[dim].sort(key=lambda i: values.index(i["key"]) if i["key"] in values else 99)

    # One level down: the table of children (and the map's blocks).
    child_counts = reader.children()
    child_areas = area_names(child_counts) if child_counts else {}
    if len(code) < 15:
        for child in Area.objects.filter(parent=area, closed_on__isnull=True).only(
            "code", "name", "level"
        ):
            child_areas.setdefault(child.code, child)
    dept_two_way, street_ratings = two_way_scores(code=code, period=period)
    area_url = _url_of("dashboard:area")
    children = []
    for child_code, child in sorted(child_areas.items()):
        c = child_counts.get(child_code) or dict.fromkeys(stats.COUNT_NAMES, 0)
        children.append(
            {
                "code": child_code, "name": child.name,
                "url": area_url(child_code),
                "new": c["new"], "open": c["open"], "overdue": c["overdue"], "closed": c["closed"],
                "on_time_rate": stats.on_time_rate(c).percent,
                "satisfaction_rate": stats.satisfaction_rate(c, weights).percent,
                "map_value": measure_value(map_measure, c, weights),
                "two_way_score": street_ratings.get(child_code),
                "link": case_list_url(code=child_code, period=period, measure="new"),
            }
        )  # fmt: skip

    block_counts = reader.blocks()
    blocks = list(
        Area.objects.filter(level=Area.Level.BLOCK, code__startswith=code, closed_on__isnull=True)
        .only("code", "name")
        .order_by("code")
    )
    map_rows = []
    for block in blocks:
        c = block_counts.get(block.code) or dict.fromkeys(stats.COUNT_NAMES, 0)
        map_rows.append(
            {"code": block.code, "name": block.name, "value": measure_value(map_measure, c, weights),
             "new": c["new"], "counts": c,
             "url": area_url(block.code)}
        )  # fmt: skip
    ranked = [r for r in map_rows if r["value"] is not None and (r["new"] or map_measure == "new")]
    ranked.sort(key=lambda r: r["value"], reverse=not higher_is_better(map_measure))
    worst = [
        {k: v for k, v in r.items() if k != "counts"}
        | {"link": case_list_url(code=r["code"], period=period, measure="new")}
        for r in ranked[:10]
    ]

    reasons = whistle_reasons(reader, link=lambda key: link("whistled", whistle_reason=key))
    # 减负 (seeds 000, 001): what departments pushed down to the streets and communities here.
    since, until = period.bounds
    pushed_down = admissions.counts_by_department(area_code=code, since=since, until=until)

    departments = department_ranking(
        code=code, counts=reader.departments(), scoring=scoring, two_way=dept_two_way
    )
    department_measures = ranking_cells(departments)
    for row in departments:
        row["link"] = link("new", department=row["department_id"])
        row.pop("counts", None)

    overdue_cases = [
        {"number": e.number, "block": e.block.name, "category": str(e.category),
         "status": e.get_status_display(), "priority": e.priority,
         "created_at": present.local(e.created_at), "due_at": present.local(e.due_at),
         "url": reverse("events:detail", kwargs={"number": e.number})}
        for e in reader.overdue_cases(user=user)
    ]  # fmt: skip

    ancestors = []
    if area.parent_id:
        lengths = [n for n in (6, 9, 12) if n < len(code)]
        ancestor_areas = area_names(code[:n] for n in lengths)
        ancestors = [
            {"code": c, "name": a.name, "url": reverse("dashboard:area", kwargs={"code": c})}
            for c, a in sorted(ancestor_areas.items())
        ]

    return {
        "area": {"code": code, "name": area.name, "level": area.level,
                 "level_label": area.get_level_display()},
        "ancestors": ancestors,
        "period": {"key": period.key, "from": period.start.isoformat(),
                   "to": period.last_day.isoformat()},
        **_freshness(reader),
        "now": present.local(now),
        "counts": counts,
        "kpis": kpis,
        "rates": rates,
        "assisted": assisted,
        "trend": trend,
        "breakdowns": breakdowns,
        "whistle_reasons": reasons,
        "task_admissions": pushed_down,
        "children": children,
        "map": area_map(area=area, measure=map_measure, children=children, blocks=map_rows),
        "worst_blocks": worst,
        "departments": departments,
        "department_measures": department_measures,
        "scoring": scoring.describe(),
        "overdue_cases": overdue_cases,
        "overdue_link": link("overdue"),
        "labels": {
            "counts": {name: str(label) for name, label, _f in stats.COUNTS},
            "on_time_rate": measure_label("on_time_rate"),
            "ranking": _("Department ranking (一事一考)"),
            "awaiting": _("awaiting evaluation"),
            "small_sample": _("small sample"),
            "no_boundaries": _("No boundaries drawn"),
        },
    }  # fmt: skip


def _url_of(name: str):
    """``code -> URL`` of a page taking an area code: reversed once, not once per block (a
    district's map has hundreds; ``reverse`` was a tenth of the page, issue 21)."""
    marker = "0" * 21
    pattern = reverse(name, kwargs={"code": marker})
    return lambda code: pattern.replace(marker, code)


def ranking_cells(departments: list[dict]) -> list[dict]:
    """The rate columns of the department ranking (the rates its rows carry, in the
    registry's order), each row given its ``cells`` as they read (87.5%)."""
    columns = [
        {"name": name, "label": str(measure.label)}
        for name, measure in stats.MEASURES.items()
        if departments and isinstance(departments[0].get(name), dict)
    ]
    for row in departments:
        row["cells"] = [
            {"label": c["label"], "display": present.rate_display(row[c["name"]])} for c in columns
        ]
    return columns


def _scale(measure: str) -> str:
    """How the map colours a measure: a rate or a count where lower is better, a rate where
    higher is better, or a plain quantity (new cases)."""
    if measure == "new":
        return "neutral"
    return "good_high" if higher_is_better(measure) else "good_low"


def area_map(*, area: Area, measure: str, children: list[dict], blocks: list[dict]) -> dict:
    """The map of an area (issue 18: a map that reads): the areas a click opens, each drawn
    by its outline and coloured by ``measure``: the streets of a district, the blocks of a
    street or community (a block: itself); at a street, its communities' outlines and names
    over the blocks. ``state`` tells an area with no cases (无案件) from one with cases but
    nothing to measure (a rate without a denominator) and from a value of 0."""
    if area.level == Area.Level.DISTRICT:
        units = [(c["code"], c["name"], c["map_value"], c["new"], c["url"]) for c in children]
        between = []
    else:
        units = [(b["code"], b["name"], b["value"], b["new"], b["url"]) for b in blocks]
        between = children if area.level == Area.Level.STREET else []
    shapes = {
        row["code"]: row
        for row in Area.objects.filter(
            code__in=[u[0] for u in units] + [c["code"] for c in between]
        ).values("code", "boundary", "centre_lat", "centre_lon")
    }

    def state(value, new) -> str:
        if not new and measure != "new":
            return "no_cases"
        return "no_data" if value is None else ""

    return {
        "measure": measure,
        "label": measure_label(measure),
        "is_rate": measure in {m.name for m in stats.RATES},
        "scale": _scale(measure),
        "level": area.level,
        "features": [
            {"type": "Feature", "properties": {"name": code}, "geometry": shapes[code]["boundary"]}
            for code, *_rest in units
            if shapes.get(code, {}).get("boundary")
        ],
        "values": [
            {
                "name": code,
                "label": name,
                "value": value,
                "new": new,
                "url": url,
                "state": state(value, new),
                # Written on the map: a community's blocks without its name (第1区块).
                "short": name.removeprefix(area.name) or name,
            }
            for code, name, value, new, url in units
        ],
        "outlines": [
            {
                "name": c["name"],
                "url": c["url"],
                "centre": [shapes[c["code"]]["centre_lon"], shapes[c["code"]]["centre_lat"]],
                "rings": _rings(shapes[c["code"]]["boundary"]),
            }
            for c in between
            if shapes.get(c["code"], {}).get("boundary")
        ],
        "legend": {"no_cases": _("No cases"), "no_data": _("No data")},
        # Names on the map where they fit: a district's streets, a community's blocks.
        "label_units": area.level in (Area.Level.DISTRICT, Area.Level.COMMUNITY),
    }


def _rings(boundary: dict) -> list[list[list[float]]]:
    """The outer rings of a GeoJSON Polygon or MultiPolygon (the outline to draw)."""
    if boundary.get("type") == "MultiPolygon":
        return [polygon[0] for polygon in boundary["coordinates"]]
    return [boundary["coordinates"][0]]
