"""The screenshot set of the admin UI: seeds the demo in a scratch instance, serves it, and drives Chromium through the
main pages in zh_CN at 1366 px and at 375 px (phone drawer closed and open), as a brand admin of the demo tenant.

    .venv/bin/python docs/screenshots.py                      # writes docs/screenshots/*.png
    .venv/bin/python docs/screenshots.py --instance /tmp/shots  # keep (and on the next run reuse) the seeded instance

PNGs are palette-quantised to stay small (each under 200 KB); the script fails when one is larger.
Needs Debian's /usr/bin/chromium, Playwright, Pillow and a CJK font (fonts-wqy-microhei).
"""

from __future__ import annotations

import argparse
import io
import os
import re
import secrets
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
BIN = Path(sys.executable).parent
CHROMIUM = "/usr/bin/chromium"
BRAND_ADMIN = "brand@demo.local"
LIMIT = 200 * 1024
DESKTOP = {"width": 1366, "height": 860}
PHONE = {"width": 375, "height": 780}

#: (file name, path under the demo tenant or a callable's key, viewport, drawer open)
PAGES = [
    ("home", "/", DESKTOP, False),
    ("members-list", "/members/customers/", DESKTOP, False),
    ("profile", "profile", DESKTOP, False),
    ("segments", "/members/segments/", DESKTOP, False),
    ("tags", "/members/tags/", DESKTOP, False),
    ("stages", "/members/stages/", DESKTOP, False),
    ("wecom-live-codes", "/wecom/livecodes/", DESKTOP, False),
    ("wecom-welcome", "/wecom/welcome/", DESKTOP, False),
    ("wecom-group-chats", "/wecom/groupchats/", DESKTOP, False),
    ("wecom-materials", "/wecom/materials/", DESKTOP, False),
    ("wecom-masssend", "/wecom/masssend/", DESKTOP, False),
    ("wecom-sop", "/wecom/sop/", DESKTOP, False),
    ("wecom-moments", "/wecom/moments/", DESKTOP, False),
    ("wecom-moments-new", "/wecom/moments/new", DESKTOP, False),
    ("wecom-moments-settings", "/wecom/moments/settings", DESKTOP, False),
    ("wecom-promotion", "/wecom/promotion/", DESKTOP, False),
    ("plugins", "/plugins", DESKTOP, False),
    ("calendar", "/calendar", DESKTOP, False),
    ("sms-templates", "/sms/templates/", DESKTOP, False),
    ("sms-bulk", "/sms/bulk/", DESKTOP, False),
    ("sms-bulk-new", "/sms/bulk/new", DESKTOP, False),
    ("sms-statistics", "/sms/statistics/", DESKTOP, False),
    ("oa-fans", "/official_account/fans/", DESKTOP, False),
    ("oa-autoreply", "/official_account/autoreply/", DESKTOP, False),
    ("oa-menus", "/official_account/menus/", DESKTOP, False),
    ("oa-masssend", "/official_account/masssend/", DESKTOP, False),
    ("oa-messages", "/official_account/messages/", DESKTOP, False),
    ("phone-home", "/", PHONE, False),
    ("phone-home-drawer", "/", PHONE, True),
    ("phone-members-list", "/members/customers/", PHONE, False),
    ("phone-members-drawer", "/members/customers/", PHONE, True),
    ("phone-live-codes", "/wecom/livecodes/", PHONE, False),
    ("phone-sms-bulk-new", "/sms/bulk/new", PHONE, False),
    ("phone-oa-messages", "/official_account/messages/", PHONE, False),
    ("phone-wecom-masssend", "/wecom/masssend/", PHONE, False),
    ("phone-wecom-sop", "/wecom/sop/", PHONE, False),
    ("phone-wecom-moments", "/wecom/moments/", PHONE, False),
]


def run(*args: str, env: dict[str, str], check: bool = True, timeout: int = 3600) -> subprocess.CompletedProcess:
    return subprocess.run([str(BIN / "scrm"), *args], cwd=ROOT, env=env, check=check, timeout=timeout,
                          capture_output=True, text=True)


def wait_until_up(url: str, seconds: float = 90) -> None:
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        try:
            with urllib.request.urlopen(f"{url}/login", timeout=5) as response:
                if response.status == 200:
                    return
        except OSError:
            time.sleep(0.5)
    raise SystemExit(f"the server at {url} did not answer within {seconds:.0f} s")


def brand_admin_password(env: dict[str, str], instance: Path) -> str:
    """A tenant admin of the demo brand (not a platform admin: the navigation a brand sees)."""
    path = instance / "screenshots-brand-admin-password"
    if path.exists():
        return path.read_text().strip()
    password = secrets.token_urlsafe(12)
    result = run("users", "create", BRAND_ADMIN, "--password", password, "--tenant", "demo", "--role", "tenant_admin",
                 env=env, check=False)
    if result.returncode != 0:
        raise SystemExit(f"cannot create {BRAND_ADMIN}: {result.stderr or result.stdout}")
    path.write_text(password)
    return password


def small_png(data: bytes) -> bytes:
    """Quantise to a palette (fewer colours until the PNG is under the limit)."""
    from PIL import Image

    image = Image.open(io.BytesIO(data)).convert("RGB")
    for colours in (256, 128, 64, 32):
        out = io.BytesIO()
        image.quantize(colors=colours, method=Image.Quantize.MEDIANCUT, dither=Image.Dither.NONE).save(
            out, "PNG", optimize=True)
        if out.tell() < LIMIT:
            return out.getvalue()
    return out.getvalue()


def shoot(base: str, password: str, out: Path) -> list[tuple[str, int]]:
    from playwright.sync_api import sync_playwright

    written = []
    with sync_playwright() as pw:
        browser = pw.chromium.launch(executable_path=CHROMIUM, headless=True,
                                     args=["--no-sandbox", "--disable-gpu", "--font-render-hinting=none"])
        try:
            profile_path = None
            for name, path, viewport, drawer in PAGES:
                context = browser.new_context(base_url=base, viewport=viewport, locale="zh-CN",
                                              reduced_motion="reduce", device_scale_factor=1)
                page = context.new_page()
                page.set_default_timeout(30_000)
                page.goto("/login")
                page.fill("input[name=email]", BRAND_ADMIN)
                page.fill("input[name=password]", password)
                page.click("button[type=submit]")
                page.wait_for_load_state()
                if path == "profile":
                    if profile_path is None:
                        page.goto("/t/demo/members/customers/")
                        links = page.eval_on_selector_all(
                            "main a[href]", "as => as.map(a => a.getAttribute('href'))")
                        profile_path = next(h for h in links if re.search(r"/members/customers/\d+$", h))
                    target = profile_path
                else:
                    target = f"/t/demo{path}"
                response = page.goto(target)
                if response is None or response.status >= 400:
                    raise SystemExit(f"{target} answered {response.status if response else 'nothing'}")
                page.wait_for_load_state("networkidle")
                if drawer:
                    page.click("[data-testid=nav-toggle]")
                    page.wait_for_timeout(300)
                data = small_png(page.screenshot(type="png"))
                (out / f"{name}.png").write_bytes(data)
                written.append((name, len(data)))
                context.close()
        finally:
            browser.close()
    return written


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--out", type=Path, default=ROOT / "docs" / "screenshots")
    parser.add_argument("--instance", type=Path, default=None, help="instance folder to seed (reused when given)")
    parser.add_argument("--port", type=int, default=5077)
    args = parser.parse_args()
    instance = (args.instance or Path(tempfile.mkdtemp(prefix="scrm-shots-"))).resolve()
    instance.mkdir(parents=True, exist_ok=True)
    args.out.mkdir(parents=True, exist_ok=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith("SCRM_")}
    env.update(SCRM_INSTANCE_PATH=str(instance), PYTHONUNBUFFERED="1")
    base = f"http://127.0.0.1:{args.port}"
    print(f"seeding the demo in {instance} ...", flush=True)
    seeded = run("demo", "--url", base, env=env, check=False)
    if seeded.returncode != 0:
        raise SystemExit(f"scrm demo failed:\n{seeded.stdout}\n{seeded.stderr}")
    password = brand_admin_password(env, instance)
    server = subprocess.Popen([str(BIN / "scrm"), "serve", "--port", str(args.port), "--sandboxes"], cwd=ROOT, env=env,
                              stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        wait_until_up(base)
        written = shoot(base, password, args.out)
    finally:
        server.terminate()
        server.wait(timeout=30)
    for name, size in written:
        print(f"{name}.png {size / 1024:.0f} KB")
    too_big = [name for name, size in written if size >= LIMIT]
    if too_big:
        raise SystemExit(f"larger than {LIMIT // 1024} KB: {', '.join(too_big)}")


if __name__ == "__main__":
    main()
