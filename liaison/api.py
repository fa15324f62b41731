"""REST API of the links between levels (DESIGN §7): what the pages do, for apps.

Lists come from liaison.selectors (out of scope: 404); every write is a liaison.services
call, so the API keeps the rules, locks and activity records of the pages. Residents'
phones are masked, and so are numbers typed into free text (findings, matters, needs, the
ledger: ``free_text_fields``); a household leader's report link is returned once, on
creation. Each write's answer is declared (``_answers``), so the schema says what it returns.
"""

from __future__ import annotations

from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils.translation import gettext_lazy as _
from drf_spectacular.utils import extend_schema, extend_schema_field
from rest_framework import mixins, serializers, viewsets
from rest_framework.decorators import action
from rest_framework.exceptions import NotFound
from rest_framework.response import Response

from blocks.models import Area
from events.models import Category
from governance.privacy import MasksPhonesInText, mask_phone
from liaison import admissions, selectors, services
from liaison.models import (
    CadreLink,
    DemandItem,
    DemandList,
    HouseholdLeader,
    HouseholdMatter,
    JointGroup,
    JointGroupEvaluation,
    JointGroupMember,
    JointMeeting,
    LedgerItem,
    PartyMember,
    PartyOrganisation,
    Problem,
    ProblemList,
    ServiceItem,
    TaskAdmission,
    Visit,
    VisitFinding,
    Wish,
)


def _call(fn):
    try:
        return fn()
    except ObjectDoesNotExist:
        raise NotFound() from None


def _area(user, code: str, *levels: str) -> Area:
    return _call(lambda: selectors.area_get(user=user, code=code, levels=levels))


def _category(code: str) -> Category:
    category = selectors.matter_by_code(code)
    if category is None:
        raise serializers.ValidationError({"category": [_("No such matter.")]})
    return category


def _name(user) -> str:
    return (user.get_full_name() or user.username) if user else ""


def _answers(response, *, request=None, code: int = 200):
    """What a write takes and answers, for the schema (goes above ``@action``): by default
    drf-spectacular documents an action's input serializer as its answer too."""
    return extend_schema(request=request, responses={code: response})


class CaseMadeSerializer(serializers.Serializer):
    event = serializers.CharField(help_text="the new case's number")
    link = serializers.CharField(required=False, help_text="the case's page")


class ReportLinkSerializer(serializers.Serializer):
    report_link = serializers.URLField(help_text="shown only in this answer")


class CreatedSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()


class ScoreSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    score = serializers.IntegerField()


class LinkNoteSerializer(serializers.Serializer):
    note = serializers.CharField(max_length=2000)


class CaseFromSerializer(serializers.Serializer):
    category = serializers.SlugField(help_text="code of the case category")
    priority = serializers.CharField(required=False, allow_blank=True)


# --- cadres and visits ------------------------------------------------------------------------
class CadreLinkSerializer(serializers.ModelSerializer):
    cadre = serializers.SerializerMethodField()
    unit = serializers.CharField(source="cadre.unit", read_only=True)
    level = serializers.CharField(source="cadre.level", read_only=True)
    # A plain string, so the schema keeps one "role" enum (the roster's).
    role = serializers.CharField(
        read_only=True, help_text="liaison | publicity | service | vanguard"
    )

    class Meta:
        model = CadreLink
        fields = ["id", "cadre", "unit", "level", "area_code", "role", "started_on", "ended_on"]

    def get_cadre(self, obj) -> str:
        return _name(obj.cadre.user)


class CadreLinkInput(serializers.Serializer):
    cadre = serializers.CharField(help_text="username of the cadre")
    area = serializers.CharField(help_text="block or community code")
    role = serializers.CharField(help_text="liaison | publicity | service | vanguard")


class CadreLinkViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """Active links of cadres to blocks (三级干部进区块) in the user's areas; the street
    creates them and ``end``s them."""

    serializer_class = CadreLinkSerializer

    def get_queryset(self):
        return selectors.cadre_links(user=self.request.user)

    @_answers(CadreLinkSerializer, request=CadreLinkInput, code=201)
    def create(self, request, *args, **kwargs):
        data = CadreLinkInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        area = _area(request.user, data["area"], Area.Level.BLOCK, Area.Level.COMMUNITY)
        cadre = (
            selectors.cadres_in_scope(user=request.user)
            .filter(user__username=data["cadre"])
            .first()
        )
        if cadre is None:
            raise serializers.ValidationError({"cadre": [_("No such cadre.")]})
        link = services.cadre_link(actor=request.user, cadre=cadre, area=area, role=data["role"])
        return Response(CadreLinkSerializer(link).data, status=201)

    @_answers(CadreLinkSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None, format=None):
        link = self.get_object()
        link = _call(lambda: services.cadre_unlink(actor=request.user, link_id=link.pk))
        return Response(CadreLinkSerializer(link).data)


class FindingSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("description", "handling_note")
    # null until the finding becomes a case
    event = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)

    class Meta:
        model = VisitFinding
        fields = [
            "id",
            "description",
            "category_code",
            "building",
            "state",
            "event",
            "handling_note",
        ]


class FindingInput(serializers.Serializer):
    description = serializers.CharField(max_length=2000)
    category_code = serializers.CharField(max_length=40, required=False, allow_blank=True)
    building = serializers.CharField(max_length=60, required=False, allow_blank=True)


class FindingCloseInput(serializers.Serializer):
    solved = serializers.BooleanField()
    note = serializers.CharField(max_length=300)


class VisitSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("summary",)
    cadre = serializers.SerializerMethodField()
    block = serializers.SlugRelatedField(slug_field="code", read_only=True)
    findings = FindingSerializer(many=True, read_only=True)

    class Meta:
        model = Visit
        fields = [
            "id", "cadre", "block", "kind", "visited_on", "households_visited", "participants",
            "summary", "findings",
        ]  # fmt: skip

    def get_cadre(self, obj) -> str:
        return _name(obj.cadre.user)


class VisitInput(serializers.Serializer):
    block = serializers.CharField(help_text="block code")
    cadre = serializers.CharField(
        required=False, help_text="username of the cadre (staff recording for them)"
    )
    # A plain string in the schema (checked below as the choice it is), so that a visit's
    # kind keeps one named enum, the answer's (VisitKindEnum), not a hashed second name.
    kind = serializers.CharField(
        default=Visit.Kind.HOUSEHOLDS, help_text=" | ".join(Visit.Kind.values)
    )
    visited_on = serializers.DateField()
    households_visited = serializers.IntegerField(min_value=0, default=0)
    participants = serializers.IntegerField(min_value=0, default=0)
    summary = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    findings = FindingInput(many=True, required=False)

    def validate_kind(self, value: str) -> str:
        return serializers.ChoiceField(choices=Visit.Kind.choices).run_validation(value)


class VisitViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A cadre's visits; ``findings/{id}/case`` turns a finding into a case in one call."""

    serializer_class = VisitSerializer

    def get_queryset(self):
        return selectors.visits(user=self.request.user).order_by("-visited_on", "-id")

    @_answers(VisitSerializer, request=VisitInput, code=201)
    def create(self, request, *args, **kwargs):
        data = VisitInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        block = selectors.visit_blocks(user=request.user).filter(code=data["block"]).first()
        if block is None:
            raise NotFound()
        cadre = selectors.cadre_of(request.user)
        if data.get("cadre"):
            cadre = (
                selectors.block_cadres(user=request.user, block=block)
                .filter(user__username=data["cadre"])
                .first()
            )
        if cadre is None:
            raise serializers.ValidationError(
                {"cadre": [_("No cadre linked to this block by that name.")]}
            )
        visit = services.visit_record(
            actor=request.user, cadre=cadre, block=block, kind=data["kind"],
            visited_on=data["visited_on"], households_visited=data["households_visited"],
            participants=data["participants"], summary=data["summary"],
            findings=data.get("findings", []),
        )  # fmt: skip
        return Response(VisitSerializer(visit).data, status=201)

    @_answers(CaseMadeSerializer, request=CaseFromSerializer, code=201)
    @action(detail=False, methods=["post"], url_path=r"findings/(?P<finding_id>\d+)/case",
            serializer_class=CaseFromSerializer)  # fmt: skip
    def finding_case(self, request, finding_id=None, format=None):
        data = CaseFromSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        finding = _call(
            lambda: selectors.finding_get(user=request.user, finding_id=int(finding_id))
        )
        event = _call(lambda: services.finding_to_case(
            actor=request.user, finding_id=finding.pk, category=_category(data.validated_data["category"]),
            priority=data.validated_data.get("priority") or None,
        ))  # fmt: skip
        return Response({"event": event.number, "link": reverse("events:detail", args=[event.number])},
                        status=201)  # fmt: skip

    @_answers(FindingSerializer, request=FindingCloseInput)
    @action(detail=False, methods=["post"], url_path=r"findings/(?P<finding_id>\d+)/close",
            serializer_class=FindingCloseInput)  # fmt: skip
    def finding_close(self, request, finding_id=None, format=None):
        """Solved on the spot (``solved: true``) or not a case, with a note."""
        data = FindingCloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        finding = _call(
            lambda: selectors.finding_get(user=request.user, finding_id=int(finding_id))
        )
        finding = _call(lambda: services.finding_close(
            actor=request.user, finding_id=finding.pk, solved=data.validated_data["solved"],
            note=data.validated_data["note"],
        ))  # fmt: skip
        return Response(FindingSerializer(finding).data)


# --- household leaders ------------------------------------------------------------------------
class HouseholdLeaderSerializer(serializers.ModelSerializer):
    block = serializers.SlugRelatedField(slug_field="code", read_only=True)
    phone = serializers.SerializerMethodField()

    class Meta:
        model = HouseholdLeader
        fields = ["id", "block", "name", "phone", "households", "covers", "is_active"]

    def get_phone(self, obj) -> str:
        return mask_phone(obj.phone)


class HouseholdLeaderInput(serializers.Serializer):
    block = serializers.CharField()
    name = serializers.CharField(max_length=40)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    households = serializers.IntegerField()
    covers = serializers.CharField(max_length=120, required=False, allow_blank=True, default="")


class MatterInput(serializers.Serializer):
    description = serializers.CharField(max_length=2000)
    building = serializers.CharField(max_length=60, required=False, allow_blank=True, default="")


class HouseholdLeaderCreatedSerializer(HouseholdLeaderSerializer):
    report_link = serializers.URLField(read_only=True, help_text="shown only in this answer")

    class Meta(HouseholdLeaderSerializer.Meta):
        fields = [*HouseholdLeaderSerializer.Meta.fields, "report_link"]


class HouseholdMatterSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("description", "decline_reason")
    leader = serializers.CharField(source="leader.name", read_only=True)
    # null until the block accepts it as a case
    event = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)

    class Meta:
        model = HouseholdMatter
        fields = ["id", "leader", "area_code", "description", "building", "channel", "state",
                  "reported_at", "event", "decline_reason"]  # fmt: skip


class HouseholdLeaderViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = HouseholdLeaderSerializer

    def get_queryset(self):
        return selectors.household_leaders(user=self.request.user).order_by("area_code", "name")

    @_answers(HouseholdLeaderCreatedSerializer, request=HouseholdLeaderInput, code=201)
    def create(self, request, *args, **kwargs):
        data = HouseholdLeaderInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = dict(data.validated_data)
        block = _area(request.user, data.pop("block"), Area.Level.BLOCK)
        leader, token = services.household_leader_create(actor=request.user, block=block, **data)
        body = HouseholdLeaderSerializer(leader).data
        body["report_link"] = request.build_absolute_uri(
            reverse("liaison:household_report", args=[token])
        )
        return Response(body, status=201)

    @_answers(ReportLinkSerializer)
    @action(detail=True, methods=["post"], url_path="new-link")
    def new_link(self, request, pk=None, format=None):
        """A new personal report link; the old one stops working. Shown only in this answer."""
        leader = self.get_object()
        token = _call(
            lambda: services.household_leader_new_link(actor=request.user, leader_id=leader.pk)
        )
        link = request.build_absolute_uri(reverse("liaison:household_report", args=[token]))
        return Response({"report_link": link})

    @_answers(HouseholdLeaderSerializer)
    @action(detail=True, methods=["post"])
    def end(self, request, pk=None, format=None):
        leader = self.get_object()
        leader = _call(
            lambda: services.household_leader_end(actor=request.user, leader_id=leader.pk)
        )
        return Response(HouseholdLeaderSerializer(leader).data)

    @_answers(HouseholdMatterSerializer, request=MatterInput, code=201)
    @action(detail=True, methods=["post"], serializer_class=MatterInput)
    def matters(self, request, pk=None, format=None):
        """Staff take down what the household leader says on the phone (attributed to them)."""
        leader = self.get_object()
        data = MatterInput(data=request.data)
        data.is_valid(raise_exception=True)
        matter = services.household_matter_report(
            leader=leader, actor=request.user, **data.validated_data
        )
        return Response(HouseholdMatterSerializer(matter).data, status=201)


class HouseholdMatterViewSet(viewsets.ReadOnlyModelViewSet):
    """Household leaders' matters; the block ``accept``s each as a case or ``decline``s it."""

    serializer_class = HouseholdMatterSerializer

    def get_queryset(self):
        return selectors.household_matters(user=self.request.user).order_by("-reported_at")

    @_answers(CaseMadeSerializer, request=CaseFromSerializer, code=201)
    @action(detail=True, methods=["post"], serializer_class=CaseFromSerializer)
    def accept(self, request, pk=None, format=None):
        matter = self.get_object()
        data = CaseFromSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        event = _call(lambda: services.household_matter_accept(
            actor=request.user, matter_id=matter.pk, category=_category(data.validated_data["category"]),
            priority=data.validated_data.get("priority") or None,
        ))  # fmt: skip
        return Response({"event": event.number}, status=201)

    @_answers(HouseholdMatterSerializer, request=LinkNoteSerializer)
    @action(detail=True, methods=["post"], serializer_class=LinkNoteSerializer)
    def decline(self, request, pk=None, format=None):
        matter = self.get_object()
        data = LinkNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        matter = _call(lambda: services.household_matter_decline(
            actor=request.user, matter_id=matter.pk, reason=data.validated_data["note"]))  # fmt: skip
        return Response(HouseholdMatterSerializer(matter).data)


# --- dual registration and wishes -------------------------------------------------------------
class OrganisationSerializer(serializers.ModelSerializer):
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    member_count = serializers.IntegerField(read_only=True)
    wishes_done = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyOrganisation
        fields = [
            "id",
            "community",
            "name",
            "contact_name",
            "registered_on",
            "member_count",
            "wishes_done",
        ]


class OrganisationInput(serializers.Serializer):
    community = serializers.CharField()
    name = serializers.CharField(max_length=100)
    contact_name = serializers.CharField(
        max_length=40, required=False, allow_blank=True, default=""
    )


class OrganisationViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """双报到: party organisations registered with a community (with their members' counts)."""

    serializer_class = OrganisationSerializer

    def get_queryset(self):
        return selectors.organisations(user=self.request.user).order_by("area_code", "name")

    @_answers(CreatedSerializer, request=OrganisationInput, code=201)
    def create(self, request, *args, **kwargs):
        data = OrganisationInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = dict(data.validated_data)
        community = _area(request.user, data.pop("community"), Area.Level.COMMUNITY)
        org = services.organisation_register(actor=request.user, community=community, **data)
        return Response({"id": org.pk, "name": org.name}, status=201)


class MemberSerializer(serializers.ModelSerializer):
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    organisation = serializers.CharField(source="organisation.name", default="", read_only=True)
    phone = serializers.SerializerMethodField()
    wishes_done = serializers.IntegerField(read_only=True)
    wishes_open = serializers.IntegerField(read_only=True)

    class Meta:
        model = PartyMember
        fields = ["id", "community", "name", "phone", "organisation", "registered_on",
                  "wishes_open", "wishes_done"]  # fmt: skip

    def get_phone(self, obj) -> str:
        return mask_phone(obj.phone)


class MemberInput(serializers.Serializer):
    community = serializers.CharField()
    name = serializers.CharField(max_length=40)
    phone = serializers.CharField(max_length=20, required=False, allow_blank=True, default="")
    organisation = serializers.IntegerField(required=False)
    username = serializers.CharField(
        required=False, help_text="the member's account, to take wishes"
    )


class MemberViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """双报到: in-service members registered where they live, with their wishes' counts."""

    serializer_class = MemberSerializer

    def get_queryset(self):
        return selectors.members(user=self.request.user).order_by("area_code", "name")

    @_answers(MemberSerializer, request=MemberInput, code=201)
    def create(self, request, *args, **kwargs):
        data = MemberInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        community = _area(request.user, data["community"], Area.Level.COMMUNITY)
        org = user = None
        if data.get("organisation"):
            org = selectors.organisations(user=request.user).filter(pk=data["organisation"]).first()
            if org is None:
                raise serializers.ValidationError({"organisation": [_("No such organisation.")]})
        if data.get("username"):
            user = selectors.accounts().filter(username=data["username"]).first()
            if user is None:
                raise serializers.ValidationError(
                    {"username": [_("No account with that username.")]}
                )
        member = services.member_register(
            actor=request.user, community=community, name=data["name"], phone=data["phone"],
            organisation=org, user=user,
        )  # fmt: skip
        return Response(self.get_serializer(selectors.members(user=request.user).get(pk=member.pk)).data,
                        status=201)  # fmt: skip


class WishSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("title", "description", "done_note")
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    member = serializers.CharField(source="member.name", default="", read_only=True)
    resident_phone = serializers.SerializerMethodField()

    class Meta:
        model = Wish
        fields = ["id", "community", "title", "description", "resident_name", "resident_phone",
                  "state", "member", "posted_at", "assigned_at", "taken_at", "done_at", "done_note"]  # fmt: skip

    def get_resident_phone(self, obj) -> str:
        return mask_phone(obj.resident_phone)


class WishInput(serializers.Serializer):
    community = serializers.CharField()
    title = serializers.CharField(max_length=100)
    description = serializers.CharField(
        max_length=1000, required=False, allow_blank=True, default=""
    )
    resident_name = serializers.CharField(max_length=40)
    resident_phone = serializers.CharField(
        max_length=20, required=False, allow_blank=True, default=""
    )


class AssignInput(serializers.Serializer):
    member = serializers.IntegerField()


class WishViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """群众点单 (create) → 社区派单 (assign) → 党员接单 (take) → done; or cancel."""

    serializer_class = WishSerializer

    def get_queryset(self):
        return selectors.wishes(user=self.request.user).order_by("-posted_at")

    @_answers(WishSerializer, request=WishInput, code=201)
    def create(self, request, *args, **kwargs):
        data = WishInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = dict(data.validated_data)
        community = _area(request.user, data.pop("community"), Area.Level.COMMUNITY)
        wish = services.wish_post(actor=request.user, community=community, **data)
        return Response(WishSerializer(wish).data, status=201)

    def _do(self, fn):
        wish = self.get_object()
        return Response(WishSerializer(_call(lambda: fn(wish))).data)

    @_answers(WishSerializer, request=AssignInput)
    @action(detail=True, methods=["post"], serializer_class=AssignInput)
    def assign(self, request, pk=None, format=None):
        data = AssignInput(data=request.data)
        data.is_valid(raise_exception=True)
        return self._do(lambda w: services.wish_assign(
            actor=request.user, wish_id=w.pk, member_id=data.validated_data["member"]))  # fmt: skip

    @_answers(WishSerializer)
    @action(detail=True, methods=["post"])
    def take(self, request, pk=None, format=None):
        return self._do(lambda w: services.wish_take(actor=request.user, wish_id=w.pk))

    @_answers(WishSerializer, request=LinkNoteSerializer)
    @action(detail=True, methods=["post"], serializer_class=LinkNoteSerializer)
    def done(self, request, pk=None, format=None):
        data = LinkNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._do(lambda w: services.wish_done(
            actor=request.user, wish_id=w.pk, note=data.validated_data["note"]))  # fmt: skip

    @_answers(WishSerializer, request=LinkNoteSerializer)
    @action(detail=True, methods=["post"], serializer_class=LinkNoteSerializer)
    def cancel(self, request, pk=None, format=None):
        data = LinkNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        return self._do(lambda w: services.wish_cancel(
            actor=request.user, wish_id=w.pk, reason=data.validated_data["note"]))  # fmt: skip


# --- joint responsibility -----------------------------------------------------------------------
class JointMemberSerializer(serializers.ModelSerializer):
    department = serializers.CharField(source="department.name", default="", read_only=True)

    class Meta:
        model = JointGroupMember
        fields = ["id", "position", "name", "title", "department"]


class JointGroupSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("note",)
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    members = JointMemberSerializer(many=True, read_only=True)

    class Meta:
        model = JointGroup
        fields = ["id", "community", "note", "members"]


class EvaluationInput(serializers.Serializer):
    member = serializers.IntegerField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    direction = serializers.ChoiceField(choices=JointGroupEvaluation.Direction.choices)
    score = serializers.IntegerField(min_value=0, max_value=100)
    comment = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class OfficialInput(serializers.Serializer):
    name = serializers.CharField(max_length=40)
    title = serializers.CharField(max_length=80, required=False, allow_blank=True, default="")
    department = serializers.SlugField(required=False, help_text="department code")


class JointGroupInput(serializers.Serializer):
    community = serializers.CharField()
    note = serializers.CharField(max_length=200, required=False, allow_blank=True, default="")
    district_leader = OfficialInput()
    street_leader = OfficialInput()
    department_leader = OfficialInput()
    stationed_cadre = OfficialInput()
    community_cadre = OfficialInput()


class JointGroupViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """五者同责 groups by community code: the street names (or renames) the five officials
    with a POST; ``evaluate`` records a two-way evaluation."""

    serializer_class = JointGroupSerializer
    lookup_field = "area_code"

    def get_queryset(self):
        return selectors.joint_groups(user=self.request.user).order_by("area_code")

    @_answers(JointGroupSerializer, request=JointGroupInput, code=201)
    def create(self, request, *args, **kwargs):
        data = JointGroupInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        community = _area(request.user, data["community"], Area.Level.COMMUNITY)
        members = {}
        for position in JointGroupMember.Position.values:
            row = dict(data[position])
            code = row.pop("department", None)
            row["department"] = (
                selectors.department_get(
                    user=request.user, code=code, district_code=community.code[:6]
                )
                if code
                else None
            )
            members[position] = row
        group = services.joint_group_set(actor=request.user, community=community, members=members,
                                         note=data["note"])  # fmt: skip
        return Response(JointGroupSerializer(self.get_queryset().get(pk=group.pk)).data, status=201)

    @_answers(ScoreSerializer, request=EvaluationInput, code=201)
    @action(detail=True, methods=["post"], serializer_class=EvaluationInput)
    def evaluate(self, request, area_code=None, format=None):
        group = self.get_object()
        data = EvaluationInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = dict(data.validated_data)
        if not selectors.group_members(group=group).filter(pk=data["member"]).exists():
            raise NotFound()
        data["member_id"] = data.pop("member")
        evaluation = services.joint_group_evaluate(actor=request.user, **data)
        return Response({"id": evaluation.pk, "score": evaluation.score}, status=201)


# --- the quarterly loop -------------------------------------------------------------------------
class DemandItemSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("text",)
    # null for a need typed in or picked from a finding
    event = serializers.SlugRelatedField(slug_field="number", read_only=True, allow_null=True)

    class Meta:
        model = DemandItem
        fields = ["id", "text", "source", "event", "finding", "problem"]


class DemandListSerializer(serializers.ModelSerializer):
    community = serializers.SlugRelatedField(slug_field="code", read_only=True)
    items = DemandItemSerializer(many=True, read_only=True)

    class Meta:
        model = DemandList
        fields = ["id", "community", "year", "quarter", "state", "submitted_at", "items"]


class QuarterInput(serializers.Serializer):
    area = serializers.CharField(
        help_text="community code (demand list) or street code (problem list)"
    )
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    quarter = serializers.IntegerField(min_value=1, max_value=4)


class DemandItemInput(serializers.Serializer):
    text = serializers.CharField(max_length=1000, required=False, allow_blank=True, default="")
    event = serializers.CharField(required=False, help_text="case number")
    finding = serializers.IntegerField(required=False)


class DemandListViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """A community's quarterly demand list: open it, add needs (cases, findings, text), submit."""

    serializer_class = DemandListSerializer

    def get_queryset(self):
        return selectors.demand_lists(user=self.request.user).prefetch_related("items__event")

    @_answers(DemandListSerializer, request=QuarterInput, code=201)
    def create(self, request, *args, **kwargs):
        data = QuarterInput(data=request.data)
        data.is_valid(raise_exception=True)
        community = _area(request.user, data.validated_data["area"], Area.Level.COMMUNITY)
        demand = services.demand_list_open(
            actor=request.user, community=community, year=data.validated_data["year"],
            quarter=data.validated_data["quarter"],
        )  # fmt: skip
        return Response(DemandListSerializer(demand).data, status=201)

    @_answers(DemandItemSerializer, request=DemandItemInput, code=201)
    @action(detail=True, methods=["post"], serializer_class=DemandItemInput)
    def items(self, request, pk=None, format=None):
        from events.selectors import event_queryset

        demand = self.get_object()
        data = DemandItemInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        event = finding = None
        if data.get("event"):
            event = event_queryset(user=request.user).filter(number=data["event"]).first()
            if event is None:
                raise NotFound()
        if data.get("finding"):
            finding = _call(
                lambda: selectors.finding_get(user=request.user, finding_id=data["finding"])
            )
        item = _call(lambda: services.demand_item_add(
            actor=request.user, demand_list_id=demand.pk, text=data["text"], event=event, finding=finding,
        ))  # fmt: skip
        return Response(DemandItemSerializer(item).data, status=201)

    @_answers(DemandListSerializer)
    @action(detail=True, methods=["post"])
    def submit(self, request, pk=None, format=None):
        demand = self.get_object()
        demand = _call(
            lambda: services.demand_list_submit(actor=request.user, demand_list_id=demand.pk)
        )
        return Response(DemandListSerializer(demand).data)


class ServiceItemSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("problem", "progress_note", "result")
    department = serializers.CharField(source="department.code", read_only=True)
    responsible = serializers.SerializerMethodField()
    problem = serializers.CharField(source="problem.title", read_only=True)

    class Meta:
        model = ServiceItem
        fields = ["id", "problem", "area_code", "department", "responsible", "due_on", "state",
                  "claimed_at", "progress_note", "done_at", "result"]  # fmt: skip

    def get_responsible(self, obj) -> str:
        return _name(obj.responsible)


class ProblemSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("title", "description")
    service_item = serializers.SerializerMethodField()

    class Meta:
        model = Problem
        fields = ["id", "number", "title", "description", "service_item"]

    @extend_schema_field(ServiceItemSerializer(allow_null=True))
    def get_service_item(self, obj) -> dict | None:
        item = getattr(obj, "service_item", None) if hasattr(obj, "service_item") else None
        return ServiceItemSerializer(item).data if item else None


class ProblemListSerializer(serializers.ModelSerializer):
    street = serializers.SlugRelatedField(slug_field="code", read_only=True)
    problems = serializers.SerializerMethodField()

    class Meta:
        model = ProblemList
        fields = ["id", "street", "year", "quarter", "state", "published_at", "problems"]

    @extend_schema_field(ProblemSerializer(many=True))
    def get_problems(self, obj) -> list[dict]:
        user = self.context["request"].user
        return ProblemSerializer(selectors.problems_of(user=user, problem_list=obj), many=True).data


class ProblemListSummarySerializer(serializers.ModelSerializer):
    """A row of the list: counts instead of the problems (one query for any number)."""

    street = serializers.SlugRelatedField(slug_field="code", read_only=True)
    problem_count = serializers.IntegerField(read_only=True)
    claimed_count = serializers.IntegerField(read_only=True)
    # A plain string: the full serializer carries the enum. The same choices in two
    # components left drf-spectacular a hashed name ("State276Enum") and check --deploy a
    # warning (tests/governance/test_hardening.py).
    state = serializers.CharField(read_only=True, help_text="draft | published | closed")

    class Meta:
        model = ProblemList
        fields = [
            "id",
            "street",
            "year",
            "quarter",
            "state",
            "published_at",
            "problem_count",
            "claimed_count",
        ]


class ProblemInput(serializers.Serializer):
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    demand_items = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )


class ClaimInput(serializers.Serializer):
    problem = serializers.IntegerField()
    department = serializers.SlugField(help_text="department code")
    responsible = serializers.CharField(help_text="username of a member of the department")
    due_on = serializers.DateField()


class ProblemListViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """The street's problem list: open, add problems grouping needs, publish; departments
    ``claim`` problems (at most three a quarter) and see only their own claims."""

    serializer_class = ProblemListSerializer

    def get_queryset(self):
        return selectors.problem_lists(user=self.request.user).order_by(
            "-year", "-quarter", "area_code"
        )

    def get_serializer_class(self):
        return ProblemListSummarySerializer if self.action == "list" else ProblemListSerializer

    @_answers(ProblemListSerializer, request=QuarterInput, code=201)
    def create(self, request, *args, **kwargs):
        data = QuarterInput(data=request.data)
        data.is_valid(raise_exception=True)
        street = _area(request.user, data.validated_data["area"], Area.Level.STREET)
        plist = services.problem_list_open(
            actor=request.user, street=street, year=data.validated_data["year"],
            quarter=data.validated_data["quarter"],
        )  # fmt: skip
        return Response(self.get_serializer(plist).data, status=201)

    @_answers(ProblemSerializer, request=ProblemInput, code=201)
    @action(detail=True, methods=["post"], serializer_class=ProblemInput)
    def problems(self, request, pk=None, format=None):
        plist = self.get_object()
        data = ProblemInput(data=request.data)
        data.is_valid(raise_exception=True)
        problem = _call(lambda: services.problem_add(
            actor=request.user, problem_list_id=plist.pk, title=data.validated_data["title"],
            description=data.validated_data["description"],
            demand_item_ids=data.validated_data["demand_items"],
        ))  # fmt: skip
        return Response(ProblemSerializer(problem).data, status=201)

    @_answers(ProblemListSerializer)
    @action(detail=True, methods=["post"])
    def publish(self, request, pk=None, format=None):
        plist = self.get_object()
        plist = _call(
            lambda: services.problem_list_publish(actor=request.user, problem_list_id=plist.pk)
        )
        return Response(self.get_serializer(plist).data)

    @_answers(ProblemListSerializer)
    @action(detail=True, methods=["post"])
    def close(self, request, pk=None, format=None):
        plist = self.get_object()
        plist = _call(
            lambda: services.problem_list_close(actor=request.user, problem_list_id=plist.pk)
        )
        return Response(self.get_serializer(plist).data)

    @_answers(ServiceItemSerializer, request=ClaimInput, code=201)
    @action(detail=True, methods=["post"], serializer_class=ClaimInput)
    def claim(self, request, pk=None, format=None):
        plist = self.get_object()
        data = ClaimInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = data.validated_data
        department = (
            selectors.claim_departments(user=request.user, problem_list=plist)
            .filter(code=data["department"])
            .first()
        )
        responsible = (
            selectors.department_people(departments=[department])
            .filter(username=data["responsible"])
            .first()
            if department
            else None
        )
        if department is None or responsible is None:
            raise serializers.ValidationError({"department": [_("No such department or person.")]})
        if not selectors.claimable_problems(problem_list=plist).filter(pk=data["problem"]).exists():
            raise NotFound()
        item = _call(lambda: services.service_claim(
            actor=request.user, problem_id=data["problem"], department=department,
            responsible=responsible, due_on=data["due_on"],
        ))  # fmt: skip
        return Response(ServiceItemSerializer(item).data, status=201)


class ServiceItemViewSet(viewsets.ReadOnlyModelViewSet):
    """The service list: a department sees what it claimed and reports ``progress`` / ``done``."""

    serializer_class = ServiceItemSerializer

    def get_queryset(self):
        return selectors.service_items(user=self.request.user).order_by("due_on", "pk")

    @_answers(ServiceItemSerializer, request=LinkNoteSerializer)
    @action(detail=True, methods=["post"], serializer_class=LinkNoteSerializer)
    def progress(self, request, pk=None, format=None):
        item = self.get_object()
        data = LinkNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = _call(lambda: services.service_progress(actor=request.user, item_id=item.pk,
                                                       note=data.validated_data["note"]))  # fmt: skip
        return Response(ServiceItemSerializer(item).data)

    @_answers(ServiceItemSerializer, request=LinkNoteSerializer)
    @action(detail=True, methods=["post"], serializer_class=LinkNoteSerializer)
    def done(self, request, pk=None, format=None):
        item = self.get_object()
        data = LinkNoteSerializer(data=request.data)
        data.is_valid(raise_exception=True)
        item = _call(lambda: services.service_done(actor=request.user, item_id=item.pk,
                                                   result=data.validated_data["note"]))  # fmt: skip
        return Response(ServiceItemSerializer(item).data)


class MeetingSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("title", "attendees", "record")
    street = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = JointMeeting
        fields = ["id", "street", "year", "quarter", "held_on", "title", "attendees", "record",
                  "decided_items", "decided_ledger_items"]  # fmt: skip


class MeetingInput(serializers.Serializer):
    street = serializers.CharField()
    held_on = serializers.DateField()
    title = serializers.CharField(max_length=120)
    attendees = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    record = serializers.CharField(max_length=10000)
    service_items = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )
    ledger_items = serializers.ListField(
        child=serializers.IntegerField(), required=False, default=list
    )


class MeetingViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    serializer_class = MeetingSerializer

    def get_queryset(self):
        return selectors.meetings(user=self.request.user)

    @_answers(MeetingSerializer, request=MeetingInput, code=201)
    def create(self, request, *args, **kwargs):
        data = MeetingInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = dict(data.validated_data)
        street = _area(request.user, data.pop("street"), Area.Level.STREET)
        meeting = services.meeting_record(
            actor=request.user, street=street, service_item_ids=data.pop("service_items"),
            ledger_item_ids=data.pop("ledger_items"), **data,
        )  # fmt: skip
        return Response(MeetingSerializer(meeting).data, status=201)


# --- the livelihood ledger ----------------------------------------------------------------------
class LedgerItemSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("title", "description", "evidence")
    street = serializers.SlugRelatedField(slug_field="code", read_only=True)
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = LedgerItem
        fields = ["id", "street", "year", "number", "title", "description", "department",
                  "target_on", "state", "progress", "entered_at", "updated_at", "closed_at", "evidence"]  # fmt: skip


class LedgerInput(serializers.Serializer):
    street = serializers.CharField()
    year = serializers.IntegerField(min_value=2000, max_value=2100)
    title = serializers.CharField(max_length=120)
    description = serializers.CharField(
        max_length=2000, required=False, allow_blank=True, default=""
    )
    department = serializers.SlugField(required=False)
    target_on = serializers.DateField(required=False)


class TrackInput(serializers.Serializer):
    progress = serializers.IntegerField(min_value=0, max_value=99)
    note = serializers.CharField(max_length=1000)
    public_note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class CloseInput(serializers.Serializer):
    evidence = serializers.CharField(max_length=2000)
    public_note = serializers.CharField(
        max_length=200, required=False, allow_blank=True, default=""
    )


class LedgerItemViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """民生实事账本: enter (create), ``track`` progress, ``close`` with evidence."""

    serializer_class = LedgerItemSerializer

    def get_queryset(self):
        return selectors.ledger_items(user=self.request.user).order_by(
            "-year", "area_code", "number"
        )

    @_answers(LedgerItemSerializer, request=LedgerInput, code=201)
    def create(self, request, *args, **kwargs):
        data = LedgerInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = dict(data.validated_data)
        street = _area(request.user, data.pop("street"), Area.Level.STREET)
        department = None
        if data.get("department"):
            department = selectors.department_get(
                user=request.user, code=data.pop("department"), district_code=street.code[:6]
            )
            if department is None:
                raise serializers.ValidationError({"department": [_("No such department.")]})
        item = services.ledger_enter(
            actor=request.user, street=street, department=department, **data
        )
        return Response(LedgerItemSerializer(item).data, status=201)

    @_answers(LedgerItemSerializer, request=TrackInput)
    @action(detail=True, methods=["post"], serializer_class=TrackInput)
    def track(self, request, pk=None, format=None):
        item = self.get_object()
        data = TrackInput(data=request.data)
        data.is_valid(raise_exception=True)
        _call(
            lambda: services.ledger_track(
                actor=request.user, item_id=item.pk, **data.validated_data
            )
        )
        item.refresh_from_db()
        return Response(LedgerItemSerializer(item).data)

    @_answers(LedgerItemSerializer, request=CloseInput)
    @action(detail=True, methods=["post"], serializer_class=CloseInput)
    def close(self, request, pk=None, format=None):
        item = self.get_object()
        data = CloseInput(data=request.data)
        data.is_valid(raise_exception=True)
        item = _call(
            lambda: services.ledger_close(
                actor=request.user, item_id=item.pk, **data.validated_data
            )
        )
        return Response(LedgerItemSerializer(item).data)


# --- task admission (准入) ----------------------------------------------------------------------
class TaskAdmissionSerializer(MasksPhonesInText, serializers.ModelSerializer):
    free_text_fields = ("matter", "detail", "basis", "decision_note")
    department = serializers.SlugRelatedField(slug_field="code", read_only=True)
    area = serializers.SlugRelatedField(slug_field="code", read_only=True)
    list_item = serializers.SerializerMethodField()

    class Meta:
        model = TaskAdmission
        fields = [
            "id", "department", "area", "matter", "detail", "due", "list_item", "state", "rule",
            "basis", "created_at", "decided_at", "decision_note",
        ]  # fmt: skip

    @extend_schema_field(
        {
            "type": "object",
            "nullable": True,
            "properties": {
                "id": {"type": "integer"},
                "list": {"type": "string"},
                "number": {"type": "integer"},
                "matter": {"type": "string"},
            },
        }
    )
    def get_list_item(self, obj):
        item = obj.list_item
        if item is None:
            return None
        return {"id": item.pk, "list": item.kind, "number": item.number, "matter": item.matter}


class TaskAdmissionInput(serializers.Serializer):
    department = serializers.SlugField(help_text="code of the department pushing the task down")
    area = serializers.CharField(max_length=21, help_text="code of the street or community")
    matter = serializers.CharField(max_length=200)
    detail = serializers.CharField(max_length=2000, required=False, allow_blank=True, default="")
    due = serializers.DateField(required=False, allow_null=True, default=None)
    list_item = serializers.IntegerField(required=False, allow_null=True, default=None)
    basis = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class DecisionInput(serializers.Serializer):
    approve = serializers.BooleanField()
    note = serializers.CharField(max_length=300, required=False, allow_blank=True, default="")


class BasisInput(serializers.Serializer):
    basis = serializers.CharField(max_length=300)


class TaskAdmissionViewSet(mixins.CreateModelMixin, viewsets.ReadOnlyModelViewSet):
    """准入: tasks departments push down to streets and communities, checked against the
    lists; the district's administrators decide the exceptions."""

    serializer_class = TaskAdmissionSerializer
    filterset_fields = ["state"]

    def get_queryset(self):
        return admissions.admissions(user=self.request.user)

    @_answers(TaskAdmissionSerializer, request=TaskAdmissionInput, code=201)
    def create(self, request, *args, **kwargs):
        data = TaskAdmissionInput(data=request.data)
        data.is_valid(raise_exception=True)
        data = dict(data.validated_data)
        department = (
            admissions.pushing_departments(request.user).filter(code=data.pop("department")).first()
        )
        if department is None:
            raise serializers.ValidationError(
                {"department": [_("Choose a department you work for.")]}
            )
        area = admissions.target_areas(department).filter(code=data.pop("area")).first()
        if area is None:
            raise serializers.ValidationError(
                {"area": [_("Choose a street or community of the department's district.")]}
            )
        admission = admissions.task_admission_submit(
            actor=request.user, department_id=department.pk, area_id=area.pk,
            list_item_id=data.pop("list_item"), **data,
        )  # fmt: skip
        return Response(TaskAdmissionSerializer(admission).data, status=201)

    @_answers(TaskAdmissionSerializer, request=BasisInput)
    @action(detail=True, methods=["post"], url_path="ask-approval", serializer_class=BasisInput)
    def ask_approval(self, request, pk=None, format=None):
        data = BasisInput(data=request.data)
        data.is_valid(raise_exception=True)
        admission = self.get_object()
        return Response(TaskAdmissionSerializer(_call(lambda: admissions.task_admission_ask_approval(
            actor=request.user, admission_id=admission.pk, basis=data.validated_data["basis"],
        ))).data)  # fmt: skip

    @_answers(TaskAdmissionSerializer, request=DecisionInput)
    @action(detail=True, methods=["post"], serializer_class=DecisionInput)
    def decide(self, request, pk=None, format=None):
        data = DecisionInput(data=request.data)
        data.is_valid(raise_exception=True)
        admission = self.get_object()
        return Response(TaskAdmissionSerializer(_call(lambda: admissions.task_admission_decide(
            actor=request.user, admission_id=admission.pk, **data.validated_data,
        ))).data)  # fmt: skip
