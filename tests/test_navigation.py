"""The admin navigation: modules and groups in the manuals' order, entries placed by group key, one active entry per
page, fallbacks for unknown or missing groups, hidden (example) plugins, a phone drawer, and clarity with ~60 entries.

The expected order is the acceptance table of the navigation (modules, groups, pages within a group)."""

from __future__ import annotations

import logging
import re
from collections.abc import Iterator

import pytest

from scrm.core.plugins.contributions import MenuItem
from scrm.core.plugins.hookspecs import hookimpl
from scrm.core.plugins.registry import PluginRecord, PluginStatus
from scrm.hostapp.navigation import FALLBACK_GROUP, HOST_NAVIGATION, build_navigation
from scrm.sdk.testing import ADMIN_PASSWORD, follow_menu

#: the groups shown to a tenant admin of a tenant with members and wecom, in order
EXPECTED_GROUPS = ["members.customers", "members.groups", "members.lifecycle", "ops.wecom", "ops.community",
                   "ops.content", "marketing.campaigns", "settings.channels", "settings.sync", "settings.platform"]
#: the entries of each group, in order
EXPECTED_ENTRIES = {
    "members.customers": ["members.customers.index", "wecom.assignment.unassigned", "wecom.churn.index",
                          "members.segments.blacklist", "members.customers.fields"],
    "members.groups": ["members.segments.tags", "members.segments.index"],
    "members.lifecycle": ["members.loyalty.stages_board", "members.loyalty.notifications",
                          "members.loyalty.levels_page", "members.loyalty.points_ledger", "members.loyalty.orders"],
    "ops.wecom": ["wecom.livecodes.index", "wecom.welcome.index", "wecom.masssend.index", "wecom.sop.index",
                  "wecom.moments.index"],
    "ops.community": ["wecom.groupchats.index"],
    "ops.content": ["wecom.materials.index", "wecom.materials.scripts"],
    # WeCom's employee promotion, then the host's short links (every channel uses them)
    "marketing.campaigns": ["wecom.promotion.index", "shortlinks.index"],
    "settings.channels": ["channel_accounts.index"],  # one entry per enabled channel (here WeCom)
    "settings.sync": ["wecom.sync.index", "wecom.rules.index"],
    "settings.platform": ["tenant.plugins", "tenant.tokens", "tenant.audit_log"],
}
#: the host's brand settings page: an entry of ``settings.platform`` at the position its page chooses
BRAND_SETTINGS = "brand.settings"


@pytest.fixture
def expected_entries(app) -> dict[str, list[str]]:
    platform_entries = EXPECTED_ENTRIES["settings.platform"] + (
        [BRAND_SETTINGS] if BRAND_SETTINGS in app.view_functions else [])
    return {**EXPECTED_ENTRIES, "settings.platform": platform_entries}


def without_brand_settings(shown: dict[str, list[str]]) -> dict[str, list[str]]:
    return {key: [endpoint for endpoint in entries if endpoint != BRAND_SETTINGS] for key, entries in shown.items()}
GROUP_RE = re.compile(r'<details class="nav-group" data-group="([^"]+)"(?: open)?>(.*?)</details>', re.S)
LINK_RE = re.compile(r'<a href="([^"]+)"[^>]*?data-endpoint="([^"]+)"')


@pytest.fixture
def tenant_admin(db, tenant, make_user):
    return make_user("boss@acme.test", tenant, role="tenant_admin")


@pytest.fixture
def full_tenant(tenant, enable_plugins):
    enable_plugins(tenant, "members", "wecom")
    return tenant


def sidebar(html: str) -> str:
    start = html.index('<nav id="sidebar"')
    return html[start:html.index("</nav>", start)]


def groups(html: str) -> dict[str, list[str]]:
    """The sidebar's groups (in order) with their entries' endpoints (in order)."""
    return {key: [endpoint for _url, endpoint in LINK_RE.findall(body)] for key, body in GROUP_RE.findall(sidebar(html))}


def item(endpoint: str, group: str = "", order: int = 100, **kwargs) -> MenuItem:
    return MenuItem(endpoint, endpoint, order=order, group=group, **kwargs)


def urls(items: dict[str, str]):
    return lambda menu_item: items.get(menu_item.endpoint)


# -- the tree, without a request -------------------------------------------------------------------------------------


def test_entries_follow_the_registered_group_order_then_their_order():
    entries = [("p", item("b", "settings.platform", 20)), ("p", item("a", "settings.platform", 10)),
               ("q", item("c", "members.groups", 5)), ("q", item("d", "members.customers", 99))]
    nav = build_navigation(entries, urls({"a": "/t/x/a", "b": "/t/x/b", "c": "/t/x/c", "d": "/t/x/d"}), "/t/x/",
                           "/t/x/")
    assert [module.key for module in nav.modules] == ["members", "settings"]
    assert [(g.key, [link.endpoint for link in g.links]) for m in nav.modules for g in m.groups] == [
        ("members.customers", ["d"]), ("members.groups", ["c"]), ("settings.platform", ["a", "b"])]


def test_groups_without_entries_and_entries_without_a_url_are_left_out():
    nav = build_navigation([("p", item("gone", "ops.sms"))], urls({}), "/t/x/", "/t/x/")
    assert not nav and nav.modules == []


def test_an_unknown_group_key_falls_back_to_other_with_a_warning_once(caplog):
    entries = [("thirdparty", item("x", "loyalty.nowhere"))]
    with caplog.at_level(logging.WARNING, logger="scrm.hostapp.navigation"):
        nav = build_navigation(entries, urls({"x": "/t/x/x"}), "/", "/t/x/")
        build_navigation(entries, urls({"x": "/t/x/x"}), "/t/x/x", "/t/x/")  # the next page: no second warning
    assert [(g.key, g.label) for m in nav.modules for g in m.groups] == [(FALLBACK_GROUP, "Other")]
    assert "thirdparty" in caplog.text and "loyalty.nowhere" in caplog.text
    assert caplog.text.count("unknown group") == 1


def test_an_entry_without_a_group_is_placed_by_its_old_section_with_a_warning(caplog):
    entries = [("old", MenuItem("Settings page", "s", section="settings")), ("old", MenuItem("Main page", "m"))]
    with caplog.at_level(logging.WARNING, logger="scrm.hostapp.navigation"):
        nav = build_navigation(entries, urls({"s": "/t/x/s", "m": "/t/x/m"}), "/", "/t/x/")
    placed = {link.endpoint: g.key for m in nav.modules for g in m.groups for link in g.links}
    assert placed == {"s": "settings.platform", "m": FALLBACK_GROUP}
    assert caplog.text.count("has no group") == 2


def test_the_longest_matching_url_is_the_one_active_entry_and_home_only_on_itself():
    entries = [("h", item("home", "home")), ("p", item("list", "members.customers")),
               ("p", item("fields", "members.customers")), ("p", item("listing", "members.groups"))]
    table = {"home": "/t/x/", "list": "/t/x/members/customers/", "fields": "/t/x/members/customers/fields",
             "listing": "/t/x/members/customers-old/"}

    def active(path: str) -> list[str]:
        return [link.endpoint for link in build_navigation(entries, urls(table), path, "/t/x/").links() if link.active]

    assert active("/t/x/members/customers/fields/3/edit") == ["fields"]
    assert active("/t/x/members/customers/42") == ["list"]
    assert active("/t/x/members/customers-old/") == ["listing"]
    assert active("/t/x/") == ["home"]
    assert active("/t/x/tokens") == []


def test_every_group_key_of_the_navigation_table_is_registered_and_translated(app):
    from flask_babel import force_locale

    keys = ["home", "members.customers", "members.groups", "members.lifecycle", "ops.wecom", "ops.community",
            "ops.content", "ops.official_account", "ops.sms", "ops.service", "marketing.campaigns",
            "settings.channels", "settings.sync", "settings.platform"]
    assert list(HOST_NAVIGATION.groups)[:len(keys)] == keys
    chinese = {"members.customers": "用户管理", "members.groups": "会员分组", "members.lifecycle": "会员权益",
               "ops.wecom": "企微运营", "ops.community": "社群运营", "ops.content": "素材中心",
               "ops.official_account": "公众号运营", "ops.sms": "短信营销", "ops.service": "客服管理",
               "marketing.campaigns": "营销活动", "settings.channels": "授权配置", "settings.sync": "数据同步",
               "settings.platform": "系统设置"}
    with app.test_request_context(), force_locale("zh_Hans_CN"):
        assert {key: str(HOST_NAVIGATION.groups[key].label) for key in chinese} == chinese
        assert [str(m.label) for m in HOST_NAVIGATION.modules.values()][:5] == ["首页", "会员", "运营", "营销", "设置"]


# -- the sidebar of real pages ---------------------------------------------------------------------------------------


def test_host_members_and_wecom_entries_sit_in_their_groups_in_the_manuals_order(client, login, tenant_admin,
                                                                                full_tenant, expected_entries):
    login(tenant_admin)
    html = client.get("/t/acme/").get_data(as_text=True)
    shown = groups(html)
    assert without_brand_settings(shown) == EXPECTED_ENTRIES
    assert sorted(shown["settings.platform"]) == sorted(expected_entries["settings.platform"])
    assert list(shown) == EXPECTED_GROUPS
    assert 'class="nav-home active" data-endpoint="tenant.dashboard"' in sidebar(html)


def test_every_page_of_the_navigation_has_exactly_one_active_entry_in_an_open_group(client, login, tenant_admin,
                                                                                   full_tenant, expected_entries):
    login(tenant_admin)
    links = LINK_RE.findall(sidebar(client.get("/t/acme/").get_data(as_text=True)))
    assert len(links) == 1 + sum(len(v) for v in expected_entries.values())
    for url, endpoint in links:
        html = client.get(url, follow_redirects=True).get_data(as_text=True)
        nav = sidebar(html)
        assert nav.count('aria-current="page"') == 1, url
        current = re.search(r'<a href="([^"]+)" data-endpoint="([^"]+)" class="active" aria-current="page"', nav)
        if endpoint == "tenant.dashboard":
            assert current is None and 'aria-current="page">' in nav
            continue
        assert current and current.group(2) == endpoint, url
        open_groups = re.findall(r'<details class="nav-group" data-group="([^"]+)" open>', nav)
        assert open_groups == [key for key, entries in expected_entries.items() if endpoint in entries]


def test_a_page_below_an_entry_activates_that_entry(client, login, tenant_admin, full_tenant):
    login(tenant_admin)
    for url, endpoint in (("/t/acme/members/customers/fields/new", "members.customers.fields"),
                          ("/t/acme/wecom/churn/deleted", "wecom.churn.index"),
                          ("/t/acme/wecom/assignment/records", "wecom.assignment.unassigned")):
        nav = sidebar(client.get(url).get_data(as_text=True))
        assert re.findall(r'data-endpoint="([^"]+)" class="active" aria-current="page"', nav) == [endpoint], url


def test_an_operator_sees_no_admin_entries_and_no_empty_group(client, login, make_user, full_tenant):
    login(make_user("op@acme.test", full_tenant, role="operator"))
    shown = groups(client.get("/t/acme/").get_data(as_text=True))
    assert "settings.platform" not in shown and "settings.sync" not in shown and "settings.channels" not in shown
    assert all(shown.values())
    assert "members.customers.fields" not in shown["members.customers"]


def test_a_disabled_plugin_leaves_no_group_behind(client, login, tenant_admin, tenant, enable_plugins):
    enable_plugins(tenant, "members")
    login(tenant_admin)
    shown = groups(client.get("/t/acme/").get_data(as_text=True))
    assert list(shown) == ["members.customers", "members.groups", "members.lifecycle", "marketing.campaigns",
                           "settings.platform"]
    assert "wecom.assignment.unassigned" not in shown["members.customers"]


def test_hidden_example_plugins_show_to_platform_admins_only(client, login, tenant_admin, admin_user, tenant,
                                                             enable_plugins):
    enable_plugins(tenant, "example")
    login(tenant_admin)
    home = client.get("/t/acme/").get_data(as_text=True)
    plugins = client.get("/t/acme/plugins").get_data(as_text=True)
    assert 'data-endpoint="example.index"' not in home
    assert 'data-plugin="example' not in plugins and 'data-plugin="members"' in plugins
    login(admin_user)
    assert 'data-endpoint="example.index"' in client.get("/t/acme/").get_data(as_text=True)
    plugins = client.get("/t/acme/plugins").get_data(as_text=True)
    assert 'data-plugin="example"' in plugins and 'data-plugin="example_broken"' in plugins


def test_brand_admins_do_not_see_plugins_left_out_of_the_manifest(client, login, tenant_admin, admin_user, platform):
    platform.registry.records["stray"] = PluginRecord("stray", PluginStatus.NOT_LISTED,
                                                      "installed but not listed in plugins.toml")
    try:
        login(tenant_admin)
        assert 'data-plugin="stray"' not in client.get("/t/acme/plugins").get_data(as_text=True)
        login(admin_user)
        assert 'data-plugin="stray"' in client.get("/t/acme/plugins").get_data(as_text=True)
    finally:
        del platform.registry.records["stray"]


def test_the_home_page_merges_the_cards_and_the_members_statistics(client, login, tenant_admin, full_tenant):
    login(tenant_admin)
    html = client.get("/t/acme/").get_data(as_text=True)
    assert 'data-testid="dashboard-cards"' in html and 'data-testid="home-section"' in html
    assert 'data-testid="dashboard-refresh"' in html
    assert 'data-endpoint="members.loyalty.dashboard_page"' not in html
    moved = client.get("/t/acme/members/dashboard/?sort=stores-value")
    assert moved.status_code == 302 and moved.headers["Location"].endswith("/t/acme/?sort=stores-value")


# -- sixty entries in the browser ------------------------------------------------------------------------------------


class SixtyEntries:
    """A test plugin contributing 60 entries spread over every group (and a few with a group nobody registered)."""

    def __init__(self, endpoints: list[str]) -> None:
        self.endpoints = endpoints

    @hookimpl
    def menu_items(self, tenant, user):
        keys = list(HOST_NAVIGATION.groups)
        return [MenuItem(f"Entry {n:02d} with a fairly long label", endpoint, order=n,
                         group="nowhere.at.all" if n % 20 == 19 else keys[n % len(keys)])
                for n, endpoint in enumerate(self.endpoints)]


@pytest.fixture
def sixty_entries(app, platform) -> Iterator[None]:
    """Register ``SixtyEntries`` as a built-in (always enabled) plugin on the session's app, for one test."""
    endpoints = sorted(rule.endpoint for rule in app.url_map.iter_rules()
                       if rule.rule.startswith("/t/<tenant>/") and rule.arguments == {"tenant"}
                       and "GET" in rule.methods and not rule.endpoint.endswith("static"))
    assert len(endpoints) >= 30
    plugin = SixtyEntries([endpoints[n % len(endpoints)] for n in range(60)])
    registry = platform.registry
    registry.pm.register(plugin, name="sixty")
    registry.records["sixty"] = PluginRecord("sixty", PluginStatus.ACTIVE, plugin=plugin, builtin=True)
    platform.relays._cache.clear()
    try:
        yield
    finally:
        registry.pm.unregister(plugin)
        del registry.records["sixty"]
        platform.relays._cache.clear()


def sign_in(page, email: str) -> None:
    page.goto("/login")
    page.fill("input[name=email]", email)
    page.fill("input[name=password]", ADMIN_PASSWORD)
    with page.expect_navigation():
        page.click("button[type=submit]")
    page.wait_for_load_state()


def boxes_overlap(a: dict, b: dict) -> bool:
    return not (a["x"] + a["width"] <= b["x"] or b["x"] + b["width"] <= a["x"]
                or a["y"] + a["height"] <= b["y"] or b["y"] + b["height"] <= a["y"])


@pytest.mark.browser
def test_sixty_entries_stay_clear_collapsed_scrollable_and_beside_the_page(chromium, live_server, tenant_admin,
                                                                          full_tenant, sixty_entries):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 768}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "boss@acme.test")
        page.goto("/t/acme/tokens")
        sidebar_box = page.locator("#sidebar").bounding_box()
        assert not boxes_overlap(sidebar_box, page.locator("main#main").bounding_box())
        assert page.locator("#sidebar a[data-endpoint]").count() > 60
        # collapsed: only the active group is open; the visible entries are the home and that group's
        assert page.locator("#sidebar details[open]").count() == 1
        visible = page.evaluate("[...document.querySelectorAll('#sidebar a[data-endpoint]')]"
                                ".filter(a => a.checkVisibility()).length")
        shown = page.locator("#sidebar details[open] a[data-endpoint], #sidebar > a.nav-home").count()
        assert visible == shown < 15
        assert page.locator("#sidebar details[data-group=other]").count() == 1
        closed = page.locator("#sidebar details:not([open]) > summary")
        for _ in range(closed.count()):
            closed.first.click()
        # all open: the sidebar scrolls on its own, the page does not grow sideways, the last entry can be reached
        assert page.evaluate("document.getElementById('sidebar').scrollHeight") > sidebar_box["height"] + 100
        assert page.evaluate("document.documentElement.scrollWidth") <= 1366
        last = page.locator("#sidebar a[data-endpoint]").last
        last.scroll_into_view_if_needed()
        box = last.bounding_box()
        assert box["y"] >= sidebar_box["y"] and box["y"] + box["height"] <= sidebar_box["y"] + sidebar_box["height"]
        assert not boxes_overlap(page.locator("#sidebar").bounding_box(), page.locator("main#main").bounding_box())
        # the opened groups are remembered on the next page
        page.goto("/t/acme/audit")
        assert page.locator("#sidebar details:not([open])").count() == 0
    finally:
        context.close()


@pytest.mark.browser
def test_on_a_phone_the_sidebar_is_a_drawer_behind_a_menu_button(chromium, live_server, tenant_admin, full_tenant):
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN",
                                   reduced_motion="reduce")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "boss@acme.test")
        page.goto("/t/acme/")
        toggle = page.locator("[data-testid=nav-toggle]")
        assert toggle.is_visible() and toggle.get_attribute("aria-expanded") == "false"
        assert not page.locator("#sidebar").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        toggle.click()
        assert toggle.get_attribute("aria-expanded") == "true"
        drawer = page.locator("#sidebar")
        page.wait_for_function("() => document.getElementById('sidebar').checkVisibility({visibilityProperty: true, "
                               "checkVisibilityCSS: true})")
        assert drawer.is_visible()
        box = drawer.bounding_box()
        assert box["x"] >= 0 and box["x"] + box["width"] <= 375
        page.keyboard.press("Escape")
        assert toggle.get_attribute("aria-expanded") == "false"
        page.wait_for_function("() => !document.getElementById('sidebar').checkVisibility({visibilityProperty: true, "
                               "checkVisibilityCSS: true})")
        follow_menu(page, "wecom.livecodes.index")
        assert "/wecom/livecodes" in page.url
        assert page.locator("#sidebar [aria-current=page]").get_attribute("data-endpoint") == "wecom.livecodes.index"
        toggle.click()
        page.locator("[data-testid=nav-backdrop]").click(position={"x": 360, "y": 300})
        assert toggle.get_attribute("aria-expanded") == "false"
    finally:
        context.close()


@pytest.mark.browser
def test_at_desktop_width_there_is_no_menu_button(chromium, live_server, tenant_admin, full_tenant):
    context = chromium.new_context(base_url=live_server, viewport={"width": 1366, "height": 768}, locale="en-US")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        sign_in(page, "boss@acme.test")
        page.goto("/t/acme/")
        assert not page.locator("[data-testid=nav-toggle]").is_visible()
        assert page.locator("#sidebar").is_visible()
    finally:
        context.close()
