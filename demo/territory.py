"""Demo territory shaped like 雨湖区 (seed 000): 8 streets, 42 communities, 326 blocks of
about 350 households, each with its 1+N+1 team (326 governors, ~2,373 assistants, 326
supervisors). Deterministic (a fixed random seed), so every demo looks the same.

The boundaries are a generated tiling of a district outline (``demo.geometry``): streets
as contiguous regions, each cut into its communities, each community into its blocks — no
gaps and no overlaps, so the 插花地带 check of the admin finds nothing.
"""

from __future__ import annotations

import random
from collections.abc import Iterator

from django.contrib.auth import get_user_model
from django.db import transaction
from django.db.models import Exists, OuterRef

from blocks import geo
from blocks.divisions import child_divisions
from blocks.models import Area, Posting
from blocks.services import import_divisions
from demo import geometry

DISTRICT_CODE = "430302"  # 湘潭市雨湖区 (GB/T 2260)
STREET_COUNT = 8
COMMUNITY_COUNT = 42
BLOCK_COUNT = 326
ASSISTANT_COUNT = 2373
# The district's bounding box (lon/lat): the old town on the Xiang river (its outline is
# demo.geometry.OUTLINE).
WEST, EAST, SOUTH, NORTH = 112.86, 112.96, 27.84, 27.92

COMMUNITY_WORDS = [
    "白石",
    "和平",
    "雨湖",
    "城正",
    "窑湾",
    "广场",
    "先锋",
    "万楼",
    "昭潭",
    "云塘",
    "韶山",
    "建设",
    "胜利",
    "人民",
    "友谊",
    "新华",
    "东方",
    "春光",
    "光明",
    "长乐",
    "金桥",
    "滨江",
    "杨柳",
    "十八总",
    "唐兴",
    "宝塔",
    "莲城",
    "湖心",
    "江麓",
    "立新",
    "朝阳",
    "前进",
    "中山",
    "青山",
    "绿洲",
    "梅园",
    "桂花",
    "荷塘",
    "书院",
    "文昌",
    "鹤岭",
    "红旗",
    "望衡",
    "状元",
]
SURNAMES = "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦付方白邹孟熊秦邱江尹薛闫段雷侯龙史黎贺顾毛郝龚邵万钱严覃武戴莫孔向汤"
GIVEN = "伟芳娜敏静丽强磊军洋勇艳杰娟涛明超秀霞平刚桂英华玉兰萍红建国志文斌辉鹏飞宇浩凯云林海燕丹琳婷雪梅晓东春晖瑶"
ASSISTANT_KINDS = [
    Posting.AssistantKind.LIAISON_CADRE,
    Posting.AssistantKind.PARTY_GROUP_LEADER,
    Posting.AssistantKind.OWNERS_COMMITTEE,
    Posting.AssistantKind.RESIDENT_REP,
    Posting.AssistantKind.RESIDENT_REP,
    Posting.AssistantKind.OTHER,
]


def _spread(total: int, parts: int) -> list[int]:
    """``total`` split into ``parts`` near-equal whole numbers, larger ones first."""
    base, extra = divmod(total, parts)
    return [base + (1 if i < extra else 0) for i in range(parts)]


def person_names(rng: random.Random) -> Iterator[str]:
    while True:
        yield rng.choice(SURNAMES) + "".join(rng.choice(GIVEN) for _ in range(rng.choice((1, 2))))


def phone_numbers(rng: random.Random) -> Iterator[str]:
    seen: set[str] = set()
    while True:
        number = rng.choice(["138", "139", "137", "150", "151", "186", "187", "199"]) + "".join(
            rng.choice("0123456789") for _ in range(8)
        )
        if number not in seen:
            seen.add(number)
            yield number


@transaction.atomic
def seed_territory(*, rng: random.Random) -> Area:
    """Create the district, its streets, communities and blocks with boundaries. Idempotent:
    an existing demo area keeps its row and gets the generated boundary (an older demo's
    sliver blocks are redrawn as tiles)."""
    # The block reform covered the 8 urban sub-districts (街道), not the towns (seed 000).
    street_codes = [d.code for d in child_divisions(DISTRICT_CODE) if d.name.endswith("街道")]
    district, _created = import_divisions(
        district_code=DISTRICT_CODE, street_codes=street_codes[:STREET_COUNT]
    )
    streets = list(district.children.order_by("code"))
    # The land has its own random numbers: the teams and cases drawn from ``rng`` after
    # this stay the same whatever the geometry does.
    land = random.Random(f"{DISTRICT_CODE}-land")
    outline = geometry.outline()
    redrawn: list[Area] = []

    def draw(area: Area, shape) -> Area:
        boundary = geometry.geojson(shape)
        if area.boundary != boundary:
            area.boundary = boundary
            area.centre_lat, area.centre_lon = geometry.centre(shape)
            redrawn.append(area)
        return area

    draw(district, outline)
    community_counts = _spread(COMMUNITY_COUNT, len(streets))
    block_counts = iter(_spread(BLOCK_COUNT, COMMUNITY_COUNT))
    words = iter(COMMUNITY_WORDS)
    street_shapes = geometry.split(outline, len(streets), land)
    for s_index, (street, street_shape) in enumerate(zip(streets, street_shapes, strict=True)):
        draw(street, street_shape)
        community_shapes = geometry.split(street_shape, community_counts[s_index], land)
        for c_index, community_shape in enumerate(community_shapes):
            community, _ = Area.objects.get_or_create(
                code=f"{street.code}{c_index + 1:03d}",
                defaults={
                    "name": f"{next(words)}社区",
                    "level": Area.Level.COMMUNITY,
                    "parent": street,
                },
            )
            draw(community, community_shape)
            block_shapes = geometry.split(community_shape, next(block_counts), land)
            existing = {b.code: b for b in community.children.all()}
            new_blocks = []
            for b_index, block_shape in enumerate(block_shapes):
                code = f"{community.code}{b_index + 1:03d}"
                if code in existing:
                    draw(existing[code], block_shape)
                    continue
                lat, lon = geometry.centre(block_shape)
                new_blocks.append(
                    Area(
                        code=code,
                        name=f"{community.name}第{b_index + 1}区块",
                        level=Area.Level.BLOCK,
                        parent=community,
                        households=rng.randint(300, 400),
                        boundary=geometry.geojson(block_shape),
                        centre_lat=lat,
                        centre_lon=lon,
                    )
                )
            Area.objects.bulk_create(new_blocks)
    for area in redrawn:
        # save(): the boundary index of blocks.geo is told a block changed.
        area.save(update_fields=["boundary", "centre_lat", "centre_lon", "updated_at"])
    return district


@transaction.atomic
def seed_block_teams(*, district: Area, rng: random.Random) -> int:
    """Give every block without a team its 1+N+1: one governor, N assistants, one supervisor.

    Staff accounts get no usable password (they are demo rows, not demo logins). Liaison
    cadres serve two neighbouring blocks (多格一员, seed 001). Returns postings created.
    """
    User = get_user_model()
    blocks = list(
        Area.objects.filter(level=Area.Level.BLOCK, code__startswith=district.code)
        .exclude(Exists(Posting.objects.filter(area=OuterRef("pk"), ended_on__isnull=True)))
        .order_by("code")
    )
    if not blocks:
        return 0
    names, phones = person_names(rng), phone_numbers(rng)
    assistants_per_block = _spread(ASSISTANT_COUNT, BLOCK_COUNT)
    users: list = []
    plan: list[tuple[int, Area, str, str]] = []  # (user index, block, role, kind)

    def new_user(prefix: str) -> int:
        users.append(
            User(
                username=f"{prefix}{len(users):05d}-{blocks[0].code[-6:]}",
                full_name=next(names),
                phone=next(phones),
            )
        )
        users[-1].set_unusable_password()
        return len(users) - 1

    shared_cadre: int | None = None
    for index, block in enumerate(blocks):
        plan.append((new_user("gov"), block, Posting.Role.GOVERNOR, ""))
        plan.append((new_user("sup"), block, Posting.Role.SUPERVISOR, ""))
        for a in range(assistants_per_block[index % BLOCK_COUNT]):
            kind = ASSISTANT_KINDS[a % len(ASSISTANT_KINDS)]
            if a == 0 and index % 2 == 1 and shared_cadre is not None:
                plan.append((shared_cadre, block, Posting.Role.ASSISTANT, kind))
                continue
            user_index = new_user("ast")
            if a == 0:
                shared_cadre = user_index
            plan.append((user_index, block, Posting.Role.ASSISTANT, kind))
    created_users = User.objects.bulk_create(users, batch_size=500)
    Posting.objects.bulk_create(
        [
            Posting(user=created_users[u], area=block, role=role, assistant_kind=kind)
            for u, block, role, kind in plan
        ],
        batch_size=1000,
    )
    return len(plan)


# 三基三元 (seed 003) and 霞浦's three-level grid (seed 002): the demo governor's block has its
# compounds (小区, 18-digit codes) and buildings (楼栋, 21 digits) mapped, so a point there is
# placed in its building and a case may name it.
COMPOUNDS = {"桃园小区": ("1栋", "2栋", "3栋"), "雨湖花园": ("A栋", "B栋")}


def seed_compounds(*, district: Area) -> int:
    """The compounds and buildings of the district's first block; skips a block that has
    them. Returns the areas created."""
    block = (
        Area.objects.filter(level=Area.Level.BLOCK, code__startswith=district.code)
        .order_by("code")
        .first()
    )
    if block is None or not block.boundary or block.children.exists():
        return 0
    land = random.Random(f"{block.code}-compounds")
    made = 0
    compound_shapes = geometry.split(geo.geometry(block.boundary), len(COMPOUNDS), land)
    for c_index, (shape, (name, buildings)) in enumerate(
        zip(compound_shapes, COMPOUNDS.items(), strict=True)
    ):
        compound = _mapped_area(f"{block.code}{c_index + 1:03d}", name, block, shape)
        made += 1
        for b_index, (cell, building) in enumerate(
            zip(geometry.split(shape, len(buildings), land), buildings, strict=True)
        ):
            footprint = cell.buffer(-0.0003)  # a building, not its whole plot
            footprint = footprint if not footprint.is_empty else cell
            _mapped_area(
                f"{compound.code}{b_index + 1:03d}", f"{name}{building}", compound, footprint
            )
            made += 1
    return made


def _mapped_area(code: str, name: str, parent: Area, shape) -> Area:
    lat, lon = geometry.centre(shape)
    level = {18: Area.Level.COMPOUND, 21: Area.Level.BUILDING}[len(code)]
    return Area.objects.create(
        code=code, name=name, level=level, parent=parent, boundary=geometry.geojson(shape),
        centre_lat=lat, centre_lon=lon,
    )  # fmt: skip
