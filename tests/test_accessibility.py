"""Accessibility of the admin shell: WCAG AA contrast (4.5:1) of primary buttons, the active navigation entry and
badges, computed from the stylesheet's colours; a skip link as the first focusable element; every control of the
main pages labelled (label, aria-label / aria-labelledby, title, or its own text)."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from scrm.sdk.testing import ADMIN_PASSWORD

CSS = Path(__file__).resolve().parents[1] / "hostapp" / "static" / "css" / "app.css"
#: WCAG 2.x AA for normal-size text
AA_CONTRAST = 4.5


# -- the stylesheet's colours ----------------------------------------------------------------------------------------


def top_level_rules(css: str) -> dict[str, dict[str, str]]:
    """Selector → declarations of the rules outside at-rules (later rules add to earlier ones)."""
    css = re.sub(r"/\*.*?\*/", "", css, flags=re.S)
    rules: dict[str, dict[str, str]] = {}
    depth, start, selector = 0, 0, ""
    for index, char in enumerate(css):
        if char == "{":
            if depth == 0:
                selector, start = css[start:index].strip(), index + 1
            depth += 1
        elif char == "}":
            depth -= 1
            if depth == 0:
                if not selector.startswith("@"):
                    body = css[start:index]
                    declarations = {}
                    for declaration in body.split(";"):
                        if ":" in declaration:
                            name, value = declaration.split(":", 1)
                            declarations[name.strip()] = value.strip()
                    for one in selector.split(","):
                        rules.setdefault(" ".join(one.split()), {}).update(declarations)
                start = index + 1
    return rules


def resolve(value: str, variables: dict[str, str]) -> str:
    for _ in range(5):
        match = re.fullmatch(r"var\((--[\w-]+)\)", value.strip())
        if not match:
            break
        value = variables[match.group(1)]
    return value.strip()


def hex_rgb(value: str) -> tuple[float, float, float]:
    value = value.lstrip("#")
    if len(value) == 3:
        value = "".join(c * 2 for c in value)
    assert re.fullmatch(r"[0-9a-fA-F]{6}", value), f"not a hex colour: {value}"
    return tuple(int(value[i:i + 2], 16) / 255 for i in (0, 2, 4))


def luminance(colour: str) -> float:
    channels = [c / 12.92 if c <= 0.03928 else ((c + 0.055) / 1.055) ** 2.4 for c in hex_rgb(colour)]
    return 0.2126 * channels[0] + 0.7152 * channels[1] + 0.0722 * channels[2]


def contrast(foreground: str, background: str) -> float:
    light, dark = sorted((luminance(foreground), luminance(background)), reverse=True)
    return (light + 0.05) / (dark + 0.05)


@pytest.fixture(scope="module")
def stylesheet() -> tuple[dict[str, dict[str, str]], dict[str, str]]:
    rules = top_level_rules(CSS.read_text(encoding="utf-8"))
    variables = {name: value for name, value in rules[":root"].items() if name.startswith("--")}
    return rules, variables


def colours(stylesheet, selector: str, inherit: str | None = None) -> tuple[str, str]:
    rules, variables = stylesheet
    own = rules[selector]
    base = rules[inherit] if inherit else {}
    foreground = own.get("color") or base.get("color")
    background = own.get("background") or own.get("background-color") or base.get("background")
    assert foreground and background, f"{selector} sets no colour pair"
    return resolve(foreground, variables), resolve(background, variables)


def test_contrast_is_computed_as_wcag_defines_it():
    assert contrast("#000000", "#ffffff") == pytest.approx(21.0)
    assert contrast("#ffffff", "#07c160") == pytest.approx(2.38, abs=0.01)  # the brand green: too light for text
    assert contrast("#777777", "#ffffff") == pytest.approx(4.48, abs=0.01)


@pytest.mark.parametrize("selector, inherit", [
    ("button.primary", None), (".button.primary", None), ("button.primary:hover", "button.primary"), (".skip-link", None),
    (".sidebar a.active", None), ('.sidebar a[aria-current="page"]', None),
    (".badge", None), (".badge-active", ".badge"), (".badge-blocked", ".badge"), (".badge-missing", ".badge"),
    (".badge-not_listed", ".badge"),
])
def test_primary_buttons_active_navigation_and_badges_reach_aa_contrast(stylesheet, selector, inherit):
    foreground, background = colours(stylesheet, selector, inherit)
    ratio = contrast(foreground, background)
    assert ratio >= AA_CONTRAST, f"{selector}: {foreground} on {background} is {ratio:.2f}:1"


def test_every_badge_rule_of_the_stylesheet_is_checked(stylesheet):
    rules, _variables = stylesheet
    badges = {selector for selector in rules if re.fullmatch(r"\.badge(-[\w-]+)?", selector)}
    assert badges == {".badge", ".badge-active", ".badge-blocked", ".badge-missing", ".badge-not_listed"}


def test_muted_text_reads_on_the_page_and_on_cards(stylesheet):
    _rules, variables = stylesheet
    for background in ("--bg", "--card"):
        value = variables[background]
        value = "#ffffff" if value == "#fff" else value
        assert contrast(variables["--muted"], value) >= AA_CONTRAST, background


# -- the page ---------------------------------------------------------------------------------------------------------


@pytest.fixture
def tenant_admin(db, tenant, make_user, enable_plugins):
    enable_plugins(tenant, "members", "wecom")
    return make_user("boss@acme.test", tenant, role="tenant_admin")


def test_the_skip_link_is_the_first_focusable_element_and_leads_to_the_main_content(client, login, tenant_admin):
    login(tenant_admin)
    html = client.get("/t/acme/", headers={"Accept-Language": "zh-CN"}).get_data(as_text=True)
    body = html[html.index("<body"):]
    first = re.search(r"<(a\s[^>]*href|button|input(?![^>]*type=\"hidden\")|select|textarea|summary)[^>]*>", body)
    assert 'class="skip-link" href="#main"' in first.group(0)
    assert '<main class="content" id="main" tabindex="-1">' in html


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state()


#: every form control without a name from a label, aria-label(ledby), a title or its own text
UNLABELLED = """() => {
  const text = (s) => (s || '').replace(/\\s+/g, ' ').trim();
  const named = (el) => {
    if (text(el.getAttribute('aria-label'))) return true;
    const by = el.getAttribute('aria-labelledby');
    if (by && by.split(/\\s+/).some((id) => text((document.getElementById(id) || {}).textContent))) return true;
    if (el.labels && [...el.labels].some((label) => text(label.textContent) || label.querySelector('img[alt]'))) return true;
    if (text(el.getAttribute('title'))) return true;
    if (el.tagName === 'BUTTON') return !!(text(el.textContent) || el.querySelector('img[alt]:not([alt=""])'));
    if (el.tagName === 'INPUT' && ['submit', 'reset', 'button'].includes(el.type)) return !!text(el.value);
    if (el.tagName === 'INPUT' && el.type === 'image') return !!text(el.alt);
    return false;
  };
  return [...document.querySelectorAll('input:not([type=hidden]), select, textarea, button')]
    .filter((el) => !named(el))
    .map((el) => el.outerHTML.slice(0, 160));
}"""


@pytest.mark.browser
def test_every_control_of_the_main_pages_has_an_accessible_name(chromium, live_server, tenant_admin, db, tenant):
    from scrm.core.models import Customer

    customer = Customer(tenant_id=tenant.id, name="Lily", mobile="13800000001")
    db.add(customer)
    db.commit()
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 900}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    problems: dict[str, list[str]] = {}
    try:
        sign_in(page, "boss@acme.test")
        page.goto("/t/acme/")
        pages = page.evaluate("[...document.querySelectorAll('#sidebar a[data-endpoint]')].map(a => a.pathname)")
        pages += [f"/t/acme/members/customers/{customer.id}", "/t/acme/members/customers/new",
                  "/t/acme/members/segments/new", "/t/acme/wecom/livecodes/new", "/t/acme/wecom/welcome/new"]
        assert len(pages) > 20
        for path in pages:
            response = page.goto(path)
            if response.status == 404 and path.endswith("/new"):
                continue
            if response.status >= 400:
                problems[path] = [f"status {response.status}"]
                continue
            unlabelled = page.evaluate(UNLABELLED)
            if unlabelled:
                problems[path] = unlabelled
        assert problems == {}, "\n".join(f"{k}: {v}" for k, v in problems.items())
    finally:
        context.close()


@pytest.mark.browser
def test_tab_reaches_the_skip_link_first_and_it_moves_focus_to_the_content(chromium, live_server, tenant_admin):
    context = chromium.new_context(base_url=live_server, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "boss@acme.test")
        page.goto("/t/acme/members/customers/")
        page.keyboard.press("Tab")
        focused = page.evaluate("[document.activeElement.className, document.activeElement.textContent.trim()]")
        assert focused == ["skip-link", "跳到主要内容"]
        assert page.locator(".skip-link").is_visible()  # shown while focused
        page.keyboard.press("Enter")
        assert page.evaluate("document.activeElement.id") == "main"
    finally:
        context.close()
