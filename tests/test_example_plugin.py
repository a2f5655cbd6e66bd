"""The example plugin, a third-party-style distribution, driven through every part of the host: its page, API,
setting, job, event subscriber and table, enabled and disabled per tenant, and never across tenants."""

from __future__ import annotations

import pytest
from scrm_example.jobs import stamp
from scrm_example.models import ExampleNote
from sqlmodel import select

from scrm.core.models import Customer, TenantPlugin


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}"}


@pytest.fixture
def tenant_admin(make_user, tenant):
    return make_user("boss@acme.test", tenant, role="tenant_admin")


def notes(db, tenant) -> list[tuple[str, str]]:
    db.commit()  # end the session's read transaction: see what the app committed since
    return [(n.body, n.source) for n in db.exec(select(ExampleNote).where(ExampleNote.tenant_id == tenant.id)
                                                .order_by(ExampleNote.id))]


# -- pages ---------------------------------------------------------------------------------------------------------


def test_page_is_404_until_the_tenant_enables_the_plugin(client, login, tenant_admin, tenant, enable_plugins):
    """register_routes: the blueprint is mounted at /t/<tenant>/example/ and gated by enablement."""
    login(tenant_admin)
    assert client.get("/t/acme/example/").status_code == 404
    enable_plugins(tenant, "example")
    response = client.get("/t/acme/example/")
    assert response.status_code == 200
    assert "Hello, Acme Cosmetics" in response.get_data(as_text=True)


def test_page_is_404_again_after_disabling(client, login, tenant_admin, tenant, enable_plugins):
    enable_plugins(tenant, "example")
    login(tenant_admin)
    assert client.post("/t/acme/plugins/example/disable").status_code == 302
    assert client.get("/t/acme/example/").status_code == 404


def test_note_form_rejects_an_empty_note_and_writes_nothing(client, login, tenant_admin, tenant, enable_plugins, db):
    enable_plugins(tenant, "example")
    login(tenant_admin)
    before = notes(db, tenant)
    response = client.post("/t/acme/example/", data={"body": "   "})
    assert response.status_code == 422
    assert 'data-testid="note-error"' in response.get_data(as_text=True)
    assert notes(db, tenant) == before
    assert client.post("/t/acme/example/", data={"body": "called back"}).status_code == 302
    assert ("called back", "manual") in notes(db, tenant)


def test_enabling_calls_plugin_enabled_with_validated_settings(tenant, enable_plugins, db):
    enable_plugins(tenant, "example", settings={"example": {"greeting": "Ni hao"}})
    assert notes(db, tenant) == [("Ni hao, Acme Cosmetics", "system")]
    row = db.exec(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id)).one()
    assert row.settings == {"greeting": "Ni hao", "max_notes": 100}


def test_disabling_calls_plugin_disabled(tenant, enable_plugins, db, platform):
    from scrm.core.plugins.enablement import disable_plugin

    enable_plugins(tenant, "example")
    disable_plugin(db, platform.registry, db.merge(tenant), "example")
    db.commit()
    assert notes(db, tenant)[-1] == ("disabled", "system")


# -- settings --------------------------------------------------------------------------------------------------------


def test_settings_form_is_generated_from_the_schema_and_validates(client, login, tenant_admin, tenant,
                                                                   enable_plugins, db):
    enable_plugins(tenant, "example")
    login(tenant_admin)
    html = client.get("/t/acme/plugins/example/settings").get_data(as_text=True)
    assert 'name="greeting"' in html and 'name="max_notes"' in html
    bad = client.post("/t/acme/plugins/example/settings", data={"greeting": "Hi", "max_notes": "0"})
    assert bad.status_code == 422
    assert "greater than or equal to 1" in bad.get_data(as_text=True)
    db.expire_all()
    assert db.exec(select(TenantPlugin.settings).where(TenantPlugin.plugin == "example")).one()["max_notes"] == 100
    ok = client.post("/t/acme/plugins/example/settings", data={"greeting": "Hi", "max_notes": "5"})
    assert ok.status_code == 302
    assert "Hi" in client.get("/t/acme/example/").get_data(as_text=True)


def test_bad_settings_refuse_enabling_and_leave_nothing(tenant, enable_plugins, db):
    from scrm.core.plugins.enablement import EnablementError

    with pytest.raises(EnablementError) as info:
        enable_plugins(tenant, "example", settings={"example": {"max_notes": 5000}})
    assert "max_notes" in info.value.field_errors
    db.rollback()
    assert db.exec(select(TenantPlugin).where(TenantPlugin.tenant_id == tenant.id)).first() is None
    assert notes(db, tenant) == []


# -- API ---------------------------------------------------------------------------------------------------------------


def test_plugin_api_is_404_while_disabled_and_works_when_enabled(client, tenant, api_token, enable_plugins):
    """register_api: the blueprint is mounted at /api/v1/example/ behind tenant tokens and gated by enablement."""
    headers = bearer(api_token(tenant))
    assert client.get("/api/v1/example/notes", headers=headers).status_code == 404
    enable_plugins(tenant, "example")
    created = client.post("/api/v1/example/notes", json={"body": "from the ERP"}, headers=headers)
    assert created.status_code == 201
    bodies = [n["body"] for n in client.get("/api/v1/example/notes", headers=headers).json["items"]]
    assert "from the ERP" in bodies


def test_plugin_api_validates_and_answers_json_errors(client, tenant, api_token, enable_plugins, db):
    enable_plugins(tenant, "example")
    headers = bearer(api_token(tenant))
    response = client.post("/api/v1/example/notes", json={"body": ""}, headers=headers)
    assert response.status_code == 422
    assert response.json["error"]["code"] == "validation_error" and "body" in response.json["error"]["fields"]
    assert client.post("/api/v1/example/notes", data="nope", headers=headers).status_code == 400
    assert [s for _b, s in notes(db, tenant)] == ["system"]


def test_plugin_api_is_in_the_openapi_document(client):
    paths = client.get("/api/v1/openapi.json").json["paths"]
    assert {"get", "post"} <= set(paths["/example/notes"])
    assert paths["/example/notes"]["post"]["requestBody"]["content"]["application/json"]["schema"]["$ref"].endswith(
        "/NoteIn")


def test_plugin_api_needs_a_token(client, tenant, enable_plugins):
    enable_plugins(tenant, "example")
    assert client.get("/api/v1/example/notes").status_code == 401


# -- isolation -----------------------------------------------------------------------------------------------------


def test_tenants_never_see_each_others_notes(client, tenant, other_tenant, api_token, enable_plugins, login,
                                            make_user):
    enable_plugins(tenant, "example")
    enable_plugins(other_tenant, "example")
    a, b = bearer(api_token(tenant)), bearer(api_token(other_tenant))
    client.post("/api/v1/example/notes", json={"body": "acme secret"}, headers=a)
    assert "acme secret" not in str(client.get("/api/v1/example/notes", headers=b).json)
    login(make_user("op@globex.test", other_tenant))
    assert "acme secret" not in client.get("/t/globex/example/").get_data(as_text=True)
    assert client.get("/t/acme/example/").status_code == 404


def test_a_job_writes_only_for_its_own_tenant(worker, tenant, other_tenant, enable_plugins, db):
    enable_plugins(tenant, "example")
    enable_plugins(other_tenant, "example")
    stamp.send(tenant.id, body="stamped for acme")
    worker.join()
    assert ("stamped for acme", "job") in notes(db, tenant)
    assert all(body != "stamped for acme" for body, _s in notes(db, other_tenant))


def test_a_job_of_a_disabled_plugin_is_skipped(worker, tenant, db):
    stamp.send(tenant.id, body="never")
    worker.join()
    assert notes(db, tenant) == []
    assert ("scrm_example.jobs.stamp", tenant.id) in list(worker.skipped)


# -- contributions and decisions -------------------------------------------------------------------------------------


def test_menu_item_and_dashboard_card_appear_only_when_enabled(client, login, admin_user, tenant, enable_plugins):
    """menu_items and dashboard_cards contribute to the layout and the home page of enabled tenants only (the example
    plugin is a hidden one: its menu item shows to platform admins)."""
    login(admin_user)
    html = client.get("/t/acme/").get_data(as_text=True)
    assert 'data-endpoint="example.index"' not in html and ">Notes<" not in html
    enable_plugins(tenant, "example")
    html = client.get("/t/acme/").get_data(as_text=True)
    assert 'data-endpoint="example.index"' in html
    assert "<h2>Notes</h2>" in html


def test_a_failing_menu_hook_is_skipped_and_recorded(client, login, tenant_admin, tenant, enable_plugins, platform,
                                                     admin_user):
    enable_plugins(tenant, "example", "example_broken")
    login(admin_user)
    response = client.get("/t/acme/")
    assert response.status_code == 200
    html = response.get_data(as_text=True)
    assert 'data-endpoint="example.index"' in html and 'data-endpoint="tenant.plugins"' in html
    failures = list(platform.registry.get("example_broken").failures)
    assert any("menu exploded" in f for f in failures) and any("card exploded" in f for f in failures)
    login(admin_user)
    assert "menu exploded" in client.get("/admin/plugins/example_broken").get_data(as_text=True)


def test_decision_hook_vetoes_only_for_tenants_that_enabled_the_plugin(db, platform, tenant, other_tenant,
                                                                     enable_plugins):
    from scrm_example.plugin import OPT_OUT

    enable_plugins(tenant, "example")
    people = {}
    for t in (tenant, other_tenant):
        customer = Customer(tenant_id=t.id, name="Opted")
        db.add(customer)
        db.flush()
        db.add(ExampleNote(tenant_id=t.id, body=OPT_OUT, customer_id=customer.id))
        people[t.slug] = customer.id
    db.commit()

    def reason(t):
        hooks = platform.hooks(db, db.merge(t))
        return hooks.decide("customer_exclusion_reason", tenant=t, customer_id=people[t.slug], purpose="mass_send",
                            session=db)

    assert reason(tenant) == "the customer opted out in a note"
    assert reason(other_tenant) is None


def test_a_plugins_customer_may_win_veto_reaches_campaigns_through_the_sdk(db, tenant, other_tenant, enable_plugins):
    """``customer_may_win``: a campaign asks ``scrm.sdk.participation.may_win``; the example plugin's "no prizes"
    note keeps its customer from winning below a 100 % win rate, for the tenant that enabled it only."""
    from scrm_example.plugin import NO_PRIZES

    from scrm.sdk import participation

    enable_plugins(tenant, "example")
    people = {}
    for t in (tenant, other_tenant):
        customer = Customer(tenant_id=t.id, name="Unlucky")
        db.add(customer)
        db.flush()
        db.add(ExampleNote(tenant_id=t.id, body=NO_PRIZES, customer_id=customer.id))
        people[t.slug] = customer.id
    db.commit()
    assert not participation.may_win(db, tenant, people[tenant.slug], 0.5)
    assert participation.may_win(db, tenant, people[tenant.slug], 1)
    assert participation.may_win(db, other_tenant, people[other_tenant.slug], 0.5)


def test_plugin_audience_filter_is_offered_only_when_enabled(db, platform, tenant, enable_plugins):
    from scrm.core.audience import compile_audience

    def keys():
        return {f.key for f in platform.hooks(db, db.merge(tenant)).contribute("audience_filters", tenant=tenant)}

    assert "example_has_notes" not in keys()
    enable_plugins(tenant, "example")
    assert "example_has_notes" in keys()
    noted, plain = Customer(tenant_id=tenant.id, name="N"), Customer(tenant_id=tenant.id, name="P")
    db.add_all([noted, plain])
    db.flush()
    db.add(ExampleNote(tenant_id=tenant.id, body="x", customer_id=noted.id))
    db.commit()
    types = platform.hooks(db, db.merge(tenant)).contribute("audience_filters", tenant=tenant)
    query = compile_audience(tenant.id, {"conditions": [{"type": "example_has_notes", "values": [True]}]}, types)
    assert set(db.exec(query).scalars()) == {noted.id}


def test_merge_calls_customer_merged_of_enabled_plugins(db, platform, tenant, enable_plugins):
    from scrm.core.services.merge import merge_customers

    enable_plugins(tenant, "example")
    survivor, merged = Customer(tenant_id=tenant.id, name="S"), Customer(tenant_id=tenant.id, name="M")
    db.add_all([survivor, merged])
    db.flush()
    db.add(ExampleNote(tenant_id=tenant.id, body="about M", customer_id=merged.id))
    db.commit()
    merge_customers(db, platform.hooks(db, db.merge(tenant)), survivor, merged)
    db.commit()
    db.expire_all()
    assert db.exec(select(ExampleNote.customer_id).where(ExampleNote.body == "about M")).one() == survivor.id


def test_customer_columns_and_tag_sources_come_from_enabled_plugins(db, platform, tenant, other_tenant,
                                                                    enable_plugins):
    """customer_columns: values for the customers of one list page, only for the asked ids and the tenant's own
    rows; tag_sources: the tag tabs a channel plugin owns. A tenant that did not enable the plugin gets neither."""
    alice, bob, carol = (Customer(tenant_id=tenant.id, name=n) for n in ("Alice", "Bob", "Carol"))
    stranger = Customer(tenant_id=other_tenant.id, name="Stranger")
    db.add_all([alice, bob, carol, stranger])
    db.flush()
    db.add_all([ExampleNote(tenant_id=tenant.id, body="one", customer_id=alice.id),
                ExampleNote(tenant_id=tenant.id, body="two", customer_id=alice.id),
                ExampleNote(tenant_id=tenant.id, body="three", customer_id=carol.id),
                ExampleNote(tenant_id=other_tenant.id, body="theirs", customer_id=stranger.id)])
    db.commit()

    def contributions(who):
        hooks = platform.hooks(db, db.merge(who))
        ids = [alice.id, bob.id, stranger.id]
        return (hooks.contribute("customer_columns", tenant=who, customer_ids=ids, session=db),
                hooks.contribute("tag_sources", tenant=who))

    assert contributions(tenant) == ([], [])
    enable_plugins(tenant, "example")
    columns, sources = contributions(tenant)
    assert [(c.key, c.label, c.values) for c in columns] == [("example_notes", "Notes", {alice.id: "2"})]
    assert [(s.source, s.manage_endpoint) for s in sources] == [("example", "example.index")]
    assert contributions(other_tenant) == ([], [])


def test_profile_panels_and_timeline_entries_come_from_enabled_plugins(db, platform, tenant, enable_plugins):
    """customer_panels and timeline_entries: what a plugin shows on the 360 profile."""
    from scrm.core.models import CustomerEvent

    customer = Customer(tenant_id=tenant.id, name="Alice")
    db.add(customer)
    db.flush()
    db.add(ExampleNote(tenant_id=tenant.id, body="likes <b>roses</b>", customer_id=customer.id))
    event = CustomerEvent(tenant_id=tenant.id, customer_id=customer.id, plugin="example", kind="note",
                          summary="wrote <a note>")
    db.add(event)
    db.commit()

    def contributions():
        hooks = platform.hooks(db, db.merge(tenant))
        panels = hooks.contribute("customer_panels", tenant=tenant, customer=customer, user=None, session=db)
        entries = hooks.contribute("timeline_entries", tenant=tenant, events=[event], session=db)
        return panels, entries

    assert contributions() == ([], [])
    enable_plugins(tenant, "example")
    panels, entries = contributions()
    assert [p.title for p in panels] == ["Notes"]
    assert "likes &lt;b&gt;roses&lt;/b&gt;" in panels[0].html
    assert [(e.event_id, e.html) for e in entries] == [(event.id, "<strong>Note</strong> wrote &lt;a note&gt;")]
