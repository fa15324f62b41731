"""Roles in the block in the demo street (issue 20): the grid's levels (seed 002), a legal
team on the first blocks (三官一律, seeds 002, 004), a 社区专员 for each community (seed
001), first secretaries from paired departments on two communities (seed 004), and the
five officials of the first community linked to accounts (五者同责, seed 004).

Posted through ``blocks.services.posting_create`` and ``liaison.services.joint_group_set``,
so the demo obeys the rules; deterministic, and skipped where the district has them.

Demo logins (with the demo password): ``commissioner`` (社区专员 of the first community),
``police`` (the legal team's police officer of the first blocks) and ``official`` (the
stationed cadre among the first community's five officials).
"""

from __future__ import annotations

import random

from blocks.models import Area, Department, Posting
from blocks.services import posting_create
from demo.links import _demo_user
from demo.territory import person_names, phone_numbers
from liaison import services as liaison_services
from liaison.models import JointGroup

Role = Posting.Role
LEGAL_BLOCKS = 4  # the first blocks of the demo street share one legal team
PAIRED = ("zjj", "mzj")  # 住建 and 民政 pair with the first two communities


def seed_roles(*, district: Area, password: str | None = None) -> int:
    """Returns the postings created (0 when the district has them already)."""
    if Posting.objects.filter(area__code__startswith=district.code, role=Role.GRID_HEAD).exists():
        return 0
    rng = random.Random(20)
    names, phones = person_names(rng), phone_numbers(rng)
    street = district.children.filter(name__endswith="街道").order_by("code").first()
    communities = list(street.children.filter(level=Area.Level.COMMUNITY).order_by("code"))
    departments = {d.code: d for d in Department.objects.filter(district=district)}
    made = 0

    def person(username: str, login: bool = False, full_name: str = ""):
        user = _demo_user(username, full_name or next(names), password if login else None)
        if not user.phone:
            user.phone = next(phones)
            user.save(update_fields=["phone"])
        return user

    def post(user, area: Area, role: str, **extra) -> None:
        nonlocal made
        posting_create(actor=None, user=user, area=area, role=role, **extra)
        made += 1

    # The legal team: one police officer, prosecutor, judge and lawyer for the first blocks.
    legal = {
        kind: person("police" if kind == "police" else f"legal-{kind}", login=kind == "police")
        for kind in Posting.LegalKind.values
    }
    first_blocks = Area.objects.filter(
        level=Area.Level.BLOCK, code__startswith=street.code
    ).order_by("code")[:LEGAL_BLOCKS]
    for block in first_blocks:
        for kind, user in legal.items():
            post(user, block, Role.LEGAL, legal_kind=kind)

    for index, community in enumerate(communities):
        suffix = community.code[-6:]
        post(person(f"grid-{suffix}"), community, Role.GRID_HEAD)
        commissioner = person("commissioner" if index == 0 else f"commissioner-{suffix}",
                              login=index == 0)  # fmt: skip
        post(commissioner, community, Role.COMMUNITY_COMMISSIONER)
        if index < len(PAIRED) and PAIRED[index] in departments:
            post(person(f"secretary-{suffix}"), community, Role.FIRST_SECRETARY,
                 pairing=departments[PAIRED[index]])  # fmt: skip
        # Each block: a compound grid head and a building grid worker (小区网格长, 楼栋网格员).
        for block in community.children.filter(level=Area.Level.BLOCK).order_by("code"):
            post(person(f"compound-{block.code[-9:]}"), block, Role.COMPOUND_HEAD)
            post(person(f"building-{block.code[-9:]}"), block, Role.BUILDING_WORKER)

    # The five officials of the first community get accounts (the stationed cadre a login).
    group = JointGroup.objects.filter(community=communities[0]).first()
    if group is not None:
        desk = (
            Posting.objects.filter(area=street, role=Role.DISPATCHER, ended_on__isnull=True)
            .order_by("pk")
            .first()
        )
        members = {
            m.position: {
                "name": m.name, "title": m.title, "department": m.department,
                "user": person("official" if m.position == "stationed_cadre"
                               else f"official-{m.position}", login=m.position == "stationed_cadre",
                               full_name=m.name),
            }
            for m in group.members.all()
        }  # fmt: skip
        liaison_services.joint_group_set(
            actor=desk.user if desk else None, community=communities[0], members=members
        )
    return made
