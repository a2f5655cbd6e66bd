"""``scrm.sdk.message_templates`` and the ``message_templates`` hook: a feature lists the templated messages the
tenant's enabled channels offer and finds a stored choice again at send time; a disabled plugin offers nothing, and
another tenant's templates are never offered nor found. (The SMS plugin's answer and a real send through its sandbox
are tested with the WeCom promotion rewards.)"""

from __future__ import annotations

from scrm_example.models import ExampleNote

from scrm.sdk import MessageTemplate, OutboundMessage, message_templates


def _note(db, tenant, body: str) -> ExampleNote:
    row = ExampleNote(tenant_id=tenant.id, body=body)
    db.add(row)
    db.commit()
    return row


def test_offered_choices_come_from_the_enabled_plugins_of_the_tenant_only(db, tenant, other_tenant,
                                                                           enable_plugins):
    mine = _note(db, tenant, "tpl:7:Your code is ${code}, ${name}")
    _note(db, tenant, "tpl:7:Welcome ${name}")
    theirs = _note(db, other_tenant, "tpl:9:Their code ${code}")
    assert message_templates.offered(db, tenant) == []  # the example plugin is not enabled: not asked
    enable_plugins(tenant, "example")
    enable_plugins(other_tenant, "example")
    offered = message_templates.offered(db, tenant)
    assert [c.template_id for c in offered] == [str(mine.id), str(mine.id + 1)]
    assert all(isinstance(c, MessageTemplate) and c.plugin == "example" for c in offered)
    [coded] = message_templates.offered(db, tenant, variable="code")
    assert coded.key == f"example:7:{mine.id}" and coded.variables == ("code", "name")
    assert coded.purpose == "example_notice" and coded.address == "mobile"
    assert coded.message({"code": "AB12", "name": "Lily"}) == OutboundMessage.text("Your code is AB12, Lily")
    assert message_templates.find(db, tenant.id, coded.key) == coded
    their_key = f"example:9:{theirs.id}"
    assert message_templates.find(db, other_tenant, their_key) is not None
    assert message_templates.find(db, tenant, their_key) is None  # another tenant's: never found
    assert message_templates.find(db, tenant, "") is None


def test_a_plugin_disabled_later_offers_and_finds_nothing(db, platform, tenant, enable_plugins):
    from scrm.core.plugins.enablement import disable_plugin

    row = _note(db, tenant, "tpl:3:Code ${code}")
    enable_plugins(tenant, "example")
    key = f"example:3:{row.id}"
    assert message_templates.find(db, tenant, key) is not None
    disable_plugin(db, platform.registry, db.merge(tenant), "example")
    db.commit()
    assert message_templates.offered(db, tenant) == []
    assert message_templates.find(db, tenant, key) is None
