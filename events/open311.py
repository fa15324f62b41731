"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), so that existing 311 apps
and tools can read requests and send residents' reports (DESIGN §7).

JSON and XML, chosen by the extension. Every field of the specification is present in each
record (null when empty); ids and codes are strings; times are ISO 8601 with their zone;
every request has a point (its own, else its block's centre). Residents' personal data is
never published: descriptions have phone numbers masked. POSTed requests need an api_key
(admin › Open311 clients), are checked like ``POST /api/events/`` and land in the block of
their point or address as residents' self-reports.

Whatever a client sends, it reads GeoReport's error list back in the format it asked for
(issue 19): a method we do not serve is a 405, a ``jurisdiction_id`` other than a district
we serve a 404, a bad date or field a 400; never a 500 nor an HTML page.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable, Iterable
from datetime import UTC, datetime
from functools import wraps
from xml.etree.ElementTree import Element, SubElement, tostring

from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.core.exceptions import ValidationError as DjangoValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt

from blocks import geo
from blocks.models import Area
from events import public, services
from events.locating import address_suggestions, block_at_point
from events.models import (
    OPEN_STATUSES,
    Assignment,
    Category,
    Channel,
    ClockKind,
    Deadline,
    Event,
    Open311Client,
    Status,
)
from events.serializers import EventCreateSerializer
from governance.privacy import mask_phones_in_text
from governance.text import field_refusal, found_in

CHANGESET = "2026-11-24T00:00:00+08:00"
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
]  # fmt: skip
# What XML 1.0 cannot carry at all (§2.2 Char), escaped or not: replaced on the way out, so
# that a description stored before the doors were closed cannot break a page for every reader.
NOT_XML = re.compile("[^\t\n\r\x20-\ud7ff\ue000-\ufffd\U00010000-\U0010ffff]")
# A POST's fields and the REST API's (EventCreateSerializer) they are checked as.
AS_REST_FIELD = {
    "service_code": "category", "address_id": "block", "description": "description",
    "phone": "reporter_phone", "address_string": "address", "lat": "lat", "long": "lon",
}  # fmt: skip


# --- formats ------------------------------------------------------------------------------
def _text(value) -> str:
    return str(value).lower() if isinstance(value, bool) else str(value)


def _xml(root: str, item: str, rows: list[dict]) -> Element:
    top = Element(root)
    for row in rows:
        node = SubElement(top, item)
        for key, value in row.items():
            child = SubElement(node, key)
            if isinstance(value, list):
                for entry in value:
                    sub = SubElement(child, "attribute" if key == "attributes" else "format")
                    if isinstance(entry, dict):
                        for k, v in entry.items():
                            SubElement(sub, k).text = "" if v is None else _text(v)
                    else:
                        sub.text = str(entry)
            elif value is not None:
                child.text = _text(value)
    return top


def _xml_response(top: Element, status: int = 200) -> HttpResponse:
    text = NOT_XML.sub("\ufffd", tostring(top, encoding="unicode"))
    body = '<?xml version="1.0" encoding="utf-8"?>' + text
    return HttpResponse(body.encode(), content_type="text/xml; charset=utf-8", status=status)


def _respond(rows: list[dict] | dict, fmt: str, *, root: str, item: str, status: int = 200):
    if fmt == "xml":
        return _xml_response(_xml(root, item, rows if isinstance(rows, list) else [rows]), status)
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, code: int, description: str | Iterable[str]) -> HttpResponse:
    descriptions = [description] if isinstance(description, str) else list(description)
    rows = [{"code": code, "description": d} for d in descriptions]
    return _respond(rows, fmt, root="errors", item="error", status=code)


# --- the door every view goes through -----------------------------------------------------
def _served(jurisdiction: str) -> tuple[bool, list[str]]:
    codes = list(
        Area.objects.filter(level=Area.Level.DISTRICT, closed_on=None).values_list(
            "code", flat=True
        )
    )
    return jurisdiction in codes, codes


def endpoint(*methods: str) -> Callable:
    """An Open311 view answering ``methods`` (GET also answers HEAD). The view is called with
    ``fmt`` and ``jurisdiction`` (a district code we serve, or None when the client sent none).

    Exempt from CSRF: 311 apps have no session and no token (a POST proves itself with its
    api_key), and a DELETE must reach the 405 below, not CSRF's HTML page.
    """
    allowed = sorted({*methods, "HEAD"} if "GET" in methods else set(methods))

    def decorate(view: Callable) -> Callable:
        @csrf_exempt
        @wraps(view)
        def wrapper(request: HttpRequest, *args, fmt: str, **kwargs) -> HttpResponse:
            if request.method not in allowed:
                response = _error(
                    fmt, 405, f"{request.method} is not served here; use {' or '.join(methods)}"
                )
                response["Allow"] = ", ".join(allowed)
                return response
            try:
                params: QueryDict = request.POST if request.method == "POST" else request.GET
            except RequestDataTooBig:
                return _error(fmt, 413, "the request body is too large")
            except (SuspiciousOperation, MultiPartParserError, BadRequest) as error:
                # Logged where Django would have logged it, had it answered with its page.
                if isinstance(error, SuspiciousOperation):
                    logging.getLogger(f"django.security.{type(error).__name__}").error(error)
                return _error(fmt, 400, f"the request body cannot be read: {error}")
            jurisdiction = params.get("jurisdiction_id") or request.GET.get("jurisdiction_id")
            if jurisdiction:
                served, codes = _served(jurisdiction)
                if not served:
                    return _error(
                        fmt, 404,
                        f"jurisdiction_id {jurisdiction[:40]} is not served here; "
                        f"this server serves {', '.join(codes) or 'no district yet'}",
                    )  # fmt: skip
            return view(request, *args, fmt=fmt, jurisdiction=jurisdiction or None, **kwargs)

        return wrapper

    return decorate


# --- discovery and services ---------------------------------------------------------------
@endpoint("GET")
def discovery(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    base = request.build_absolute_uri("/open311/v2/")
    body = {
        "changeset": CHANGESET,
        "contact": "区块治理平台",
        "key_service": "api_key: ask the district's administrator",
        "endpoints": [
            {
                "specification": "http://wiki.open311.org/GeoReport_v2",
                "url": base,
                "changeset": CHANGESET,
                "type": "production",
                "formats": ["application/json", "text/xml"],
            }
        ],
    }
    if fmt == "xml":
        top = Element("discovery")
        for key in ("changeset", "contact", "key_service"):
            SubElement(top, key).text = body[key]
        node = SubElement(SubElement(top, "endpoints"), "endpoint")
        for key, value in body["endpoints"][0].items():
            if key == "formats":
                formats = SubElement(node, "formats")
                for f in value:
                    SubElement(formats, "format").text = f
            else:
                SubElement(node, key).text = value
        return _xml_response(top)
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _matters():
    return Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")


@endpoint("GET")
def service_list(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    rows = [
        {
            "service_code": c.code,
            "service_name": c.name,
            "description": str(c),
            "metadata": False,  # no category asks extra questions (yet)
            "type": "realtime",
            "keywords": c.keywords.replace(" ", ","),
            "group": c.parent.name,
        }
        for c in _matters()
    ]
    return _respond(rows, fmt, root="services", item="service")


@endpoint("GET")
def service_definition(
    request: HttpRequest, code: str, fmt: str, jurisdiction: str | None
) -> HttpResponse:
    if not _matters().filter(code=code).exists():
        return _error(fmt, 404, f"service_code {code} not found")
    if fmt == "json":
        return JsonResponse({"service_code": code, "attributes": []})
    top = Element("service_definition")
    SubElement(top, "service_code").text = code
    SubElement(top, "attributes")
    return _xml_response(top)


# --- requests -----------------------------------------------------------------------------
def _centre(area: dict) -> tuple[float, float] | None:
    if area["centre_lat"] is not None and area["centre_lon"] is not None:
        return area["centre_lat"], area["centre_lon"]
    shape = geo.geometry(area.get("boundary"))
    if shape is None:
        return None
    inside = shape.representative_point()  # a centroid can fall outside a bent block
    return round(inside.y, 6), round(inside.x, 6)


def _block_points(events: list[Event]) -> dict[str, tuple[float, float]]:
    """The point of each block of ``events`` that has none of its own: the block's stored
    centre, else a point inside its boundary, else the same of the nearest area above (a
    block not drawn yet). Two queries for a page, whatever its size: staff log most cases
    without a point, and clients such as boston311 refuse a request without one."""
    chains = {
        e.block.code: e.block.ancestor_codes()[::-1]
        for e in events
        if e.lat is None or e.lon is None
    }
    if not chains:
        return {}
    fields = ("code", "centre_lat", "centre_lon")
    areas = {
        a["code"]: a
        for a in Area.objects.filter(
            code__in={c for chain in chains.values() for c in chain}
        ).values(*fields)
    }
    # Boundaries only where no nearer area has a stored centre: they are the heavy column.
    undrawn = set()
    for chain in chains.values():
        for code in chain:
            if code in areas and _centre(areas[code]) is not None:
                break
            undrawn.add(code)
    if undrawn:
        for area in Area.objects.filter(code__in=undrawn, boundary__isnull=False).values(
            *fields, "boundary"
        ):
            areas[area["code"]] = area
    points = {}
    for block, chain in chains.items():
        found = (_centre(areas[code]) for code in chain if code in areas)
        point = next((p for p in found if p is not None), None)
        if point is not None:
            points[block] = point
    return points


def _record(event: Event, request: HttpRequest, points: dict[str, tuple[float, float]]) -> dict:
    open_ = event.status in OPEN_STATUSES
    lead = next((a for a in event.assignments.all() if a.role == Assignment.Role.LEAD), None)
    resolve = next((d for d in event.deadlines.all() if d.kind == ClockKind.RESOLVE), None)
    photo = next(iter(event.photos.all()), None)
    notes = event.get_status_display()
    if event.closing_reason:
        notes = f"{notes}: {event.closing_reason}"
    if event.lat is not None and event.lon is not None:
        lat, lon = event.lat, event.lon
    else:
        lat, lon = points.get(event.block.code, (None, None))
    return {
        "service_request_id": event.number,
        "status": "open" if open_ else "closed",
        "status_notes": notes,
        "service_name": event.category.name,
        "service_code": event.category.code,
        "description": mask_phones_in_text(event.description),
        "agency_responsible": lead.department.name if lead else event.block.parent.parent.name,
        "service_notice": None,
        "requested_datetime": timezone.localtime(event.created_at).isoformat(),
        "updated_datetime": timezone.localtime(event.updated_at).isoformat(),
        "expected_datetime": timezone.localtime(resolve.due_at).isoformat()
        if resolve and open_
        else None,
        "address": event.address or f"{event.block.parent.name}{event.block.name}",
        "address_id": event.block.code,
        "zipcode": None,
        "lat": lat,
        "long": lon,
        "media_url": request.build_absolute_uri(photo.thumbnail.url) if photo else None,
    }


def _records(events: Iterable[Event], request: HttpRequest) -> list[dict]:
    events = list(events)
    points = _block_points(events)
    return [_record(e, request, points) for e in events]


def _published(jurisdiction: str | None):
    events = (
        Event.objects.exclude(status=Status.MERGED)
        .select_related("category", "block__parent__parent")
        # The areas' boundaries are read only where a point is missing (_block_points).
        .defer("block__boundary", "block__parent__boundary", "block__parent__parent__boundary")
        .prefetch_related(
            "photos",
            Prefetch("assignments", queryset=Assignment.objects.select_related("department")),
            Prefetch("deadlines", queryset=Deadline.objects.filter(met_at=None, cancelled_at=None)),
        )
    )
    return events.filter(area_code__startswith=jurisdiction) if jurisdiction else events


def _positive(value: str | None, default: int, limit: int) -> int:
    try:
        return max(1, min(int(value), limit)) if value else default
    except ValueError:
        raise DjangoValidationError(value) from None


def _moment(name: str, value: str) -> datetime:
    """start_date / end_date: an ISO 8601 (W3C) time; one without a zone is in the server's
    time zone (China time). Raises ValueError with the client's message."""
    try:
        moment = parse_datetime(value)
    except ValueError:  # well formed but impossible: 30 February, 25:00, an offset of +25:00
        raise ValueError(f"{name} {value[:40]} is no real date and time") from None
    if moment is None:
        raise ValueError(
            f"{name} must be an ISO 8601 date and time, e.g. 2026-12-01T08:00:00+08:00"
        )
    if timezone.is_naive(moment):
        moment = timezone.make_aware(moment)
    try:
        moment.astimezone(UTC)  # the database compares in UTC: year 0 or 10000 is no time
    except OverflowError:
        raise ValueError(f"{name} {value[:40]} is out of range") from None
    return moment


@endpoint("GET", "POST")
def requests(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt, jurisdiction)
    events = _published(jurisdiction).order_by("-created_at", "-pk")
    params = request.GET
    if params.get("service_request_id"):
        events = events.filter(number__in=params["service_request_id"].split(","))
    if params.get("service_code"):
        events = events.filter(category__code__in=params["service_code"].split(","))
    try:
        dates = {n: _moment(n, params[n]) for n in ("start_date", "end_date") if params.get(n)}
    except ValueError as error:
        return _error(fmt, 400, str(error))
    if len(dates) == 2 and dates["start_date"] > dates["end_date"]:
        return _error(fmt, 400, "start_date is after end_date")
    if "start_date" in dates:
        events = events.filter(created_at__gte=dates["start_date"])
    if "end_date" in dates:
        events = events.filter(created_at__lte=dates["end_date"])
    if params.get("status"):
        wanted = set(params["status"].split(","))
        if not wanted <= {"open", "closed"}:
            return _error(fmt, 400, "status is open or closed")
        if wanted == {"open"}:
            events = events.filter(status__in=OPEN_STATUSES)
        elif wanted == {"closed"}:
            events = events.exclude(status__in=OPEN_STATUSES)
    try:
        size = _positive(params.get("page_size"), PAGE_SIZE, MAX_PAGE_SIZE)
        page = _positive(params.get("page"), 1, 10**6)
    except DjangoValidationError:
        return _error(fmt, 400, "page and page_size are positive whole numbers")
    rows = _records(events[(page - 1) * size : page * size], request)
    return _respond(rows, fmt, root="service_requests", item="request")


@endpoint("GET")
def request_detail(
    request: HttpRequest, request_id: str, fmt: str, jurisdiction: str | None
) -> HttpResponse:
    event = _published(jurisdiction).filter(number=request_id).first()
    if event is None:
        return _error(fmt, 404, f"service_request_id {request_id} not found")
    return _respond(_records([event], request), fmt, root="service_requests", item="request")


@endpoint("GET")
def token(request: HttpRequest, token: str, fmt: str, jurisdiction: str | None) -> HttpResponse:
    # A token is the resident's tracking code, which opens the case's timeline and its
    # rating: guesses count against the same hourly limit as the tracking pages, or this
    # endpoint would let anyone enumerate the codes the pages protect.
    if public.lookup_limited(request):
        return _error(fmt, 429, "too many unknown tokens from this address; try again in an hour")
    events = Event.objects.filter(tracking_code=token.upper())
    if jurisdiction:
        events = events.filter(area_code__startswith=jurisdiction)
    event = events.only("number").first()
    if event is None:
        public.lookup_missed(request)
        return _error(fmt, 404, f"token {token} not found")
    row = {"service_request_id": event.number, "token": token.upper()}
    return _respond([row], fmt, root="service_requests", item="request")


def _checked(data: QueryDict) -> tuple[dict, list[str]]:
    """A POST's fields as the REST API takes them (``EventCreateSerializer``, its caps and
    formats), and what is wrong with them, named by our field names. A control character in
    any field refuses the body before anything in it is read."""
    found = found_in(data)
    if found:
        return {}, [field_refusal(*found)]
    rest = {AS_REST_FIELD[k]: v for k, v in data.items() if k in AS_REST_FIELD and v != ""}
    name = " ".join(filter(None, [data.get("last_name", ""), data.get("first_name", "")]))
    if name.strip():
        rest["reporter_name"] = name
    if ("lat" in rest) != ("lon" in rest):
        return {}, ["lat and long are sent together, or neither"]
    checked = EventCreateSerializer(data=rest, partial=True)
    if checked.is_valid():
        return checked.validated_data, []
    ours = {v: k for k, v in AS_REST_FIELD.items()} | {"reporter_name": "first_name and last_name"}
    return {}, [
        f"{ours.get(field, field)}: {message}"
        for field, messages in checked.errors.items()
        for message in messages
    ]


def _locate(values: dict, jurisdiction: str | None) -> Area | None:
    """The block of the report's point, else of its address, else of its address_id; inside
    the jurisdiction when the client named one."""

    def candidates():
        if "lat" in values:
            yield block_at_point(values["lat"], values["lon"])
        if values.get("address"):
            yield next(iter(address_suggestions(values["address"], limit=1)), None)
        if values.get("block"):
            yield Area.objects.filter(
                code=values["block"], level=Area.Level.BLOCK, closed_on=None
            ).first()

    for block in candidates():
        if block is not None and block.code.startswith(jurisdiction or ""):
            return block
    return None


def _create(request: HttpRequest, fmt: str, jurisdiction: str | None) -> HttpResponse:
    data = request.POST
    values, wrong = _checked(data)
    if wrong:
        return _error(fmt, 400, wrong)
    if not Open311Client.objects.filter(api_key=data.get("api_key", ""), is_active=True).exists():
        return _error(fmt, 403, "a valid api_key is required")
    category = _matters().filter(code=values.get("category", "")).first()
    if category is None:
        return _error(fmt, 400, "service_code not found")
    if not values.get("description"):
        return _error(fmt, 400, "description is required")
    block = _locate(values, jurisdiction)
    if block is None:
        return _error(
            fmt,
            400,
            "the location is in no block we know: send lat/long inside the district or an address_string",
        )
    try:
        event = services.event_log(
            actor=None, channel=Channel.SELF_REPORT, block=block, category=category,
            description=values["description"], reporter_name=values.get("reporter_name", ""),
            reporter_phone=values.get("reporter_phone", ""), address=values.get("address", ""),
            lat=values.get("lat"), lon=values.get("lon"),
        )  # fmt: skip
    except DjangoValidationError as error:
        return _error(fmt, 400, " ".join(error.messages))
    row = {
        "service_request_id": event.number,
        "token": event.tracking_code,
        "service_notice": f"{block.parent.name} {block.name}",
        "account_id": None,
    }
    return _respond([row], fmt, root="service_requests", item="request", status=201)
