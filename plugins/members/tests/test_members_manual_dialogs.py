# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""The manual's dialogs (issue 16 item 4; spec A §3.1, §3.8, §3.14, §5.7; spec B §2.14): the bulk tagging dialog
with its tag-source tabs (manual, one per enabled ``TagSource``, personal), search and selected-tag count; the
customer row's "More" menu; the group profile's active-user share, order list and coupons; the stage board paged
4 at a time. Tenant isolation and CSRF on the writes."""

from __future__ import annotations

import re
from datetime import timedelta

import pytest
from members_segments_fixtures import add_category, add_customer, add_tag, members_tenant, staff  # noqa: F401
from scrm_members.loyalty import segment_orders, stages
from scrm_members.loyalty.models import Order, Stage
from scrm_members.segments import segment_profile
from scrm_members.segments.models import Segment, SegmentCategory, SegmentMember, TagMeta
from sqlmodel import delete, select

from scrm.core.models import CustomerEvent, CustomerIdentity, CustomerTag
from scrm.sdk import utcnow

LIST = "/t/acme/members/customers/"
BULK_TAG = "/t/acme/members/customers/bulk/tag"


def english(client):
    client.get("/lang/en")
    return client


def csrf_token(html: str) -> str:
    return re.search(r'name="csrf_token" value="([^"]+)"', html).group(1)


def tab_keys(html: str) -> list[str]:
    return re.findall(r'data-testid="tag-tab-([\w-]+)"', html)


def panel(html: str, key: str) -> str:
    start = html.index(f'data-testid="tag-panel-{key}"')
    end = html.find('role="tabpanel"', start + 1)
    return html[start:end if end != -1 else len(html)]


# --- bulk tagging dialog (批量打标签) -----------------------------------------------------------------------------


@pytest.fixture
def tags(db, members_tenant, other_tenant, staff, add_category, add_tag):
    """Manual tags (one created by the signed-in user), an automatic tag, and another tenant's tag."""
    vip = add_category(members_tenant, "会员价值")
    gold, silver = add_tag(vip, "高价值"), add_tag(vip, "潜力客户")
    mine = add_tag(add_category(members_tenant, "我的标签"), "爱喝奶茶")
    db.add(TagMeta(tenant_id=members_tenant.id, tag_id=mine.id, created_by=staff.id))
    auto = add_tag(add_category(members_tenant, "自动", source="auto"), "近30天下单")
    theirs = add_tag(add_category(other_tenant, "别家"), "别家标签")
    db.commit()
    return {"gold": gold, "silver": silver, "mine": mine, "auto": auto, "theirs": theirs}


def test_the_dialog_has_manual_and_personal_tabs_and_no_wecom_tab_without_wecom(client, staff, members_tenant, tags,
                                                                              add_customer):
    anna = add_customer(members_tenant, "Anna")
    html = english(client).post(BULK_TAG, data={"customer_id": anna.id, "step": "choose"}).get_data(as_text=True)
    assert tab_keys(html) == ["manual", "personal"]
    manual, personal = panel(html, "manual"), panel(html, "personal")
    assert "高价值" in manual and "潜力客户" in manual and "爱喝奶茶" in manual
    assert "爱喝奶茶" in personal and "高价值" not in personal  # personal: the tags I created
    assert "近30天下单" not in html  # automatic tags belong to their rule
    assert "别家标签" not in html  # another tenant's tag never shows
    assert 'data-testid="chosen-count">Selected tags: 0' in html
    assert 'data-testid="tag-search"' in html and "tag_dialog.js" in html


def test_the_wecom_tab_appears_only_where_wecom_is_enabled(client, staff, members_tenant, other_tenant, tags,
                                                           add_customer, add_category, add_tag, enable_plugins, db):
    anna = add_customer(members_tenant, "Anna")
    corp = add_tag(add_category(members_tenant, "企微客户等级", source="wecom"), "企微VIP")
    before = english(client).post(BULK_TAG, data={"customer_id": anna.id, "step": "choose"}).get_data(as_text=True)
    assert "wecom" not in tab_keys(before) and "企微VIP" not in before
    enable_plugins(members_tenant, "wecom")
    after = client.post(BULK_TAG, data={"customer_id": anna.id, "step": "choose"}).get_data(as_text=True)
    assert tab_keys(after) == ["manual", "wecom", "personal"]
    assert "企微VIP" in panel(after, "wecom") and "企微VIP" not in panel(after, "manual")
    assert ">WeCom tags <span" in after
    assert client.post(BULK_TAG, data={"customer_id": anna.id, "tag_id": corp.id}).status_code == 302
    db.commit()
    assert db.exec(select(CustomerTag.tag_id).where(CustomerTag.customer_id == anna.id)).all() == [corp.id]


def test_the_selected_tag_count_names_each_tag_once(client, staff, members_tenant, other_tenant, tags, add_customer,
                                                    db):
    """A tag listed in two tabs (manual and personal) is posted twice: it counts once and is linked once. After a
    refused apply the dialog shows the chosen tags and their count again."""
    anna = add_customer(members_tenant, "Anna")
    theirs = add_customer(other_tenant, "Ben")
    refused = english(client).post(BULK_TAG, data={"customer_id": theirs.id,
                                                   "tag_id": [tags["mine"].id, tags["mine"].id, tags["gold"].id]})
    assert refused.status_code == 422
    html = refused.get_data(as_text=True)
    assert 'data-testid="chosen-count">Selected tags: 2<' in html
    response = client.post(BULK_TAG, data={"customer_id": anna.id,
                                           "tag_id": [tags["mine"].id, tags["mine"].id, tags["gold"].id]})
    assert response.status_code == 302
    db.commit()
    links = db.exec(select(CustomerTag.tag_id).where(CustomerTag.customer_id == anna.id)).all()
    assert sorted(links) == sorted([tags["mine"].id, tags["gold"].id])
    assert db.exec(select(CustomerTag).where(CustomerTag.customer_id == theirs.id)).all() == []


def test_tagging_from_the_dialog_needs_the_csrf_token(app, client, staff, members_tenant, tags, add_customer, db):
    anna = add_customer(members_tenant, "Anna")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(BULK_TAG, data={"customer_id": anna.id, "tag_id": tags["gold"].id}).status_code == 400
        db.commit()
        assert db.exec(select(CustomerTag).where(CustomerTag.customer_id == anna.id)).all() == []
        token = csrf_token(client.get(LIST).get_data(as_text=True))
        dialog = client.post(BULK_TAG, data={"customer_id": anna.id, "step": "choose", "csrf_token": token})
        token = csrf_token(dialog.get_data(as_text=True))
        done = client.post(BULK_TAG, data={"customer_id": anna.id, "tag_id": tags["gold"].id, "csrf_token": token})
        assert done.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    db.commit()
    assert db.exec(select(CustomerTag.tag_id).where(CustomerTag.customer_id == anna.id)).all() == [tags["gold"].id]


# --- the row "More" menu (更多) ------------------------------------------------------------------------------------


def row(html: str, customer_id: int) -> str:
    start = html.index(f'data-customer-id="{customer_id}"')
    return html[start:html.index("</tr>", start)]


def test_the_row_menu_offers_the_manuals_actions(client, staff, members_tenant, add_customer, db):
    """Transfer, merge (non-WeCom customers only), tag, blacklist, adjust points, delete (admins, customers without a
    channel identity), each on the existing route with the row's customer."""
    plain = add_customer(members_tenant, "Anna")
    friend = add_customer(members_tenant, "Wendy")
    db.add(CustomerIdentity(tenant_id=members_tenant.id, customer_id=friend.id, kind="external_userid@ww1",
                            value="wmWendy"))
    db.commit()
    html = english(client).get(LIST).get_data(as_text=True)
    mine = row(html, plain.id)
    for testid in ("row-transfer", "row-merge", "row-tag", "row-blacklist", "row-points", "row-delete"):
        assert f'data-testid="{testid}"' in mine, testid
    assert f'formaction="/t/acme/members/customers/bulk/transfer" name="customer_id" value="{plain.id}"' in mine
    assert f'formaction="/t/acme/members/customers/bulk/tag" name="customer_id" value="{plain.id}"' in mine
    assert f'formaction="/t/acme/members/blacklist/add" name="customer_id" value="{plain.id}"' in mine
    assert f"/t/acme/members/customers/merge?a={plain.id}" in mine
    assert f"/t/acme/members/customers/{plain.id}/delete" in mine
    wecom = row(html, friend.id)
    assert 'data-testid="row-merge"' not in wecom and 'data-testid="row-delete"' not in wecom
    assert 'data-testid="row-transfer"' in wecom and 'data-testid="row-tag"' in wecom
    # the menu posts through one form outside the bulk form, carrying the CSRF token and step=choose
    form = html[html.index('<form id="row-action"'):]
    form = form[:form.index("</form>")]
    assert 'name="csrf_token"' in form and 'name="step" value="choose"' in form


def test_an_operator_gets_no_delete_in_the_menu(client, members_tenant, add_customer, make_user, login):
    anna = add_customer(members_tenant, "Anna")
    login(make_user("op@acme.test", members_tenant, role="operator"))
    html = english(client).get(LIST).get_data(as_text=True)
    assert 'data-testid="row-tag"' in row(html, anna.id) and 'data-testid="row-delete"' not in row(html, anna.id)


def test_row_actions_open_their_dialog_for_that_customer_with_csrf_on(app, client, staff, members_tenant,
                                                                      add_customer, other_tenant):
    anna = add_customer(members_tenant, "Anna")
    add_customer(members_tenant, "Ben")
    theirs = add_customer(other_tenant, "Globex Gina")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        page = english(client).get(LIST).get_data(as_text=True)
        assert client.post(BULK_TAG, data={"customer_id": anna.id, "step": "choose"}).status_code == 400
        token = csrf_token(page)
        tag = client.post(BULK_TAG, data={"customer_id": anna.id, "step": "choose", "csrf_token": token})
        assert tag.status_code == 200 and "1 customers selected" in tag.get_data(as_text=True)
        transfer = client.post("/t/acme/members/customers/bulk/transfer",
                               data={"customer_id": anna.id, "step": "choose", "csrf_token": token})
        assert transfer.status_code == 200 and "1 customers selected" in transfer.get_data(as_text=True)
        blacklist = client.post("/t/acme/members/blacklist/add",
                                data={"customer_id": anna.id, "step": "choose", "csrf_token": token})
        assert blacklist.status_code == 200 and "Anna" in blacklist.get_data(as_text=True)
        foreign = client.post(BULK_TAG, data={"customer_id": theirs.id, "step": "choose", "csrf_token": token})
        assert foreign.status_code == 422 and "Globex Gina" not in foreign.get_data(as_text=True)
    finally:
        app.config["WTF_CSRF_ENABLED"] = False


# --- the stage board, 4 stages a page ("01-04", "05-08") -------------------------------------------------------------


def set_ladder(db, tenant, count: int) -> None:
    db.exec(delete(Stage).where(Stage.tenant_id == tenant.id))
    db.add_all([Stage(tenant_id=tenant.id, ordinal=i, name=f"阶段{i}") for i in range(1, count + 1)])
    db.commit()


def cards(html: str) -> list[str]:
    return re.findall(r'data-testid="stage-card" data-stage="\d+">\s*<div class="muted">(\d\d)', html)


def test_four_stages_fit_one_page(client, staff, members_tenant, db):
    set_ladder(db, members_tenant, 4)
    html = english(client).get("/t/acme/members/stages/").get_data(as_text=True)
    assert cards(html) == ["01", "02", "03", "04"]
    assert 'data-testid="stage-range">01-04<' in html and "4 stages" in html
    assert 'data-testid="stage-next"' not in html and 'data-testid="stage-prev"' not in html


def test_five_stages_page_four_then_one(client, staff, members_tenant, other_tenant, db):
    set_ladder(db, members_tenant, 5)
    set_ladder(db, other_tenant, 8)
    first = english(client).get("/t/acme/members/stages/").get_data(as_text=True)
    assert cards(first) == ["01", "02", "03", "04"]
    assert 'data-testid="stage-range">01-04<' in first and "5 stages" in first and "Page 1 of 2" in first
    assert 'href="/t/acme/members/stages/?page=2"' in first and 'data-testid="stage-prev"' not in first
    second = client.get("/t/acme/members/stages/?page=2").get_data(as_text=True)
    assert cards(second) == ["05"]
    assert 'data-testid="stage-range">05-05<' in second and 'href="/t/acme/members/stages/?page=1"' in second
    assert 'data-testid="stage-next"' not in second
    for bad in ("9", "0", "x"):  # out of range or unreadable: the nearest page
        page = client.get(f"/t/acme/members/stages/?page={bad}").get_data(as_text=True)
        assert cards(page) == (["05"] if bad == "9" else ["01", "02", "03", "04"]), bad


def test_board_page_labels_follow_the_manual():
    eight = list(range(8))
    assert [stages.board_page(eight, p).label for p in (1, 2)] == ["01-04", "05-08"]
    assert stages.BOARD_PAGE_SIZE == 4
    assert stages.board_page(eight, 2).stages == [4, 5, 6, 7]
    assert stages.board_page([], 1).pages == 1 and stages.board_page([], 1).label == ""


# --- the group profile: active-user share, order list, coupons ---------------------------------------------------


@pytest.fixture
def group(db, members_tenant, add_customer):
    made = []

    def make(customers, tenant=None):
        tenant = tenant or members_tenant
        made.append(1)
        category = SegmentCategory(tenant_id=tenant.id, kind="static", name=f"分类{len(made)}")
        db.add(category)
        db.commit()
        segment = Segment(tenant_id=tenant.id, category_id=category.id, name="复购人群", kind="static",
                          mode="manual", rule={}, member_count=len(customers))
        db.add(segment)
        db.commit()
        db.add_all([SegmentMember(tenant_id=tenant.id, segment_id=segment.id, customer_id=c.id) for c in customers])
        db.commit()
        return segment

    return make


def interact(db, customer, days_ago: float, plugin: str = "wecom") -> None:
    db.add(CustomerEvent(tenant_id=customer.tenant_id, customer_id=customer.id, plugin=plugin, kind="message",
                         occurred_at=utcnow() - timedelta(days=days_ago)))


def test_active_user_share_follows_the_spec_sample(db, members_tenant, add_customer, group):
    """Spec A §5.7: 14 → 41.18 %, 16 → 47.06 % of a base of 34, the customers with an activity status (the group
    is larger: members without any interaction are not in the base)."""
    people = [add_customer(members_tenant, f"C{i}") for i in range(40)]
    for c in people[:14]:
        interact(db, c, 29.9)  # active: within 30 days
    for c in people[14:30]:
        interact(db, c, 30.1)  # silent: 31 to 90 days
    for c in people[30:33]:
        interact(db, c, 120)  # dormant
    interact(db, people[33], 181)  # lost
    interact(db, people[34], 1, plugin="members")  # the platform's bookkeeping is not activity
    interact(db, people[34], 1, plugin="core")
    db.commit()
    segment = group(people)
    data = segment_profile.profile(db, segment)
    assert data.total == 40 and data.activity_base == 34
    assert [(s.count, s.percent) for s in data.activity] == [(14, "41.18%"), (16, "47.06%"), (3, "8.82%"),
                                                             (1, "2.94%")]


def test_activity_buckets_at_their_boundaries(db, members_tenant, add_customer, group):
    people = [add_customer(members_tenant, f"B{i}") for i in range(6)]
    for c, days in zip(people, (89.9, 90.1, 179.9, 180.1, 0, 0), strict=True):
        interact(db, c, days)
    interact(db, people[5], 200)  # the latest interaction counts, not the oldest
    db.commit()
    counts = [s.count for s in segment_profile.profile(db, group(people)).activity]
    assert counts == [2, 1, 2, 1]


def test_the_group_profile_page_shows_the_tabs(client, staff, members_tenant, other_tenant, add_customer, group, db):
    anna, ben, outsider = (add_customer(members_tenant, n) for n in ("Anna", "Ben", "Outsider"))
    interact(db, anna, 3)
    gina = add_customer(other_tenant, "Gina")
    db.add_all([
        Order(tenant_id=members_tenant.id, customer_id=anna.id, source="tmall", order_no="TM001", paid_cents=9900,
              discount_cents=1000, paid_at=utcnow()),
        Order(tenant_id=members_tenant.id, customer_id=ben.id, source="douyin", order_no="DY001", paid_cents=5000,
              shipping_discount_cents=600, shipping_original_cents=600, paid_at=utcnow()),
        Order(tenant_id=members_tenant.id, customer_id=ben.id, source="douyin", order_no="DY002", paid_cents=3000,
              paid_at=utcnow()),
        Order(tenant_id=members_tenant.id, customer_id=ben.id, source="douyin", order_no="DY003", paid_cents=0,
              discount_cents=500),  # not paid: no coupon use
        Order(tenant_id=members_tenant.id, customer_id=outsider.id, source="tmall", order_no="TM999", paid_cents=1,
              discount_cents=100, paid_at=utcnow()),
        Order(tenant_id=other_tenant.id, customer_id=gina.id, source="tmall", order_no="GX001", paid_cents=1,
              discount_cents=100, paid_at=utcnow()),
    ])
    db.commit()
    segment = group([anna, ben])
    group([gina], tenant=other_tenant)
    html = english(client).get(f"/t/acme/members/segments/{segment.id}").get_data(as_text=True)
    for anchor in ("basic", "customers", "orders", "products", "coupons"):
        assert f'href="#segment-tab-{anchor}"' in html and f'id="segment-tab-{anchor}"' in html, anchor
    assert 'data-testid="share-activity"' in html and "Of 1 customers with an interaction" in html
    orders = html[html.index('data-testid="segment-orders"'):]
    orders = orders[:orders.index("</table>")]
    assert all(n in orders for n in ("TM001", "DY001", "DY002", "DY003"))
    assert "TM999" not in orders and "GX001" not in orders
    coupons = html[html.index('data-testid="segment-coupons"'):]
    assert 'data-testid="coupon-paid-orders">3<' in coupons and 'data-testid="coupon-orders">2<' in coupons
    assert 'data-testid="coupon-customers">2<' in coupons and 'data-testid="coupon-rate">66.67%<' in coupons
    assert 'data-testid="coupon-goods">10.00<' in coupons and 'data-testid="coupon-shipping">6.00<' in coupons
    listed = coupons[coupons.index('data-testid="coupon-order-list"'):coupons.index("</table>")]
    assert "TM001" in listed and "DY001" in listed and "DY002" not in listed and "DY003" not in listed
    assert client.get(f"/t/acme/members/segments/{group([gina], tenant=other_tenant).id}").status_code == 404


def test_the_order_list_is_paged(db, members_tenant, add_customer, group):
    anna = add_customer(members_tenant, "Anna")
    now = utcnow()
    db.add_all([Order(tenant_id=members_tenant.id, customer_id=anna.id, source="tmall", order_no=f"N{i:03d}",
                      paid_cents=100, paid_at=now, created_at=now - timedelta(minutes=i))
                for i in range(segment_orders.ORDERS_PAGE_SIZE + 1)])
    db.commit()
    segment = group([anna])
    first = segment_orders.segment_orders(db, members_tenant.id, segment.id, 1)
    last = segment_orders.segment_orders(db, members_tenant.id, segment.id, 2)
    assert (first.total, first.pages, len(first.rows)) == (21, 2, 20)
    assert [o.order_no for o, _name in last.rows] == ["N020"] and first.rows[0][0].order_no == "N000"
    assert segment_orders.ORDERS_PAGE_SIZE == 20


# --- the dialog in a browser: zh_CN, a 375 px phone, keyboard ------------------------------------------------------


@pytest.mark.browser
def test_the_tagging_dialog_on_a_phone_in_chinese(chromium, live_server, members_tenant, make_user, add_customer,
                                                  add_category, add_tag, db):
    from scrm.sdk.testing import ADMIN_PASSWORD

    boss = make_user("boss@acme.test", members_tenant, role="tenant_admin")
    vip = add_category(members_tenant, "会员价值")
    gold, silver = add_tag(vip, "高价值"), add_tag(vip, "潜力客户")
    mine = add_tag(add_category(members_tenant, "我的标签"), "爱喝奶茶")
    db.add(TagMeta(tenant_id=members_tenant.id, tag_id=mine.id, created_by=boss.id))
    db.commit()
    anna, ben = add_customer(members_tenant, "王芳"), add_customer(members_tenant, "李雷")
    context = chromium.new_context(base_url=live_server, viewport={"width": 375, "height": 740}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login")
        page.fill("input[name=email]", boss.email)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/lang/zh_CN")
        page.goto(LIST)
        page.check(f"input[name=customer_id][value='{anna.id}']")
        page.check(f"input[name=customer_id][value='{ben.id}']")
        page.click("[data-testid=bulk-tag]")
        page.wait_for_selector("[data-testid=tag-tabs]:not([hidden])")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        assert page.locator("[data-testid=tag-tab-manual]").inner_text().startswith("手动标签")
        assert page.locator("[data-testid=tag-tab-personal]").inner_text().startswith("个人标签")
        assert page.locator("[data-testid=tag-tab-wecom]").count() == 0
        count = page.locator("[data-testid=chosen-count]")
        assert count.inner_text() == "已选择标签 0 个"
        page.fill("[data-testid=tag-search]", "潜力")  # the search hides the other tags of the tab
        assert page.locator("#tag-panel-manual .tag-option:visible").count() == 1
        page.check(f"#tag-panel-manual input[value='{silver.id}']")
        assert count.inner_text() == "已选择标签 1 个"
        page.fill("[data-testid=tag-search]", "")
        page.check(f"#tag-panel-manual input[value='{mine.id}']")
        assert count.inner_text() == "已选择标签 2 个"
        # keyboard: the arrow key moves to the personal tab, where the same tag is already ticked
        page.focus("[data-testid=tag-tab-manual]")
        page.keyboard.press("ArrowRight")
        assert page.locator("[data-testid=tag-tab-personal]").get_attribute("aria-selected") == "true"
        assert page.locator("#tag-panel-personal").is_visible() and not page.locator("#tag-panel-manual").is_visible()
        assert page.locator(f"#tag-panel-personal input[value='{mine.id}']").is_checked()
        page.keyboard.press("Tab")  # into the search box, then a space-toggle in the panel removes the tag
        page.locator(f"#tag-panel-personal input[value='{mine.id}']").press("Space")
        assert count.inner_text() == "已选择标签 1 个"
        assert not page.locator(f"#tag-panel-manual input[value='{mine.id}']").is_checked()
        page.locator(f"[data-testid=chosen-tags] li[data-tag-id='{silver.id}'] button").click()  # removed in the pane
        assert count.inner_text() == "已选择标签 0 个"
        page.locator("[data-testid=tag-tab-manual]").click()
        page.check(f"#tag-panel-manual input[value='{gold.id}']")
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        page.click("[data-testid=apply-tags]")
        page.wait_for_url(f"**{LIST}**")
        page.wait_for_selector(".flash-success")  # the dialog's post ends in the list loaded again as a page
        # the row menu (CSRF on in the live server): 更多 → 打标签 opens the dialog for that one customer
        menu = page.locator(f"tr[data-customer-id='{ben.id}'] [data-testid=row-more]")
        menu.locator("summary").click()
        assert menu.locator("[data-testid=row-delete]").is_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 375
        menu.locator("[data-testid=row-tag]").click()
        page.wait_for_selector("[data-testid=bulk-tag-form]")
        assert page.locator("input[type=hidden][name=customer_id]").count() == 1
        assert page.locator("input[type=hidden][name=customer_id]").get_attribute("value") == str(ben.id)
    finally:
        context.close()
    db.commit()
    links = db.exec(select(CustomerTag.customer_id, CustomerTag.tag_id).where(CustomerTag.tag_id.in_(
        [gold.id, silver.id, mine.id]))).all()
    assert sorted(links) == sorted([(anna.id, gold.id), (ben.id, gold.id)])


@pytest.mark.browser
@pytest.mark.parametrize("width", [375, 1280])
def test_the_stage_board_pages_on_phone_and_desktop(chromium, live_server, members_tenant, make_user, db, width):
    from scrm.sdk.testing import ADMIN_PASSWORD

    boss = make_user("boss@acme.test", members_tenant, role="tenant_admin")
    set_ladder(db, members_tenant, 6)
    context = chromium.new_context(base_url=live_server, viewport={"width": width, "height": 800}, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15_000)
    try:
        page.goto("/login")
        page.fill("input[name=email]", boss.email)
        page.fill("input[name=password]", ADMIN_PASSWORD)
        with page.expect_navigation():
            page.click("button[type=submit]")
        page.goto("/lang/zh_CN")
        page.goto("/t/acme/members/stages/")
        assert page.locator("[data-testid=stage-card]").count() == 4
        assert page.locator("[data-testid=stage-range]").inner_text() == "01-04"
        assert "共 6 个阶段" in page.locator("[data-testid=stage-total]").inner_text()
        assert page.evaluate("document.documentElement.scrollWidth") <= width
        page.click("[data-testid=stage-next]")
        page.wait_for_url("**page=2")
        assert page.locator("[data-testid=stage-card]").count() == 2
        assert page.locator("[data-testid=stage-range]").inner_text() == "05-06"
        page.click("[data-testid=stage-prev]")
        page.wait_for_url("**page=1")
        assert page.locator("[data-testid=stage-range]").inner_text() == "01-04"
    finally:
        context.close()
