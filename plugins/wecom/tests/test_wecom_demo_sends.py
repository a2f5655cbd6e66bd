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
    skipped = status == DeliveryStatus.SKIPPED
    mark_delivery(db, row, status, error_code="41051" if skipped else None,
                  error="41051 already chatting" if skipped else None)
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
    assert "Lily" in page and "Mia" in page and "Not sent" in page
    assert "The chat had already started or the code was used" in page and "already chatting" not in page
    assert f'data-delivery-id="{theirs.id}"' not in page and "Noa" not in page
    assert "wmMass" not in page  # other kinds of deliveries are not welcomes
    assert page.count('data-status="sent"') == 1 and page.count('data-status="skipped"') == 1


def test_why_a_welcome_was_not_sent_is_shown_in_the_users_language(db, tenant, enable_plugins, make_user, login):
    """One label function (``delivery_reason``) on the stable code: core's reasons, WeCom's, a bare provider code."""
    from scrm.sdk import advance_delivery

    enable_plugins(tenant, "wecom")
    reasons = {"frequency_cap": ("3 of 3 'welcome' messages on wecom today", "已达每日发送频次上限"),
               "excluded": ("The customer is blacklisted: spam", "客户已被排除（如黑名单）"),
               "plugin_disabled": ("plugin disabled", "品牌已停用该渠道"),
               "expired": ("the welcome code had expired: 30 s after the add", "欢迎语 code 已过期"),
               "45009": ("api freq out of limit", "渠道错误 45009")}
    for n, (code, (english, _chinese)) in enumerate(reasons.items()):
        row = welcome_sent(db, tenant, f"wm{n}", f"C{n}", DeliveryStatus.QUEUED)
        status = DeliveryStatus.FAILED if code == "45009" else DeliveryStatus.SKIPPED
        assert advance_delivery(db, row.id, status, error_code=code, error=english, tenant_id=tenant.id)
    db.commit()
    client = login(make_user("operator@acme.test", tenant, role="operator"))
    client.get("/lang/zh_CN")
    page = client.get("/t/acme/wecom/welcome/").get_data(as_text=True)
    for code, (english, chinese) in reasons.items():
        assert f'data-reason="{code}">{chinese}<' in page
        assert english not in page
