"""One dashboard (领导驾驶舱) as plain data: the page, the big screen, the API and the
monthly report all read it from here, so they cannot disagree."""

from __future__ import annotations

from datetime import datetime

from django.urls import reverse
from django.utils import timezone

from blocks.models import Area
from dashboards import rollup
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

# Measures a leader may colour the map by (and rank the worst blocks by).
MAP_MEASURES = (
    "overdue",
    "new",
    "on_time_rate",
    "satisfaction_rate",
    "resolution_rate",
    "response_rate",
    "closure_rate",
    "rework_rate",
)
COUNT_LINKS = {"new": "new", "open": "open", "overdue": "overdue", "closed": "closed",
               "rated": "rated", "invalid": "invalid", "merged": "merged"}  # fmt: skip


def _iso(value: datetime | None) -> str | None:
    return timezone.localtime(value).isoformat(timespec="seconds") if value else None


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


def summary(*, code: str, period: Period, now: datetime, counts=None) -> dict:
    """Every measure of an area and period, under the names of the glossary, with the
    numerator and denominator of each rate (what ``/api/stats/summary/`` returns)."""
    scoring = scoring_for(code)
    weights = scoring.rate_weights
    if counts is None:
        counts = Reader(code=code, period=period, now=now).totals()
    result: dict = {"counts": {name: counts[name] for name in stats.EVENT_SET_NAMES}}
    for name, measure in stats.MEASURES.items():
        result[name] = measure.compute(counts, weights).as_dict() | {
            "formula": stats.formula(measure, weights)
        }
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
         "link": link(COUNT_LINKS[name])}
        for name, label, formula in stats.COUNTS
    ]  # fmt: skip
    rates = []
    for measure in stats.RATES + stats.AVERAGES:
        result = measure.compute(counts, weights)
        entry = {"name": measure.name, "label": str(measure.label),
                 "formula": stats.formula(measure, weights), **result.as_dict()}  # fmt: skip
        if measure.numerator_set:
            entry["numerator_link"] = link(measure.numerator_set)
        if measure.denominator_set:
            entry["denominator_link"] = link(measure.denominator_set)
        rates.append(entry)

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
    _departments_of, street_ratings = two_way_scores(code=code, period=period)
    children = []
    for child_code, child in sorted(child_areas.items()):
        c = child_counts.get(child_code) or dict.fromkeys(stats.COUNT_NAMES, 0)
        children.append(
            {
                "code": child_code, "name": child.name,
                "url": reverse("dashboard:area", kwargs={"code": child_code}),
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
        .only("code", "name", "boundary")
        .order_by("code")
    )
    map_rows = []
    for block in blocks:
        c = block_counts.get(block.code) or dict.fromkeys(stats.COUNT_NAMES, 0)
        map_rows.append(
            {"code": block.code, "name": block.name, "value": measure_value(map_measure, c, weights),
             "new": c["new"], "counts": c,
             "url": reverse("dashboard:area", kwargs={"code": block.code})}
        )  # fmt: skip
    features = [
        {"type": "Feature", "properties": {"name": b.code, "label": b.name}, "geometry": b.boundary}
        for b in blocks
        if b.boundary
    ]
    ranked = [r for r in map_rows if r["value"] is not None and (r["new"] or map_measure == "new")]
    ranked.sort(key=lambda r: r["value"], reverse=not higher_is_better(map_measure))
    worst = [
        {k: v for k, v in r.items() if k != "counts"}
        | {"link": case_list_url(code=r["code"], period=period, measure="new")}
        for r in ranked[:10]
    ]

    dept_two_way, _streets = two_way_scores(code=code, period=period)
    departments = department_ranking(
        code=code, counts=reader.departments(), scoring=scoring, two_way=dept_two_way
    )
    for row in departments:
        row["link"] = link("new", department=row["department_id"])
        row.pop("counts", None)

    overdue_cases = [
        {"number": e.number, "block": e.block.name, "category": str(e.category),
         "status": e.get_status_display(), "priority": e.priority,
         "created_at": _iso(e.created_at), "due_at": _iso(e.due_at),
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
        "as_of": _iso(rollup.as_of()),
        "now": _iso(now),
        "counts": counts,
        "kpis": kpis,
        "rates": rates,
        "trend": trend,
        "breakdowns": breakdowns,
        "children": children,
        "map": {"measure": map_measure, "label": measure_label(map_measure),
                "higher_is_better": higher_is_better(map_measure),
                "features": features,
                "values": [{"name": r["code"], "label": r["name"], "value": r["value"],
                            "url": r["url"]} for r in map_rows]},
        "worst_blocks": worst,
        "departments": departments,
        "scoring": scoring.describe(),
        "overdue_cases": overdue_cases,
        "overdue_link": link("overdue"),
        "behind": reader.behind,
    }  # fmt: skip
