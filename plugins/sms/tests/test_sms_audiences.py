"""The SMS plugin's audience conditions (issue 16 item 2): received an SMS within N days (delivered), clicked a
personalised SMS short link within N days, unsubscribed; each one SQL query (SQLite and PostgreSQL), the window
edges, bad values refused, the hook contributing them for a tenant with SMS enabled, and tenant isolation."""

from __future__ import annotations

from datetime import timedelta

import pytest
from scrm_sms.audiences import MAX_DAYS, audience_filters
from scrm_sms.optout.models import SmsUnsubscribe

from scrm.sdk import AudienceError, DeliveryStatus, MessageDelivery, count_audience, current_bus, utcnow
from scrm.sdk.shortlinks import ShortLink, ShortLinkClick, ShortLinkRecipient


def count(db, tenant, key, values) -> int:
    n = count_audience(db, tenant.id, {"conditions": [{"type": key, "values": values}]}, audience_filters(tenant))
    db.commit()
    return n


def delivery(db, tenant, customer, days_ago: float, status=DeliveryStatus.DELIVERED, channel="sms") -> None:
    db.add(MessageDelivery(tenant_id=tenant.id, channel=channel, customer_id=customer.id, recipient=customer.mobile,
                           idempotency_key=f"k{customer.id}-{days_ago}-{channel}-{status}", status=status,
                           created_at=utcnow() - timedelta(days=days_ago)))
    db.commit()


def click(db, tenant, customer, days_ago: float, channel="sms", code="c") -> None:
    link = ShortLink(tenant_id=tenant.id, code=f"L{customer.id}{code}"[:8], target_url="https://shop.example.com/",
                     channel=channel, expires_at=None)
    db.add(link)
    db.flush()
    recipient = ShortLinkRecipient(tenant_id=tenant.id, link_id=link.id, code=f"R{customer.id}{code}"[:8],
                                   customer_id=customer.id, recipient=customer.mobile, clicks=1)
    db.add(recipient)
    db.flush()
    db.add(ShortLinkClick(tenant_id=tenant.id, link_id=link.id, recipient_id=recipient.id, customer_id=customer.id,
                          clicked_at=utcnow() - timedelta(days=days_ago)))
    db.commit()


def test_received_counts_delivered_sms_within_the_window(db, tenant, other_tenant, make_customer):
    inside = make_customer(tenant, "近期", mobile="13800000001")
    edge = make_customer(tenant, "边界", mobile="13800000002")
    old = make_customer(tenant, "早期", mobile="13800000003")
    failed = make_customer(tenant, "失败", mobile="13800000004")
    wecom = make_customer(tenant, "企微", mobile="13800000005")
    delivery(db, tenant, inside, 1)
    delivery(db, tenant, edge, 6.99)
    delivery(db, tenant, old, 7.01)
    delivery(db, tenant, failed, 1, status=DeliveryStatus.FAILED)
    delivery(db, tenant, wecom, 1, channel="wecom")
    foreign = make_customer(other_tenant, "别家", mobile="13800000001")
    delivery(db, other_tenant, foreign, 1)
    assert count(db, tenant, "sms_received_within", ["7"]) == 2
    assert count(db, tenant, "sms_received_within", ["1", "8"]) == 3  # OR: the widest window
    assert count(db, other_tenant, "sms_received_within", ["7"]) == 1


def test_clicked_counts_sms_link_clicks_of_recipients(db, tenant, other_tenant, make_customer):
    clicker = make_customer(tenant, "点了", mobile="13800000011")
    late = make_customer(tenant, "很久前", mobile="13800000012")
    oa = make_customer(tenant, "公众号", mobile="13800000013")
    make_customer(tenant, "没点", mobile="13800000014")
    click(db, tenant, clicker, 2)
    click(db, tenant, late, 31)
    click(db, tenant, oa, 2, channel="official_account")
    foreign = make_customer(other_tenant, "别家", mobile="13800000011")
    click(db, other_tenant, foreign, 2)
    assert count(db, tenant, "sms_clicked_within", ["30"]) == 1
    assert count(db, tenant, "sms_clicked_within", ["32"]) == 2


def test_unsubscribed_matches_the_mobile_on_the_list(db, tenant, other_tenant, make_customer):
    make_customer(tenant, "退订", mobile="13800000021")
    make_customer(tenant, "订阅", mobile="13800000022")
    make_customer(tenant, "无号码")
    make_customer(other_tenant, "别家", mobile="13800000022")
    db.add(SmsUnsubscribe(tenant_id=tenant.id, mobile="13800000021", source="uplink"))
    db.add(SmsUnsubscribe(tenant_id=other_tenant.id, mobile="13800000022", source="uplink"))
    db.commit()
    assert count(db, tenant, "sms_unsubscribed", ["true"]) == 1
    assert count(db, tenant, "sms_unsubscribed", ["false"]) == 2
    assert count(db, other_tenant, "sms_unsubscribed", ["true"]) == 1


@pytest.mark.parametrize("value", ["0", "366", "seven", "-1", ""])
def test_bad_day_counts_are_refused(db, tenant, value):
    with pytest.raises(AudienceError, match="from 1 to 365|at least one value"):
        count(db, tenant, "sms_received_within", [value] if value else [])


def test_a_year_is_the_longest_window(db, tenant):
    assert MAX_DAYS == 365
    assert count(db, tenant, "sms_clicked_within", ["365"]) == 0  # accepted


def test_the_hook_contributes_the_conditions_when_sms_is_enabled(app, db, tenant, enable_plugins):
    enable_plugins(tenant, "sms")
    hooks = current_bus().platform.hooks(db, db.merge(tenant))
    keys = {t.key for t in hooks.contribute("audience_filters", tenant=db.merge(tenant))}
    assert {"sms_received_within", "sms_clicked_within", "sms_unsubscribed"} <= keys
