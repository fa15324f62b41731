"""Residents' own pages, without an account (DESIGN §1, issue 4): report a problem, follow it
with its tracking code, rate the outcome.

Everything here is public, so it shows no staff names or phones and the reporter's phone
only masked (DESIGN §6), and it is rate-limited per client address: reports against
spam, lookups of unknown codes against enumeration of tracking codes.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

from django import forms
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import ValidationError
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from blocks.models import Area, DepartmentMember, Posting
from events import services
from events.assisted import assisted_services
from events.forms import BookedAtField, PhotosField, RatingForm, category_choices
from events.locating import address_suggestions, block_at_point, open_areas
from events.models import (
    Action,
    Category,
    CategoryKind,
    Channel,
    Event,
    Photo,
    Satisfaction,
    Status,
    TimelineEntry,
)
from events.workflow import rated_this_closing
from governance import ratelimit
from governance.errors import DomainError
from governance.privacy import mask_phone, mask_phones_in_text

TRACKING_CODE_RE = re.compile(rf"[{services.TRACKING_ALPHABET}]{{10}}")
# Mobile numbers (13812345678, +86 138 1234 5678) and landlines with an area code (0731-5551234).
PHONE_RE = re.compile(r"^(?:\+?86)?(1[3-9]\d{9})$|^(0\d{2,3}\d{7,8})$")
# Phone-like digit runs inside staff notes shown to the public are masked.


# --- rate limits -----------------------------------------------------------------------
def _limit_key(kind: str, request: HttpRequest) -> str:
    hour = int(timezone.now().timestamp() // 3600)
    return f"public-limit:{kind}:{ratelimit.client_ip(request) or 'unknown'}:{hour}"


def _over_limit(kind: str, request: HttpRequest, limit: int) -> bool:
    return ratelimit.count(_limit_key(kind, request)) >= limit


def _count(kind: str, request: HttpRequest) -> None:
    ratelimit.hit(_limit_key(kind, request))


def _report_limit() -> int:
    return settings.PUBLIC_REPORTS_PER_HOUR


def _lookup_miss_limit() -> int:
    # Unknown codes per address and hour. A resident mistypes a few times; an enumerator
    # needs millions of tries. Once over, even valid codes answer 429, or hits would leak.
    return settings.PUBLIC_LOOKUP_MISSES_PER_HOUR


def _too_many(request: HttpRequest, *, kind: str) -> HttpResponse:
    response = render(request, "events/public/limited.html", {"kind": kind}, status=429)
    response["Retry-After"] = "3600"
    return response


# --- areas: chained selects, point in block, typed address ------------------------------
def _child_options(parent_id: int | None, level: str) -> list[Area]:
    if not parent_id:
        return []
    return list(open_areas(level).filter(parent_id=parent_id).order_by("code").only("id", "name"))


def _int_or_none(value) -> int | None:
    try:
        return int(value) if value not in (None, "") else None
    except (TypeError, ValueError):
        return None


# --- the report form --------------------------------------------------------------------
def normalise_phone(value: str) -> str:
    return re.sub(r"[\s\-()（）]", "", value or "")


class PublicReportForm(forms.Form):
    """What a resident tells us: where, what kind, what, a phone to call back, photos."""

    lat = forms.FloatField(required=False, min_value=-90, max_value=90, widget=forms.HiddenInput)
    lon = forms.FloatField(required=False, min_value=-180, max_value=180, widget=forms.HiddenInput)
    street = forms.IntegerField(required=False)
    community = forms.IntegerField(required=False)
    block = forms.IntegerField(required=False)
    suggested_block = forms.IntegerField(required=False)
    address = forms.CharField(max_length=200, required=False, label=gettext_lazy("Address"))
    category = forms.TypedChoiceField(label=gettext_lazy("What kind of problem?"), coerce=int)
    description = forms.CharField(
        max_length=2000,
        label=gettext_lazy("What is the problem?"),
        widget=forms.Textarea(attrs={"rows": 4}),
        error_messages={"required": gettext_lazy("Describe the problem.")},
    )
    reporter_phone = forms.CharField(
        max_length=20,
        label=gettext_lazy("Your phone"),
        widget=forms.TextInput(
            attrs={"inputmode": "tel", "autocomplete": "tel", "placeholder": "13812345678"}
        ),
        error_messages={"required": gettext_lazy("Enter your phone number so we can call back.")},
    )
    reporter_name = forms.CharField(
        max_length=40,
        required=False,
        label=gettext_lazy("Your name (optional)"),
        widget=forms.TextInput(attrs={"autocomplete": "name"}),
    )
    photos = PhotosField(required=False, label=gettext_lazy("Photos (optional)"))

    def __init__(self, *args, assisted: bool = False, **kwargs):
        """``assisted``: 预约服务 / 帮我办 (issue 20) — the resident asks the block to do one
        of the catalogue's services on their behalf, optionally at a booked time."""
        super().__init__(*args, **kwargs)
        self.assisted = assisted
        self.kind = CategoryKind.ASSISTED_SERVICE if assisted else CategoryKind.COMPLAINT
        self.fields["category"].choices = category_choices(kind=self.kind)
        self.fields["category"].error_messages["required"] = self._category_error()
        if assisted:
            self.fields["category"].label = _("Which service?")
            self.fields["description"].label = _("What do you need done?")
            self.fields["description"].error_messages["required"] = _("Say what you need done.")
            self.fields["booked_at"] = BookedAtField(
                label=_("When would suit you? (optional)"),
                help_text=_("Leave it empty and the block calls you to agree a time."),
            )
        self.located_block: Area | None = None

    def _category_error(self) -> str:
        return _("Choose a service.") if self.assisted else _("Choose what kind of problem.")

    def clean_category(self) -> Category:
        try:
            return Category.objects.get(
                pk=self.cleaned_data["category"], is_active=True, kind=self.kind
            )
        except Category.DoesNotExist:
            raise forms.ValidationError(self._category_error()) from None

    def clean_reporter_phone(self) -> str:
        phone = normalise_phone(self.cleaned_data["reporter_phone"])
        match = PHONE_RE.match(phone)
        if not match:
            raise forms.ValidationError(
                _(
                    "Enter an 11-digit mobile number (e.g. 13812345678) "
                    "or a landline with its area code (e.g. 0731-5551234)."
                )
            )
        return match.group(1) or match.group(2)

    def _open_block(self, pk: int | None) -> Area | None:
        if not pk:
            return None
        return open_areas(Area.Level.BLOCK).select_related("parent").filter(pk=pk).first()

    def clean(self):
        data = super().clean()
        # Where: a block chosen by hand wins; then the map point; then a suggestion picked
        # from the typed address.
        block = self._open_block(data.get("block"))
        lat, lon = data.get("lat"), data.get("lon")
        if (lat is None) != (lon is None):
            data["lat"] = data["lon"] = lat = lon = None
        if block is None and lat is not None:
            block = self.located_block = block_at_point(lat, lon)
        if block is None:
            block = self._open_block(data.get("suggested_block"))
        if block is None:
            if lat is not None:
                message = _("Your location is not inside any block we know. Choose your block.")
            elif data.get("address") and address_suggestions(data["address"]):
                message = _("Pick your block from the suggestions under the address.")
            else:
                message = _(
                    "Tell us where: use your location, choose your block, "
                    "or type an address and pick a suggestion."
                )
            self.add_error("block", message)
        data["area"] = block
        return data


def _picker_context(form: PublicReportForm) -> dict:
    """The chained selects as they stand (after an error, what the resident had chosen)."""
    data = form.data if form.is_bound else {}
    street_id = _int_or_none(data.get("street"))
    community_id = _int_or_none(data.get("community"))
    block_id = _int_or_none(data.get("block"))
    streets = list(
        open_areas(Area.Level.STREET)
        .select_related("parent")
        .order_by("code")
        .only("id", "name", "parent__name")
    )
    several_districts = len({s.parent_id for s in streets}) > 1
    suggestions = address_suggestions(data.get("address", "")) if form.is_bound else []
    return {
        "streets": streets,
        "several_districts": several_districts,
        "communities": _child_options(street_id, Area.Level.COMMUNITY),
        "blocks": _child_options(community_id, Area.Level.BLOCK),
        "street_id": street_id,
        "community_id": community_id,
        "block_id": block_id,
        "suggestions": suggestions,
        "suggested_id": _int_or_none(data.get("suggested_block")),
    }


def _render_report(request: HttpRequest, form: PublicReportForm, status: int = 200):
    catalogue = assisted_services() if form.assisted else []
    return render(
        request,
        "events/public/report.html",
        {"form": form, "catalogue": catalogue, **_picker_context(form)},
        status=status,
    )


@never_cache
@require_http_methods(["GET", "POST"])
def report(request: HttpRequest) -> HttpResponse:
    """Report a problem, or (``kind=service``) ask for an assisted service (帮我办)."""
    assisted = (request.POST if request.method == "POST" else request.GET).get("kind") == "service"
    if request.method != "POST":
        return _render_report(request, PublicReportForm(assisted=assisted))
    if _over_limit("report", request, _report_limit()):
        return _too_many(request, kind="report")
    form = PublicReportForm(request.POST, request.FILES, assisted=assisted)
    if not form.is_valid():
        return _render_report(request, form, status=400)
    data = form.cleaned_data
    try:
        # The service checks every photo before it writes anything: nothing is half-saved.
        event = services.event_log(
            actor=None,
            channel=Channel.SELF_REPORT,
            block=data["area"],
            category=data["category"],
            description=data["description"],
            reporter_name=data["reporter_name"],
            reporter_phone=data["reporter_phone"],
            address=data["address"],
            lat=data["lat"],
            lon=data["lon"],
            photos=data["photos"],
            booked_at=data.get("booked_at"),
        )
    except ValidationError as error:
        for message in error.messages:
            form.add_error(None, message)
        return _render_report(request, form, status=400)
    _count("report", request)
    return redirect("public:done", code=event.tracking_code)


@require_GET
def area_options(request: HttpRequest) -> HttpResponse:
    """htmx: the <option>s of the next select (street → communities, community → blocks)."""
    if "community" in request.GET:
        areas = _child_options(_int_or_none(request.GET["community"]), Area.Level.BLOCK)
        placeholder = _("Choose your block")
    else:
        areas = _child_options(_int_or_none(request.GET.get("street")), Area.Level.COMMUNITY)
        placeholder = _("Choose your community")
    return render(
        request, "events/public/_options.html", {"areas": areas, "placeholder": placeholder}
    )


@require_GET
def locate(request: HttpRequest) -> JsonResponse:
    """The block at the resident's location, for the page to show before they send."""
    try:
        lat, lon = float(request.GET["lat"]), float(request.GET["lon"])
    except (KeyError, ValueError):
        return JsonResponse({"found": False, "message": _("No location was given.")}, status=400)
    if not (-90 <= lat <= 90 and -180 <= lon <= 180):
        return JsonResponse({"found": False, "message": _("No location was given.")}, status=400)
    block = block_at_point(lat, lon)
    if block is None:
        return JsonResponse(
            {
                "found": False,
                "message": _("Your location is not inside any block we know. Choose your block."),
            }
        )
    community = block.parent
    return JsonResponse(
        {
            "found": True,
            "block": block.pk,
            # The page fills its street → community → block selects with them (issue 18).
            "community": community.pk if community else None,
            "street": community.parent_id if community else None,
            "label": _("Your block: %(community)s · %(block)s")
            % {"community": community.name if community else "", "block": block.name},
        }
    )


@require_GET
def suggest(request: HttpRequest) -> HttpResponse:
    """htmx: blocks that match the typed address, as choices the resident can pick."""
    return render(
        request,
        "events/public/_suggestions.html",
        {"suggestions": address_suggestions(request.GET.get("address", ""))},
    )


# --- tracking ---------------------------------------------------------------------------
def normalise_code(code: str) -> str:
    return re.sub(r"[\s\-]", "", code or "").upper()


def lookup_limited(request: HttpRequest) -> bool:
    """Whether this address has tried too many unknown tracking codes this hour. Every place
    that answers "is this code real?" (these pages, Open311's tokens) shares the count."""
    return _over_limit("lookup-miss", request, _lookup_miss_limit())


def lookup_missed(request: HttpRequest) -> None:
    _count("lookup-miss", request)


def _event_by_code(request: HttpRequest, code: str) -> Event | HttpResponse:
    """The case with this tracking code, or the 429/404 answer to give instead."""
    if lookup_limited(request):
        return _too_many(request, kind="lookup")
    event = None
    if TRACKING_CODE_RE.fullmatch(code):
        event = (
            Event.objects.select_related("category", "category__parent", "block", "block__parent")
            .filter(tracking_code=code)
            .first()
        )
    if event is None:
        lookup_missed(request)
        return render(request, "events/public/not_found.html", {"code": code[:20]}, status=404)
    return event


RESIDENT_STATUS = {
    Status.PENDING: gettext_lazy("Received. Waiting for your block to take it on."),
    Status.IN_BLOCK: gettext_lazy("Your block is handling it."),
    Status.ESCALATED: gettext_lazy("Passed up to the street office, which is assigning it."),
    Status.DISPATCHED: gettext_lazy("Assigned to the responsible departments."),
    Status.IN_PROGRESS: gettext_lazy("The responsible departments are handling it."),
    Status.AWAITING_VERIFICATION: gettext_lazy("Reported as done; being checked."),
    Status.CLOSED: gettext_lazy("Done and closed."),
    Status.INVALID: gettext_lazy("Closed without action."),
    Status.MERGED: gettext_lazy(
        "Merged with an earlier report of the same problem, which is being handled."
    ),
}
# The five steps a resident sees (信息采集 → 处置 → 核查 → 结案 → 评价).
STEPS = [
    gettext_lazy("Received"),
    gettext_lazy("Handling"),
    gettext_lazy("Checking"),
    gettext_lazy("Closed"),
    gettext_lazy("Rated"),
]
STEP_OF_STATUS = {
    Status.PENDING: 0,
    Status.IN_BLOCK: 1,
    Status.ESCALATED: 1,
    Status.DISPATCHED: 1,
    Status.IN_PROGRESS: 1,
    Status.AWAITING_VERIFICATION: 2,
    Status.CLOSED: 3,
}
PUBLIC_ACTIONS = {
    Action.LOG: gettext_lazy("Report received"),
    Action.ACCEPT: gettext_lazy("Taken on"),
    Action.RESOLVE: gettext_lazy("Reported as done"),
    Action.VERIFY: gettext_lazy("Checked and closed"),
    Action.REWORK: gettext_lazy("Sent back to be done properly"),
    Action.RATE: gettext_lazy("Rated"),
    Action.INVALIDATE: gettext_lazy("Closed without action"),
    Action.MERGE: gettext_lazy("Merged with a report of the same problem"),
    Action.WHISTLE: gettext_lazy("Passed up to the street office"),
    Action.DISPATCH: gettext_lazy("Assigned to the responsible departments"),
    Action.REPORT_IN: gettext_lazy("A department took on the task"),
    Action.FEEDBACK: gettext_lazy("A department reported what it did"),
    Action.RETURN: gettext_lazy("Passed back to the street office to reassign"),
}
# Staff notes shown to residents: what was done, and why a case was closed without action.
# Internal notes (whistle, return, rework, comments) stay inside.
PUBLIC_NOTES = {Action.RESOLVE, Action.FEEDBACK, Action.INVALIDATE, Action.RATE}
DEPARTMENT_ACTIONS = {Action.REPORT_IN, Action.FEEDBACK, Action.RETURN}

LEVEL_LABELS = {
    "resident": gettext_lazy("Resident"),
    "block": gettext_lazy("Block"),
    "supervisor": gettext_lazy("Block supervisor"),
    "street": gettext_lazy("Street office"),
    "department": gettext_lazy("Department"),
    "district": gettext_lazy("District"),
    "staff": gettext_lazy("Staff"),
}
ROLE_LEVEL = {
    Posting.Role.GOVERNOR: "block",
    Posting.Role.ASSISTANT: "block",
    Posting.Role.SUPERVISOR: "supervisor",
    Posting.Role.DISPATCHER: "street",
    Posting.Role.STREET_ADMIN: "street",
}


@dataclass
class PublicStep:
    at: object
    level: str
    action: str
    note: str
    satisfaction: str = ""


def _staff_levels(entries: list[TimelineEntry], event: Event) -> dict[int, str]:
    """Each staff actor's level on this case (block / street / department …): two queries."""
    ids = {e.actor_id for e in entries if e.actor_id}
    if not ids:
        return {}
    levels: dict[int, tuple[int, str]] = {}  # user → (area code length, level); nearest wins
    for user_id, role, code in Posting.objects.filter(user_id__in=ids).values_list(
        "user_id", "role", "area__code"
    ):
        if not event.area_code.startswith(code):
            continue
        level = ROLE_LEVEL.get(role) or ("street" if len(code) >= 9 else "district")
        if user_id not in levels or len(code) > levels[user_id][0]:
            levels[user_id] = (len(code), level)
    result = {user_id: level for user_id, (_length, level) in levels.items()}
    for user_id in DepartmentMember.objects.filter(user_id__in=ids - result.keys()).values_list(
        "user_id", flat=True
    ):
        result[user_id] = "department"
    return result


def _scrub(note: str, names: list[str]) -> str:
    """Staff names and phone numbers never reach the public page, even inside a note."""
    for name in names:
        note = note.replace(name, _("staff"))
    return mask_phones_in_text(note)


def public_timeline(event: Event) -> list[PublicStep]:
    entries = [
        e
        for e in event.timeline.select_related("actor").order_by("at", "id")
        if e.action in PUBLIC_ACTIONS
    ]
    levels = _staff_levels(entries, event)
    names = sorted(
        {
            n
            for e in entries
            if e.actor_id
            for n in (e.actor.full_name, e.actor.first_name + e.actor.last_name)
            if n and len(n) >= 2
        },
        key=len,
        reverse=True,
    )
    steps = []
    for entry in entries:
        if entry.actor_id is None:
            level = "resident"
        elif entry.action in DEPARTMENT_ACTIONS:
            level = "department"
        else:
            level = levels.get(entry.actor_id, "staff")
        note = _scrub(entry.note, names) if entry.action in PUBLIC_NOTES else ""
        satisfaction = ""
        if entry.action == Action.RATE and entry.data.get("satisfaction") in Satisfaction.values:
            satisfaction = Satisfaction(entry.data["satisfaction"]).label
        steps.append(
            PublicStep(
                at=entry.at,
                level=LEVEL_LABELS[level],
                action=PUBLIC_ACTIONS[entry.action],
                note=note,
                satisfaction=satisfaction,
            )
        )
    return steps


def _can_rate(event: Event) -> bool:
    """A closed case the resident has not rated since it was closed (once per closing)."""
    return event.status == Status.CLOSED and not rated_this_closing(event)


def _render_track(
    request: HttpRequest, event: Event, *, form: RatingForm | None = None, error: str = "",
    status: int = 200,
) -> HttpResponse:  # fmt: skip
    step = 4 if rated_this_closing(event) else STEP_OF_STATUS.get(event.status)
    response = render(
        request,
        "events/public/track.html",
        {
            "event": event,
            "status_text": RESIDENT_STATUS.get(event.status, event.get_status_display()),
            "steps": [
                {"label": label, "done": step is not None and i <= step, "current": i == step}
                for i, label in enumerate(STEPS)
            ],
            "timeline": public_timeline(event),
            "feedback_photos": list(event.photos.filter(stage=Photo.Stage.FEEDBACK)),
            "report_photos": list(event.photos.filter(stage=Photo.Stage.REPORT)),
            "masked_phone": mask_phone(event.reporter_phone),
            "can_rate": _can_rate(event),
            "rated": rated_this_closing(event),
            "rating_form": form or RatingForm(),
            "rating_error": error,
        },
        status=status,
    )
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_GET
def track_lookup(request: HttpRequest) -> HttpResponse:
    """The small form where a resident types their code."""
    code = normalise_code(request.GET.get("code", ""))
    if code:
        return redirect("public:track", code=code)
    return render(request, "events/public/lookup.html")


@never_cache
@require_GET
def track(request: HttpRequest, code: str) -> HttpResponse:
    canonical = normalise_code(code)
    if canonical != code and canonical:
        return redirect("public:track", code=canonical)
    event = _event_by_code(request, code)
    if isinstance(event, HttpResponse):
        return event
    return _render_track(request, event)


@never_cache
@require_GET
def done(request: HttpRequest, code: str) -> HttpResponse:
    """After a report: the tracking code, big and easy to copy."""
    event = _event_by_code(request, code)
    if isinstance(event, HttpResponse):
        return event
    response = render(request, "events/public/done.html", {"event": event})
    response["X-Robots-Tag"] = "noindex"
    return response


@never_cache
@require_POST
def rate(request: HttpRequest, code: str) -> HttpResponse:
    event = _event_by_code(request, normalise_code(code))
    if isinstance(event, HttpResponse):
        return event
    form = RatingForm(request.POST)
    if not _can_rate(event):
        message = (
            _("This case has already been rated.")
            if rated_this_closing(event)
            else _("You can rate the case once it is closed.")
        )
        return _render_track(request, event, error=message, status=409)
    if not form.is_valid():
        return _render_track(
            request, event, form=form, error=_("Choose your answers below."), status=400
        )
    data = form.cleaned_data
    try:
        services.event_rate(
            actor=None,
            event_id=event.pk,
            satisfaction=data["satisfaction"],
            resolved=data["resolved"],
            comment=data["comment"],
        )
    except DomainError as error:  # rated at the same moment in another tab
        event.refresh_from_db()
        return _render_track(request, event, error=str(error.message), status=409)
    except ValidationError as error:
        return _render_track(request, event, form=form, error=" ".join(error.messages), status=400)
    messages.success(request, _("Thank you for your rating."))
    return redirect("public:track", code=event.tracking_code)
