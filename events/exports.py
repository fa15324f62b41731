"""XLSX exports of case lists. Residents' phones are always masked in exports (DESIGN §6),
and so are numbers typed into a description, unless the exporter may export them unmasked."""

from __future__ import annotations

from django.db.models import QuerySet
from django.http import HttpResponse
from django.utils import timezone
from django.utils.translation import gettext as _
from openpyxl import Workbook

from events.models import Event
from governance import ratelimit
from governance.privacy import mask_phone, mask_phones_in_text
from governance.spreadsheets import download, table_sheet, workbook_saved

MAX_ROWS = 50_000


def _local(value):
    return timezone.localtime(value).replace(tzinfo=None) if value else None


EXPORTS_PER_HOUR = 20


def export_allowed(*, user) -> bool:
    """At most EXPORTS_PER_HOUR exports per user and hour (DESIGN §6: rate limit on exports)."""
    return ratelimit.hit(f"exports:{user.pk}:{timezone.now():%Y%m%d%H}") <= EXPORTS_PER_HOUR


def events_workbook(*, events: QuerySet[Event], unmasked: bool = False) -> Workbook:
    workbook = Workbook(write_only=True)
    header = [
        _("Case number"), _("Logged at"), _("Channel"), _("Street"), _("Community"),
        _("Block"), _("Category"), _("Colour"), _("Status"), _("Description"),
        _("Reporter phone"), _("Closed at"), _("Satisfaction"),
    ]  # fmt: skip
    events = events.select_related("block__parent__parent", "category", "category__parent")

    def rows():
        for event in events[:MAX_ROWS].iterator(chunk_size=2000):
            community = event.block.parent
            yield [
                event.number, _local(event.created_at), event.get_channel_display(),
                community.parent.name, community.name, event.block.name, str(event.category),
                event.get_priority_display(), event.get_status_display(),
                event.description if unmasked else mask_phones_in_text(event.description),
                event.reporter_phone if unmasked else mask_phone(event.reporter_phone),
                _local(event.closed_at),
                event.get_satisfaction_display() if event.satisfaction else "",
            ]  # fmt: skip

    table_sheet(workbook, _("Cases"), header, rows())
    return workbook


def events_xlsx_response(*, events: QuerySet[Event], unmasked: bool = False) -> HttpResponse:
    workbook = events_workbook(events=events, unmasked=unmasked)
    return download(workbook_saved(workbook), "cases.xlsx", stamped=True)
