"""The default category tree a street office recognises (two levels, ~40 matters), with
each matter's default colour (分色治理, seed 002). Loaded by a data migration; editable in admin.
"""

# (code, name, default colour, [(code, name, colour, keywords), …])
DEFAULT_CATEGORIES = [
    ("city", "市容环境", "yellow", [
        ("city-street-vending", "占道经营", "yellow", "摆摊 流动摊贩 出店经营"),
        ("city-garbage", "垃圾清运", "yellow", "垃圾 堆放 清运 异味"),
        ("city-illegal-ads", "乱贴乱画", "green", "小广告 牛皮癣 涂鸦"),
        ("city-illegal-building", "违章搭建", "orange", "违建 私搭乱建 加层"),
        ("city-parking", "乱停乱放", "green", "车辆 停放 共享单车 堵门"),
        ("city-greenery", "绿化损毁", "green", "毁绿 种菜 树木"),
        ("city-stray-animals", "流浪动物", "green", "流浪狗 流浪猫 犬只"),
    ]),
    ("infra", "基础设施", "orange", [
        ("infra-road", "道路破损", "orange", "坑洼 路面 人行道"),
        ("infra-streetlight", "路灯故障", "yellow", "路灯 不亮 照明"),
        ("infra-manhole", "井盖缺失", "red", "井盖 破损 下水道"),
        ("infra-drainage", "排水不畅", "orange", "积水 下水道 堵塞 内涝"),
        ("infra-water-supply", "供水问题", "orange", "停水 水压 水质"),
        ("infra-power", "供电问题", "orange", "停电 电线 电表"),
        ("infra-gas", "燃气问题", "red", "燃气 漏气 天然气"),
        ("infra-elevator", "电梯故障", "orange", "电梯 困人 加装电梯"),
        # 供热 joins the utilities of the 12345 standard (DB11/T 2021-2022; issue 17).
        ("infra-heating", "供热问题", "orange", "暖气 供暖 不热 停暖"),
    ]),
    ("safety", "安全隐患", "red", [
        ("safety-electric", "用电安全", "red", "私拉电线 飞线充电 电动车"),
        ("safety-fire", "消防安全", "red", "消防通道 堵塞 灭火器"),
        ("safety-building", "房屋安全", "red", "危房 裂缝 高空坠物"),
        ("safety-food", "食品安全", "orange", "过期 小作坊 餐馆"),
        ("safety-traffic", "交通安全", "orange", "红绿灯 减速带 学校门口"),
        ("safety-gas-cylinder", "液化气使用", "red", "液化气罐 钢瓶"),
    ]),
    ("dispute", "矛盾纠纷", "yellow", [
        ("dispute-neighbour", "邻里纠纷", "yellow", "邻居 吵架 漏水 噪音"),
        ("dispute-family", "家庭纠纷", "yellow", "婚姻 赡养 家暴"),
        ("dispute-property", "物业纠纷", "yellow", "物业费 物业服务 业委会"),
        ("dispute-labour", "劳资纠纷", "orange", "欠薪 工资 农民工"),
        ("dispute-land", "土地房屋纠纷", "orange", "宅基地 房屋 拆迁"),
    ]),
    ("env", "生态环境", "yellow", [
        ("env-noise", "噪音扰民", "yellow", "噪音 广场舞 施工 夜间"),
        ("env-fumes", "油烟污染", "yellow", "油烟 烧烤 餐馆"),
        ("env-water", "水体污染", "orange", "河道 污水 排污"),
        ("env-burning", "露天焚烧", "orange", "焚烧 秸秆 垃圾"),
    ]),
    ("service", "民生服务", "green", [
        ("service-social-security", "社保医保", "green", "医保缴费 社保 养老保险"),
        ("service-assistance", "低保救助", "yellow", "低保 困难 救助 临时救助"),
        ("service-elderly", "养老服务", "yellow", "独居老人 助餐 居家养老"),
        ("service-disabled", "残疾人服务", "yellow", "残疾 轮椅 无障碍"),
        ("service-certificates", "证明办理", "green", "居住证明 户籍 帮代办"),
        ("service-employment", "就业创业", "green", "就业 培训 创业"),
    ]),
    ("order", "社会治安", "orange", [
        ("order-public", "治安问题", "orange", "偷盗 打架 可疑人员"),
        ("order-fraud", "电信诈骗", "orange", "诈骗 反诈"),
        ("order-rental", "出租房管理", "yellow", "出租屋 群租 流动人口"),
    ]),
    ("other", "其他", "green", [
        ("other-advice", "意见建议", "green", "建议 意见"),
        ("other-misc", "其他事项", "green", ""),
    ]),
]  # fmt: skip


# The catalogue of assisted services (帮代办, GLOSSARY ``assisted_service``): 雨湖's "街社一体"
# service centre does 16 high-frequency matters on residents' behalf, 医保缴费 and 低保申请
# among them, within a 15-minute service circle (seed 000); 霞浦 residents book a service
# from their phone (预约服务, seed 002). Each is a matter of the group "assist" with the
# block's time limit to get it done, in working days (its resolve clock, both policy sets;
# ``events.deadlines.default_policy_rows``): (code, name, working days, description).
ASSISTED_GROUP = ("assist", "帮代办服务", "green")
ASSISTED_SERVICES = [
    ("assist-medical-insurance-payment", "医保缴费", 1, "城乡居民医保参保缴费代缴，请备好身份证、缴费金额"),
    ("assist-subsistence-allowance", "低保申请", 3, "代为准备并递交低保申请材料，协助入户核查"),
    ("assist-social-security-card", "社保卡办理", 3, "社保卡申领、补换、激活，代领代送"),
    ("assist-medical-reimbursement", "医保报销代办", 3, "门诊慢特病、住院费用报销材料代办"),
    ("assist-elderly-card", "老年证办理", 2, "60周岁以上老人优待证办理，代拍照、代递交"),
    ("assist-disability-card", "残疾证代办", 3, "残疾证申领、换领，预约评残"),
    ("assist-residence-permit", "居住证代办", 3, "流动人口居住登记、居住证申领和签注"),
    ("assist-pension-certification", "养老金资格认证", 1, "行动不便老人上门认证领取养老金资格"),
    ("assist-old-age-allowance", "高龄津贴申领", 2, "80周岁以上老人高龄津贴申领"),
    ("assist-temporary-assistance", "临时救助申请", 2, "遭遇急难的家庭申请临时救助"),
    ("assist-pension-enrolment", "城乡居民养老保险参保", 2, "城乡居民基本养老保险参保登记和缴费"),
    ("assist-unemployment-registration", "就业失业登记", 1, "就业失业登记、就业创业证办理"),
    ("assist-birth-registration", "生育登记", 1, "生育服务登记代办"),
    ("assist-residence-certificate", "居住证明开具", 1, "居住、家庭关系等证明材料开具"),
    ("assist-veteran-card", "退役军人优待证", 3, "退役军人优待证申领代办"),
    ("assist-utility-payment", "水电气缴费代办", 1, "为老人、残疾人代缴水费、电费、燃气费"),
]  # fmt: skip


def load_assisted_services(Category) -> int:
    """Create the catalogue of assisted services where missing (``Category`` may be a
    migration's model); a service an administrator changed is kept."""
    code, name, colour = ASSISTED_GROUP
    order = len(DEFAULT_CATEGORIES)
    group, created = Category.objects.get_or_create(
        code=code,
        defaults={"name": name, "default_priority": colour, "sort_order": order,
                  "kind": "assisted_service"},
    )  # fmt: skip
    for child_order, (child_code, child_name, _days, description) in enumerate(ASSISTED_SERVICES):
        _child, was_created = Category.objects.get_or_create(
            code=child_code,
            defaults={
                "name": child_name,
                "parent": group,
                "default_priority": colour,
                "kind": "assisted_service",
                "description": description,
                "keywords": f"帮代办 预约 {child_name}",
                "sort_order": child_order,
            },
        )
        created += was_created
    return created


def load_default_categories(Category) -> int:
    """Create the default tree where missing (``Category`` may be a migration's model)."""
    created = 0
    for order, (code, name, colour, children) in enumerate(DEFAULT_CATEGORIES):
        parent, was_created = Category.objects.get_or_create(
            code=code, defaults={"name": name, "default_priority": colour, "sort_order": order}
        )
        created += was_created
        for child_order, (child_code, child_name, child_colour, keywords) in enumerate(children):
            _child, was_created = Category.objects.get_or_create(
                code=child_code,
                defaults={
                    "name": child_name,
                    "parent": parent,
                    "default_priority": child_colour,
                    "keywords": keywords,
                    "sort_order": child_order,
                },
            )
            created += was_created
    if any(field.name == "kind" for field in Category._meta.get_fields()):
        created += load_assisted_services(Category)  # a migration's model may predate it
    return created


def category_catalogue() -> dict[str, str]:
    """Code → full name of every active category (the duty-list import checks codes here)."""
    from events.models import Category

    return {
        category.code: str(category)
        for category in Category.objects.filter(is_active=True).select_related("parent")
    }
