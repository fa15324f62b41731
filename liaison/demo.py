"""Demo departments of the district, its 属地管理事项清单 (~80 items, in the manner of seed
001's 81-item list) and the street's own / cooperation lists (seed 000: 35 and 21 items)."""

from __future__ import annotations

from django.contrib.auth import get_user_model

from blocks.models import Area
from liaison.models import Department, DepartmentMember, DutyItem, StreetDutyItem

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
    if not StreetDutyItem.objects.filter(district=district).exists():
        # The street handles small matters itself: these categories are on its own list.
        own_codes = {"群众诉求首接办理": "other-misc", "困难群众走访": "service-elderly"}
        for kind, names in (
            (StreetDutyItem.Kind.OWN, STREET_OWN),
            (StreetDutyItem.Kind.COOPERATION, STREET_COOPERATION),
        ):
            StreetDutyItem.objects.bulk_create(
                StreetDutyItem(
                    district=district,
                    kind=kind,
                    number=n,
                    matter=name,
                    category_code=own_codes.get(name, "")
                    if kind == StreetDutyItem.Kind.OWN
                    else "",
                )  # fmt: skip
                for n, name in enumerate(names, start=1)
            )
            created += len(names)
    return created
