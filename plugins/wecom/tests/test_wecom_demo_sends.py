"""The welcome page's "Recently sent" list (where the demo's welcomes show): the tenant's welcome deliveries from the
ledger, newest first, with the customer's name and a readable status; never another tenant's."""

from __future__ import annotations

from scrm.sdk import Customer, DeliveryStatus, mark_delivery, record_delivery


def welcome_sent(db, tenant, external_userid: str, name: str, status: DeliveryStatus = DeliveryStatus.SENT):
    customer = Customer(tenant_id=tenant.id, name=name, source="wecom")
    db.add(customer)
    db.flush()
    row, _created = record_delivery(db, tenant.id, channel="wecom", recipient=external_userid,
                                    idempotency_key=f"welcome:{external_userid}", customer_id=customer.id,
                                    kind="welcome", task_ref="welcome:1")
    mark_delivery(db, row, status, error="41051 already chatting" if status == DeliveryStatus.SKIPPED else None)
    db.commit()
    return row


def test_recently_sent_lists_the_tenants_welcomes_only(db, tenant, other_tenant, enable_plugins, make_user, login):
    enable_plugins(tenant, "wecom")
    enable_plugins(other_tenant, "wecom")
    lily = welcome_sent(db, tenant, "wmLily", "Lily")
    mia = welcome_sent(db, tenant, "wmMia", "Mia", DeliveryStatus.SKIPPED)
    theirs = welcome_sent(db, other_tenant, "wmNoa", "Noa")
    record_delivery(db, tenant.id, channel="wecom", recipient="wmMass", idempotency_key="mass:1", kind="mass")
    db.commit()

    client = login(make_user("operator@acme.test", tenant, role="operator"))
    page = client.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    assert page.index(f'data-delivery-id="{mia.id}"') < page.index(f'data-delivery-id="{lily.id}"')  # newest first
    assert "Lily" in page and "Mia" in page and "Not sent" in page and "41051 already chatting" in page
    assert f'data-delivery-id="{theirs.id}"' not in page and "Noa" not in page
    assert "wmMass" not in page  # other kinds of deliveries are not welcomes
    assert page.count('data-status="sent"') == 1 and page.count('data-status="skipped"') == 1
