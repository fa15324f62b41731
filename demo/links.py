"""Demo departments of the district, its 属地管理事项清单 (~80 items, in the manner of seed
001's 81-item list) and the street's own / cooperation lists (seed 000: 35 and 21 items)."""

from __future__ import annotations

import random
from datetime import date, timedelta

from django.contrib.auth import get_user_model
from django.utils import timezone

from blocks.models import Area, Department, DepartmentMember, Posting
from demo.territory import person_names, phone_numbers
from events.models import Category, DutyItem, Event, StreetDutyItem
from liaison import admissions, selectors, services
from liaison.models import CadreLink, DeployedCadre, JointGroupEvaluation, current_quarter

DEPARTMENTS = [
    ("cgzf", "区城市管理和综合执法局", "城管执法"),
    ("scjg", "区市场监督管理局", "市场监管"),
    ("gaj", "区公安分局", "公安"),
    ("zjj", "区住房和城乡建设局", "住建"),
    ("sthj", "市生态环境局雨湖分局", "生态环境"),
    ("mzj", "区民政局", "民政"),
    ("wjj", "区卫生健康局", "卫健"),
    ("yjj", "区应急管理局", "应急管理"),
    ("slj", "区水利局（水务）", "水务"),
    ("gd", "国网雨湖供电公司", "供电"),
    ("rq", "湘潭新奥燃气雨湖站", "燃气"),
    ("rsj", "区人力资源和社会保障局", "人社"),
    ("ybj", "区医疗保障局", "医保"),
    ("jj", "区交警大队", "交警"),
    ("zrzy", "区自然资源分局", "自然资源"),
    ("jyj", "区教育局", "教育"),
    ("xf", "区消防救援大队", "消防"),
]

# category code → (matter, lead, cooperating)
CATEGORY_DUTIES = {
    "city-street-vending": ("占道经营、店外经营的查处", "cgzf", ["scjg"]),
    "city-garbage": ("生活垃圾、建筑垃圾清运和处置", "cgzf", ["zjj"]),
    "city-illegal-ads": ("乱张贴、乱涂写、乱刻画的清理", "cgzf", []),
    "city-illegal-building": ("违法建设的查处", "cgzf", ["zjj", "zrzy"]),
    "city-parking": ("机动车、非机动车乱停乱放", "jj", ["cgzf"]),
    "city-greenery": ("损毁绿化、占绿毁绿的查处", "cgzf", []),
    "city-stray-animals": ("流浪犬只收容和不文明养犬", "gaj", ["cgzf"]),
    "infra-road": ("市政道路、人行道破损修复", "zjj", ["cgzf"]),
    "infra-streetlight": ("路灯、景观灯维修", "cgzf", ["gd"]),
    "infra-manhole": ("窨井盖缺失、破损的处置", "zjj", ["gd", "rq", "slj"]),
    "infra-drainage": ("排水管网疏通、积水内涝处置", "slj", ["zjj"]),
    "infra-water-supply": ("供水中断、水压水质问题", "slj", []),
    "infra-power": ("供电故障、线路隐患", "gd", []),
    "infra-gas": ("燃气泄漏、燃气设施隐患", "rq", ["yjj", "xf"]),
    "infra-elevator": ("电梯故障和特种设备安全", "scjg", ["zjj"]),
    "safety-electric": ("电动车违规充电、私拉乱接电线", "xf", ["gd", "yjj"]),
    "safety-fire": ("消防通道堵塞、消防设施损坏", "xf", ["yjj"]),
    "safety-building": ("房屋安全隐患排查和处置", "zjj", ["yjj"]),
    "safety-food": ("食品安全违法行为的查处", "scjg", ["wjj"]),
    "safety-traffic": ("道路交通安全设施和秩序", "jj", ["zjj"]),
    "safety-gas-cylinder": ("瓶装液化气使用安全", "yjj", ["rq", "scjg"]),
    "dispute-neighbour": ("邻里纠纷的调解", "gaj", ["mzj"]),
    "dispute-family": ("家庭纠纷、家庭暴力的处置", "gaj", ["mzj", "wjj"]),
    "dispute-property": ("物业服务纠纷的调处", "zjj", ["scjg"]),
    "dispute-labour": ("拖欠劳动报酬的处置", "rsj", ["gaj"]),
    "dispute-land": ("土地、房屋权属纠纷", "zrzy", ["zjj"]),
    "env-noise": ("社会生活和施工噪声扰民", "sthj", ["gaj", "cgzf"]),
    "env-fumes": ("餐饮油烟污染的查处", "sthj", ["cgzf", "scjg"]),
    "env-water": ("河道、水体污染的查处", "sthj", ["slj"]),
    "env-burning": ("露天焚烧的查处", "sthj", ["cgzf"]),
    "service-social-security": ("社会保险参保、缴费服务", "rsj", ["ybj"]),
    "service-assistance": ("最低生活保障和临时救助", "mzj", []),
    "service-elderly": ("居家养老、老年助餐服务", "mzj", ["wjj"]),
    "service-disabled": ("残疾人帮扶和无障碍设施", "mzj", ["zjj"]),
    "service-certificates": ("各类证明和帮代办事项", "gaj", ["mzj"]),
    "service-employment": ("就业创业服务", "rsj", []),
    "order-public": ("社会治安问题的处置", "gaj", []),
    "order-fraud": ("电信网络诈骗的防范和处置", "gaj", ["scjg"]),
    "order-rental": ("出租房屋和流动人口管理", "gaj", ["zjj"]),
    "other-advice": ("群众意见建议的办理", "mzj", []),
}
# Matters of the list that no case category covers (yet): the list is a document of the
# district, not only a routing table.
OTHER_DUTIES = [
    ("户外广告设置的审批和监管", "cgzf", ["zjj"]),
    ("建筑工地扬尘污染的查处", "zjj", ["sthj", "cgzf"]),
    ("渣土运输车辆抛洒滴漏的查处", "cgzf", ["jj"]),
    ("无证无照经营的查处", "scjg", ["cgzf"]),
    ("价格违法行为的查处", "scjg", []),
    ("药品、医疗器械安全监管", "scjg", ["wjj"]),
    ("非法行医的查处", "wjj", ["gaj"]),
    ("传染病疫情防控", "wjj", ["gaj", "mzj"]),
    ("公共场所卫生监管", "wjj", ["scjg"]),
    ("老旧小区改造的组织实施", "zjj", ["gd", "rq", "slj"]),
    ("住宅专项维修资金的使用监管", "zjj", []),
    ("房屋租赁市场的监管", "zjj", ["gaj"]),
    ("既有住宅加装电梯的协调", "zjj", ["scjg", "zrzy"]),
    ("地质灾害隐患点的巡查", "zrzy", ["yjj"]),
    ("防汛抗旱和内涝应急处置", "slj", ["yjj"]),
    ("安全生产监督检查", "yjj", ["xf"]),
    ("危险化学品安全监管", "yjj", ["gaj", "xf"]),
    ("自然灾害应急救助", "yjj", ["mzj"]),
    ("烟花爆竹非法经营的查处", "yjj", ["gaj", "scjg"]),
    ("校园周边环境整治", "jyj", ["gaj", "scjg", "cgzf"]),
    ("校外培训机构的监管", "jyj", ["scjg"]),
    ("学生上下学交通安全", "jj", ["jyj"]),
    ("重大活动安全保卫", "gaj", ["xf", "jj"]),
    ("吸毒人员的管控", "gaj", ["wjj"]),
    ("严重精神障碍患者的服务管理", "wjj", ["gaj", "mzj"]),
    ("特困人员的供养", "mzj", []),
    ("殡葬管理和违规治丧", "mzj", ["cgzf"]),
    ("社会组织的登记和监管", "mzj", []),
    ("退役军人服务", "mzj", ["rsj"]),
    ("医保基金使用监管", "ybj", ["wjj"]),
    ("农民工工资支付保障", "rsj", ["zjj"]),
    ("职业技能培训", "rsj", []),
    ("供电设施保护", "gd", ["gaj"]),
    ("燃气管道第三方施工破坏的防范", "rq", ["zjj"]),
    ("高层建筑消防安全", "xf", ["zjj"]),
    ("人员密集场所消防检查", "xf", ["scjg"]),
    ("机动车噪声和尾气污染", "sthj", ["jj"]),
    ("违规养殖污染的查处", "sthj", ["cgzf"]),
    ("城市绿化养护", "cgzf", []),
    ("公共厕所的建设和管理", "cgzf", []),
    ("集中供热设施运行和供热质量的监管", "zjj", ["scjg"]),
]
STREET_OWN = [
    "网格化服务管理",
    "社区党组织建设",
    "矛盾纠纷排查化解",
    "社会治安综合治理",
    "平安建设宣传",
    "安全生产巡查",
    "消防安全宣传",
    "防汛应急值守",
    "人口信息采集",
    "流动人口登记",
    "出租房屋信息登记",
    "居民自治组织指导",
    "业委会组建指导",
    "物业服务监督协调",
    "老旧小区长效管理",
    "环境卫生日常保洁督导",
    "门前三包督导",
    "文明城市创建",
    "爱国卫生运动",
    "退役军人服务站建设",
    "困难群众走访",
    "低保申请初审",
    "高龄补贴初审",
    "残疾人两项补贴初审",
    "居家养老服务",
    "就业信息采集",
    "医保参保动员",
    "征兵宣传动员",
    "志愿服务组织",
    "未成年人保护",
    "妇女儿童权益维护",
    "禁毒宣传",
    "反诈宣传",
    "民生实事项目收集",
    "群众诉求首接办理",
]
STREET_COOPERATION = [
    "违法建设查处",
    "占道经营整治",
    "市容环境专项整治",
    "食品安全检查",
    "特种设备检查",
    "燃气安全检查",
    "房屋安全排查",
    "地质灾害巡查",
    "河道保洁监督",
    "扬尘污染防治",
    "餐饮油烟治理",
    "噪声污染治理",
    "交通秩序整治",
    "校园周边整治",
    "疫情防控",
    "征地拆迁协调",
    "重大项目建设协调",
    "信访稳定",
    "防范非法集资",
    "人口普查",
    "经济普查",
]

# The communities' three lists (雨湖, seed 000: 20 依法自治事项, 30 依法协助政府工作事项, 8 负面事项).
COMMUNITY_SELF = [
    "召开居民会议，讨论决定涉及全体居民利益的重要事项",
    "制定和修改居民公约、居民自治章程",
    "办理本居住地区居民的公共事务和公益事业",
    "调解民间纠纷",
    "组织群防群治，维护社区治安",
    "开展社区文化、体育、娱乐活动",
    "组织居民开展志愿服务",
    "开展社区环境卫生自治管理",
    "居务公开、财务公开",
    "选举、罢免居民委员会成员",
    "向政府反映居民意见、要求和建议",
    "指导业主委员会、物业服务企业开展工作",
    "组织开展邻里互助",
    "管理社区公共设施和集体资产",
    "开展社区议事协商",
    "组织居民参与社区规划和建设",
    "开展移风易俗和文明创建",
    "开展家庭教育和青少年关爱活动",
    "组织开展社区慈善活动",
    "建立和管理居民小组",
]
COMMUNITY_ASSIST = [
    "协助开展人口普查、经济普查等统计调查",
    "协助做好社会救助申请受理和入户调查",
    "协助开展城乡居民养老保险参保登记",
    "协助开展城乡居民医疗保险参保动员",
    "协助开展就业失业登记和就业援助",
    "协助开展优抚安置和退役军人服务",
    "协助开展残疾人服务",
    "协助开展老年人服务和高龄津贴申领",
    "协助开展人口家庭服务",
    "协助开展食品安全宣传和信息报告",
    "协助开展安全生产宣传和隐患报告",
    "协助开展消防安全宣传和隐患排查",
    "协助开展防汛抗旱和自然灾害应急",
    "协助开展公共卫生和疾病预防",
    "协助开展爱国卫生运动",
    "协助开展禁毒宣传",
    "协助开展法治宣传和人民调解",
    "协助做好社区矫正和安置帮教",
    "协助开展流动人口和出租房屋信息登记",
    "协助开展征兵宣传动员",
    "协助开展国防教育和民兵工作",
    "协助做好义务教育控辍保学",
    "协助做好未成年人保护",
    "协助做好妇女儿童权益保护",
    "协助开展垃圾分类宣传",
    "协助开展违法建设巡查报告",
    "协助开展文明城市创建",
    "协助做好信访矛盾排查化解",
    "协助开展反诈宣传",
    "协助开展政策宣传和民意收集",
]
COMMUNITY_NEGATIVE = [
    "行政执法事项（罚款、强制拆除等）", "招商引资、协税护税任务", "拆迁拆违的具体实施",
    "经济发展指标考核", "未经批准的达标评比和示范创建", "出具无法定依据的证明",
    "部门职责范围内的审批和检查", "以签订“责任状”等形式转嫁的部门任务",
]  # fmt: skip
LISTS = (
    (StreetDutyItem.Kind.OWN, STREET_OWN),
    (StreetDutyItem.Kind.COOPERATION, STREET_COOPERATION),
    (StreetDutyItem.Kind.COMMUNITY_SELF, COMMUNITY_SELF),
    (StreetDutyItem.Kind.COMMUNITY_ASSIST, COMMUNITY_ASSIST),
    (StreetDutyItem.Kind.COMMUNITY_NEGATIVE, COMMUNITY_NEGATIVE),
)


def seed_liaison(*, district: Area) -> int:
    """Create the district's departments (each with its liaison officer, 报到联络员) and
    lists where missing. Returns rows created."""
    User = get_user_model()
    created = 0
    by_code = {}
    for code, name, short in DEPARTMENTS:
        department, was = Department.objects.get_or_create(
            district=district, code=code, defaults={"name": name, "short_name": short}
        )
        by_code[code] = department
        created += was
        if was:
            officer = User(username=f"dept-{code}", full_name=f"{short}联络员")
            officer.set_unusable_password()
            officer.save()
            DepartmentMember.objects.create(
                department=department, user=officer, role=DepartmentMember.Role.LIAISON_OFFICER
            )
    if not DutyItem.objects.filter(district=district).exists():
        rows = [(code, *duty) for code, duty in CATEGORY_DUTIES.items()]
        rows += [("", *duty) for duty in OTHER_DUTIES]
        for number, (category_code, matter, lead, cooperating) in enumerate(rows, start=1):
            item = DutyItem.objects.create(
                district=district, number=number, matter=matter,
                category_code=category_code, lead=by_code[lead],
            )  # fmt: skip
            item.cooperating.set([by_code[c] for c in cooperating])
            created += 1
    # The street handles small matters itself: these categories are on its own list.
    own_codes = {"群众诉求首接办理": "other-misc", "困难群众走访": "service-elderly"}
    for kind, names in LISTS:
        if StreetDutyItem.objects.filter(district=district, kind=kind).exists():
            continue
        StreetDutyItem.objects.bulk_create(
            StreetDutyItem(
                district=district,
                kind=kind,
                number=n,
                matter=name,
                category_code=own_codes.get(name, "") if kind == StreetDutyItem.Kind.OWN else "",
            )  # fmt: skip
            for n, name in enumerate(names, start=1)
        )
        created += len(names)
    return created


# --- the links between levels (issue 8) -------------------------------------------------------
CADRE_UNITS = {
    DeployedCadre.Level.DISTRICT: [
        "区委组织部", "区委宣传部", "区财政局", "区发展和改革局", "区住房和城乡建设局", "区民政局",
        "区人力资源和社会保障局", "区卫生健康局", "区教育局", "区城市管理和综合执法局", "区司法局",
        "区退役军人事务局",
    ],
    DeployedCadre.Level.STREET: ["街道党工委", "街道办事处", "街道综治中心", "街道便民服务中心"],
    DeployedCadre.Level.COMMUNITY: ["社区党委", "社区居委会"],
}  # fmt: skip
FINDINGS = [
    ("3栋楼道堆放纸箱杂物，堵塞消防通道", "safety-fire", "3栋"),
    ("1单元楼道内电动车飞线充电", "safety-electric", "1单元"),
    ("小区主干道路灯坏了 4 盏，晚上出行不便", "infra-streetlight", ""),
    ("化粪池下水道堵塞反味，居民反映多次", "infra-drainage", "5栋"),
    ("独居老人家中水管老化漏水", "service-elderly", "2栋"),
    ("单元门禁损坏，外来人员随意进出", "order-public", "4栋"),
    ("公共绿地被个别居民开荒种菜", "city-greenery", ""),
    ("外墙瓷砖空鼓脱落，存在高空坠物隐患", "safety-building", "6栋"),
    ("生活垃圾清运不及时，垃圾桶满溢", "city-garbage", ""),
    ("楼上住户装修噪音扰民，周末也施工", "env-noise", "7栋"),
]
SUMMARIES = ["入户走访，宣传反诈知识", "认亲串门，了解困难家庭情况", "走访独居老人，送防滑垫",
             "宣传燃气安全和电动车充电安全", "收集居民对老旧小区改造的意见"]  # fmt: skip
HOUSEHOLD_MATTERS = [
    "5栋门口路灯坏了一周", "楼顶水箱有异味，担心水质", "小区后门有人乱停车堵住消防通道",
    "2单元楼梯扶手松动", "有推销保健品的人在小区里聚集老人",
]  # fmt: skip
ORGANISATIONS = [
    "区财政局机关党支部", "湘潭大学信息工程学院党委", "国网雨湖供电公司党支部", "区人民医院党总支",
    "中国银行雨湖支行党支部", "区税务局第一党支部", "湘潭市第一中学党委", "江麓集团机关党委",
]  # fmt: skip
WISHES = [
    ("为独居老人更换厨房灯泡", "家住 3 栋的独居老人，灯坏了自己够不着"),
    ("暑期作业辅导", "双职工家庭孩子读四年级，希望有人辅导数学"),
    ("修理轮椅刹车", "残疾居民的轮椅刹车失灵"),
    ("想要一件厚棉衣过冬", "低保户老人，身高 1 米 6"),
    ("教老人用智能手机视频通话", "子女在外地，想学微信视频"),
    ("陪同老人去医院复查", "高龄老人行动不便，每月复查一次"),
    ("修理漏水的水龙头", ""),
    ("代买降压药", "老人腿脚不便，每周一次"),
]  # fmt: skip
LEDGER = [
    ("老旧小区加装电梯 6 台", "zjj"), ("背街小巷路面提质改造 1.2 公里", "zjj"),
    ("新增公共停车位 120 个", "jj"), ("社区老年助餐点 2 处", "mzj"),
    ("雨污分流改造 3 个小区", "slj"), ("增设电动车集中充电桩 200 个", "xf"),
]  # fmt: skip
PROBLEMS = [
    ("老旧小区停车难", "多个社区反映车位不足、乱停乱放"),
    ("楼道电动车充电安全隐患", "飞线充电、楼道停放普遍"),
    ("背街小巷路灯不亮", "照明设施老化"),
    ("高龄独居老人助餐需求", "老人做饭难，希望就近助餐"),
    ("下水道堵塞反味", "管网老化"),
]  # fmt: skip
JOINT_TITLES = {
    "district_leader": "区委常委、副区长", "street_leader": "街道党工委副书记",
    "department_leader": "副局长", "stationed_cadre": "驻社区第一书记", "community_cadre": "社区党委书记",
}  # fmt: skip


def _demo_user(username: str, full_name: str, password: str | None = None):
    User = get_user_model()
    user, created = User.objects.get_or_create(username=username, defaults={"full_name": full_name})
    if created or password:
        if password:
            user.set_password(password)
        else:
            user.set_unusable_password()
        user.save()
    return user


def _actor(area_code: str, role: str):
    posting = (
        Posting.objects.filter(area__code=area_code, role=role, ended_on__isnull=True)
        .select_related("user")
        .order_by("pk")
        .first()
    )
    return posting.user if posting else None


def seed_links(*, district: Area, rng: random.Random, password: str | None = None) -> dict:
    """Cadres in blocks with this and last month's visits, household leaders, registrations
    and wishes, the five officials, this quarter's lists and the year's ledger, in the first
    street (the demo logins' street) and a lighter touch elsewhere. Runs the services, so the
    demo rows obey the same rules as real ones. Skips a district that has them already.

    ``password`` gives the demo logins "cadre" (a district cadre in the demo street's
    blocks) and "member" (a registered party member who takes wishes)."""
    if DeployedCadre.objects.filter(district=district).exists():
        return {}
    names, phones = person_names(rng), phone_numbers(rng)
    now = timezone.now()
    today = timezone.localdate(now)
    year, quarter = current_quarter(today)
    streets = list(district.children.filter(level=Area.Level.STREET).order_by("code"))
    demo_street = next((s for s in streets if s.name.endswith("街道")), streets[0])
    desks = {s.code: _actor(s.code, Posting.Role.DISPATCHER) for s in streets}
    departments = {d.code: d for d in Department.objects.filter(district=district)}
    officers = {
        m.department.code: m.user
        for m in DepartmentMember.objects.filter(
            department__district=district, ended_on__isnull=True
        )
        .select_related("department", "user")
        .order_by("pk")
    }
    categories = {c.code: c for c in Category.objects.filter(code__in=[f[1] for f in FINDINGS])}
    counts = dict.fromkeys(("cadres", "visits", "cases", "leaders", "wishes", "ledger"), 0)

    # Cadres: about two per community, each linked to one to three of its blocks; some blocks
    # stay without one, so the coverage page has gaps to show.
    cadre_login = _demo_user("cadre", "刘建国", password)
    levels = list(CADRE_UNITS)
    for c_index, community in enumerate(
        Area.objects.filter(level=Area.Level.COMMUNITY, code__startswith=district.code).order_by(
            "code"
        )
    ):
        desk = desks[community.code[:9]]
        blocks = list(community.children.filter(level=Area.Level.BLOCK).order_by("code"))
        for n in range(2):
            level = levels[(c_index + n) % 3]
            user = cadre_login if (community.code.startswith(demo_street.code) and c_index % 6 == 0 and n == 0
                                   and not hasattr(cadre_login, "cadre")) else _demo_user(
                f"cadre-{community.code[-6:]}-{n}", next(names))  # fmt: skip
            cadre = DeployedCadre.objects.create(
                user=user, district=district, level=level, unit=rng.choice(CADRE_UNITS[level])
            )
            counts["cadres"] += 1
            for block in rng.sample(blocks, k=min(len(blocks), rng.randint(1, 3))):
                services.cadre_link(
                    actor=desk, cadre=cadre, area=block, role=rng.choice(CadreLink.Role.values)
                )
            if community.code.startswith(demo_street.code):
                # Last month's and this month's visits (三级干部进区块: 认亲串门).
                for block in selectors.cadre_blocks(cadre=cadre):
                    # Some linked blocks wait for this month's visit: the coverage page shows them.
                    this_month = [rng.randint(0, today.day - 1)] if rng.random() < 0.7 else []
                    for back in [rng.randint(today.day, today.day + 25), *this_month]:
                        findings = [
                            {"description": d, "category_code": code, "building": b}
                            for d, code, b in rng.sample(FINDINGS, k=rng.choice((0, 1, 1, 2)))
                        ]
                        visit = services.visit_record(
                            actor=user, cadre=cadre, block=block,
                            visited_on=today - timedelta(days=back), households_visited=rng.randint(8, 30),
                            summary=rng.choice(SUMMARIES), findings=findings, now=now,
                        )  # fmt: skip
                        counts["visits"] += 1
                        governor = _actor(block.code, Posting.Role.GOVERNOR)
                        for finding in visit.findings.all()[:1]:
                            if (
                                governor
                                and finding.category_code in categories
                                and rng.random() < 0.6
                            ):
                                services.finding_to_case(
                                    actor=governor, finding_id=finding.pk,
                                    category=categories[finding.category_code], now=now,
                                )  # fmt: skip
                                counts["cases"] += 1

    # Household leaders (联户长) in the demo street's blocks, with a few matters.
    street_blocks = list(
        Area.objects.filter(level=Area.Level.BLOCK, code__startswith=demo_street.code).order_by(
            "code"
        )
    )
    for b_index, block in enumerate(street_blocks):
        governor = _actor(block.code, Posting.Role.GOVERNOR)
        if governor is None:
            continue
        for n in range(2):
            leader, _token = services.household_leader_create(
                actor=governor, block=block, name=next(names), phone=next(phones),
                households=rng.randint(12, 30), covers=f"{n * 2 + 1}–{n * 2 + 2}栋", now=now,
            )  # fmt: skip
            counts["leaders"] += 1
            if (b_index + n) % 3 == 0:
                matter = services.household_matter_report(
                    leader=leader, description=rng.choice(HOUSEHOLD_MATTERS), now=now
                )
                if b_index % 2 == 0 and "infra-streetlight" in categories:
                    services.household_matter_accept(
                        actor=governor, matter_id=matter.pk, category=categories["infra-streetlight"],
                        now=now,
                    )  # fmt: skip

    # 双报到 and 微心愿 in the demo street's communities; the "member" login is one of them.
    member_login = _demo_user("member", "王秀英", password)
    for c_index, community in enumerate(demo_street.children.order_by("code")):
        governor = _actor(community.children.order_by("code").first().code, Posting.Role.GOVERNOR)
        orgs = [
            services.organisation_register(
                actor=governor, community=community, name=name, contact_name=next(names), now=now
            )  # fmt: skip
            for name in rng.sample(ORGANISATIONS, k=3)
        ]
        members = []
        for m in range(6):
            members.append(services.member_register(
                actor=governor, community=community, name=member_login.full_name if (c_index, m) == (0, 0)
                else next(names), phone=next(phones), organisation=orgs[m % 3],
                user=member_login if (c_index, m) == (0, 0) else None, now=now,
            ))  # fmt: skip
        for w_index, (title, text) in enumerate(rng.sample(WISHES, k=5)):
            wish = services.wish_post(actor=governor, community=community, title=title, description=text,
                                      resident_name=next(names), resident_phone=next(phones), now=now)  # fmt: skip
            counts["wishes"] += 1
            if w_index == 0:
                continue  # waits for the community
            # The first member (the "member" login in the first community) has one assigned
            # and one taken; the others are spread.
            member = members[0] if w_index in (1, 2) else members[w_index % len(members)]
            services.wish_assign(actor=governor, wish_id=wish.pk, member_id=member.pk, now=now)
            if w_index >= 2:
                services.wish_take(actor=governor, wish_id=wish.pk, now=now)
            if w_index >= 3:
                services.wish_done(
                    actor=governor, wish_id=wish.pk, note="已上门办好，居民满意", now=now
                )

        # 五者同责: the five officials of each community of the demo street.
        department = departments.get(("zjj", "mzj", "cgzf", "wjj")[c_index % 4])
        services.joint_group_set(
            actor=desks[demo_street.code], community=community, now=now,
            members={
                position: {
                    "name": next(names),
                    "title": (f"{department.short_name}{JOINT_TITLES[position]}"
                              if position == "department_leader" and department else JOINT_TITLES[position]),
                    "department": department if position == "department_leader" else None,
                }
                for position in JOINT_TITLES
            },
        )  # fmt: skip

    # Last year's 双向评价 of the demo street's first community, both ways.
    first = demo_street.children.order_by("code").first()
    first_governor = _actor(first.children.order_by("code").first().code, Posting.Role.GOVERNOR)
    up, down = JointGroupEvaluation.Direction.UPWARD, JointGroupEvaluation.Direction.DOWNWARD
    for member in first.joint_group.members.all():
        services.joint_group_evaluate(actor=first_governor, member_id=member.pk, year=year - 1,
                                      direction=up, score=rng.randint(80, 98), now=now)  # fmt: skip
        services.joint_group_evaluate(actor=desks[demo_street.code], member_id=member.pk,
                                      year=year - 1, direction=down, score=rng.randint(75, 95),
                                      now=now)  # fmt: skip

    # This quarter's loop in the demo street: demand lists → problem list → service list.
    desk = desks[demo_street.code]
    for community in demo_street.children.order_by("code"):
        governor = _actor(community.children.order_by("code").first().code, Posting.Role.GOVERNOR)
        demand = services.demand_list_open(actor=governor, community=community, year=year, quarter=quarter,
                                           now=now)  # fmt: skip
        for case in Event.objects.filter(area_code__startswith=community.code).order_by(
            "-created_at"
        )[:2]:
            services.demand_item_add(actor=governor, demand_list_id=demand.pk, event=case, now=now)
        services.demand_item_add(actor=governor, demand_list_id=demand.pk, now=now,
                                 text=rng.choice(["缺少老年活动场地", "小区停车位不足", "希望增设快递柜"]))  # fmt: skip
        services.demand_list_submit(actor=governor, demand_list_id=demand.pk, now=now)
    plist = services.problem_list_open(
        actor=desk, street=demo_street, year=year, quarter=quarter, now=now
    )
    waiting = list(
        selectors.submitted_demand_items(problem_list=plist).values_list("pk", flat=True)
    )
    chunk = max(1, len(waiting) // len(PROBLEMS))
    problems = [
        services.problem_add(
            actor=desk,
            problem_list_id=plist.pk,
            title=title,
            description=text,
            demand_item_ids=waiting[i * chunk : (i + 1) * chunk],
            now=now,
        )  # fmt: skip
        for i, (title, text) in enumerate(PROBLEMS)
    ]
    services.problem_list_publish(actor=desk, problem_list_id=plist.pk, now=now)
    claims = [("jj", 0), ("xf", 1), ("cgzf", 2), ("mzj", 3)]
    items = []
    for code, p_index in claims:
        if code in officers:
            items.append(services.service_claim(
                actor=officers[code], problem_id=problems[p_index].pk, department=departments[code],
                responsible=officers[code], due_on=today + timedelta(days=45), now=now,
            ))  # fmt: skip
    if items:
        services.service_progress(
            actor=officers["jj"], item_id=items[0].pk, note="已排查可利用空地 3 处", now=now
        )
        services.service_done(actor=officers["cgzf"], item_id=items[2].pk, now=now,
                              result="更换路灯 26 盏，修复线路 2 处")  # fmt: skip

    # The year's livelihood ledger of every street; the demo street's is further along.
    ledger_items = []
    for street in streets:
        for l_index, (title, code) in enumerate(rng.sample(LEDGER, k=4)):
            item = services.ledger_enter(
                actor=desks[street.code], street=street, year=year, title=title,
                department=departments.get(code), target_on=date(year, 12, 31), now=now,
            )  # fmt: skip
            counts["ledger"] += 1
            if l_index >= 1:
                services.ledger_track(actor=desks[street.code], item_id=item.pk, progress=rng.choice((30, 60, 80)),
                                      note="按计划推进", public_note="按计划推进中", now=now)  # fmt: skip
            if l_index == 3:
                services.ledger_close(actor=desks[street.code], item_id=item.pk, now=now,
                                      evidence="竣工验收报告及现场照片已归档", public_note="已完成并通过验收")  # fmt: skip
            if street == demo_street:
                ledger_items.append(item)
    services.meeting_record(
        actor=desk, street=demo_street, held_on=today, now=now,
        title=f"{year}年第{quarter}季度街道大工委联席会议",
        attendees="街道党工委书记、各社区书记、区住建局、区城管局、区交警大队、区民政局、区消防救援大队",
        record="通报本季度需求清单和问题清单；各成员单位认领问题并明确责任人和完成时限；"
               "研究老旧小区加装电梯和停车难问题。",
        service_item_ids=[i.pk for i in items], ledger_item_ids=[i.pk for i in ledger_items[:2]],
    )  # fmt: skip
    counts["admissions"] = seed_admissions(
        district=district, street=demo_street, departments=departments, officers=officers, now=now
    )
    return counts


# Tasks departments pushed down to the demo street and its first community (准入): on the
# lists, not on them, and one with a basis the district admitted.
ADMISSIONS = [
    ("zjj", "street", ("cooperation", "房屋安全排查"), "老旧小区房屋安全隐患排查", ""),
    ("xf", "community", ("community_assist", "协助开展消防安全宣传和隐患排查"), "冬季消防安全入户宣传", ""),
    ("rsj", "community", ("community_assist", "协助开展就业失业登记和就业援助"), "零就业家庭摸底登记", ""),
    ("scjg", "street", None, "辖区企业年报催报", ""),
    ("cgzf", "community", ("community_negative", "行政执法事项（罚款、强制拆除等）"), "协助拆除违章搭建", ""),
    ("mzj", "street", None, "第五次全国经济普查入户登记", "国务院第五次全国经济普查部署"),
    ("wjj", "community", None, "居民健康档案电子化补录", "省卫健委文件要求"),
]  # fmt: skip


def seed_admissions(*, district: Area, street: Area, departments: dict, officers: dict, now) -> int:
    """Through the service a department uses, so the demo's rows obey its rules."""
    community = street.children.filter(level=Area.Level.COMMUNITY).order_by("code").first()
    admin = _actor(district.code, Posting.Role.ADMINISTRATOR)
    items = {
        (i.kind, i.matter): i for i in StreetDutyItem.objects.filter(district=district)
    }  # fmt: skip
    made = 0
    for index, (code, to, item, matter, basis) in enumerate(ADMISSIONS):
        if code not in officers:
            continue
        admission = admissions.task_admission_submit(
            actor=officers[code], department_id=departments[code].pk,
            area_id=(street if to == "street" else community).pk, matter=matter,
            list_item_id=items[item].pk if item else None, basis=basis,
            due=timezone.localdate(now) + timedelta(days=30), now=now - timedelta(days=index),
        )  # fmt: skip
        made += 1
        if basis and admin is not None and index == 5:
            admissions.task_admission_decide(
                actor=admin, admission_id=admission.pk, approve=True, now=now,
                note="属中央统一部署，准予交办",
            )  # fmt: skip
    return made
