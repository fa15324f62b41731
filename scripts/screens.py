"""Each role's first screen, for the README (issue 18).

Logs in as every demo account against a running demo and saves the page it lands on, at a
phone's 375×812 and a desk's 1440×900 (the viewport, not the whole page), as
docs/screens/<role>-375.png and docs/screens/<role>-1440.png, reduced to 256 colours when
large. Uses Debian's Chromium (/usr/bin/chromium) through Playwright; downloads nothing.

    make run                                  # or: manage.py runserver on a seeded demo DB
    DEMO_PASSWORD=… .venv/bin/python scripts/screens.py [--base http://127.0.0.1:8000]

The password is DEMO_PASSWORD, else var/demo-password.txt (what ``make run`` generated).
Prints each role's landing URL, one line per role.
"""

from __future__ import annotations

import argparse
import io
import os
import sys
from pathlib import Path

from PIL import Image
from playwright.sync_api import sync_playwright

ROOT = Path(__file__).resolve().parents[1]
OUT = ROOT / "docs" / "screens"
CHROMIUM = "/usr/bin/chromium"
ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
ROLES = (
    "admin", "leader", "streetadmin", "dispatcher", "districtdesk", "governor", "supervisor",
    "officer", "officer2", "cadre", "member",
)  # fmt: skip
SIZES = {"375": {"width": 375, "height": 812}, "1440": {"width": 1440, "height": 900}}
LIMIT = 150_000  # bytes: above this a screenshot is reduced to 256 colours


def password() -> str:
    if os.environ.get("DEMO_PASSWORD"):
        return os.environ["DEMO_PASSWORD"]
    kept = Path(os.environ.get("VAR_DIR", ROOT / "var")) / "demo-password.txt"
    if kept.exists():
        return kept.read_text().strip()
    sys.exit("No password: set DEMO_PASSWORD or run `make run` once (var/demo-password.txt).")


def save(png: bytes, path: Path) -> int:
    """Write ``png``, reduced to 256 colours if it is over LIMIT; returns its size."""
    if len(png) > LIMIT:
        image = Image.open(io.BytesIO(png)).convert("RGB")
        reduced = image.quantize(colors=256, method=Image.Quantize.MEDIANCUT, dither=0)
        buffer = io.BytesIO()
        reduced.save(buffer, format="PNG", optimize=True)
        png = buffer.getvalue()
    path.write_bytes(png)
    return len(png)


def shoot(browser, base: str, role: str, secret: str) -> str:
    """Both screenshots of ``role``'s landing page; returns its path."""
    landed = ""
    for name, viewport in SIZES.items():
        phone = name == "375"
        context = browser.new_context(
            viewport=viewport, locale="zh-CN", is_mobile=phone, has_touch=phone,
            device_scale_factor=1,
        )  # fmt: skip
        page = context.new_page()
        page.set_default_timeout(30_000)
        page.goto(f"{base}/login/")
        page.locator("input[name=username]").fill(role)
        page.locator("input[name=password]").fill(secret)
        page.locator("form button[type=submit]").click()
        page.wait_for_load_state("networkidle")
        if "/login/" in page.url:
            context.close()
            sys.exit(f"{role}: login failed (is the demo seeded with this password?)")
        landed = page.url.removeprefix(base)
        size = save(page.screenshot(full_page=False), OUT / f"{role}-{name}.png")
        print(f"{role:13} {name:>4} px  {landed:40} {size // 1024} KB")
        context.close()
    return landed


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--base", default="http://127.0.0.1:8000", help="the running demo")
    parser.add_argument("roles", nargs="*", default=ROLES, help="only these demo accounts")
    options = parser.parse_args()
    OUT.mkdir(parents=True, exist_ok=True)
    secret = password()
    with sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=CHROMIUM, args=ARGS, headless=True)
        try:
            for role in options.roles:
                shoot(browser, options.base.rstrip("/"), role, secret)
        finally:
            browser.close()


if __name__ == "__main__":
    main()
