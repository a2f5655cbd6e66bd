"""The job bus's enablement cache: a job does not query the database to learn that its plugin is enabled, and a
disabled plugin is still inert at once in this process and within the TTL in the others."""

from __future__ import annotations

from scrm.core.jobs.enablement_cache import EnablementCache, forget_tenant
from scrm.core.plugins.enablement import disable_plugin, enable_plugin


class Clock:
    def __init__(self) -> None:
        self.now = 100.0

    def __call__(self) -> float:
        return self.now


def counting(answers):
    calls = []

    def checker(tenant_id, plugin):
        calls.append((tenant_id, plugin))
        return answers[(tenant_id, plugin)]

    return checker, calls


def test_an_answer_is_kept_for_the_ttl_then_asked_again():
    answers = {(1, "wecom"): True, (2, "wecom"): False}
    checker, calls = counting(answers)
    clock = Clock()
    cache = EnablementCache(checker, ttl=2.0, clock=clock)
    assert cache.enabled(1, "wecom") and cache.enabled(1, "wecom") and not cache.enabled(2, "wecom")
    assert calls == [(1, "wecom"), (2, "wecom")]
    answers[(1, "wecom")] = False  # disabled by another process
    clock.now += 1.9
    assert cache.enabled(1, "wecom")
    clock.now += 0.2
    assert not cache.enabled(1, "wecom")
    assert calls[-1] == (1, "wecom")


def test_forgetting_a_tenant_drops_only_its_answers():
    answers = {(1, "wecom"): True, (2, "wecom"): True}
    checker, calls = counting(answers)
    cache = EnablementCache(checker, ttl=60.0, clock=Clock())
    cache.enabled(1, "wecom")
    cache.enabled(2, "wecom")
    answers[(1, "wecom")] = False
    forget_tenant(1)  # every cache of the process
    assert not cache.enabled(1, "wecom") and cache.enabled(2, "wecom")
    assert calls == [(1, "wecom"), (2, "wecom"), (1, "wecom")]


def test_the_bus_answers_from_the_cache_and_a_disable_applies_at_once(app, db, platform, tenant, other_tenant,
                                                                       monkeypatch):
    enable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    queries = []
    checker = platform.bus.enabled_checker
    monkeypatch.setattr(platform.bus, "enabled_checker",
                        lambda tenant_id, plugin: queries.append(tenant_id) or checker(tenant_id, plugin))
    assert all(platform.bus.plugin_enabled(tenant.id, "wecom") for _ in range(50))
    assert not platform.bus.plugin_enabled(other_tenant.id, "wecom")  # tenant isolation: answers are per tenant
    assert queries == [tenant.id, other_tenant.id]
    disable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    assert not platform.bus.plugin_enabled(tenant.id, "wecom")
    enable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    assert platform.bus.plugin_enabled(tenant.id, "wecom")


def test_a_job_of_a_plugin_disabled_while_cached_is_skipped(app, db, platform, tenant, worker):
    from scrm_wecom.jobs import process_callbacks

    enable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    process_callbacks.send(tenant.id, inbound_ids=[])
    worker.join()
    assert platform.bus.plugin_enabled(tenant.id, "wecom")  # cached now
    skipped_before = len(platform.bus.skipped)
    disable_plugin(db, platform.registry, db.merge(tenant), "wecom")
    db.commit()
    process_callbacks.send(tenant.id, inbound_ids=[])
    worker.join()
    assert list(platform.bus.skipped)[skipped_before:] == [("scrm_wecom.jobs.process_callbacks", tenant.id)]
