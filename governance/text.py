"""The one rule for what text people and apps may send (issue 19): no control characters.

Control characters are Unicode's Cc (U+0000–U+001F, U+007F–U+009F) but tab, line feed and
carriage return. Nobody types them; PostgreSQL refuses NUL outright, XML 1.0 cannot carry
most of the rest (one stored description would break ``requests.xml`` for every reader),
and openpyxl cannot write them into a report. Every door asks this module: the request
middleware (addresses, query strings, form and JSON bodies), the API's multipart parser
and the spreadsheet imports.
"""

from __future__ import annotations

import re
from collections.abc import Iterator, Mapping

from django.utils.translation import gettext as _

CONTROL = re.compile("[\x00-\x08\x0b\x0c\x0e-\x1f\x7f-\x9f]")


def control_character(value: object) -> str | None:
    """The first control character of ``value`` if it is a string holding one, else None."""
    if not isinstance(value, str):
        return None
    found = CONTROL.search(value)
    return found.group() if found else None


def code_point(char: str) -> str:
    return f"U+{ord(char):04X}"


def visible(value: str) -> str:
    """``value`` with each control character shown as U+FFFD, to echo it back safely."""
    return CONTROL.sub("\ufffd", value)


def _fields(data: object) -> Iterator[tuple[str, object]]:
    """(name, value) of every key and value in ``data``: a string, a mapping (each value of
    a QueryDict's field) or a list, nested to any depth. Iterative: a body nested thousands
    deep must not exhaust the stack here."""
    stack: list[tuple[str, object]] = [("", data)]
    while stack:
        name, value = stack.pop()
        if isinstance(value, Mapping):
            several = value.lists() if hasattr(value, "lists") else None
            for key, item in several or value.items():
                path = f"{name}.{key}" if name else str(key)
                yield path, key
                stack.extend((path, one) for one in (item if several else [item]))
        elif isinstance(value, list | tuple):
            stack.extend((f"{name}[{i}]", item) for i, item in enumerate(value))
        else:
            yield name, value


def found_in(data: object) -> tuple[str, str] | None:
    """(field, character) of a control character anywhere in ``data``, or None; a field of
    a nested body is named like ``rows[3].description``."""
    for name, value in _fields(data):
        char = control_character(value)
        if char:
            return visible(name), char
    return None


def field_refusal(field: str, char: str) -> str:
    """What a client is told about a field holding a control character."""
    return _(
        "%(field)s holds a control character (%(code)s); only tab, line feed and carriage "
        "return may be sent."
    ) % {"field": field, "code": code_point(char)}


def cell_refusal(column: str, char: str) -> str:
    """What an import's report says of a row with a control character in a cell."""
    return _(
        "The column “%(column)s” holds a control character (%(code)s): delete it and import "
        "the file again."
    ) % {"column": column, "code": code_point(char)}
