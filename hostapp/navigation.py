"""The admin navigation: first-level modules and second-level groups the host registers and translates, and the
tree of a page's sidebar built from the ``MenuItem`` entries plugins place into groups by key.

Module and group keys are stable identifiers (documented in the README); their order here is the order of the
product manuals. A group without a visible entry is not shown; an entry with an unknown group key lands in the
``other`` group with a warning logged. Exactly one entry is active on a page: the one whose URL is the longest prefix
of the current path (the tenant's home only when it is the current path).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from scrm.core.plugins.contributions import MenuItem

log = logging.getLogger(__name__)

#: the group of entries whose group key is unknown (or missing)
FALLBACK_GROUP = "other"
#: where an entry without a group goes, by its legacy ``section``
LEGACY_SECTIONS = {"settings": "settings.platform", "channels": "settings.channels"}


@dataclass(frozen=True)
class Module:
    """A first-level module (首页, 会员, 运营, ...)."""

    key: str
    label: str


@dataclass(frozen=True)
class Group:
    """A second-level group of a module, identified by a stable key such as ``members.customers``."""

    key: str
    module: str
    label: str


class NavigationRegistry:
    """The host's modules and groups, in registration order."""

    def __init__(self) -> None:
        self.modules: dict[str, Module] = {}
        self.groups: dict[str, Group] = {}

    def module(self, key: str, label: str) -> Module:
        """Register a first-level module."""
        self.modules[key] = Module(key, label)
        return self.modules[key]

    def group(self, key: str, module: str, label: str) -> Group:
        """Register a second-level group under ``module`` (which must be registered)."""
        if module not in self.modules:
            raise ValueError(f"navigation group {key}: unknown module {module}")
        self.groups[key] = Group(key, module, label)
        return self.groups[key]


def host_registry() -> NavigationRegistry:
    """The modules and groups of the product manuals (``NAVIGATION.md``), labelled with the manuals' names."""
    nav = NavigationRegistry()
    nav.module("home", _l("Home"))
    nav.module("members", _l("Members"))
    nav.module("ops", _l("Operations"))
    nav.module("marketing", _l("Marketing"))
    nav.module("settings", _l("Settings"))
    nav.module("more", _l("More"))
    nav.group("home", "home", _l("Home"))
    nav.group("members.customers", "members", _l("Customer management"))
    nav.group("members.groups", "members", _l("Member groups"))
    nav.group("members.lifecycle", "members", _l("Member benefits"))
    nav.group("ops.wecom", "ops", _l("WeCom operations"))
    nav.group("ops.community", "ops", _l("Community operations"))
    nav.group("ops.content", "ops", _l("Content library"))
    nav.group("ops.official_account", "ops", _l("Official account operations"))
    nav.group("ops.sms", "ops", _l("SMS marketing"))
    nav.group("ops.service", "ops", _l("Customer service management"))
    nav.group("marketing.campaigns", "marketing", _l("Marketing campaigns"))
    nav.group("settings.channels", "settings", _l("Authorisation settings"))
    nav.group("settings.sync", "settings", _l("Data sync"))
    nav.group("settings.platform", "settings", _l("System settings"))
    nav.group(FALLBACK_GROUP, "more", _l("Other"))
    return nav


HOST_NAVIGATION = host_registry()


@dataclass
class NavLink:
    """One entry as the sidebar shows it."""

    item: MenuItem
    url: str
    plugin: str
    active: bool = False

    @property
    def label(self) -> str:
        return self.item.label

    @property
    def endpoint(self) -> str:
        return self.item.endpoint


@dataclass
class NavGroup:
    group: Group
    links: list[NavLink] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.group.key

    @property
    def label(self) -> str:
        return self.group.label

    @property
    def active(self) -> bool:
        return any(link.active for link in self.links)


@dataclass
class NavModule:
    module: Module
    groups: list[NavGroup] = field(default_factory=list)

    @property
    def key(self) -> str:
        return self.module.key

    @property
    def label(self) -> str:
        return self.module.label

    @property
    def active(self) -> bool:
        return any(group.active for group in self.groups)


@dataclass
class Navigation:
    """The sidebar of one page: modules holding their non-empty groups, at most one active link."""

    modules: list[NavModule]
    active: NavLink | None = None

    def __bool__(self) -> bool:
        return bool(self.modules)

    def links(self) -> list[NavLink]:
        return [link for module in self.modules for group in module.groups for link in group.links]


_warned: set[tuple[str, str, str]] = set()


def _warn_once(plugin: str, item: MenuItem, message: str, *args) -> None:
    """Log a placement warning once per process and entry (the menu is built on every page)."""
    key = (plugin, item.endpoint, getattr(item, "group", "") or "")
    if key not in _warned:
        _warned.add(key)
        log.warning(message, *args)


def group_key(item: MenuItem, plugin: str, registry: NavigationRegistry = HOST_NAVIGATION) -> str:
    """The registered group ``item`` goes to; a missing or unknown key is logged (once) and gets a fallback."""
    key = getattr(item, "group", "") or ""
    if not key:
        fallback = LEGACY_SECTIONS.get(getattr(item, "section", ""), FALLBACK_GROUP)
        _warn_once(plugin, item, "menu item %r of plugin %s has no group; shown under %r", item.endpoint, plugin,
                   fallback)
        return fallback
    if key not in registry.groups:
        _warn_once(plugin, item, "menu item %r of plugin %s names unknown group %r; shown under %r",
                   item.endpoint, plugin, key, FALLBACK_GROUP)
        return FALLBACK_GROUP
    return key


def _matches(url: str, path: str, home: str) -> bool:
    if url == home:
        return path == home
    return path == url or path.startswith(url.rstrip("/") + "/")


def build_navigation(entries: Iterable[tuple[str, MenuItem]], url_for_item: Callable[[MenuItem], str | None],
                     path: str, home: str, registry: NavigationRegistry = HOST_NAVIGATION) -> Navigation:
    """Place ``entries`` ((plugin name, item) pairs already filtered for the user) into the registered groups.

    ``url_for_item`` gives an item's URL or None (entry left out); ``home`` is the tenant's home URL, active only on
    itself. Entries are ordered by group registration, then ``order``, then label; the active entry is the one whose
    URL is the longest prefix of ``path``.
    """
    entries = list(entries)
    replaced = {item.replaces for _plugin, item in entries if getattr(item, "replaces", None)}
    by_group: dict[str, list[NavLink]] = {}
    for plugin, item in entries:
        if item.endpoint in replaced:
            continue
        url = url_for_item(item)
        if url is None:
            continue
        by_group.setdefault(group_key(item, plugin, registry), []).append(NavLink(item, url, plugin))
    candidates = [link for links in by_group.values() for link in links if _matches(link.url, path, home)]
    active = max(candidates, key=lambda link: len(link.url), default=None)
    if active is not None:
        active.active = True
    modules: list[NavModule] = []
    for module in registry.modules.values():
        groups = []
        for group in registry.groups.values():
            links = by_group.get(group.key)
            if group.module == module.key and links:
                links.sort(key=lambda link: (link.item.order, str(link.label)))
                groups.append(NavGroup(group, links))
        if groups:
            modules.append(NavModule(module, groups))
    return Navigation(modules, active)


def menu_entries(hooks, tenant, user) -> list[tuple[str, MenuItem]]:
    """Every enabled plugin's menu items as (plugin name, item) pairs; a plugin whose hook raises is logged,
    recorded on its record and left out (as ``TenantHooks.contribute`` does)."""
    entries: list[tuple[str, MenuItem]] = []
    for plugin in hooks.subscribers("menu_items"):
        try:
            value = hooks.contribute_by_plugin("menu_items", plugin, tenant=tenant, user=user)
        except Exception as exc:
            log.exception("hook menu_items of plugin %s failed", plugin)
            hooks.registry.record_failure(plugin, f"menu_items: {type(exc).__name__}: {exc}")
            continue
        items = value if isinstance(value, list | tuple) else [value]
        entries.extend((plugin, item) for item in items if item is not None)
    return entries


def visible_to(user, plugin_hidden: Callable[[str], bool]) -> Callable[[str, MenuItem], bool]:
    """A filter of entries for ``user``: hidden (example/test) plugins only for platform admins, roles checked."""
    from .auth import has_role

    def visible(plugin: str, item: MenuItem) -> bool:
        if plugin_hidden(plugin) and not user.is_platform_admin:
            return False
        return not item.roles or has_role(*item.roles)

    return visible


def sidebar(hooks, tenant, user, path: str) -> Navigation:
    """The navigation of the current page for ``user`` in ``tenant``."""
    from flask import url_for
    from werkzeug.routing import BuildError

    registry = hooks.registry

    def hidden(plugin: str) -> bool:
        found = registry.plugin(plugin)
        return bool(getattr(found, "hidden", False))

    def url_for_item(item: MenuItem) -> str | None:
        try:
            return url_for(item.endpoint, tenant=tenant.slug, **dict(getattr(item, "values", ())))
        except BuildError:
            log.warning("menu item %s: unknown endpoint %s", item.label, item.endpoint)
            return None

    visible = visible_to(user, hidden)
    entries = [(plugin, item) for plugin, item in menu_entries(hooks, tenant, user) if visible(plugin, item)]
    return build_navigation(entries, url_for_item, path, url_for("tenant.dashboard", tenant=tenant.slug))
