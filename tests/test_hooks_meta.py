"""Meta-tests of hook API v1: every hook is documented, tested, and reaches only the plugins a tenant enabled."""

from __future__ import annotations

import inspect
from pathlib import Path

import pytest

from scrm.core.plugins import hookspecs

ROOT = Path(__file__).resolve().parents[1]
HOOKS = hookspecs.hook_names()
#: hooks added since the top-level README's hook table was last revised, with the README that lists them until the
#: table gets its row (then remove the entry)
README_PENDING: dict[str, str] = {}


def _kwargs(tenant, db) -> dict:
    return {"tenant": tenant, "user": None, "session": db, "settings": {}, "customer": None, "events": [],
            "survivor_id": 0, "merged_id": 0, "customer_id": 0, "purpose": "mass_send", "event": None}


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_documented_in_its_spec_and_the_readme(hook):
    spec = getattr(hookspecs, hook)
    doc = inspect.getdoc(spec) or ""
    assert len(doc) > 40, f"hook {hook} needs a docstring saying what it is for and what it returns"
    listed_in = README_PENDING.get(hook, "README.md")
    assert f"`{hook}(" in (ROOT / listed_in).read_text(encoding="utf-8"), f"{listed_in} does not list {hook}"


@pytest.mark.parametrize("hook", HOOKS)
def test_hook_is_exercised_by_a_test(hook):
    """The example plugin implements the hook and a test other than this one names it."""
    from scrm_example.plugin import ExamplePlugin

    assert hasattr(ExamplePlugin, hook), f"the example plugin does not implement {hook}"
    texts = [p.read_text(encoding="utf-8") for p in (ROOT / "tests").rglob("test_*.py") if p.name != Path(__file__).name]
    assert any(hook in text for text in texts), f"no test exercises hook {hook}"


@pytest.mark.parametrize("hook", sorted(hookspecs.TENANT_HOOKS))
def test_a_disabled_plugin_contributes_nothing(hook, db, platform, tenant, enable_plugins):
    """For every tenant hook: the example plugin takes part for a tenant that enabled it, and not otherwise."""
    relay = platform.hooks(db, db.merge(tenant))
    assert "example" not in relay.enabled
    assert "example" not in [i.plugin_name for i in relay._caller(hook).get_hookimpls()
                             if i.plugin_name in relay.enabled]
    enable_plugins(tenant, "example")
    relay = platform.hooks(db, db.merge(tenant))
    assert "example" in [i.plugin_name for i in relay._caller(hook).get_hookimpls() if i.plugin_name in relay.enabled]


def test_contribution_results_of_a_disabled_plugin_are_absent(db, platform, tenant, enable_plugins):
    relay = platform.hooks(db, db.merge(tenant))
    kwargs = _kwargs(tenant, db)
    labels = [m.label for m in relay.contribute("menu_items", **kwargs)]
    assert "Notes" not in labels
    enable_plugins(tenant, "example")
    relay = platform.hooks(db, db.merge(tenant))
    assert "Notes" in [str(m.label) for m in relay.contribute("menu_items", **kwargs)]


def test_hook_kinds_partition_the_api():
    kinds = [hookspecs.GLOBAL_HOOKS, hookspecs.LIFECYCLE_HOOKS, hookspecs.CONTRIBUTION_HOOKS, hookspecs.DECISION_HOOKS]
    assert sum(len(k) for k in kinds) == len(set().union(*kinds)) == len(HOOKS)
    assert all(name.startswith("_") is False for name in HOOKS)
