"""Plugin discovery and validation: a plugin that fails is blocked with a stated reason and the host still starts."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scrm.core.models import TenantPlugin
from scrm.core.plugins.base import Plugin
from scrm.core.plugins.enablement import EnablementError, disable_plugin, enable_plugin
from scrm.core.plugins.hookspecs import hookimpl
from scrm.core.plugins.manifest import Manifest, ManifestError
from scrm.core.plugins.registry import Candidate, PluginRegistry, PluginStatus


class Good(Plugin):
    title = "Good"

    @hookimpl
    def menu_items(self, tenant, user):
        return []


class NeedsGood(Plugin):
    requires = ("good",)


class NeedsMissing(Plugin):
    requires = ("nowhere",)


class NeedsNeedsMissing(Plugin):
    requires = ("needs_missing",)


class UnknownHook(Plugin):
    @hookimpl
    def menu_itemz(self, tenant, user):
        return []


class WrongArguments(Plugin):
    @hookimpl
    def menu_items(self, tenant, user, colour):
        return []


class BadApi(Plugin):
    api = "not a specifier"


def broken_import():
    raise ImportError("No module named 'scrm_nowhere'")


def registry_of(*candidates: Candidate, manifest: dict | None = None) -> PluginRegistry:
    names = {c.name: {} for c in candidates}
    registry = PluginRegistry(Manifest.from_dict({"plugins": manifest if manifest is not None else names}))
    registry.load(candidates)
    return registry


def cand(name: str, cls, dist: str | None = None) -> Candidate:
    return Candidate(name, lambda: cls, dist)


def test_a_valid_plugin_is_active_and_registered():
    registry = registry_of(cand("good", Good))
    assert registry.get("good").status == PluginStatus.ACTIVE
    assert registry.hooks_of("good") == ["menu_items"]


def test_import_error_blocks_with_the_error():
    registry = registry_of(Candidate("broken", broken_import), cand("good", Good))
    record = registry.get("broken")
    assert record.status == PluginStatus.BLOCKED
    assert record.reason == "import error: ImportError: No module named 'scrm_nowhere'"
    assert registry.get("good").active


def test_incompatible_api_blocks_with_the_versions():
    registry = registry_of(Candidate("example_future", _future))
    assert registry.get("example_future").reason == "needs hook API '>=2,<3', the host provides 1.0"


def _future():
    from scrm_example.plugin import FuturePlugin

    return FuturePlugin


def test_invalid_api_specifier_blocks():
    assert registry_of(cand("bad_api", BadApi)).get("bad_api").reason == "invalid api specifier 'not a specifier'"


def test_unknown_hook_blocks():
    assert registry_of(cand("typo", UnknownHook)).get("typo").reason == "unknown hook(s): menu_itemz"


def test_hook_arguments_the_spec_lacks_block():
    record = registry_of(cand("wrong", WrongArguments)).get("wrong")
    assert record.status == PluginStatus.BLOCKED and "colour" in record.reason


def test_missing_requirement_blocks_and_the_block_propagates():
    registry = registry_of(cand("needs_missing", NeedsMissing), cand("chain", NeedsNeedsMissing))
    assert registry.get("needs_missing").reason == "requires plugin 'nowhere', which is not installed"
    assert registry.get("chain").reason == "requires plugin 'needs_missing', which is blocked"


def test_a_satisfied_requirement_is_fine():
    registry = registry_of(cand("needs_good", NeedsGood), cand("good", Good))
    assert registry.get("needs_good").active


def test_duplicate_names_block_the_plugin():
    registry = registry_of(cand("good", Good, "dist-a"), cand("good", Good, "dist-b"))
    record = registry.get("good")
    assert record.status == PluginStatus.BLOCKED
    assert "duplicate plugin name 'good'" in record.reason and "dist-a" in record.reason and "dist-b" in record.reason
    assert not registry.pm.get_plugins() - {None}


def test_plugins_not_in_the_manifest_are_listed_but_not_loaded():
    registry = registry_of(cand("good", Good), manifest={})
    assert registry.get("good").status == PluginStatus.NOT_LISTED
    assert registry.plugin("good") is None


def test_listed_but_not_installed():
    registry = registry_of(manifest={"ghost": {}})
    assert registry.get("ghost").status == PluginStatus.MISSING


def test_version_outside_the_manifest_range_blocks():
    registry = registry_of(Candidate("example", lambda: __import__("scrm_example.plugin").plugin.ExamplePlugin,
                                     "scrm-example"), manifest={"example": {"version": ">=1"}})
    assert registry.get("example").reason == "version 0.3.0 is outside '>=1' required by plugins.toml"


def test_malformed_manifest_is_a_clear_error(tmp_path):
    path = tmp_path / "plugins.toml"
    path.write_text("[plugins.members]\nversion = '>>1'\n")
    with pytest.raises(ManifestError, match=r"\[plugins.members\] version"):
        Manifest.load(path)


# -- the running host ----------------------------------------------------------------------------------------------


def test_the_host_starts_with_a_blocked_plugin_and_the_catalogue_says_why(client, login, admin_user, platform):
    assert platform.registry.get("example_future").status == PluginStatus.BLOCKED
    login(admin_user)
    html = client.get("/admin/plugins").get_data(as_text=True)
    assert "example_future" in html and "needs hook API &#39;&gt;=2,&lt;3&#39;" in html
    detail = client.get("/admin/plugins/example").get_data(as_text=True)
    assert "0.3.0" in detail and "domain_event" in detail and "menu_items" in detail


def test_a_blocked_plugin_cannot_be_enabled(db, platform, tenant):
    with pytest.raises(EnablementError, match="example_future.*blocked"):
        enable_plugin(db, platform.registry, db.merge(tenant), "example_future")


def test_enabling_twice_keeps_one_row_and_one_revision_bump(db, platform, tenant):
    tenant = db.merge(tenant)
    enable_plugin(db, platform.registry, tenant, "example")
    enable_plugin(db, platform.registry, tenant, "example")
    db.commit()
    assert len(db.exec(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id)).all()) == 1
    assert tenant.plugin_revision == 1


def test_disabling_a_plugin_that_is_not_enabled_is_refused(db, platform, tenant):
    with pytest.raises(EnablementError, match="not enabled"):
        disable_plugin(db, platform.registry, db.merge(tenant), "example")


def test_requirements_must_be_enabled_first_and_dependants_block_disabling(db, tenant):
    registry = registry_of(cand("needs_good", NeedsGood), cand("good", Good))
    tenant = db.merge(tenant)
    with pytest.raises(EnablementError, match="requires 'good' to be enabled first"):
        enable_plugin(db, registry, tenant, "needs_good")
    enable_plugin(db, registry, tenant, "good")
    enable_plugin(db, registry, tenant, "needs_good")
    with pytest.raises(EnablementError, match="required by needs_good"):
        disable_plugin(db, registry, tenant, "good")
    db.rollback()


def test_the_relay_is_rebuilt_when_enablement_changes(db, platform, tenant):
    tenant = db.merge(tenant)
    before = platform.hooks(db, tenant)
    assert "example" not in before.enabled
    enable_plugin(db, platform.registry, tenant, "example")
    db.commit()
    after = platform.hooks(db, tenant)
    assert after is not before and "example" in after.enabled
    assert platform.hooks(db, tenant) is after
