"""Open311 GeoReport v2 (http://wiki.open311.org/GeoReport_v2), so that existing 311 apps
and tools can read requests and send residents' reports (DESIGN §7).

JSON and XML, chosen by the extension. Every field of the specification is present in each
record (null when empty); ids and codes are strings; times are ISO 8601 with their zone.
Residents' personal data is never published: descriptions have phone numbers masked.
POSTed requests need an api_key (admin › Open311 clients) and land in the block of their
point or address as residents' self-reports.
"""

from __future__ import annotations

import re
from xml.etree.ElementTree import Element, SubElement, tostring

from django.core.exceptions import ValidationError
from django.db.models import Prefetch
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.views.decorators.csrf import csrf_exempt
from django.views.decorators.http import require_GET, require_http_methods

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
from governance.privacy import mask_phone

CHANGESET = "2026-11-24T00:00:00+08:00"
PAGE_SIZE, MAX_PAGE_SIZE = 50, 200
REQUEST_FIELDS = [
    "service_request_id", "status", "status_notes", "service_name", "service_code",
    "description", "agency_responsible", "service_notice", "requested_datetime",
    "updated_datetime", "expected_datetime", "address", "address_id", "zipcode", "lat",
    "long", "media_url",
]  # fmt: skip
PHONE_IN_TEXT = re.compile(r"(?<!\d)(1[3-9]\d{9}|0\d{2,3}-?\d{7,8})(?!\d)")


# --- formats ------------------------------------------------------------------------------
def _xml(root: str, item: str, rows: list[dict]) -> bytes:
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
                            SubElement(sub, k).text = (
                                ""
                                if v is None
                                else str(v).lower()
                                if isinstance(v, bool)
                                else str(v)
                            )
                    else:
                        sub.text = str(entry)
            elif value is not None:
                child.text = str(value).lower() if isinstance(value, bool) else str(value)
    return b'<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="utf-8")


def _respond(rows: list[dict] | dict, fmt: str, *, root: str, item: str, status: int = 200):
    if fmt == "xml":
        rows = rows if isinstance(rows, list) else [rows]
        return HttpResponse(
            _xml(root, item, rows), content_type="text/xml; charset=utf-8", status=status
        )
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})


def _error(fmt: str, code: int, description: str) -> HttpResponse:
    return _respond(
        [{"code": code, "description": description}], fmt, root="errors", item="error", status=code
    )


# --- discovery and services ---------------------------------------------------------------
@require_GET
def discovery(request: HttpRequest, fmt: str) -> HttpResponse:
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
        endpoint = SubElement(SubElement(top, "endpoints"), "endpoint")
        for key, value in body["endpoints"][0].items():
            if key == "formats":
                formats = SubElement(endpoint, "formats")
                for f in value:
                    SubElement(formats, "format").text = f
            else:
                SubElement(endpoint, key).text = value
        return HttpResponse(
            b'<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="utf-8"),
            content_type="text/xml; charset=utf-8",
        )
    return JsonResponse(body, json_dumps_params={"ensure_ascii": False})


def _matters():
    return Category.objects.filter(is_active=True, parent__isnull=False).select_related("parent")


@require_GET
def service_list(request: HttpRequest, fmt: str) -> HttpResponse:
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


@require_GET
def service_definition(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    if not _matters().filter(code=code).exists():
        return _error(fmt, 404, f"service_code {code} not found")
    if fmt == "json":
        return JsonResponse({"service_code": code, "attributes": []})
    top = Element("service_definition")
    SubElement(top, "service_code").text = code
    SubElement(top, "attributes")
    return HttpResponse(
        b'<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="utf-8"),
        content_type="text/xml; charset=utf-8",
    )


# --- requests -----------------------------------------------------------------------------
def _record(event: Event, request: HttpRequest) -> dict:
    open_ = event.status in OPEN_STATUSES
    lead = next((a for a in event.assignments.all() if a.role == Assignment.Role.LEAD), None)
    resolve = next((d for d in event.deadlines.all() if d.kind == ClockKind.RESOLVE), None)
    photo = next(iter(event.photos.all()), None)
    notes = event.get_status_display()
    if event.closing_reason:
        notes = f"{notes}: {event.closing_reason}"
    return {
        "service_request_id": event.number,
        "status": "open" if open_ else "closed",
        "status_notes": notes,
        "service_name": event.category.name,
        "service_code": event.category.code,
        "description": PHONE_IN_TEXT.sub(lambda m: mask_phone(m.group(0)), event.description),
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
        "lat": event.lat,
        "long": event.lon,
        "media_url": request.build_absolute_uri(photo.thumbnail.url) if photo else None,
    }


def _published():
    return (
        Event.objects.exclude(status=Status.MERGED)
        .select_related("category", "block__parent__parent")
        .prefetch_related(
            "photos",
            Prefetch("assignments", queryset=Assignment.objects.select_related("department")),
            Prefetch("deadlines", queryset=Deadline.objects.filter(met_at=None, cancelled_at=None)),
        )
    )


def _positive(value: str | None, default: int, limit: int) -> int:
    try:
        return max(1, min(int(value), limit)) if value else default
    except ValueError:
        raise ValidationError(value) from None


@csrf_exempt
@require_http_methods(["GET", "POST"])
def requests(request: HttpRequest, fmt: str) -> HttpResponse:
    if request.method == "POST":
        return _create(request, fmt)
    events = _published().order_by("-created_at", "-pk")
    params = request.GET
    if params.get("service_request_id"):
        events = events.filter(number__in=params["service_request_id"].split(","))
    if params.get("service_code"):
        events = events.filter(category__code__in=params["service_code"].split(","))
    for name, lookup in (("start_date", "created_at__gte"), ("end_date", "created_at__lte")):
        if params.get(name):
            moment = parse_datetime(params[name])
            if moment is None:
                return _error(fmt, 400, f"{name} must be an ISO 8601 date and time")
            events = events.filter(**{lookup: moment})
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
    except ValidationError:
        return _error(fmt, 400, "page and page_size are positive whole numbers")
    rows = [_record(e, request) for e in events[(page - 1) * size : page * size]]
    return _respond(rows, fmt, root="service_requests", item="request")


@require_GET
def request_detail(request: HttpRequest, request_id: str, fmt: str) -> HttpResponse:
    event = _published().filter(number=request_id).first()
    if event is None:
        return _error(fmt, 404, f"service_request_id {request_id} not found")
    return _respond([_record(event, request)], fmt, root="service_requests", item="request")


@require_GET
def token(request: HttpRequest, token: str, fmt: str) -> HttpResponse:
    # A token is the resident's tracking code, which opens the case's timeline and its
    # rating: guesses count against the same hourly limit as the tracking pages, or this
    # endpoint would let anyone enumerate the codes the pages protect.
    if public.lookup_limited(request):
        return _error(fmt, 429, "too many unknown tokens from this address; try again in an hour")
    event = Event.objects.filter(tracking_code=token.upper()).only("number").first()
    if event is None:
        public.lookup_missed(request)
        return _error(fmt, 404, f"token {token} not found")
    row = {"service_request_id": event.number, "token": token.upper()}
    return _respond([row], fmt, root="service_requests", item="request")


def _create(request: HttpRequest, fmt: str) -> HttpResponse:
    data = request.POST
    if not Open311Client.objects.filter(api_key=data.get("api_key", ""), is_active=True).exists():
        return _error(fmt, 403, "a valid api_key is required")
    category = _matters().filter(code=data.get("service_code", "")).first()
    if category is None:
        return _error(fmt, 400, "service_code not found")
    if not data.get("description", "").strip():
        return _error(fmt, 400, "description is required")
    block = None
    try:
        lat, lon = float(data["lat"]), float(data["long"])
    except (KeyError, ValueError):
        lat = lon = None
    if lat is not None:
        block = block_at_point(lat, lon)
    if block is None and data.get("address_string"):
        found = address_suggestions(data["address_string"], limit=1)
        block = found[0] if found else None
    if block is None and data.get("address_id"):
        block = Area.objects.filter(
            code=data["address_id"], level=Area.Level.BLOCK, closed_on=None
        ).first()
    if block is None:
        return _error(
            fmt,
            400,
            "the location is in no block we know: send lat/long inside the district or an address_string",
        )
    name = " ".join(filter(None, [data.get("last_name", ""), data.get("first_name", "")])).strip()
    try:
        event = services.event_log(
            actor=None, channel=Channel.SELF_REPORT, block=block, category=category,
            description=data["description"], reporter_name=name[:40],
            reporter_phone=data.get("phone", "")[:20], address=data.get("address_string", "")[:200],
            lat=lat, lon=lon,
        )  # fmt: skip
    except ValidationError as error:
        return _error(fmt, 400, " ".join(error.messages))
    row = {
        "service_request_id": event.number,
        "token": event.tracking_code,
        "service_notice": f"{block.parent.name} {block.name}",
        "account_id": None,
    }
    return _respond([row], fmt, root="service_requests", item="request", status=201)
