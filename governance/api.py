"""API plumbing shared by every app: one error format, the router of all resources, and
the strict readers of what a client puts in a query (issue 19: a value we cannot read is a
400 that says so, never silently ignored or clamped)."""

import re

import django_filters
from django import forms
from django.core.exceptions import PermissionDenied as DjangoPermissionDenied
from django.core.exceptions import ValidationError as DjangoValidationError
from django.http import Http404
from django.utils.translation import gettext as _
from rest_framework import exceptions, status
from rest_framework.pagination import PageNumberPagination
from rest_framework.response import Response
from rest_framework.views import exception_handler as drf_exception_handler

from governance.errors import DomainError
from governance.parsers import RefusedInput


def exception_handler(exc, context):
    """Every error answers ``{"code": …, "message": …, "errors": {…}}`` in the user's language."""
    if isinstance(exc, DomainError):
        return Response({"code": exc.code, "message": str(exc.message)}, status=exc.status)
    if isinstance(exc, DjangoValidationError):
        errors = (
            exc.message_dict if hasattr(exc, "error_dict") else {"non_field_errors": exc.messages}
        )
        return Response(
            {
                "code": "invalid",
                "message": " ".join(m for ms in errors.values() for m in ms),
                "errors": errors,
            },
            status=status.HTTP_400_BAD_REQUEST,
        )
    if isinstance(exc, Http404):
        exc = exceptions.NotFound()
    elif isinstance(exc, DjangoPermissionDenied):
        exc = exceptions.PermissionDenied(str(exc) or None)
    response = drf_exception_handler(exc, context)
    if response is None:
        return None
    if isinstance(exc, exceptions.ValidationError):
        data = (
            response.data
            if isinstance(response.data, dict)
            else {"non_field_errors": response.data}
        )
        response.data = {
            "code": "invalid",
            "message": _("Please correct the errors below."),
            "errors": data,
        }
    else:
        detail = (
            response.data.get("detail", "") if isinstance(response.data, dict) else response.data
        )
        code = getattr(detail, "code", None) or getattr(exc, "default_code", "error")
        response.data = {"code": code, "message": str(detail)}
        if getattr(exc, "errors", None):
            response.data["errors"] = exc.errors
    return response


class ApiPagination(PageNumberPagination):
    """Pages of 50, ``page_size`` from 1 to 200; any other ``page_size`` is a 400 (DRF's own
    falls back to 50 or clamps to 200 without a word, so an app never learns its mistake)."""

    page_size = 50
    page_size_query_param = "page_size"
    max_page_size = 200

    def get_page_size(self, request):
        value = request.query_params.get(self.page_size_query_param, "").strip()
        if not value:
            return self.page_size
        if not re.fullmatch(r"[0-9]{1,6}", value) or not 1 <= int(value) <= self.max_page_size:
            raise RefusedInput(
                _("page_size is a whole number from 1 to %(max)s.") % {"max": self.max_page_size},
                field=self.page_size_query_param,
            )
        return int(value)


class _RawBooleanSelect(forms.NullBooleanSelect):
    def value_from_datadict(self, data, files, name):
        # Django's select turns any text it does not know into "unknown", i.e. no filter.
        return data.get(name)


class StrictBooleanField(forms.NullBooleanField):
    """Yes, no, or not asked: ``true``/``1``, ``false``/``0``, empty or ``unknown`` (what
    the pages' select sends); anything else is invalid rather than ignored."""

    widget = _RawBooleanSelect
    VALUES = {"true": True, "1": True, "false": False, "0": False, "": None, "unknown": None}

    def to_python(self, value):
        if value is None or isinstance(value, bool):
            return value
        try:
            return self.VALUES[str(value).strip().lower()]
        except KeyError:
            raise DjangoValidationError(_("Use true or false."), code="invalid") from None

    def validate(self, value):
        pass


class StrictBooleanFilter(django_filters.BooleanFilter):
    """A yes/no filter of a list (pages and API alike) that refuses ``open=maybe``: the API
    answers 400, a page shows the field's error and leaves it out."""

    field_class = StrictBooleanField
