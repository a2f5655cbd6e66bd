"""``scrm.sdk.timeline``: timeline entries are written through one helper, only for declared (documented) kinds."""

from __future__ import annotations

import pytest
from sqlmodel import select

from scrm.core.models import CustomerEvent
from scrm.sdk import timeline
from scrm.sdk.timeline import add_entries, add_entry, entry_kind, entry_row, kinds

SHIPPED = entry_kind("parcel_test", "shipped", "parcel shipped", "A parcel left the warehouse; data: carrier.")


def test_an_entry_is_written_in_the_callers_transaction_with_the_kinds_summary(db, tenant, make_customer):
    customer = make_customer(tenant)
    event = add_entry(db, SHIPPED, tenant_id=tenant.id, customer_id=customer.id, carrier="SF", note="", empty=None)
    db.commit()
    row = db.exec(select(CustomerEvent).where(CustomerEvent.id == event.id)).one()
    assert (row.plugin, row.kind, row.summary, row.data) == ("parcel_test", "shipped", "parcel shipped",
                                                              {"carrier": "SF"})
    assert row.tenant_id == tenant.id and row.customer_id == customer.id


def test_without_a_customer_nothing_is_written(db, tenant):
    assert add_entry(db, SHIPPED, tenant_id=tenant.id, customer_id=None) is None
    assert db.exec(select(CustomerEvent)).all() == []


def test_many_entries_in_one_statement(db, tenant, make_customer):
    customers = [make_customer(tenant, name=f"c{i}") for i in range(3)]
    add_entries(db, [entry_row(SHIPPED, tenant.id, c.id, carrier="EMS") for c in customers])
    db.commit()
    assert sorted(e.customer_id for e in db.exec(select(CustomerEvent))) == sorted(c.id for c in customers)


def test_an_undeclared_kind_is_refused():
    stray = timeline.EntryKind("parcel_test", "lost", "parcel lost", "never declared")
    with pytest.raises(ValueError, match="was not declared"):
        entry_row(stray, 1, 1)


def test_a_kind_is_declared_once_and_documented():
    assert entry_kind("parcel_test", "shipped", "parcel shipped", SHIPPED.description) is SHIPPED
    with pytest.raises(ValueError, match="already declared differently"):
        entry_kind("parcel_test", "shipped", "parcel sent", SHIPPED.description)
    with pytest.raises(ValueError, match="needs a summary"):
        entry_kind("parcel_test", "returned", "parcel returned", " ")
    with pytest.raises(ValueError, match="1 to 60"):
        entry_kind("parcel_test", "k" * 61, "too long", "a kind code longer than the column")
    assert SHIPPED in kinds("parcel_test") and timeline.MERGED in kinds("core")


def test_wecom_writes_its_entries_through_the_helper():
    import scrm_wecom.materials.timeline as material_timeline
    import scrm_wecom.timeline as wecom_timeline

    # the plugin's kinds, and the material centre's own (a tracked material opened)
    assert {k.kind for k in kinds("wecom")} == set(wecom_timeline.KINDS) | {material_timeline.KIND}
    assert all(k.description for k in kinds("wecom"))
