"""Demo cases: a realistic mix over the last weeks, driven through the workflow services so
that every case has its timeline and clocks exactly as real use would leave them."""

from __future__ import annotations

import random
from datetime import timedelta

from django.utils import timezone

from blocks.models import Area, DepartmentMember, Posting
from events import selectors, services
from events.models import (
    Assignment,
    Category,
    CategoryKind,
    Channel,
    DistrictSettings,
    Event,
    Satisfaction,
    WhistleReason,
)

DESCRIPTIONS = {
    "city-illegal-building": ["楼顶私自加建彩钢棚，劝阻无效"],
    "city-street-vending": ["小区门口有流动摊贩占道经营，影响通行", "菜市场外围摆摊堵住人行道"],
    "city-garbage": ["垃圾站两天没清运，气味很大", "楼道口堆放建筑垃圾"],
    "city-parking": ["消防通道被私家车长期占用", "共享单车堆满小区入口"],
    "infra-streetlight": ["小区东门路灯坏了一个星期", "巷子里路灯不亮，晚上不安全"],
    "infra-manhole": ["人行道井盖缺失，有老人差点摔倒", "路口井盖松动，车过有响声"],
    "infra-drainage": ["下雨后单元门口积水严重", "下水道堵塞返水"],
    "infra-elevator": ["3栋电梯经常停运，老人上下楼困难"],
    "safety-electric": ["楼道里有人飞线给电动车充电", "一楼住户私拉电线"],
    "safety-fire": ["消防栓被杂物遮挡", "楼道堆放纸箱，存在火灾隐患"],
    "dispute-neighbour": ["楼上漏水到楼下，双方协商不成", "邻居装修噪音大，多次沟通无果"],
    "dispute-property": ["物业不作为，绿化无人打理", "业主与物业就停车费有争议"],
    "env-noise": ["广场舞音响太大，晚上十点后仍未停止", "工地夜间施工噪音扰民"],
    "env-fumes": ["烧烤店油烟直排，熏到楼上住户"],
    "service-elderly": ["独居老人需要助餐服务", "高龄老人申请上门护理"],
    "service-assistance": ["困难家庭咨询临时救助申请"],
    "service-certificates": ["老人行动不便，需要帮代办居住证明"],
}
COUNT = 480


def _whistled_story(event, rng, at, now, governor, desk, officers) -> None:
    """吹哨 → 派单 → 报到 → 反馈 → 核查 → 回访 → 一事一考, stopping at a random stage."""
    if desk is None:
        return
    at += timedelta(minutes=rng.randint(10, 120))
    reason = rng.choice([WhistleReason.BEYOND_MEANS, WhistleReason.LAW_ENFORCEMENT])
    services.event_whistle(actor=governor, event_id=event.pk, reason=reason, now=at)
    suggestion = selectors.duty_suggestion(event=event)
    at += timedelta(minutes=rng.randint(10, 150))
    if suggestion["lead"] is None or at >= now:
        return
    services.event_dispatch(
        actor=desk, event_id=event.pk, lead=suggestion["lead"],
        cooperating=suggestion["cooperating"][:2], now=at,
    )  # fmt: skip
    parts = list(event.assignments.order_by("role").select_related("department"))
    for part in parts:
        at += timedelta(minutes=rng.randint(30, 60 * 30))  # sometimes past the 24 hours
        if at >= now:
            return
        services.assignment_report_in(
            actor=officers[part.department_id], assignment_id=part.pk, now=at
        )
    for part in parts:
        at += timedelta(minutes=rng.randint(60, 60 * 48))
        if at >= now:
            return
        services.assignment_feedback(
            actor=officers[part.department_id], assignment_id=part.pk,
            note="已到现场处置完毕，整改到位", now=at,
        )  # fmt: skip
    at += timedelta(minutes=rng.randint(60, 60 * 20))
    if at >= now:
        return
    services.event_verify(actor=desk, event_id=event.pk, now=at)
    at += timedelta(minutes=rng.randint(60, 60 * 30))
    if at >= now:
        return
    # 回访 from outside the case's team (DESIGN §3): the resident who reported it on the
    # tracking page, else the street desk's callback — never the governor who logged it.
    services.event_rate(
        actor=None if event.channel == Channel.SELF_REPORT else desk, event_id=event.pk,
        now=at, resolved=True,
        satisfaction=rng.choice([Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED]),
    )  # fmt: skip
    for part in parts:
        services.case_evaluate(
            actor=desk, assignment_id=part.pk, response=rng.randint(3, 5),
            handling=rng.randint(3, 5), attitude=rng.randint(4, 5), now=at,
        )  # fmt: skip


def seed_events(*, district: Area, rng: random.Random, count: int = COUNT) -> int:
    """Create ``count`` cases across the district unless it already has cases."""
    if Event.objects.filter(area_code__startswith=district.code).exists():
        return 0
    # The demo district is set up for 街呼区应 (seed 001: 历下's district call platform) and
    # for 村居吹哨、部门报到 (seed 004: 坡头's blocks call departments straight), so that both
    # can be tried; the demo's own cases still go up through the street.
    DistrictSettings.objects.update_or_create(
        district=district,
        defaults={"street_whistle_to_district": True, "community_dispatch": True},
    )
    categories = {c.code: c for c in Category.objects.filter(code__in=DESCRIPTIONS)}
    governors = {
        p.area_id: p.user
        for p in Posting.objects.filter(
            role=Posting.Role.GOVERNOR, ended_on__isnull=True, area__code__startswith=district.code
        ).select_related("user")
    }
    supervisors = {
        p.area_id: p.user
        for p in Posting.objects.filter(
            role=Posting.Role.SUPERVISOR,
            ended_on__isnull=True,
            area__code__startswith=district.code,
        ).select_related("user")
    }
    desks = {
        p.area.code: p.user
        for p in Posting.objects.filter(
            role=Posting.Role.DISPATCHER,
            ended_on__isnull=True,
            area__code__startswith=district.code,
        ).select_related("user", "area")
    }
    officers = {
        m.department_id: m.user
        for m in DepartmentMember.objects.filter(
            department__district=district, ended_on__isnull=True
        ).select_related("user")
    }
    blocks = list(Area.objects.filter(level=Area.Level.BLOCK, code__startswith=district.code))
    first_street = min(b.code[:9] for b in blocks)
    # The demo street gets a third of the cases, so its desk and blocks have a full day.
    busy = [b for b in blocks if b.code.startswith(first_street)]
    now = timezone.now()
    created = 0
    for _i in range(count):
        block = rng.choice(busy) if rng.random() < 0.33 else rng.choice(blocks)
        governor, supervisor = governors.get(block.pk), supervisors.get(block.pk)
        if governor is None or supervisor is None:
            continue
        code = rng.choice(list(DESCRIPTIONS))
        at = now - timedelta(minutes=rng.randint(5, 60 * 24 * 45))
        from_resident = rng.random() < 0.45
        event = services.event_log(
            actor=None if from_resident else governor,
            channel=Channel.SELF_REPORT
            if from_resident
            else rng.choice([Channel.BLOCK_STAFF, Channel.BLOCK_STAFF, Channel.PATROL]),
            block=block,
            category=categories[code],
            description=rng.choice(DESCRIPTIONS[code]),
            reporter_name=rng.choice(["王女士", "李先生", "张阿姨", "刘师傅", ""]),
            reporter_phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            building=f"{rng.randint(1, 20)}栋{rng.randint(1, 4)}单元",
            now=at,
        )
        created += 1
        fate = rng.random()
        minutes = lambda lo, hi: timedelta(minutes=rng.randint(lo, hi))  # noqa: E731
        if from_resident:
            if fate < 0.06 and at > now - timedelta(minutes=30):
                continue  # still waiting for the block to answer
            at += minutes(2, 25)  # mostly within 一呼即应's 15 minutes, sometimes late
            if fate < 0.04:
                services.event_invalidate(
                    actor=governor, event_id=event.pk, reason="非本辖区事项", now=at
                )
                continue
            services.event_accept(actor=governor, event_id=event.pk, now=at)
        if fate < 0.12 and at > now - timedelta(days=3):
            continue  # still in hand
        if 0.5 < fate < 0.7:
            _whistled_story(event, rng, at, now, governor, desks.get(block.code[:9]), officers)
            continue
        at += minutes(30, 60 * 24 * 4)
        if at >= now:
            continue
        services.event_resolve(actor=governor, event_id=event.pk, note="已现场处理完毕", now=at)
        at += minutes(30, 60 * 20)
        if at >= now:
            continue
        if fate > 0.93:
            services.event_rework(
                actor=supervisor, event_id=event.pk, note="现场复查仍未整改到位", now=at
            )
            continue
        services.event_verify(actor=supervisor, event_id=event.pk, now=at)
        at += minutes(60, 60 * 30)
        if at >= now or fate > 0.85:
            continue  # not called back yet
        satisfaction = rng.choices(
            [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED, Satisfaction.DISSATISFIED],
            weights=[80, 15, 5],
        )[0]
        # The resident rates what they reported; the street desk calls back on what the
        # block logged (never the governor who resolved it: DESIGN §3). A "dissatisfied, not
        # resolved" sends it back for rework and stays its rating.
        callback_desk = desks.get(block.code[:9])
        services.event_rate(
            actor=callback_desk if callback_desk and not from_resident else None,
            event_id=event.pk,
            satisfaction=satisfaction,
            resolved=satisfaction != Satisfaction.DISSATISFIED or rng.random() < 0.5, now=at,
        )  # fmt: skip
    # The first block (the demo governor's) gets fresh residents' reports, so its workbench
    # shows the 15-minute clock of 一呼即应 running.
    demo_block = min(busy, key=lambda b: b.code)
    for minutes_ago, code in ((3, "infra-streetlight"), (13, "safety-electric")):
        services.event_log(
            actor=None, block=demo_block, category=categories[code],
            description=DESCRIPTIONS[code][0], reporter_name="赵女士",
            reporter_phone="13907321234", now=now - timedelta(minutes=minutes_ago),
        )  # fmt: skip
        created += 1
    # …and whistled ones: one waiting at the street's desk, one at the departments; and, 街呼区应
    # (seed 001), two the street passed up to the district's command centre — one waiting
    # there, one the district has dispatched to departments.
    governor, desk = governors[demo_block.pk], desks.get(demo_block.code[:9])
    district_desk = desks.get(district.code)
    for hours_ago, code, to_district, dispatch in (
        (2, "city-illegal-building", False, False),
        (5, "city-street-vending", False, True),
        (3, "safety-electric", True, False),
        (7, "infra-drainage", True, True),
    ):
        if to_district and not (desk and district_desk):
            continue
        at = now - timedelta(hours=hours_ago)
        event = services.event_log(
            actor=governor, block=demo_block, category=categories[code],
            description=DESCRIPTIONS[code][-1], now=at,
        )  # fmt: skip
        services.event_whistle(
            actor=governor, event_id=event.pk, now=at + timedelta(minutes=8),
            reason=WhistleReason.BEYOND_MEANS if to_district else WhistleReason.LAW_ENFORCEMENT,
        )  # fmt: skip
        dispatcher = desk
        if to_district:
            services.event_whistle_to_district(
                actor=desk, event_id=event.pk, now=at + timedelta(minutes=35),
                note="涉及多个区直部门和管线权属单位，街道协调不动，请区指挥中心统筹",
            )  # fmt: skip
            dispatcher = district_desk
        suggestion = selectors.duty_suggestion(event=event)
        if dispatch and dispatcher and suggestion["lead"]:
            services.event_dispatch(
                actor=dispatcher, event_id=event.pk, lead=suggestion["lead"],
                cooperating=suggestion["cooperating"],
                now=at + timedelta(minutes=80 if to_district else 40),
            )  # fmt: skip
        created += 1
    # A cooperating department at work (issue 18, the demo login `officer2` of 市场监管, which
    # cooperates on street vending under 城管执法's lead): besides the case above waiting
    # for both to report in, one where 市场监管 has reported in and one where its feedback
    # is in while the lead department still works.
    for hours_ago, stage in ((20, "report_in"), (30, "feedback")):
        if desk is None:
            break
        at = now - timedelta(hours=hours_ago)
        event = services.event_log(
            actor=governor, block=demo_block, category=categories["city-street-vending"],
            description=DESCRIPTIONS["city-street-vending"][0], now=at,
        )  # fmt: skip
        services.event_whistle(
            actor=governor, event_id=event.pk, reason=WhistleReason.LAW_ENFORCEMENT,
            now=at + timedelta(minutes=6),
        )  # fmt: skip
        suggestion = selectors.duty_suggestion(event=event)
        services.event_dispatch(
            actor=desk, event_id=event.pk, lead=suggestion["lead"],
            cooperating=suggestion["cooperating"], now=at + timedelta(minutes=30),
        )  # fmt: skip
        for part in event.assignments.filter(role=Assignment.Role.COOPERATING):
            officer = officers[part.department_id]
            services.assignment_report_in(
                actor=officer, assignment_id=part.pk, now=at + timedelta(hours=3)
            )
            if stage == "feedback":
                services.assignment_feedback(
                    actor=officer, assignment_id=part.pk, now=at + timedelta(hours=9),
                    note="已联合城管对流动摊贩进行劝导，核查经营资质，配合部分已完成",
                )  # fmt: skip
        created += 1
    created += seed_assisted_requests(
        blocks=busy, demo_block=demo_block, rng=rng, now=now, governors=governors,
        supervisors=supervisors, desks=desks,
    )  # fmt: skip
    return created


ASSISTED_NEEDS = ["家里老人行动不便，请网格员帮忙代办", "子女在外地，想请社区帮忙办理",
                  "残疾人家庭，申请上门帮办", "材料已备齐，约个时间上门取件"]  # fmt: skip


def seed_assisted_requests(
    *, blocks, demo_block, rng, now, governors, supervisors, desks, count: int = 60
) -> int:
    """帮代办 (issue 20): residents' requests for the catalogue's services (seed 000's 16),
    some booked for a time (预约服务, seed 002), at every stage — waiting for the block,
    booked ahead, done and waiting for the supervisor, closed and rated — through the same
    services as every case."""
    catalogue = list(
        Category.objects.filter(kind=CategoryKind.ASSISTED_SERVICE, parent__isnull=False)
    )
    if not catalogue:
        return 0
    created = 0

    def ask(block, service, at, *, resident: bool, booked=None):
        return services.event_log(
            actor=None if resident else governors[block.pk], block=block, category=service,
            description=f"{service.name}：{rng.choice(ASSISTED_NEEDS)}",
            reporter_name=rng.choice(["王奶奶", "李大爷", "陈女士", "周先生"]),
            reporter_phone=f"1{rng.choice('3589')}{rng.randint(0, 999999999):09d}",
            booked_at=booked, now=at,
        )  # fmt: skip

    for _i in range(count):
        block = rng.choice(blocks)
        governor, supervisor = governors.get(block.pk), supervisors.get(block.pk)
        if governor is None or supervisor is None:
            continue
        service, resident = rng.choice(catalogue), rng.random() < 0.6
        at = now - timedelta(minutes=rng.randint(60, 60 * 24 * 30))
        event = ask(block, service, at, resident=resident)
        created += 1
        if resident:
            at += timedelta(minutes=rng.randint(2, 20))
            services.event_accept(actor=governor, event_id=event.pk, now=at)
        at += timedelta(hours=rng.randint(2, 90))
        if at >= now:
            continue  # still being done
        services.event_resolve(
            actor=governor, event_id=event.pk, now=at,
            note=f"已代为办理{service.name}，结果已告知居民本人",
        )  # fmt: skip
        at += timedelta(hours=rng.randint(1, 20))
        if at >= now:
            continue
        services.event_verify(actor=supervisor, event_id=event.pk, now=at)
        at += timedelta(hours=rng.randint(1, 30))
        if at >= now or rng.random() < 0.2:
            continue
        desk = desks.get(block.code[:9])
        services.event_rate(
            actor=None if resident else desk, event_id=event.pk, now=at, resolved=True,
            satisfaction=rng.choices(
                [Satisfaction.SATISFIED, Satisfaction.BASICALLY_SATISFIED], weights=[90, 10]
            )[0],
        )  # fmt: skip
    # The demo governor's block: a resident's booking waiting to be answered, one booked
    # for tomorrow morning, one booked this afternoon, and one the block logged by phone.
    tomorrow = (now + timedelta(days=1)).replace(hour=9, minute=30, second=0, microsecond=0)
    governor = governors.get(demo_block.pk)
    by_code = {c.code: c for c in catalogue}
    stories = (
        ("assist-elderly-card", now - timedelta(minutes=6), True, tomorrow, False),
        ("assist-social-security-card", now - timedelta(hours=3), True, tomorrow, True),
        ("assist-pension-certification", now - timedelta(hours=1), False,
         now + timedelta(hours=4), False),
        ("assist-medical-insurance-payment", now - timedelta(hours=2), False, None, False),
    )  # fmt: skip
    for code, at, resident, booked, accept in stories:
        if governor is None or code not in by_code:
            continue
        event = ask(demo_block, by_code[code], at, resident=resident, booked=booked)
        if accept:
            services.event_accept(actor=governor, event_id=event.pk, now=at + timedelta(minutes=4))
        created += 1
    return created
