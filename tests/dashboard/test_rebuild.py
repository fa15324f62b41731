"""The summary's full rebuild (issue 21): chunk by chunk, each in a short transaction of its
own, in the worker with a progress bar, never blocking reads nor losing a change mark.

The rows a rebuild writes are compared, every column of every row, with the rows the
incremental roll-up builds from the story's change marks (an independent path through
``rollup.recompute``); the same comparison passed against the one-transaction rebuild this
one replaced."""

from __future__ import annotations

import threading
from urllib.parse import urlencode

import pytest
import time_machine
from django.core.management import call_command
from django.db import connection

from blocks.models import Posting
from dashboards import rebuild, rollup
from dashboards.models import DirtyCell, RollupRebuild, StatCell
from events import services
from events.stats import COUNT_NAMES
from governance.errors import DomainError
from governance.models import AuditEntry
from tests.dashboard.conftest import NOW
from tests.factories import PASSWORD, UserFactory, area, post
from tests.procs import start_celery, stop, wait_for

pytestmark = pytest.mark.django_db


def _rows() -> list[tuple]:
    return sorted(
        StatCell.objects.values_list(
            "area_code", "level", "parent_code", "grain", "bucket", "dim", "key", "next_due_at",
            *COUNT_NAMES,
        )
    )  # fmt: skip


@pytest.fixture
def rolled(story):
    """The story rolled up incrementally: the rows every rebuild must give again."""
    rollup.rollup(now=NOW)
    assert not DirtyCell.objects.exists()
    rows = _rows()
    assert {r[1] for r in rows} == {"district", "street", "community", "block"}
    assert {r[3] for r in rows} == {"d", "m"}
    return rows


def test_a_rebuild_from_nothing_gives_every_row_of_the_roll_up(rolled):
    StatCell.objects.all().delete()
    rollup.rebuild(now=NOW)
    assert _rows() == rolled


def test_a_rebuild_of_one_street_repairs_it_and_the_district_above(rolled, story):
    street = story.world.street.code
    # A summary gone wrong: the street's blocks lost their rows, the district counts wrong.
    StatCell.objects.filter(level="block", area_code__startswith=street).delete()
    StatCell.objects.filter(level="district").update(new=999)
    rollup.rebuild(now=NOW, area_code=street)
    assert _rows() == rolled


def test_each_chunk_is_a_community_and_progress_runs_to_the_end(rolled):
    StatCell.objects.all().delete()
    seen = []
    rollup.rebuild(now=NOW, progress=lambda done, total: seen.append((done, total)))
    chunks = rollup.rebuild_chunks("")
    assert chunks == ["430302001001", "430302002001"]
    assert seen == [(1, 3), (2, 3), (3, 3)]
    assert _rows() == rolled


NOVEMBER = "/dashboard/430302/?" + urlencode(
    {"period": "custom", "from": "2026-11-01", "to": "2026-11-30"}
)


def _counts(client) -> dict:
    response = client.get(NOVEMBER)
    assert response.status_code == 200
    return response.context["data"]["counts"]


def _run(job: RollupRebuild, between=None) -> list[int]:
    """Run a job step by step as the worker's tasks do; ``between()`` after each step."""
    progress, step = [job.percent], 0
    while step is not None:
        step = rollup.rebuild_step(job.pk, step)
        job.refresh_from_db()
        progress.append(job.percent)
        if between:
            between()
    return progress


def test_a_job_goes_from_0_to_100_while_readers_get_every_number(
    rolled, story, client, django_capture_on_commit_callbacks
):
    client.force_login(story.world.leader)
    with time_machine.travel(NOW, tick=False):
        before = _counts(client)
        with django_capture_on_commit_callbacks(execute=False) as queued:
            job = rebuild.rebuild_start(actor=None, area_code="430302")
        assert len(queued) == 1  # the first step's task, sent once the job row is committed
        assert (job.status, job.done_chunks, job.total_chunks) == ("queued", 0, 3)
        readings, rollups = [], []

        def between():
            readings.append(_counts(client))
            rollups.append(rollup.rollup(now=NOW))  # runs between two chunks

        progress = _run(job, between=between)
    assert progress == [0, 33, 66, 100]
    assert readings == [before] * len(readings)
    assert not [r for r in rollups if "skipped" in r]
    assert job.status == RollupRebuild.Status.DONE and job.rows == len(rolled)
    assert job.seconds is not None and job.finished_at is not None
    assert _rows() == rolled
    # The task of a step already done (a message delivered twice) does nothing.
    assert rollup.rebuild_step(job.pk, 1) is None
    assert _rows() == rolled


def test_overlapping_rebuilds_are_refused_until_the_first_is_done(rolled):
    first = rebuild.rebuild_start(actor=None, area_code="430302001")
    for code in ("430302", "430302001", "430302001001"):
        with pytest.raises(DomainError) as refused:
            rebuild.rebuild_start(actor=None, area_code=code)
        assert "430302001" in str(refused.value.message)
    other = rebuild.rebuild_start(actor=None, area_code="430302002")  # no overlap
    _run(first)
    _run(other)
    assert rebuild.rebuild_start(actor=None, area_code="430302").status == "queued"


def test_a_job_nobody_touched_for_long_no_longer_holds_its_area(rolled):
    stuck = rebuild.rebuild_start(actor=None, area_code="430302")
    RollupRebuild.objects.filter(pk=stuck.pk).update(
        touched_at=NOW - rebuild.ABANDONED_AFTER * 2, status="running"
    )
    rebuild.rebuild_start(actor=None, area_code="430302")
    stuck.refresh_from_db()
    assert stuck.status == "failed" and stuck.error
    assert rollup.rebuild_step(stuck.pk, 0) is None  # its late task does nothing


def test_a_failing_step_fails_the_job_with_its_reason(rolled, monkeypatch):
    job = rebuild.rebuild_start(actor=None, area_code="430302")

    def broken(*args, **kwargs):
        raise RuntimeError("disk full")

    monkeypatch.setattr(rollup, "_insert_block_rows", broken)
    with pytest.raises(RuntimeError):
        rollup.rebuild_step(job.pk, 0)
    job.refresh_from_db()
    assert (job.status, job.error, job.done_chunks) == ("failed", "disk full", 0)
    assert _rows() == rolled  # the failed chunk wrote nothing


def test_the_command_rebuilds_inline_printing_progress_or_queues(rolled, capsys):
    StatCell.objects.filter(level="block").delete()
    with time_machine.travel(NOW, tick=False):  # "overdue" is counted as of now
        call_command("rollup_stats", "--rebuild", "--area", "430302")
    out = capsys.readouterr().out
    assert "1/3" in out and "3/3" in out and "rebuilt" in out
    assert _rows() == rolled
    call_command("rollup_stats", "--rebuild", "--queue", "--area", "430302")
    assert "queued rebuild" in capsys.readouterr().out
    assert RollupRebuild.objects.get().chunks == ["430302001001", "430302002001"]


@pytest.mark.postgres  # MVCC: another connection commits while the chunk's transaction runs
@pytest.mark.django_db(transaction=True)
def test_a_change_committed_while_a_chunk_runs_keeps_its_mark(story, monkeypatch):
    w = story.world
    rollup.rollup(now=NOW)
    seen = DirtyCell.objects.create(area_code=w.block.code, day=NOW.date())  # before the chunk
    insert_block_rows = rollup._insert_block_rows
    logged, skipped = [], []

    def meanwhile(events, **kwargs):
        written = insert_block_rows(events, **kwargs)

        def log():  # another connection, as a governor at work while the chunk runs
            try:
                logged.append(
                    services.event_log(actor=w.governor, block=w.block, category=w.category,
                                       description="重建时登记的事件", now=NOW)
                )  # fmt: skip
                skipped.append(rollup.rollup(now=NOW))  # beat's roll-up waits for no chunk
            finally:
                connection.close()

        thread = threading.Thread(target=log)
        thread.start()
        thread.join()
        return written

    monkeypatch.setattr(rollup, "_insert_block_rows", meanwhile)
    block_day = StatCell.objects.filter(
        area_code=w.block.code, grain="d", bucket=NOW.date(), dim=""
    )
    before = block_day.get().new
    rollup.rebuild_chunk("430302001001", now=NOW)
    monkeypatch.undo()
    # The chunk's snapshot predates the new case: its row does not count it, and its mark,
    # committed after the chunk read the marks, is still there; the one it saw is gone.
    assert logged and block_day.get().new == before
    assert skipped == [{"skipped": 1}]
    marks = DirtyCell.objects.filter(area_code=w.block.code, day=NOW.date())
    assert marks.exists() and not DirtyCell.objects.filter(pk=seen.pk).exists()
    # The next roll-up counts the case, and the summary is what a full rebuild gives.
    rollup.rollup(now=NOW)
    assert block_day.get().new == before + 1
    rolled_up = _rows()
    rollup.rebuild(now=NOW)
    assert _rows() == rolled_up


# --- the administrators' page --------------------------------------------------------------
PAGE = "/dashboard/{}/rebuild/"


@pytest.fixture
def admins(world):
    """The district's administrator, and one of another district."""
    mine = UserFactory(username="qu-admin")
    post(mine, world.district, Posting.Role.ADMINISTRATOR)
    theirs = UserFactory(username="yuetang-admin")
    post(theirs, area("430304", "岳塘区"), Posting.Role.ADMINISTRATOR)
    return mine, theirs


def test_a_district_administrator_confirms_and_follows_the_progress_bar(
    rolled, story, admins, client, django_capture_on_commit_callbacks
):
    client.force_login(admins[0])
    page = client.get(PAGE.format("430302"))
    assert page.status_code == 200 and 'class="confirm-step"' in page.content.decode()
    with django_capture_on_commit_callbacks(execute=False):
        assert client.post(PAGE.format("430302")).status_code == 302
    job = RollupRebuild.objects.get()
    assert (job.area_code, job.created_by, job.status) == ("430302", admins[0], "queued")
    entry = AuditEntry.objects.get(object_type="summary_rebuild")
    assert (entry.actor, entry.object_id, entry.action) == (admins[0], "430302", "admin_change")
    page = client.get(PAGE.format("430302")).content.decode()
    assert 'hx-trigger="every 1s"' in page and 'class="confirm-step"' not in page
    # A second start while the first runs is refused with a message; nothing more is queued.
    client.post(PAGE.format("430302001"))
    assert RollupRebuild.objects.count() == 1
    with time_machine.travel(NOW, tick=False):
        _run(job)
    poll = client.get(PAGE.format("430302"), {"job": job.pk}, headers={"HX-Request": "true"})
    html = poll.content.decode()
    assert 'data-status="done"' in html and "hx-trigger" not in html and "100%" in html
    assert f'<dd class="num" data-rows>{len(rolled)}</dd>' in html


@pytest.mark.parametrize(
    "who, code, status",
    [
        ("leader", "430302", 403),  # reads the district's numbers, rebuilds nothing
        ("dispatcher", "430302001", 403),  # a street's desk
        ("governor", "430302", 404),  # outside their block
        ("other_admin", "430302", 404),  # another district's administrator
        ("admin", "430302001001001", 404),  # a block: rebuilt with its district or street
    ],
)
def test_who_may_not_rebuild(story, admins, client, who, code, status):
    user = (
        admins[1]
        if who == "other_admin"
        else admins[0]
        if who == "admin"
        else getattr(story.world, who)
    )
    client.force_login(user)
    assert client.get(PAGE.format(code)).status_code == status
    assert client.post(PAGE.format(code)).status_code == status
    assert not RollupRebuild.objects.exists()
    assert not AuditEntry.objects.filter(object_type="summary_rebuild").exists()


def test_a_system_administrator_rebuilds_any_district(story, client):
    client.force_login(UserFactory(username="root", is_superuser=True, is_staff=True))
    assert client.get(PAGE.format("430302")).status_code == 200
    assert client.post(PAGE.format("430302002")).status_code == 302
    assert RollupRebuild.objects.get().area_code == "430302002"


@pytest.mark.postgres
@pytest.mark.redis
@pytest.mark.django_db(transaction=True)
def test_a_real_worker_rebuilds_while_the_page_polls(story, admins, client, tmp_path):
    rollup.rollup()
    expected = _rows()
    StatCell.objects.filter(level__in=("block", "community")).delete()  # a summary gone wrong
    assert client.login(username=admins[0].username, password=PASSWORD)
    worker = start_celery("worker", tmp_path, "--pool", "solo", "--concurrency", "1")
    try:
        client.post(PAGE.format("430302"))
        job = RollupRebuild.objects.get()
        seen: set[tuple[str, int]] = set()

        def finished() -> bool:
            poll = client.get(
                PAGE.format("430302"), {"job": job.pk}, headers={"HX-Request": "true"}
            )
            html = poll.content.decode()
            seen.add((html.split('data-status="')[1].split('"')[0], html.count("every 1s")))
            return "hx-trigger" not in html

        wait_for(finished, timeout=120, every=0.2)
    finally:
        stop(worker)
    job.refresh_from_db()
    assert job.status == "done", (job.status, job.error)
    assert ("done", 0) in seen and seen <= {("queued", 1), ("running", 1), ("done", 0)}
    assert (job.done_chunks, job.total_chunks) == (3, 3)
    assert _rows() == expected
