"""督办 (issue 17 item 7): who may put a yellow or red card on a case, who is told at once
and once more when a red card's date passes, and that the card ends with the case."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from types import SimpleNamespace

import pytest
from django.core.exceptions import PermissionDenied, ValidationError
from django.utils import timezone

from events import services
from events.deadlines import SHANGHAI
from events.models import Action, Event, Status, Supervision, TimelineEntry
from events.supervision import event_supervise, supervision_due_scan
from governance.errors import StateConflict
from governance.models import AuditEntry, Notification
from tests.events.test_concurrency import run_at_once
from tests.factories import UserFactory, post

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 12, 7, 10, 0, tzinfo=SHANGHAI)  # a Monday
TOMORROW = date(2026, 12, 8)


@pytest.fixture
def people(world, depts):
    """The world's people, with leaders of the case's street and of the next one, and the
    supervisor of the neighbouring block."""
    extra = {
        "street_leader": (world.street, "leader"),
        "other_street_leader": (world.other_street, "leader"),
        "neighbour_supervisor": (world.neighbour_block, "supervisor"),
    }
    made = {}
    for name, (where, role) in extra.items():
        made[name] = UserFactory(username=name)
        post(made[name], where, role)
    return SimpleNamespace(**vars(world), **made, officer=depts.cgzf.officer, depts=depts)


def in_block(world) -> Event:
    """A case the governor logged and handles in the block."""
    return services.event_log(
        actor=world.governor, block=world.block, category=world.category,
        description="东门有人占道摆摊", reporter_phone="13812345678", now=NOW,
    )  # fmt: skip


def at_departments(p) -> Event:
    """A case whistled up and dispatched to 城管 (lead) and 市场监管 (cooperating)."""
    event = in_block(p)
    services.event_whistle(actor=p.governor, event_id=event.pk, reason="law_enforcement", now=NOW)
    return services.event_dispatch(
        actor=p.dispatcher, event_id=event.pk, lead=p.depts.cgzf.department,
        cooperating=[p.depts.scjg.department], now=NOW,
    )  # fmt: skip


def card(p, who: str, event: Event, **kw) -> Supervision:
    kw = {"card": "yellow", "note": "请尽快处理", "now": NOW, **kw}
    return event_supervise(actor=getattr(p, who), event_id=event.pk, **kw)


def unread(user, kind: str) -> list[Notification]:
    return list(Notification.objects.filter(recipient=user, kind=kind, read_at__isnull=True))


# --- who may --------------------------------------------------------------------------------
@pytest.mark.parametrize(
    ("who", "outcome"),
    [
        ("leader", "ok"),  # the district's leader
        ("street_leader", "ok"),  # the leader of the case's street
        ("other_street_leader", Event.DoesNotExist),  # not their street: not even there
        ("supervisor", "ok"),  # the supervisor of the case's block
        ("neighbour_supervisor", Event.DoesNotExist),  # another block's
        ("governor", PermissionDenied),
        ("dispatcher", PermissionDenied),
        ("officer", PermissionDenied),  # sees the case through his department's part
    ],
)
def test_who_may_supervise(people, who, outcome):
    event = at_departments(people)
    if outcome == "ok":
        made = card(people, who, event, card="red", due=TOMORROW)
        assert made.created_by == getattr(people, who)
        assert made.ended_at is None
        assert made.due == datetime(2026, 12, 8, 23, 59, 59, 999999, tzinfo=SHANGHAI)
    else:
        with pytest.raises(outcome):
            card(people, who, event)
        assert not Supervision.objects.exists()
        assert not TimelineEntry.objects.filter(action=Action.SUPERVISE).exists()


def test_leaders_still_cannot_do_any_other_write(people):
    """Supervising is the one write a leader has (DESIGN §6)."""
    pending = services.event_log(
        actor=None, block=people.block, category=people.category, description="楼道灯坏了", now=NOW
    )
    escalated = in_block(people)
    services.event_whistle(actor=people.governor, event_id=escalated.pk, reason="other", note="x")
    for leader in (people.leader, people.street_leader):
        with pytest.raises(PermissionDenied):
            services.event_accept(actor=leader, event_id=pending.pk)
        with pytest.raises(PermissionDenied):
            services.event_dispatch(
                actor=leader, event_id=escalated.pk, lead=people.depts.cgzf.department
            )
        with pytest.raises(PermissionDenied):
            services.event_comment(actor=leader, event_id=pending.pk, note="请尽快")
        with pytest.raises(PermissionDenied):
            services.event_invalidate(actor=leader, event_id=pending.pk, reason="不是我们的事")
    assert Event.objects.get(pk=pending.pk).status == Status.PENDING
    assert Event.objects.get(pk=escalated.pk).status == Status.ESCALATED


# --- what a card needs -----------------------------------------------------------------------
@pytest.mark.parametrize(
    ("kw", "field"),
    [
        ({"card": "red"}, "due"),  # a red card needs its date
        ({"card": "red", "due": NOW.date()}, "due"),  # today is not after today
        ({"card": "red", "due": date(2026, 12, 1)}, "due"),
        ({"card": "red", "due": date(2027, 12, 31)}, "due"),  # more than a year ahead
        ({"card": "yellow", "due": TOMORROW}, "due"),  # a yellow card has no date
        ({"note": "   "}, "note"),
        ({"note": "催" * 501}, "note"),
        ({"card": "green"}, "card"),
    ],
)
def test_a_card_with_bad_input_is_refused_and_nothing_is_written(people, kw, field):
    event = in_block(people)
    with pytest.raises(ValidationError) as refused:
        card(people, "leader", event, **kw)
    assert field in refused.value.message_dict
    assert not Supervision.objects.exists()
    assert not Notification.objects.filter(kind="supervision").exists()


def test_a_closed_case_cannot_be_supervised(people):
    event = in_block(people)
    services.event_invalidate(actor=people.governor, event_id=event.pk, reason="重复报告")
    with pytest.raises(StateConflict):
        card(people, "leader", event)
    assert not Supervision.objects.exists()


# --- what it writes and whom it tells -----------------------------------------------------------
def test_a_card_is_on_the_timeline_and_the_audit_log(people):
    event = in_block(people)
    made = card(people, "street_leader", event, card="red", due=TOMORROW, note="明天前清理")
    entry = TimelineEntry.objects.get(event=event, action=Action.SUPERVISE)
    assert (entry.actor, entry.note, entry.data["card"], entry.data["due"]) == (
        people.street_leader, "明天前清理", "red", "2026-12-08",
    )  # fmt: skip
    assert entry.from_status == entry.to_status == Status.IN_BLOCK  # it moves no case
    audit = AuditEntry.objects.get(action="supervise", object_id=event.number)
    assert audit.actor == people.street_leader
    assert audit.detail["supervision"] == made.pk


def test_in_the_block_the_handler_governor_and_supervisor_are_told_at_once(people):
    event = in_block(people)
    card(people, "leader", event, note="请回电 13812345678 并尽快处理")
    told = set(Notification.objects.filter(kind="supervision").values_list("recipient", flat=True))
    assert told == {people.governor.pk, people.supervisor.pk}
    notice = Notification.objects.get(kind="supervision", recipient=people.governor)
    assert event.number in notice.title
    assert "138****5678" in notice.body and "13812345678" not in notice.body
    assert notice.link == f"/events/{event.number}/"


def test_at_departments_their_people_are_told_not_the_desk(people):
    event = at_departments(people)
    card(people, "supervisor", event)
    told = set(Notification.objects.filter(kind="supervision").values_list("recipient", flat=True))
    assert told == {people.depts.cgzf.officer.pk, people.depts.scjg.officer.pk}


def test_at_the_street_desk_its_dispatchers_are_told(people):
    event = in_block(people)
    services.event_whistle(actor=people.governor, event_id=event.pk, reason="other", note="x")
    card(people, "leader", event)
    told = set(Notification.objects.filter(kind="supervision").values_list("recipient", flat=True))
    assert told == {people.dispatcher.pk}


def test_a_new_card_of_the_same_person_replaces_theirs_others_stand(people):
    event = in_block(people)
    first = card(people, "leader", event, card="yellow")
    beside = card(people, "supervisor", event, card="yellow", note="已催")
    later = NOW + timedelta(hours=1)
    red = card(people, "leader", event, card="red", due=TOMORROW, now=later)
    first.refresh_from_db()
    assert first.ended_at == later
    open_cards = Supervision.objects.filter(event=event, ended_at__isnull=True)
    assert set(open_cards) == {beside, red}
    entry = TimelineEntry.objects.filter(event=event, action=Action.SUPERVISE).last()
    assert entry.data["replaces"] == [first.pk]


# --- the date passes --------------------------------------------------------------------------------
def test_the_scan_tells_again_once_when_the_date_passes(people):
    event = at_departments(people)
    made = card(people, "leader", event, card="red", due=TOMORROW)
    end_of_day = datetime(2026, 12, 8, 23, 59, 59, tzinfo=SHANGHAI)
    assert supervision_due_scan(now=end_of_day) == 0  # not passed yet
    assert not Notification.objects.filter(kind="supervision_due").exists()

    after = datetime(2026, 12, 9, 0, 0, 1, tzinfo=SHANGHAI)
    assert supervision_due_scan(now=after) == 1
    told = set(
        Notification.objects.filter(kind="supervision_due").values_list("recipient", flat=True)
    )
    # The departments handling it, and the leader whose date it was.
    assert told == {people.depts.cgzf.officer.pk, people.depts.scjg.officer.pk, people.leader.pk}
    notice = Notification.objects.get(kind="supervision_due", recipient=people.leader)
    assert event.number in notice.title and "2026-12-08" in notice.title
    made.refresh_from_db()
    assert made.due_notified_at == after

    # Not twice: a later scan, or a second one at the same moment, tells nobody again.
    assert supervision_due_scan(now=after) == 0
    assert supervision_due_scan(now=after + timedelta(days=3)) == 0
    assert Notification.objects.filter(kind="supervision_due").count() == 3


def test_the_scan_leaves_a_case_closed_before_the_date(people):
    event = in_block(people)
    card(people, "leader", event, card="red", due=TOMORROW)
    services.event_invalidate(actor=people.governor, event_id=event.pk, reason="重复报告", now=NOW)
    assert supervision_due_scan(now=datetime(2026, 12, 10, tzinfo=SHANGHAI)) == 0
    assert not Notification.objects.filter(kind="supervision_due").exists()


def test_a_yellow_card_has_no_date_to_pass(people):
    event = in_block(people)
    card(people, "leader", event)
    assert supervision_due_scan(now=NOW + timedelta(days=400)) == 0


# --- the case ends ----------------------------------------------------------------------------------
def test_cards_end_when_the_case_closes_and_its_notices_are_read(people):
    event = at_departments(people)
    red = card(people, "leader", event, card="red", due=TOMORROW)
    yellow = card(people, "supervisor", event)
    assert unread(people.officer, "supervision")
    assert unread(people.dispatcher, "event_whistled")
    # Another case's notice stays unread.
    other = in_block(people)
    card(people, "leader", other)
    assert unread(people.governor, "supervision")

    for part in event.assignments.all():
        officer = people.depts.cgzf.officer if part.role == "lead" else people.depts.scjg.officer
        services.assignment_report_in(actor=officer, assignment_id=part.pk, now=NOW)
        services.assignment_feedback(actor=officer, assignment_id=part.pk, note="已取缔", now=NOW)
    closed_at = NOW + timedelta(hours=2)
    services.event_verify(actor=people.dispatcher, event_id=event.pk, now=closed_at)

    for made in (red, yellow):
        made.refresh_from_db()
        assert made.ended_at == closed_at
    # Every notice of the closed case is read, for everyone; the other case's are not.
    assert not Notification.objects.filter(
        link=f"/events/{event.number}/", read_at__isnull=True
    ).exists()
    assert Notification.objects.filter(link=f"/events/{event.number}/", read_at=closed_at).exists()
    assert unread(people.governor, "supervision")[0].link == f"/events/{other.number}/"
    # And it can be supervised no more.
    with pytest.raises(StateConflict):
        card(people, "leader", event)


def test_merging_ends_the_duplicates_card(people):
    first, duplicate = in_block(people), in_block(people)
    made = card(people, "leader", duplicate)
    services.event_merge(actor=people.governor, event_id=duplicate.pk, into=first)
    made.refresh_from_db()
    assert made.ended_at is not None
    assert timezone.now() - made.ended_at < timedelta(minutes=1)


# --- pages ------------------------------------------------------------------------------------
def test_the_case_page_offers_the_form_to_whoever_may(people, client):
    event = in_block(people)
    page = f"/events/{event.number}/"
    for who, offered in (("leader", True), ("supervisor", True), ("governor", False)):
        client.force_login(getattr(people, who))
        html = client.get(page).content.decode()
        assert ('data-action="supervise"' in html) is offered, who

    client.force_login(people.leader)
    answer = client.post(
        f"/events/{event.number}/supervise/",
        {"card": "red", "note": "请本周内清理", "due": TOMORROW.isoformat()},
    )
    assert answer.status_code == 302
    made = Supervision.objects.get(event=event)
    assert (made.card, made.note, made.created_by) == ("red", "请本周内清理", people.leader)
    client.force_login(people.governor)  # the handler sees the card, without the form
    html = client.get(page).content.decode()
    assert 'data-card="red"' in html and "请本周内清理" in html and "2026-12-08" in html
    assert 'data-action="supervise"' not in html


def test_the_case_page_refuses_bad_input_with_a_message(people, client):
    event = in_block(people)
    client.force_login(people.leader)
    answer = client.post(
        f"/events/{event.number}/supervise/", {"card": "red", "note": "请处理"}, follow=True
    )
    assert answer.status_code == 200
    assert not Supervision.objects.exists()
    messages = [str(m) for m in answer.context["messages"]]
    assert any("red card" in m or "挂牌督办" in m for m in messages), messages
    # Who may not is refused too (the governor sees the case but may not supervise it).
    client.force_login(people.governor)
    client.post(f"/events/{event.number}/supervise/", {"card": "yellow", "note": "催"})
    assert not Supervision.objects.exists()


def test_every_list_shows_the_card(people, client):
    blocked = in_block(people)
    parted = at_departments(people)
    card(people, "leader", blocked, card="red", due=TOMORROW)
    card(people, "leader", parted, card="yellow")
    lists = [
        (people.governor, "/events/workbench/", blocked, "red"),
        (people.leader, "/events/", blocked, "red"),
        (people.dispatcher, "/events/console/?tab=in_progress", parted, "yellow"),
        (people.officer, "/events/inbox/", parted, "yellow"),
    ]
    for user, page, event, colour in lists:
        client.force_login(user)
        html = client.get(page).content.decode()
        row = html.split(f'data-number="{event.number}"', 1)[-1].split("</li>", 1)[0]
        if page == "/events/":
            row = html.split(f">{event.number}</a>", 1)[-1].split("</tr>", 1)[0]
        assert f'data-supervision="{colour}"' in row, page


def test_the_workbench_reads_the_cards_in_a_fixed_number_of_queries(
    people, client, django_assert_max_num_queries
):
    client.force_login(people.governor)
    client.get("/events/workbench/")  # who the governor is, remembered (governance/identity)
    first = in_block(people)
    card(people, "leader", first)  # the queue's version moves: it is read and drawn again
    with django_assert_max_num_queries(30) as counted:
        client.get("/events/workbench/")
    few = len(counted.captured_queries)
    for _ in range(4):
        card(people, "supervisor", in_block(people), card="red", due=TOMORROW)
    with django_assert_max_num_queries(few):
        html = client.get("/events/workbench/").content.decode()
    assert html.count('data-supervision="red"') == 4


# --- at once ----------------------------------------------------------------------------------
@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_three_scans_at_once_tell_each_card_once(people):
    cards = [card(people, "leader", in_block(people), card="red", due=TOMORROW) for _ in range(12)]
    after = datetime(2026, 12, 9, 8, 0, tzinfo=SHANGHAI)
    outcomes = run_at_once(*[lambda: supervision_due_scan(now=after, batch=5)] * 3)
    assert sum(outcomes) == len(cards), outcomes
    told = Notification.objects.filter(kind="supervision_due").values_list(
        "recipient_id", "dedupe_key"
    )
    # Each card tells its block's governor and supervisor and the leader, once each.
    assert len(told) == len(set(told)) == len(cards) * 3


@pytest.mark.postgres
@pytest.mark.django_db(transaction=True)
def test_one_person_putting_two_cards_at_once_keeps_one_open(people):
    event = in_block(people)
    outcomes = run_at_once(
        lambda: card(people, "leader", event, card="yellow"),
        lambda: card(people, "leader", event, card="red", due=TOMORROW),
    )
    assert all(isinstance(o, Supervision) for o in outcomes), outcomes
    assert Supervision.objects.filter(event=event, ended_at__isnull=True).count() == 1
    assert Supervision.objects.filter(event=event).count() == 2


def test_beat_runs_the_scan_with_the_deadline_scan():
    from events.tasks import supervision_due
    from governance.celery import app

    entry = app.conf.beat_schedule["supervision-due"]
    assert entry["task"] == supervision_due.name == "events.tasks.supervision_due"
    assert entry["schedule"] == app.conf.beat_schedule["enforce-deadlines"]["schedule"]
    assert supervision_due() == 0  # nothing due: a run that finds nothing is harmless
