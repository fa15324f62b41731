"""准入 (issue 20): a task a department pushes down is checked against the street's and the
communities' lists; not on them it is refused with the rule, or admitted by the district's
approval. Scoping: the department, the street or community it was pushed to (insider), a
neighbouring street (neighbour), another department (outsider)."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.urls import reverse
from django.utils import timezone
from django.utils.html import escape
from rest_framework.test import APIClient

from blocks.models import Posting
from events.models import StreetDutyItem
from governance.errors import StateConflict
from governance.models import AuditEntry, Notification
from liaison import admissions
from liaison.models import TaskAdmission
from tests.factories import UserFactory, post

Kind = StreetDutyItem.Kind
State = TaskAdmission.State


@pytest.fixture
def lists(world):
    def item(kind, number, matter):
        return StreetDutyItem.objects.create(
            district=world.district, kind=kind, number=number, matter=matter
        )

    return {
        "own": item(Kind.OWN, 1, "网格化服务管理"),
        "cooperation": item(Kind.COOPERATION, 1, "违法建设查处"),
        "assist": item(Kind.COMMUNITY_ASSIST, 1, "协助开展人口普查"),
        "self": item(Kind.COMMUNITY_SELF, 1, "召开居民会议"),
        "negative": item(Kind.COMMUNITY_NEGATIVE, 1, "行政执法、拆迁拆违"),
    }


@pytest.fixture
def admin(world):
    user = UserFactory(username="district-admin")
    post(user, world.district, Posting.Role.ADMINISTRATOR)
    return user


def submit(world, depts, *, to=None, item=None, basis="", actor=None, **extra):
    return admissions.task_admission_submit(
        actor=actor or depts.zjj.officer, department_id=depts.zjj.department.pk,
        area_id=(to or world.street).pk, matter=extra.pop("matter", "老旧小区排查"),
        list_item_id=item.pk if item else None, basis=basis, **extra,
    )  # fmt: skip


def recipients(kind="task_admission"):
    return set(Notification.objects.filter(kind=kind).values_list("recipient__username", flat=True))


@pytest.mark.django_db
class TestTheCheck:
    @pytest.mark.parametrize(
        "to, item, state",
        [
            ("street", "own", State.ADMITTED),
            ("street", "cooperation", State.ADMITTED),
            ("street", "assist", State.REFUSED),  # a community's list does not bind a street
            ("street", None, State.REFUSED),
            ("community", "assist", State.ADMITTED),
            ("community", "self", State.REFUSED),  # the community decides its own matters
            ("community", "own", State.REFUSED),
            ("community", "negative", State.REFUSED),
            ("community", None, State.REFUSED),
        ],
    )
    def test_the_lists_decide(self, world, depts, lists, to, item, state):
        admission = submit(world, depts, to=getattr(world, to), item=lists[item] if item else None)
        assert admission.state == state
        assert admission.rule  # the rule applied is said, admitted or not

    def test_an_admitted_task_tells_the_street_and_a_refused_one_the_department(
        self, world, depts, lists
    ):
        submit(world, depts, item=lists["own"])
        assert recipients() == {"dispatcher"}
        Notification.objects.all().delete()
        refused = submit(world, depts, to=world.community)
        assert recipients() == {"zjj-officer"}
        assert "不得" in refused.rule or "may not" in refused.rule

    def test_a_community_task_tells_the_governors_of_its_blocks(self, world, depts, lists):
        submit(world, depts, to=world.community, item=lists["assist"])
        # the community's blocks' governors and the street's desk; not another street's
        assert recipients() == {"governor", "neighbour", "dispatcher"}


@pytest.mark.django_db
class TestApproval:
    def test_with_a_basis_it_waits_for_the_district_who_admits_it(self, world, depts, lists, admin):
        waiting = submit(world, depts, basis="国务院第七次全国人口普查部署")
        assert waiting.state == State.AWAITING_APPROVAL
        assert recipients() == {"district-admin"}
        done = admissions.task_admission_decide(
            actor=admin, admission_id=waiting.pk, approve=True, note="按中央部署"
        )
        assert done.state == State.APPROVED and done.decided_by == admin
        assert "dispatcher" in recipients() and "zjj-officer" in recipients()
        assert AuditEntry.objects.filter(action="task_admission", detail__state="approved").exists()

    def test_a_refused_task_can_ask_for_approval_and_be_refused_again(
        self, world, depts, lists, admin
    ):
        refused = submit(world, depts)
        with pytest.raises(ValidationError):
            admissions.task_admission_ask_approval(
                actor=depts.zjj.officer, admission_id=refused.pk, basis="  "
            )
        asked = admissions.task_admission_ask_approval(
            actor=depts.zjj.officer, admission_id=refused.pk, basis="省政府令第 1 号"
        )
        assert asked.state == State.AWAITING_APPROVAL
        with pytest.raises(ValidationError):  # a refusal says why
            admissions.task_admission_decide(actor=admin, admission_id=asked.pk, approve=False)
        rejected = admissions.task_admission_decide(
            actor=admin, admission_id=asked.pk, approve=False, note="不属于中央部署"
        )
        assert rejected.state == State.REJECTED
        with pytest.raises(StateConflict):
            admissions.task_admission_decide(actor=admin, admission_id=asked.pk, approve=True)

    def test_a_negative_list_matter_is_never_approved(self, world, depts, lists, admin):
        refused = submit(world, depts, to=world.community, item=lists["negative"], basis="急")
        assert refused.state == State.REFUSED  # the basis does not open a negative item
        with pytest.raises(ValidationError):
            admissions.task_admission_ask_approval(
                actor=depts.zjj.officer, admission_id=refused.pk, basis="省里要求"
            )

    @pytest.mark.parametrize("who", ["leader", "dispatcher", "governor", "officer_of_another"])
    def test_only_the_districts_administrators_decide(self, world, depts, lists, who):
        waiting = submit(world, depts, basis="中央部署")
        actor = depts.cgzf.officer if who == "officer_of_another" else getattr(world, who)
        with pytest.raises((PermissionDenied, TaskAdmission.DoesNotExist)):
            admissions.task_admission_decide(actor=actor, admission_id=waiting.pk, approve=True)
        waiting.refresh_from_db()
        assert waiting.state == State.AWAITING_APPROVAL


@pytest.mark.django_db
class TestWhoPushesAndWhoSees:
    def test_only_the_departments_staff_push_its_tasks(self, world, depts, lists):
        for outsider in (depts.cgzf.officer, world.dispatcher, world.leader):
            with pytest.raises(PermissionDenied):
                submit(world, depts, actor=outsider, item=lists["own"])
        assert not TaskAdmission.objects.exists()

    def test_bad_input_writes_nothing(self, world, depts, lists):
        with pytest.raises(ValidationError):
            submit(world, depts, matter="   ")
        with pytest.raises(ValidationError):
            submit(world, depts, to=world.block)  # a block is not a street or community
        with pytest.raises(ValidationError):
            submit(world, depts, due=timezone.localdate() - timedelta(days=1))
        assert not TaskAdmission.objects.exists()

    def test_insider_neighbour_outsider(self, world, depts, lists):
        to_community = submit(world, depts, to=world.community, item=lists["assist"])
        to_street = submit(world, depts, item=lists["own"])

        def seen(user):
            return set(admissions.admissions(user=user).values_list("pk", flat=True))

        both = {to_community.pk, to_street.pk}
        assert seen(depts.zjj.officer) == both  # the department that pushed them
        assert seen(world.dispatcher) == both  # the street, its communities too
        assert seen(world.leader) == both  # the district's leader
        assert seen(world.governor) == {to_community.pk}  # a block of the community
        assert seen(world.supervisor) == {to_community.pk}
        assert seen(world.other_dispatcher) == set()  # the neighbouring street
        assert seen(world.far_governor) == set()
        assert seen(depts.cgzf.officer) == set()  # another department


@pytest.mark.django_db
class TestPagesAndApi:
    def test_the_department_pushes_one_from_the_page_and_reads_the_rule(
        self, client, world, depts, lists
    ):
        client.force_login(depts.zjj.officer)
        page = client.get(reverse("liaison:admissions"))
        assert page.status_code == 200 and "admission-form" in page.content.decode()
        answer = client.post(
            reverse("liaison:admissions"),
            {"department": depts.zjj.department.pk, "area": world.community.pk,
             "matter": "排查群租房", "list_item": lists["negative"].pk},
            follow=True,
        )  # fmt: skip
        admission = TaskAdmission.objects.get()
        assert admission.state == State.REFUSED
        assert escape(admission.rule) in answer.content.decode()
        assert 'id="ask-approval"' not in answer.content.decode()  # never for a negative item

    def test_a_neighbouring_street_gets_404(self, client, world, depts, lists):
        admission = submit(world, depts, item=lists["own"])
        client.force_login(world.other_dispatcher)
        url = reverse("liaison:admission_detail", args=[admission.pk])
        assert client.get(url).status_code == 404

    def test_the_api_lists_creates_and_decides(self, world, depts, lists, admin):
        api = APIClient()
        api.force_authenticate(depts.zjj.officer)
        made = api.post(
            "/api/task-admissions/",
            {"department": "zjj", "area": world.street.code, "matter": "消防检查",
             "list_item": lists["cooperation"].pk},
            format="json",
        )  # fmt: skip
        assert made.status_code == 201, made.content
        assert made.json()["state"] == State.ADMITTED
        assert made.json()["list_item"]["number"] == 1
        refused = api.post(
            "/api/task-admissions/",
            {"department": "zjj", "area": world.street.code, "matter": "招商引资任务"},
            format="json",
        ).json()
        assert refused["state"] == State.REFUSED
        asked = api.post(
            f"/api/task-admissions/{refused['id']}/ask-approval/",
            {"basis": "省委文件"},
            format="json",
        )
        assert asked.status_code == 200 and asked.json()["state"] == State.AWAITING_APPROVAL
        # The department cannot approve its own exception.
        denied = api.post(
            f"/api/task-admissions/{refused['id']}/decide/", {"approve": True}, format="json"
        )
        assert denied.status_code == 403
        api.force_authenticate(admin)
        decided = api.post(
            f"/api/task-admissions/{refused['id']}/decide/", {"approve": True}, format="json"
        )
        assert decided.status_code == 200 and decided.json()["state"] == State.APPROVED
        api.force_authenticate(world.other_dispatcher)
        assert api.get("/api/task-admissions/").json()["count"] == 0
        api.force_authenticate(depts.cgzf.officer)
        other = api.post(
            "/api/task-admissions/",
            {"department": "zjj", "area": world.street.code, "matter": "x"},
            format="json",
        )
        assert other.status_code == 400 and "department" in other.json()["errors"]


@pytest.mark.django_db
def test_counts_by_department(world, depts, lists, admin):
    submit(world, depts, item=lists["own"])
    submit(world, depts)
    waiting = submit(world, depts, basis="中央部署")
    admissions.task_admission_decide(actor=admin, admission_id=waiting.pk, approve=True)
    now = timezone.now()
    rows = admissions.counts_by_department(
        area_code=world.district.code, since=now - timedelta(days=1), until=now + timedelta(days=1)
    )
    assert rows == [
        {"department": "住建", "department_id": depts.zjj.department.pk, "pushed": 3,
         "admitted": 1, "approved": 1, "refused": 1, "waiting": 0},
    ]  # fmt: skip


@pytest.mark.django_db
def test_the_dashboard_counts_what_each_department_pushed_down(world, depts, lists, client):
    """减负: the leader sees, per department, the tasks pushed down and what the lists made of
    them; a block's dashboard has none (tasks go to streets and communities)."""
    submit(world, depts, item=lists["own"])
    submit(world, depts)
    client.force_login(world.leader)
    page = client.get(f"/dashboard/{world.district.code}/").content.decode()
    assert 'id="task-admissions"' in page
    row = page[page.index('id="task-admissions"') :]
    assert "住建" in row[: row.index("</table>")]
    block = client.get(f"/dashboard/{world.block.code}/").content.decode()
    assert 'id="task-admissions"' not in block
