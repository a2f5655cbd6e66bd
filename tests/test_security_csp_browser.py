"""The Content Security Policy in a real browser: the main pages (charts and htmx included) work and report no CSP
violation, with only the host's own script files allowed to run."""

from __future__ import annotations

import pytest

from scrm.sdk.testing import ADMIN_PASSWORD

pytestmark = pytest.mark.browser

PAGES = [
    "/t/acme/", "/t/acme/members/dashboard/", "/t/acme/members/customers/", "/t/acme/members/customers/new",
    "/t/acme/members/segments/", "/t/acme/members/segments/new", "/t/acme/members/tags/",
    "/t/acme/members/blacklist/", "/t/acme/members/stages/new", "/t/acme/members/dashboard/targets",
    "/t/acme/plugins", "/t/acme/tokens", "/t/acme/audit", "/t/acme/wecom/livecodes/", "/t/acme/wecom/sync/",
    "/t/acme/wecom/groupchats/", "/t/acme/wecom/assignment/onjob",
]
WATCH = """
window.__csp = [];
document.addEventListener('securitypolicyviolation', function (e) {
  window.__csp.push(e.violatedDirective + ' ' + (e.blockedURI || 'inline') + ' ' + e.sourceFile + ':' + e.lineNumber);
});
"""


@pytest.fixture
def brand(app, db, admin_user, tenant, enable_plugins):
    """A tenant admin, the members and WeCom plugins, three customers and a segment of all of them."""
    from scrm_members.loyalty import dashboard
    from scrm_members.segments import segment_store as store
    from scrm_members.segments.audiences import tenant_filter_types

    from scrm.core.models import Role
    from scrm.core.services import audit
    from scrm.core.services.identity import match_or_create
    from scrm.core.services.users import add_member

    enable_plugins(tenant, "members", "wecom")
    add_member(db, db.merge(tenant), db.merge(admin_user), Role.TENANT_ADMIN)
    for n, gender in enumerate((1, 2, 2)):
        match_or_create(db, tenant.id, {"mobile": f"1380013800{n}"}, name=f"Customer {n}",
                        defaults={"gender": gender})
    category = store.create_category(db, tenant.id, "dynamic", "All")
    types = tenant_filter_types(db, db.merge(tenant))
    clean = store.validate(db, tenant.id, {"name": "Everyone", "category_id": category.id, "kind": "dynamic",
                                           "mode": "conditions", "description": "",
                                           "rule": {"conditions": [{"type": "name", "values": ["filled"]}]}}, types)
    segment = store.create_segment(db, tenant.id, clean, types, None)
    audit.record(db, "customer.create", tenant_id=tenant.id, actor="test")
    dashboard.refresh(db, tenant.id)  # the home page's statistics and charts
    db.commit()
    return segment


@pytest.fixture
def watched(chromium, live_server):
    context = chromium.new_context(base_url=live_server, locale="en-US")
    context.add_init_script(WATCH)
    page = context.new_page()
    page.set_default_timeout(15_000)
    console: list[str] = []
    page.on("console", lambda msg: console.append(msg.text))
    page.console = console
    yield page
    context.close()


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    assert "/login" not in page.url


def violations(page) -> list[str]:
    found = page.evaluate("window.__csp || []")
    return found + [m for m in page.console if "Content Security Policy" in m or "Refused to" in m]


def test_main_pages_report_no_csp_violation(watched, brand, admin_user):
    page = watched
    sign_in(page, admin_user.email)
    seen = {}
    for path in [*PAGES, f"/t/acme/members/segments/{brand.id}"]:
        response = page.goto(path)
        assert response.status < 400, (path, response.status)
        assert "script-src 'self'" in response.headers["content-security-policy"]
        page.wait_for_load_state("networkidle")
        found = violations(page)
        if found:
            seen[path] = found
        page.console.clear()
    assert seen == {}


def test_charts_draw_under_the_policy(watched, brand, admin_user):
    page = watched
    sign_in(page, admin_user.email)
    page.goto(f"/t/acme/members/segments/{brand.id}")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.querySelector('canvas.share-chart'))")
    page.goto("/t/acme/")
    page.wait_for_function("() => window.Chart && Chart.getChart(document.getElementById('funnel-chart'))")
    assert violations(page) == []


def test_htmx_and_page_behaviours_work_under_the_policy(watched, brand, admin_user):
    page = watched
    sign_in(page, admin_user.email)
    page.goto("/t/acme/members/segments/new")
    rows = page.locator("#conditions > *").count()
    page.click("[data-testid=add-condition]")
    page.wait_for_function(f"() => document.querySelectorAll('#conditions > *').length > {rows}")
    page.goto("/t/acme/members/customers/new")
    before = page.locator("input[name=mobiles]").count()
    page.click("[data-append-template=mobile-input]")
    assert page.locator("input[name=mobiles]").count() == before + 1
    page.goto("/t/acme/audit")
    with page.expect_navigation():
        page.select_option("select[name=action]", "customer.create")
    assert "action=" in page.url
    assert violations(page) == []
