"""Demo data of a district shaped like 雨湖区, and the demo logins. Idempotent."""

from __future__ import annotations

import os
import random
import secrets
import time

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand
from django.db import connection, transaction
from django.utils import timezone

from blocks.models import Area, Department, DepartmentMember, Posting
from blocks.services import posting_create
from demo.bulk import generate_events
from demo.cases import seed_events
from demo.links import seed_liaison, seed_links
from demo.roles import seed_roles
from demo.territory import seed_block_teams, seed_compounds, seed_territory

# username → (full name, role, which area: "district" / "street" / "block")
DEMO_ACCOUNTS = {
    "admin": ("系统管理员", Posting.Role.ADMINISTRATOR, "district"),
    "leader": ("区领导", Posting.Role.LEADER, "district"),
    "streetadmin": ("街道管理员", Posting.Role.STREET_ADMIN, "street"),
    "dispatcher": ("街道派单员", Posting.Role.DISPATCHER, "street"),
    # The district's command centre, which takes what streets whistle up (街呼区应).
    "districtdesk": ("区指挥中心派单员", Posting.Role.DISPATCHER, "district"),
    "governor": ("区块治理员", Posting.Role.GOVERNOR, "block"),
    "supervisor": ("区块监督员", Posting.Role.SUPERVISOR, "block"),
    # Department officers (not a roster role: a department membership, see DEPARTMENT_OF):
    # 城管执法 leads most dispatched cases; 市场监管 cooperates on street vending (issue 18).
    "officer": ("城管执法队员", None, "district"),
    "officer2": ("市场监管执法员", None, "district"),
}
# The department of each demo officer (demo/links.py DEPARTMENTS).
DEPARTMENT_OF = {"officer": "cgzf", "officer2": "scjg"}
PASSWORD_FILE = settings.VAR_DIR / "demo-password.txt"


def demo_password() -> tuple[str, bool]:
    """DEMO_PASSWORD, or the one generated on the first run (kept under var/)."""
    given = os.environ.get("DEMO_PASSWORD")
    if given:
        return given, True
    if PASSWORD_FILE.exists():
        return PASSWORD_FILE.read_text().strip(), False
    password = "Demo-" + secrets.token_urlsafe(9)
    PASSWORD_FILE.parent.mkdir(parents=True, exist_ok=True)
    PASSWORD_FILE.write_text(password + "\n")
    return password, True


def demo_areas(district: Area) -> dict[str, Area]:
    """Where the demo logins work: the district, its first street, that street's first block."""
    street = district.children.filter(name__endswith="街道").order_by("code").first()
    block = Area.objects.filter(level=Area.Level.BLOCK, code__startswith=street.code).order_by(
        "code"
    )[0]
    return {"district": district, "street": street, "block": block}


def logins(*, district: Area, password: str) -> str:
    """The demo logins, as `seed_demo` prints them and `demo_banner` prints them again once
    web, worker and beat are up (`make run`)."""
    areas = demo_areas(district)
    departments = dict(Department.objects.filter(district=district).values_list("code", "name"))
    rows = [f"Demo accounts (password: {password}):"]
    for username, (full_name, role, where) in DEMO_ACCOUNTS.items():
        place = areas[where].name if role else departments[DEPARTMENT_OF[username]]
        rows.append(f"  {username:<12} {full_name}  {place}")
    rows.append("  cadre        刘建国  下沉干部 (links: my visits)")
    rows.append("  member       王秀英  双报到党员 (links: my wishes)")
    rows.append("  commissioner 社区专员  白石社区 (reads its cases, hears of its overdue)")
    rows.append("  police       三官一律民警  白石社区 blocks 1-4 (reads, is called)")
    rows.append("  official     五者同责  白石社区's stationed cadre (reads, rates)")
    return "\n".join(rows)


class Command(BaseCommand):
    help = "Create the demo district (雨湖区-shaped), its block teams and the demo logins."

    def add_arguments(self, parser):
        parser.add_argument(
            "--events", type=int, default=0,
            help="Also generate this many cases over the last year (bulk, for scale: 10000000 "
                 "took 51 minutes on two cores busy with other work).",
        )  # fmt: skip

    def handle(self, *args, **options):
        rng = random.Random(430302)
        district = seed_territory(rng=rng)
        postings = seed_block_teams(district=district, rng=rng)
        seed_compounds(district=district)
        postings += self._street_desks(district)
        seed_liaison(district=district)
        areas = demo_areas(district)
        password, reset = demo_password()
        with transaction.atomic():
            for username, (full_name, role, where) in DEMO_ACCOUNTS.items():
                self._account(username, full_name, role, areas[where], password, reset)
        cases = seed_events(district=district, rng=rng)
        links = seed_links(district=district, rng=rng, password=password if reset else None)
        # Grid levels, legal team, 社区专员, first secretaries, the five with accounts (issue 20).
        roles = seed_roles(district=district, password=password if reset else None)
        if options["events"]:
            started = time.monotonic()
            made = generate_events(district=district, count=options["events"], rng=rng)
            seconds = time.monotonic() - started
            self.stdout.write(
                f"Generated {made} cases in {seconds:.0f} s ({made / max(seconds, 1e-3):.0f} a second)."
            )
        blocks = Area.objects.filter(level=Area.Level.BLOCK, code__startswith=district.code)
        self.stdout.write(
            f"District {district.name} ({district.code}): "
            f"{district.children.count()} streets, "
            f"{Area.objects.filter(level=Area.Level.COMMUNITY, code__startswith=district.code).count()}"
            f" communities, {blocks.count()} blocks; {postings + roles} new postings, {cases} new"
            " cases."
        )
        if links:
            self.stdout.write(
                "Links between levels: " + ", ".join(f"{k} {v}" for k, v in links.items())
            )
        if connection.vendor == "postgresql":
            # Fresh statistics after a bulk load, as autovacuum would take a while to gather
            # (or never, where it is off): without them the planner picks poor indexes.
            with connection.cursor() as cursor:
                cursor.execute("ANALYZE")
        self.stdout.write(logins(district=district, password=password))

    def _street_desks(self, district: Area) -> int:
        """Each street's desk (快速处置平台) gets a dispatcher, so whistles reach someone."""
        User = get_user_model()
        created = 0
        for street in district.children.order_by("code"):
            if Posting.objects.filter(
                area=street, role=Posting.Role.DISPATCHER, ended_on__isnull=True
            ).exists():
                continue
            user = User(username=f"desk-{street.code}", full_name=f"{street.name}派单员")
            user.set_unusable_password()
            user.save()
            posting_create(actor=None, user=user, area=street, role=Posting.Role.DISPATCHER)
            created += 1
        return created

    def _account(self, username, full_name, role, area, password, reset) -> None:
        User = get_user_model()
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"full_name": full_name, "phone": "13900000000"},
        )
        if created or reset:
            user.set_password(password)
            # A demo password is known to everyone who saw the demo: where it counts
            # (production), it is an initial password, changed at the first login.
            user.must_change_password = settings.PRODUCTION
        if username == "admin":
            user.is_staff = user.is_superuser = True
        user.save()
        if role is None:
            department = Department.objects.get(district=area, code=DEPARTMENT_OF[username])
            DepartmentMember.objects.get_or_create(
                department=department, user=user, ended_on=None,
                defaults={"role": DepartmentMember.Role.OFFICER},
            )  # fmt: skip
            return
        if role in (Posting.Role.GOVERNOR, Posting.Role.SUPERVISOR):
            # The demo login takes over the block's generated governor/supervisor posting.
            Posting.objects.filter(area=area, role=role, ended_on__isnull=True).exclude(
                user=user
            ).update(ended_on=timezone.localdate())
        Posting.objects.get_or_create(
            user=user, area=area, role=role, ended_on=None, defaults={"assistant_kind": ""}
        )
