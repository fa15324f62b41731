"""The API's parsers (DRF's DEFAULT_PARSER_CLASSES; a view naming its own takes them from
here too): DRF's own, with the limits of issue 19.

- JSON: at most ``MAX_BYTES`` and nested at most ``MAX_DEPTH`` deep. Python's decoder
  recurses, so a body nested a thousand deep was a RecursionError and a 500 on every JSON
  endpoint, anonymous ones too; now it is a 400 in the API's error format.
- Multipart: no field may hold a control character (governance/text.py). Form and JSON
  bodies are checked before any view by ``governance.middleware``; an API's multipart body
  is left to this parser, as the middleware cannot read it early without either holding a
  case's photos in memory (``request.body``) or turning a JSON-only endpoint's 415 into an
  empty body (``request.POST``).
"""

from __future__ import annotations

import io

from django.template.defaultfilters import filesizeformat
from django.utils.translation import gettext as _
from rest_framework import parsers
from rest_framework.exceptions import ParseError

from governance.text import field_refusal, found_in

MAX_DEPTH = 32
MAX_BYTES = 10 * 1024 * 1024  # 5,000 hotline rows of ordinary length fit several times


class RefusedInput(ParseError):
    """A request refused for one field, with one message that names it; the API's handler
    (governance/api.py) answers ``{"code": "invalid", "message": …, "errors": {field: […]}}``.
    Here, not there: DRF imports this module while it builds its views, which that one
    imports."""

    default_code = "invalid"

    def __init__(self, message: str, *, field: str = ""):
        super().__init__(message, code="invalid")
        self.errors = {field: [message]} if field else {}


def deepest(data: object) -> int:
    """How deep lists and objects nest in ``data`` (a scalar is 0), without recursion."""
    deepest_seen, stack = 0, [(data, 1)]
    while stack:
        value, depth = stack.pop()
        if isinstance(value, dict | list):
            deepest_seen = max(deepest_seen, depth)
            items = value.values() if isinstance(value, dict) else value
            stack.extend((item, depth + 1) for item in items)
    return deepest_seen


class JSONParser(parsers.JSONParser):
    def parse(self, stream, media_type=None, parser_context=None):
        raw = stream.read(MAX_BYTES + 1)
        if len(raw) > MAX_BYTES:
            raise ParseError(
                _("The JSON body is larger than %(size)s.") % {"size": filesizeformat(MAX_BYTES)}
            )
        too_deep = ParseError(
            _("The JSON body nests deeper than %(depth)s levels.") % {"depth": MAX_DEPTH}
        )
        try:
            data = super().parse(io.BytesIO(raw), media_type, parser_context)
        except RecursionError:
            raise too_deep from None
        if deepest(data) > MAX_DEPTH:
            raise too_deep
        return data


class MultiPartParser(parsers.MultiPartParser):
    def parse(self, stream, media_type=None, parser_context=None):
        parsed = super().parse(stream, media_type, parser_context)
        found = found_in(parsed.data)
        if found:
            raise RefusedInput(field_refusal(*found), field=found[0])
        return parsed
