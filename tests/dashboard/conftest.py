"""A small district built by hand through the workflow services: cases at every stage, on
time and late, rated and not, returned, reworked, extended, invalid and merged, on two
earlier days of November, one day of October and "today" (2026-11-20, 10:00 Beijing time).
The tests count each measure by hand from this story and compare."""

from __future__ import annotations

from datetime import datetime, timedelta
from types import SimpleNamespace
from zoneinfo import ZoneInfo

import pytest

from events import services
from events.models import Assignment, ClockKind, Deadline, Satisfaction

TZ = ZoneInfo("Asia/Shanghai")
NOW = datetime(2026, 11, 20, 10, 0, tzinfo=TZ)
D0 = datetime(2026, 10, 15, 9, 0, tzinfo=TZ)
D1 = datetime(2026, 11, 3, 9, 0, tzinfo=TZ)
D2 = datetime(2026, 11, 10, 9, 0, tzinfo=TZ)
H = timedelta(hours=1)
M = timedelta(minutes=1)


def _log(actor, block, category, at, **kw):
    return services.event_log(
        actor=actor, block=block, category=category, description="测试事件", now=at,
        reporter_name="王小明", reporter_phone="13812345678", **kw,
    )  # fmt: skip


def _close(event, *, handler, verifier, resolved, verified):
    services.event_resolve(actor=handler, event_id=event.pk, note="已处理", now=resolved)
    return services.event_verify(actor=verifier, event_id=event.pk, now=verified)


def _part(event, code) -> Assignment:
    return event.assignments.get(department__code=code, state__in=Assignment.OPEN_STATES)


@pytest.fixture
def story(world, depts):
    w, cat, red = world, world.category, world.red_category
    g, sup, nb, far = w.governor, w.supervisor, w.neighbour, w.far_governor
    e = {}
    # E0, October: logged by the far block's governor, done in 2 h, rated satisfied.
    e[0] = _log(far, w.far_block, cat, D0)
    _close(e[0], handler=far, verifier=w.other_dispatcher, resolved=D0 + 2 * H,
           verified=D0 + 3 * H)  # fmt: skip
    services.event_rate(actor=None, event_id=e[0].pk, satisfaction=Satisfaction.SATISFIED,
                        resolved=True, now=D0 + 24 * H)  # fmt: skip

    # --- 3 November ---------------------------------------------------------------------
    # E1: staff log it (answered at once), resolved in 1 h (on time), satisfied.
    e[1] = _log(g, w.block, cat, D1)
    _close(e[1], handler=g, verifier=sup, resolved=D1 + H, verified=D1 + 2 * H)
    services.event_rate(actor=None, event_id=e[1].pk, satisfaction=Satisfaction.SATISFIED,
                        resolved=True, now=D1 + 24 * H)  # fmt: skip
    # E2: a resident's report accepted after 10 min, resolved 14 days later (late: 5
    # working days), basically satisfied.
    e[2] = _log(None, w.block, cat, D1)
    services.event_accept(actor=g, event_id=e[2].pk, now=D1 + 10 * M)
    _close(e[2], handler=g, verifier=sup, resolved=D1 + timedelta(days=14),
           verified=D1 + timedelta(days=14) + H)  # fmt: skip
    services.event_rate(actor=None, event_id=e[2].pk, satisfaction=Satisfaction.BASICALLY_SATISFIED,
                        resolved=True, now=D1 + timedelta(days=15))  # fmt: skip
    # E3 (neighbour block): accepted after 20 min, resolved next day, sent back for rework,
    # resolved again on time, closed; dissatisfied but resolved.
    e[3] = _log(None, w.neighbour_block, cat, D1)
    services.event_accept(actor=nb, event_id=e[3].pk, now=D1 + 20 * M)
    services.event_resolve(actor=nb, event_id=e[3].pk, note="已处理", now=D1 + 24 * H + 20 * M)
    services.event_rework(
        actor=w.dispatcher, event_id=e[3].pk, note="没有处理干净", now=D1 + 25 * H
    )
    _close(e[3], handler=nb, verifier=w.dispatcher, resolved=D1 + 48 * H, verified=D1 + 49 * H)
    services.event_rate(actor=None, event_id=e[3].pk, satisfaction=Satisfaction.DISSATISFIED,
                        resolved=True, now=D1 + 72 * H)  # fmt: skip
    # E11 (neighbour block): red (24 h), resolved after 30 h (late), never verified: its
    # 1-working-day verify clock is overdue now.
    e[11] = _log(nb, w.neighbour_block, red, D1)
    services.event_resolve(actor=nb, event_id=e[11].pk, note="已处理", now=D1 + 30 * H)

    # --- 10 November --------------------------------------------------------------------
    # E4: whistled, dispatched within 1 h to 城管 (lead) and 市场监管; 城管 reports in on
    # time, 市场监管 after 30 h (late); both give feedback; closed; scored; satisfied.
    e[4] = _log(g, w.block, cat, D2)
    services.event_whistle(actor=g, event_id=e[4].pk, reason="law_enforcement", now=D2 + 5 * M)
    services.event_dispatch(actor=w.dispatcher, event_id=e[4].pk, lead=depts.cgzf.department,
                            cooperating=[depts.scjg.department], now=D2 + H)  # fmt: skip
    services.assignment_report_in(actor=depts.cgzf.officer,
                                  assignment_id=_part(e[4], "cgzf").pk, now=D2 + 3 * H)  # fmt: skip
    services.assignment_report_in(actor=depts.scjg.officer,
                                  assignment_id=_part(e[4], "scjg").pk, now=D2 + 31 * H)  # fmt: skip
    services.assignment_feedback(actor=depts.cgzf.officer, assignment_id=_part(e[4], "cgzf").pk,
                                 note="已取缔", now=D2 + 49 * H)  # fmt: skip
    services.assignment_feedback(actor=depts.scjg.officer, assignment_id=_part(e[4], "scjg").pk,
                                 note="已核查", now=D2 + 50 * H)  # fmt: skip
    services.event_verify(actor=w.dispatcher, event_id=e[4].pk, now=D2 + 53 * H)
    for code, scores in (("cgzf", (5, 4, 5)), ("scjg", (3, 3, 3))):
        services.case_evaluate(
            actor=w.dispatcher, assignment_id=e[4].assignments.get(department__code=code).pk,
            response=scores[0], handling=scores[1], attitude=scores[2], now=D2 + 54 * H,
        )  # fmt: skip
    services.event_rate(actor=None, event_id=e[4].pk, satisfaction=Satisfaction.SATISFIED,
                        resolved=True, now=D2 + 72 * H)  # fmt: skip
    # E5 (far block, other street): dispatched to 住建, which returns it (退单) without
    # reporting in; redispatched to 公安, which reports in on time and gets a 10-working-day
    # extension (延期): open, not overdue.
    e[5] = _log(far, w.far_block, cat, D2)
    services.event_whistle(actor=far, event_id=e[5].pk, reason="beyond_means", now=D2 + 5 * M)
    services.event_dispatch(actor=w.other_dispatcher, event_id=e[5].pk,
                            lead=depts.zjj.department, now=D2 + H)  # fmt: skip
    services.assignment_return(actor=depts.zjj.officer, assignment_id=_part(e[5], "zjj").pk,
                               reason="not_our_duty", note="不属于住建", now=D2 + 2 * H)  # fmt: skip
    services.event_dispatch(actor=w.other_dispatcher, event_id=e[5].pk,
                            lead=depts.gaj.department, now=D2 + 3 * H)  # fmt: skip
    services.assignment_report_in(actor=depts.gaj.officer,
                                  assignment_id=_part(e[5], "gaj").pk, now=D2 + 4 * H)  # fmt: skip
    clock = Deadline.objects.get(assignment=_part(e[5], "gaj"), kind=ClockKind.RESOLVE,
                                 met_at=None, cancelled_at=None)  # fmt: skip
    change = services.deadline_change_request(
        actor=depts.gaj.officer, deadline_id=clock.pk, kind="extend", reason="需协调多方",
        extra_working_days=10, now=D2 + 5 * H,
    )  # fmt: skip
    services.deadline_change_decide(actor=w.other_dispatcher, change_id=change.pk, approve=True,
                                    now=D2 + 6 * H)  # fmt: skip
    # E6 (neighbour block): a resident's report nobody accepted: overdue since 09:15.
    e[6] = _log(None, w.neighbour_block, cat, D2)
    # E7: invalid; E8: a duplicate merged into E4. Neither is counted.
    e[7] = _log(g, w.block, cat, D2)
    services.event_invalidate(actor=g, event_id=e[7].pk, reason="非本辖区", now=D2 + 10 * M)
    e[8] = _log(None, w.block, cat, D2)
    services.event_merge(actor=g, event_id=e[8].pk, into=e[4], now=D2 + 10 * M)
    # E12: resolved and closed, then the resident says dissatisfied and not resolved: rework,
    # a fresh resolve clock (5 working days from 12:00 on the 10th): overdue now.
    e[12] = _log(g, w.block, cat, D2)
    _close(e[12], handler=g, verifier=sup, resolved=D2 + H, verified=D2 + 2 * H)
    services.event_rate(actor=None, event_id=e[12].pk, satisfaction=Satisfaction.DISSATISFIED,
                        resolved=False, now=D2 + 3 * H)  # fmt: skip

    # --- today, 20 November -------------------------------------------------------------
    today = NOW.replace(hour=0)
    e[9] = _log(g, w.block, cat, today + 8 * H)  # in the block, not due for days
    e[10] = _log(None, w.far_block, cat, today + 8 * H + 30 * M)  # overdue since 08:45
    for event in e.values():
        event.refresh_from_db()
    return SimpleNamespace(events=e, now=NOW, world=w, depts=depts)
