# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The manual's dialogs open as dialogs (spec A §3.6 "Transfer-customers dialog", §3.8 "Dialog: tabs 手动标签 /
企微标签 / 个人标签"; issue 16 item 4): on the customer list, 批量打标签 and 移交客户 (toolbar and row "More" menu)
load their form with htmx into a <dialog> opened as a modal; the same address without htmx is the full page
(the fallback without JavaScript). Tenant isolation and CSRF as for the pages."""

from __future__ import annotations

import re

import pytest
from members_segments_fixtures import add_category, add_customer, add_tag, members_tenant, staff  # noqa: F401
from sqlmodel import select

from scrm.core.models import Customer, CustomerTag, Employee

LIST = "/t/acme/members/customers/"
BULK_TAG = "/t/acme/members/customers/bulk/tag"
TRANSFER = "/t/acme/members/customers/bulk/transfer"
BLACKLIST = "/t/acme/members/blacklist/add"
DIALOG = {"HX-Request": "true", "HX-Target": "members-dialog-body"}


def add_employee(db, tenant, name: str) -> Employee:
    row = Employee(tenant_id=tenant.id, userid=f"{name}-{tenant.id}", name=name, status="active")
    db.add(row)
    db.commit()
    return row


def test_the_list_has_the_dialog_and_its_buttons_load_into_it(client, staff, members_tenant, add_customer):
    anna = add_customer(members_tenant, "Anna")
    html = client.get(LIST).get_data(as_text=True)
    assert '<dialog id="members-dialog"' in html and 'id="members-dialog-body"' in html
    assert "dialogs.js" in html and "tag_dialog.js" in html
    for testid, url in (("bulk-tag", BULK_TAG), ("bulk-transfer", TRANSFER)):
        button = re.search(rf'<button[^>]*data-testid="{testid}"[^>]*>', html).group(0)
        assert f'hx-post="{url}"' in button and 'hx-target="#members-dialog-body"' in button
        assert f'formaction="{url}"' in button  # without JavaScript the button submits the bulk form
    row_start = html.index(f'data-customer-id="{anna.id}"')
    row = html[row_start:html.index("</tr>", row_start)]
    for testid, url in (("row-tag", BULK_TAG), ("row-transfer", TRANSFER), ("row-blacklist", BLACKLIST)):
        button = re.search(rf'<button[^>]*data-testid="{testid}"[^>]*>', row).group(0)
        assert f'hx-post="{url}"' in button and 'form="row-action"' in button and f'value="{anna.id}"' in button


@pytest.mark.parametrize("url", [BULK_TAG, TRANSFER, BLACKLIST])
def test_htmx_gets_the_form_alone_and_a_plain_post_the_whole_page(client, staff, members_tenant, add_customer, url):
    anna = add_customer(members_tenant, "Anna")
    fragment = client.post(url, data={"customer_id": anna.id, "step": "choose"}, headers=DIALOG)
    assert fragment.status_code == 200
    body = fragment.get_data(as_text=True)
    assert "<html" not in body and "<nav" not in body and "<form" in body
    assert f'name="customer_id" value="{anna.id}"' in body and "data-dialog-cancel" in body
    page = client.post(url, data={"customer_id": anna.id, "step": "choose"}).get_data(as_text=True)
    assert "<html" in page and f'name="customer_id" value="{anna.id}"' in page
    # htmx aiming at another target gets the page, not the dialog body
    other = client.post(url, data={"customer_id": anna.id, "step": "choose"},
                        headers={"HX-Request": "true", "HX-Target": "main"}).get_data(as_text=True)
    assert "<html" in other


def test_the_dialog_refuses_an_empty_selection_and_another_tenants_customer(client, staff, members_tenant,
                                                                           other_tenant, add_customer):
    theirs = add_customer(other_tenant, "Ben")
    for data in ({"step": "choose"}, {"step": "choose", "customer_id": theirs.id}):
        response = client.post(BULK_TAG, data=data, headers=DIALOG)
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and "<html" not in body
        assert "Choose at least one customer." in body and "Ben" not in body


def test_a_post_from_the_dialog_answers_hx_redirect_and_a_refusal_stays_in_the_dialog(
        client, staff, members_tenant, add_customer, add_category, add_tag, db):
    from scrm_members.segments.models import BlacklistEntry

    anna = add_customer(members_tenant, "Anna")
    gold = add_tag(add_category(members_tenant, "会员价值"), "高价值")
    refused = client.post(BLACKLIST, data={"customer_id": anna.id, "reason": " "}, headers=DIALOG)
    body = refused.get_data(as_text=True)
    assert refused.status_code == 422 and "<html" not in body and 'data-testid="reason-error"' in body
    db.commit()
    assert db.exec(select(BlacklistEntry)).all() == []
    done = client.post(BLACKLIST, data={"customer_id": anna.id, "reason": "恶意刷券", "next": LIST}, headers=DIALOG)
    assert done.status_code == 204 and done.headers["HX-Redirect"] == LIST
    evil = client.post(BLACKLIST, data={"customer_id": anna.id, "reason": "again", "next": "https://evil.example/"},
                       headers=DIALOG)
    assert evil.headers.get("HX-Redirect", "").startswith("/")  # the safe-redirect helper chose the target
    tagged = client.post(BULK_TAG, data={"customer_id": anna.id, "tag_id": gold.id}, headers=DIALOG)
    assert tagged.status_code == 204 and tagged.headers["HX-Redirect"] == LIST
    plain = client.post(BULK_TAG, data={"customer_id": anna.id, "tag_id": gold.id})  # the page: a redirect
    assert plain.status_code == 302 and "HX-Redirect" not in plain.headers
    db.commit()
    assert [e.reason for e in db.exec(select(BlacklistEntry))] == ["恶意刷券"]
    assert db.exec(select(CustomerTag.tag_id).where(CustomerTag.customer_id == anna.id)).all() == [gold.id]


@pytest.mark.browser
def test_bulk_tagging_and_the_row_transfer_open_as_modal_dialogs(chromium, live_server, members_tenant, make_user,
                                                                  add_customer, add_category, add_tag, db):
    from scrm.sdk.testing import ADMIN_PASSWORD

    boss = make_user("boss@acme.test", members_tenant, role="tenant_admin")
    vip = add_category(members_tenant, "会员价值")
    gold, silver = add_tag(vip, "高价值"), add_tag(vip, "潜力客户")
    anna, ben, cleo = (add_customer(members_tenant, n) for n in ("王芳", "李雷", "韩梅梅"))
    joe = add_employee(db, members_tenant, "周杰")
    context = chromium.new_context(base_url=live_server, viewport={"width": 1280, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login")
        page.fill("input[name=email]", boss.email)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto(LIST)
        dialog = page.locator("[data-testid=members-dialog]")
        assert not dialog.is_visible()
        for person in (anna, ben, cleo):
            page.check(f"input[name=customer_id][value='{person.id}']")
        page.click("[data-testid=bulk-tag]")
        dialog.locator("[data-testid=bulk-tag-form]").wait_for()
        assert page.evaluate("document.querySelector('#members-dialog').open") is True
        assert page.evaluate("document.querySelector('#members-dialog:modal') !== null") is True
        assert page.url.endswith(LIST)  # no navigation: the list stays behind the dialog
        dialog.locator("[data-testid=tag-tabs]:not([hidden])").wait_for()
        assert dialog.locator("[data-testid=selected-count]").inner_text() == "已选择 3 位客户"
        dialog.locator(f"#tag-panel-manual input[value='{gold.id}']").check()
        dialog.locator(f"#tag-panel-manual input[value='{silver.id}']").check()
        assert dialog.locator("[data-testid=chosen-count]").inner_text() == "已选择标签 2 个"
        # Cancel closes the dialog and nothing is tagged; opening it again starts afresh
        dialog.locator("[data-dialog-cancel]").click()
        assert not dialog.is_visible() and page.url.endswith(LIST)
        page.click("[data-testid=bulk-tag]")
        dialog.locator("[data-testid=tag-tabs]:not([hidden])").wait_for()
        assert dialog.locator("[data-testid=chosen-count]").inner_text() == "已选择标签 0 个"
        dialog.locator(f"#tag-panel-manual input[value='{gold.id}']").check()
        dialog.locator(f"#tag-panel-manual input[value='{silver.id}']").check()
        with page.expect_navigation():
            dialog.locator("[data-testid=apply-tags]").click()
        page.wait_for_selector(".flash-success")
        # the row "More" menu: 移交客户 opens the transfer dialog for that one customer
        menu = page.locator(f"tr[data-customer-id='{ben.id}'] [data-testid=row-more]")
        menu.locator("summary").click()
        menu.locator("[data-testid=row-transfer]").click()
        form = dialog.locator("form[action$='/bulk/transfer']")
        form.wait_for()
        assert dialog.locator("[data-testid=selected-count]").inner_text() == "已选择 1 位客户"
        assert form.locator("input[type=hidden][name=customer_id]").get_attribute("value") == str(ben.id)
        form.locator("select[name=to_employee_id]").select_option(str(joe.id))
        with page.expect_navigation():
            form.locator("button[type=submit].primary").click()
        page.wait_for_selector(".flash-success")
        # the row's 加入黑名单: without a reason the dialog stays open and says so; with one the list comes back
        menu = page.locator(f"tr[data-customer-id='{cleo.id}'] [data-testid=row-more]")
        menu.locator("summary").click()
        menu.locator("[data-testid=row-blacklist]").click()
        dialog.locator("[data-testid=blacklist-add]").wait_for()
        dialog.locator("[data-testid=blacklist-confirm-button]").click()
        dialog.locator("[data-testid=reason-error]").wait_for()
        assert page.evaluate("document.querySelector('#members-dialog').open") is True
        dialog.locator("input[name=reason]").fill("恶意刷券")
        with page.expect_navigation():
            dialog.locator("[data-testid=blacklist-confirm-button]").click()
        page.wait_for_selector(".flash-success")
        # Escape closes a dialog like its close button
        page.click("[data-testid=bulk-tag]")  # nothing ticked any more: the dialog says so
        dialog.locator("[data-testid=form-error]").wait_for()
        page.keyboard.press("Escape")
        assert not dialog.is_visible()
    finally:
        context.close()
    db.commit()
    links = db.exec(select(CustomerTag.customer_id, CustomerTag.tag_id).where(
        CustomerTag.tag_id.in_([gold.id, silver.id]))).all()
    assert sorted(links) == sorted((p.id, t.id) for p in (anna, ben, cleo) for t in (gold, silver))
    owners = dict(db.exec(select(Customer.id, Customer.owner_employee_id).where(
        Customer.id.in_([anna.id, ben.id, cleo.id]))).all())
    assert owners == {anna.id: None, ben.id: joe.id, cleo.id: None}
    from scrm_members.segments.models import BlacklistEntry

    assert [(e.customer_id, e.reason) for e in db.exec(select(BlacklistEntry))] == [(cleo.id, "恶意刷券")]


def test_a_dialog_post_needs_the_csrf_token(app, client, staff, members_tenant, add_customer, db):
    """CSRF on, as in production: the dialog's post without the token is refused and blacklists nobody; with the
    token the form carries it is done."""
    from scrm_members.segments.models import BlacklistEntry

    anna = add_customer(members_tenant, "Anna")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        refused = client.post(BLACKLIST, data={"customer_id": anna.id, "reason": "恶意刷券"}, headers=DIALOG)
        assert refused.status_code == 400
        db.commit()
        assert db.exec(select(BlacklistEntry)).all() == []
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(LIST).get_data(as_text=True)).group(1)
        form = client.post(BLACKLIST, data={"customer_id": anna.id, "step": "choose", "csrf_token": token},
                           headers=DIALOG).get_data(as_text=True)
        token = re.search(r'name="csrf_token" value="([^"]+)"', form).group(1)
        done = client.post(BLACKLIST, data={"customer_id": anna.id, "reason": "恶意刷券", "csrf_token": token},
                           headers=DIALOG)
        assert done.status_code == 204 and done.headers["HX-Redirect"]
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.commit()
    assert [e.customer_id for e in db.exec(select(BlacklistEntry))] == [anna.id]
