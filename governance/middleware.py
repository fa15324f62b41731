import json
import logging
from contextlib import nullcontext, suppress
from xml.etree.ElementTree import Element, SubElement, tostring

from django.conf import settings
from django.core.exceptions import BadRequest, RequestDataTooBig, SuspiciousOperation
from django.http import HttpRequest, HttpResponse, JsonResponse, QueryDict
from django.http.multipartparser import MultiPartParserError
from django.middleware.locale import LocaleMiddleware
from django.template.loader import render_to_string
from django.utils import translation
from django.utils.translation import gettext as _

from governance import parsers
from governance.text import field_refusal, found_in

# No inline scripts or styles anywhere: every asset is a vendored file under static/.
CSP = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data: blob:; "
    "font-src 'self'; connect-src 'self'; frame-ancestors 'none'; base-uri 'self'; "
    "form-action 'self'; object-src 'none'"
)


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        response = self.get_response(request)
        # The offline Swagger UI and the Django admin ship inline scripts of their own.
        exempt = request.path.startswith(("/api/docs/", "/" + settings.ADMIN_URL))
        if not exempt:
            response.headers.setdefault("Content-Security-Policy", CSP)
        return response


class ChineseFirstLocaleMiddleware(LocaleMiddleware):
    """Pages speak Simplified Chinese whatever the browser asks (issue 18: the product is
    Chinese-first, and a desk PC's browser set to English must not turn a street office's
    pages English); English only when the user chose it with the header's switch, whose
    choice is kept in the language cookie. The API and Open311 still follow the caller's
    Accept-Language, as an app asks for the language of its errors (Open311 answers in
    English anyway)."""

    def process_request(self, request):
        if _door(request.path) != "page":
            return super().process_request(request)
        language = settings.LANGUAGE_CODE
        chosen = request.COOKIES.get(settings.LANGUAGE_COOKIE_NAME)
        if chosen:
            with suppress(LookupError):  # a cookie naming a language we do not have
                language = translation.get_supported_language_variant(chosen)
        translation.activate(language)
        request.LANGUAGE_CODE = translation.get_language()


class RefuseControlCharactersMiddleware:
    """The one door check of what a request carries (issue 19; the rule: governance/text.py).

    A control character (NUL and the like; tab and line breaks are text) in the address, in
    a query parameter or in a field of a form or JSON body, nested or not, is refused with a
    400 before any view runs, so nothing is written: PostgreSQL refuses NUL in text (a 500
    wherever a view used it) and XML cannot carry the rest. Each door answers in its own
    format: the API its ``{"code", "message", "errors"}``, Open311 GeoReport's error list
    (JSON, or XML for a ``.xml`` path, in English like the rest of Open311), a page a
    readable page. A body Django cannot read is answered here the same way.

    Multipart bodies are read here for pages and Open311 (as CSRF's check does anyway), not
    for the API: its parser checks them (governance/parsers.py), so that a JSON-only
    endpoint still answers 415 and a case's photos are not held in memory twice.
    """

    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        door = _door(request.path)
        # Open311 speaks English throughout (events/open311.py); the API and pages speak the
        # user's language (LocaleMiddleware has run).
        with translation.override("en") if door == "open311" else nullcontext():
            refusal = _refusal(request, door)
        if refusal is None:
            return self.get_response(request)
        return _refuse(request, door, *refusal)


def _refusal(request: HttpRequest, door: str) -> tuple[int, str, dict] | None:
    """(status, message, errors by field) if the request is refused, else None."""
    try:
        if found_in(request.path):
            return 400, _("The address holds a character that is not allowed."), {}
        found = found_in(request.GET)
        if found:
            message = field_refusal(*found)
            address = _("The address holds a character that is not allowed.")
            return 400, f"{address} {message}", {found[0]: [message]}
        body = _body_fields(request, door)
    except (SuspiciousOperation, MultiPartParserError, BadRequest) as error:
        if door == "page":
            raise  # Django's own 400 page, logged as Django logs it
        if isinstance(error, RequestDataTooBig):
            return 413, _("The request body is too large."), {}
        if isinstance(error, SuspiciousOperation):
            logging.getLogger(f"django.security.{type(error).__name__}").error(error)
        return 400, _("The request body cannot be read."), {}
    found = found_in(body) if body is not None else None
    if found:
        message = field_refusal(*found)
        return 400, message, {found[0]: [message]}
    return None


def _door(path: str) -> str:
    if path.startswith("/api/"):
        return "api"
    if path.startswith("/open311/"):
        return "open311"
    return "page"


def _body_fields(request: HttpRequest, door: str):
    """The fields of a form or JSON body, or None for no body or one of another kind. A
    body that is not JSON at all (or nested too deep for the decoder) is left to the view,
    whose parser says what is wrong with it."""
    kind = request.content_type
    if kind == "multipart/form-data":
        return request.POST if door != "api" and request.method == "POST" else None
    if kind == "application/x-www-form-urlencoded":
        if request.method == "POST":
            return request.POST
        return QueryDict(request.body, encoding=request.encoding)
    if kind == "application/json" or kind.endswith("+json"):
        if not request.body or len(request.body) > parsers.MAX_BYTES:
            return None
        try:
            return json.loads(request.body)
        except (ValueError, RecursionError):
            return None
    return None


def _refuse(request: HttpRequest, door: str, status: int, message: str, errors: dict):
    if door == "api":
        code = "too_large" if status == 413 else "invalid"
        body = {"code": code, "message": message, **({"errors": errors} if errors else {})}
        return JsonResponse(body, status=status, json_dumps_params={"ensure_ascii": False})
    if door == "open311":
        return _georeport_error(request, status, message)
    page = HttpResponse(
        render_to_string("governance/bad_request.html", {"message": message}), status=status
    )
    page["Content-Security-Policy"] = CSP  # answered before the CSP middleware runs
    return page


def _georeport_error(request: HttpRequest, status: int, message: str) -> HttpResponse:
    """GeoReport's error list, as events/open311.py answers its own refusals: JSON, or XML
    when the path asks for it."""
    if request.path.endswith(".xml"):
        top = Element("errors")
        node = SubElement(top, "error")
        SubElement(node, "code").text = str(status)
        SubElement(node, "description").text = message
        text = '<?xml version="1.0" encoding="utf-8"?>' + tostring(top, encoding="unicode")
        return HttpResponse(text.encode(), content_type="text/xml; charset=utf-8", status=status)
    rows = [{"code": status, "description": message}]
    return JsonResponse(rows, safe=False, status=status, json_dumps_params={"ensure_ascii": False})
