# ruff: noqa: F811  (pytest fixtures imported from the area helper module are redefined as test arguments)
"""批量调整积分 from the customer list (spec A §1.2 S7, §3.1 toolbar 更多操作 → 批量调整积分, §3.10): the list's bulk
form opens the adjustment form for the ticked rows or the whole filter, the post adjusts all of them or none;
selections never reach another tenant's customers; CSRF on."""

from __future__ import annotations

import re

from members_loyalty_fixtures import admin, customer, loyalty_tenant  # noqa: F401
from scrm_members.loyalty import points

LIST = "/t/acme/members/customers/"
ADJUST = "/t/acme/members/points/adjust"


def balance(db, tenant, customer_id: int) -> int:
    db.commit()
    return points.balance(db, tenant.id, customer_id)


def test_the_list_offers_bulk_points_on_its_bulk_form(client, admin, loyalty_tenant, customer):
    customer(loyalty_tenant, "王芳")
    html = client.get(LIST).get_data(as_text=True)
    button = re.search(r'<button[^>]*data-testid="bulk-points"[^>]*>', html).group(0)
    assert f'formaction="{ADJUST}"' in button


def test_the_ticked_rows_are_adjusted_together(client, admin, loyalty_tenant, customer, db):
    wang, li, han = (customer(loyalty_tenant, n) for n in ("王芳", "李雷", "韩梅梅"))
    form = client.post(ADJUST, data={"step": "choose", "scope": "selected", "customer_id": [wang.id, li.id]})
    assert form.status_code == 200
    html = form.get_data(as_text=True)
    assert re.findall(r'name="customer_id" value="(\d+)"', html) == [str(wang.id), str(li.id)]
    assert 'data-testid="delta-error"' not in html and "韩梅梅" not in html  # only opened, nothing refused yet
    assert balance(db, loyalty_tenant, wang.id) == 0
    done = client.post(ADJUST, data={"customer_id": [wang.id, li.id], "delta": "100", "reason": "双十一活动"})
    assert done.status_code == 302
    assert [balance(db, loyalty_tenant, c.id) for c in (wang, li, han)] == [100, 100, 0]


def test_the_whole_filter_is_chosen_and_a_short_balance_refuses_everyone(client, admin, loyalty_tenant, customer,
                                                                         db):
    rich, poor = customer(loyalty_tenant, "会员甲"), customer(loyalty_tenant, "会员乙")
    customer(loyalty_tenant, "路人")
    points.adjust(db, loyalty_tenant.id, [rich.id], 50, "开卡礼")
    db.commit()
    form = client.post(ADJUST, data={"step": "choose", "scope": "filter", "filter_qs": "q=会员"})
    ids = re.findall(r'name="customer_id" value="(\d+)"', form.get_data(as_text=True))
    assert form.status_code == 200 and sorted(ids) == sorted([str(rich.id), str(poor.id)])
    refused = client.post(ADJUST, data={"customer_id": ids, "delta": "-20", "reason": "兑换礼品"})
    assert refused.status_code == 422 and 'data-testid="delta-error"' in refused.get_data(as_text=True)
    assert (balance(db, loyalty_tenant, rich.id), balance(db, loyalty_tenant, poor.id)) == (50, 0)


def test_nothing_chosen_too_many_or_another_tenants_customer(client, admin, loyalty_tenant, other_tenant, customer,
                                                             monkeypatch):
    theirs = customer(other_tenant, "别家客户")
    mine = [customer(loyalty_tenant, n) for n in ("王芳", "李雷")]
    for data in ({"step": "choose", "scope": "selected"}, {"step": "choose", "customer_id": theirs.id}):
        response = client.post(ADJUST, data=data)
        html = response.get_data(as_text=True)
        assert response.status_code == 422 and 'data-testid="customer-error"' in html and "别家客户" not in html
    monkeypatch.setattr(points, "BULK_LIMIT", 1)
    response = client.post(ADJUST, data={"step": "choose", "customer_id": [c.id for c in mine]})
    assert response.status_code == 422 and "Adjust at most 1 customers at once." in response.get_data(as_text=True)


def test_the_bulk_form_needs_the_csrf_token(app, client, admin, loyalty_tenant, customer, db):
    wang = customer(loyalty_tenant, "王芳")
    app.config["WTF_CSRF_ENABLED"] = True
    try:
        assert client.post(ADJUST, data={"customer_id": wang.id, "delta": "10", "reason": "x"}).status_code == 400
        token = re.search(r'name="csrf_token" value="([^"]+)"', client.get(LIST).get_data(as_text=True)).group(1)
        form = client.post(ADJUST, data={"step": "choose", "customer_id": wang.id, "csrf_token": token})
        token = re.search(r'name="csrf_token" value="([^"]+)"', form.get_data(as_text=True)).group(1)
        done = client.post(ADJUST, data={"customer_id": wang.id, "delta": "10", "reason": "x", "csrf_token": token})
        assert done.status_code == 302
    finally:
        app.config["WTF_CSRF_ENABLED"] = False
    assert balance(db, loyalty_tenant, wang.id) == 10
