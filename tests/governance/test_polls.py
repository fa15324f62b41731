"""Polls that cost next to nothing when nothing changed (issue 21, governance/polls.py).

Real requests through the whole middleware stack against PostgreSQL and Redis (the cached_db
session engine): the first poll answers content with a version in its next address; the same
poll again is a 204 without a database query or a template; any write that changes what the
poll shows — and only such a write — makes the next poll answer content again."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from django.conf import settings
from django.db import connection
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.utils import timezone

from blocks.models import Area, Department, DepartmentMember, Posting
from blocks.services import posting_create
from events import services
from events.enforcement import enforce_deadlines
from events.models import ClockKind, Deadline, DeadlineChange
from events.supervision import event_supervise
from governance import polls
from governance.notifications import (
    notification_mark_read,
    notifications_for,
    notify,
)
from governance.security import IDLE_SECONDS
from tests.factories import UserFactory

pytestmark = [
    pytest.mark.django_db(transaction=True),  # bumps run on commit, as in production
    pytest.mark.postgres,
    pytest.mark.redis,
]

HTMX = {"HTTP_HX_REQUEST": "true"}
BELL = "/notifications/unread/"
QUEUE = "/events/workbench/queue/"


def signed_in(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def next_poll(response) -> str:
    """The address the answer's element polls next (its hx-get)."""
    assert response.status_code == 200, response.status_code
    found = re.search(r'hx-get="([^"]+)"', response.content.decode())
    assert found, "the answer carries no poll"
    return found.group(1).replace("&amp;", "&")


def unchanged(client: Client, path: str) -> bool:
    """Ask ``path`` as htmx does; True for a 204 that cost no query and rendered nothing."""
    with CaptureQueriesContext(connection) as queries:
        response = client.get(path, **HTMX)
    if response.status_code == 204:
        assert len(queries) == 0, [q["sql"] for q in queries]
        assert response.templates == [] and response.content == b""
        return True
    assert response.status_code == 200, response.status_code
    return False


def log(world, block=None, description="楼道灯不亮", **kw):
    return services.event_log(
        actor=kw.pop("actor", None), block=block or world.block, category=world.category,
        description=description, **kw,
    )  # fmt: skip


def tell(user, key="k1"):
    notify(recipients=[user], kind="test", title="有新通知", dedupe_key=key, now=timezone.now())


# --- the bell -------------------------------------------------------------------------------
def test_the_bell_answers_204_without_a_query_until_a_notice_of_the_user_changes(world):
    client = signed_in(world.governor)
    first = client.get(BELL, **HTMX)
    assert 'id="unread-count"' in first.content.decode()
    path = next_poll(first)
    assert path.startswith(f"{BELL}?v=")
    assert unchanged(client, path)
    assert unchanged(client, path)

    tell(world.assistant)  # another person's notice: nothing for this bell
    assert unchanged(client, path)

    tell(world.governor)
    answer = client.get(path, **HTMX)
    assert ">1</span>" in answer.content.decode()
    path = next_poll(answer)
    assert unchanged(client, path)

    notice = notifications_for(user=world.governor).get()
    notification_mark_read(user=world.governor, notification_id=notice.pk)
    answer = client.get(path, **HTMX)
    assert "hidden" in answer.content.decode()  # no unread notice: the badge hides
    assert unchanged(client, next_poll(answer))


def test_mark_all_read_and_a_closed_case_settle_the_bell(world):
    client = signed_in(world.governor)
    tell(world.governor, "a")
    tell(world.governor, "b")
    path = next_poll(client.get(BELL, **HTMX))
    client.post("/notifications/read-all/")
    answer = client.get(path, **HTMX)
    assert answer.status_code == 200 and "hidden" in answer.content.decode()

    # A notice pointing to a case is settled, for everyone, when the case ends.
    event = log(world)
    notify(
        recipients=[world.governor], kind="test", title="事件", dedupe_key="c",
        link=f"/events/{event.number}/", now=timezone.now(),
    )  # fmt: skip
    path = next_poll(client.get(BELL, **HTMX))
    services.event_invalidate(actor=world.governor, event_id=event.pk, reason="重复")
    assert not unchanged(client, path)


# --- the workbench queue --------------------------------------------------------------------
def test_the_queue_answers_204_until_a_case_of_the_users_blocks_changes(world):
    client = signed_in(world.governor)
    first = client.get(QUEUE, **HTMX)
    assert 'id="queue"' in first.content.decode()
    path = next_poll(first)
    assert path.startswith(f"{QUEUE}?v=")
    assert unchanged(client, path)

    log(world, block=world.neighbour_block)  # another block's case: not in this queue
    log(world, block=world.far_block)
    assert unchanged(client, path)

    event = log(world, description="井盖缺失")  # a resident's report: pending in the block
    answer = client.get(path, **HTMX)
    assert event.number in answer.content.decode()
    path = next_poll(answer)
    assert unchanged(client, path)

    services.event_accept(actor=world.assistant, event_id=event.pk)
    answer = client.get(path, **HTMX)
    assert answer.status_code == 200
    path = next_poll(answer)

    services.event_comment(actor=world.assistant, event_id=event.pk, note="已联系物业")
    path = next_poll(client.get(path, **HTMX))
    assert unchanged(client, path)


def test_the_workbench_page_hands_its_queue_a_version_so_the_first_poll_is_cheap(world):
    client = signed_in(world.governor)
    page = client.get("/events/workbench/")
    found = re.search(r'id="queue" hx-get="([^"]+)"', page.content.decode())
    assert found and "?v=" in found.group(1)
    assert unchanged(client, found.group(1))


def test_a_breach_claimed_by_the_scanner_refreshes_the_queue(world):
    client = signed_in(world.governor)
    log(world, now=timezone.now() - timedelta(minutes=13))  # warned at 12 min of 15
    path = next_poll(client.get(QUEUE, **HTMX))
    assert unchanged(client, path)
    assert enforce_deadlines()["warned"] == 1
    answer = client.get(path, **HTMX)
    assert "card-yellow" in answer.content.decode()
    path = next_poll(answer)
    assert unchanged(client, path)

    enforce_deadlines(now=timezone.now() + timedelta(minutes=3))
    assert Deadline.objects.filter(breached_at__isnull=False).exists()
    assert not unchanged(client, path)


def test_a_claim_in_another_block_leaves_the_queue_alone(world):
    client = signed_in(world.governor)
    log(world, block=world.neighbour_block, now=timezone.now() - timedelta(minutes=20))
    path = next_poll(client.get(QUEUE, **HTMX))
    assert enforce_deadlines()["breached"] == 1
    assert unchanged(client, path)


def test_a_supervision_card_refreshes_the_queue(world):
    event = log(world)
    client = signed_in(world.governor)
    path = next_poll(client.get(QUEUE, **HTMX))
    event_supervise(actor=world.supervisor, event_id=event.pk, card="yellow", note="抓紧处理")
    answer = client.get(path, **HTMX)
    assert 'data-supervision="yellow"' in answer.content.decode()


def test_a_departments_part_and_a_clock_change_refresh_the_queue(world):
    department = Department.objects.create(district=world.district, code="cgzf", name="城管")
    officer = UserFactory(username="cgzf-officer")
    DepartmentMember.objects.create(department=department, user=officer)
    event = log(world)
    services.event_whistle(actor=world.governor, event_id=event.pk, reason="law_enforcement")
    client = signed_in(world.governor)
    path = next_poll(client.get(QUEUE, **HTMX))

    services.event_dispatch(actor=world.dispatcher, event_id=event.pk, lead=department)
    path = next_poll(client.get(path, **HTMX))
    assert unchanged(client, path)
    part = event.assignments.get()
    services.assignment_report_in(actor=officer, assignment_id=part.pk)
    path = next_poll(client.get(path, **HTMX))
    assert unchanged(client, path)

    clock = Deadline.objects.get(assignment=part, kind=ClockKind.RESOLVE, met_at__isnull=True)
    services.deadline_change_request(
        actor=officer, deadline_id=clock.pk, kind=DeadlineChange.Kind.EXTEND,
        reason="需要协调", extra_working_days=2,
    )  # fmt: skip
    assert not unchanged(client, path)


def test_a_new_posting_brings_its_block_into_the_queue(world):
    event = log(world, block=world.neighbour_block, description="新区块的事件")
    client = signed_in(world.governor)
    path = next_poll(client.get(QUEUE, **HTMX))
    assert unchanged(client, path)
    posting_create(
        actor=None, user=world.governor, area=world.neighbour_block,
        role=Posting.Role.ASSISTANT, assistant_kind=Posting.AssistantKind.RESIDENT_REP,
    )  # fmt: skip
    answer = client.get(path, **HTMX)
    assert event.number in answer.content.decode()


# --- what the cheap answer must not change --------------------------------------------------
def test_an_unchanged_poll_does_not_keep_the_session_alive(world):
    client = signed_in(world.governor)
    path = next_poll(client.get(BELL, **HTMX))
    session = client.session
    session["last_seen"] = session["started_at"] = (
        timezone.now().timestamp() - IDLE_SECONDS - 5
    )  # fmt: skip
    session.save()
    answer = client.get(path, **HTMX)
    assert answer.status_code == 286  # the idle session ends; htmx stops polling
    assert client.get(path, **HTMX).status_code == 286


def test_a_signed_out_poll_with_a_version_stops(world):
    client = signed_in(world.governor)
    path = next_poll(client.get(QUEUE, **HTMX))
    client.post("/logout/")
    assert client.get(path, **HTMX).status_code == 286


def test_a_version_from_another_session_or_a_forged_one_gets_content(world):
    mine = signed_in(world.governor)
    path = next_poll(mine.get(BELL, **HTMX))
    other = signed_in(world.assistant)  # never polled: its session watches nothing yet
    assert not unchanged(other, path)
    assert not unchanged(mine, f"{BELL}?v=0000")


def test_without_redis_every_poll_answers_content(world, settings):
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    settings.SESSION_ENGINE = "django.contrib.sessions.backends.db"
    client = signed_in(world.governor)
    assert next_poll(client.get(BELL, **HTMX)) == BELL  # no version to send
    assert client.get(f"{BELL}?v=whatever", **HTMX).status_code == 200


def test_the_area_code_lengths_are_the_territorys():
    assert tuple(sorted(Area.CODE_LENGTH.values())) == polls.AREA_CODE_LENGTHS
    assert polls.area_topics("430302001001001") == [
        "area:", "area:430302", "area:430302001", "area:430302001001", "area:430302001001001",
    ]  # fmt: skip


def test_the_workbench_reuses_its_rendered_queue_until_a_case_of_its_blocks_changes(world):
    """The queue's rows are read and rendered once per version of the blocks (events.views.
    _queue_html): the workbench opened again, or by another of the team, reads no case; a new
    case of the block shows at once; a case elsewhere in the district leaves the copy in use."""
    client = signed_in(world.governor)
    first = services.event_log(
        actor=None, block=world.block, category=world.category, description="楼道堆物"
    )
    assert first.number in client.get("/events/workbench/").content.decode()
    with CaptureQueriesContext(connection) as captured:
        again = client.get("/events/workbench/").content.decode()
    assert first.number in again
    assert not [q for q in captured if '"events_event"' in q["sql"]]
    # The block's assistant sees the same rows: drawn once for the team.
    with CaptureQueriesContext(connection) as captured:
        theirs = signed_in(world.assistant).get("/events/workbench/").content.decode()
    assert first.number in theirs
    assert not [q for q in captured if '"events_event"' in q["sql"]]
    services.event_log(actor=None, block=world.far_block, category=world.category,
                       description="别处的案件")  # fmt: skip
    with CaptureQueriesContext(connection) as captured:
        client.get("/events/workbench/")
    assert not [q for q in captured if '"events_event"' in q["sql"]]
    second = services.event_log(
        actor=None, block=world.block, category=world.category, description="路灯不亮"
    )
    html = client.get("/events/workbench/").content.decode()
    assert first.number in html and second.number in html
    # In English too: a copy is kept per language.
    client.cookies[settings.LANGUAGE_COOKIE_NAME] = "en"
    assert "My blocks' open cases" in client.get("/events/workbench/").content.decode()
