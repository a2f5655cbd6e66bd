"""The "Retain him" page (spec B §4.5.2, J6): WeCom cannot re-add a friend, so the page gives the employee what they
need on a phone: the customer's name and the employee's remark, the mobile as a tap-to-call link, the employee's own
live code (a code of theirs alone before a shared one), the customer's profile when members is enabled, and the
steps; without a mobile or a code those parts are left out."""

from __future__ import annotations

from scrm_wecom.livecodes.models import LiveCode
from sqlalchemy import select
from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import churn, employee, losses, signed_in
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID

from scrm.sdk import IdentityKind, match_or_create


def new_code(client, db, account, name: str, userids: tuple[str, ...]) -> LiveCode:
    data = {"name": name, "account_id": str(account.id), "kind": "2" if len(userids) > 1 else "1",
            "employee_ids": [str(employee(db, account.tenant_id, u).id) for u in userids]}
    assert client.post("/t/acme/wecom/livecodes/new", data=data).status_code == 302
    db.commit()
    db.expire_all()
    return db.execute(select(LiveCode).where(LiveCode.tenant_id == account.tenant_id,
                                             LiveCode.name == name)).scalar_one()


def test_the_retain_page_gives_the_remark_a_call_link_the_employees_own_code_and_the_profile(
        db, tenant, churn_account, client, make_user, login, wsgi_http, worker):
    signed_in(make_user, login, tenant, "admin@acme.test")
    new_code(client, db, churn_account, "Store team", ("zhangsan", "lisi"))
    own = new_code(client, db, churn_account, "Lisi card", ("lisi",))
    new_code(client, db, churn_account, "Zhangsan card", ("zhangsan",))
    alice = match_or_create(db, tenant.id, {IdentityKind.external_userid(CORP_ID): "wmAlice",
                                            IdentityKind.MOBILE: "139 0000 0000"}).customer
    db.commit()
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=1763600000)
    worker.join()
    [loss] = losses(db, tenant.id)
    login(make_user("ls@acme.test", tenant, role="employee", scope="mine",
                    employee_id=employee(db, tenant.id, "lisi").id))
    html = client.get(f"/t/acme/wecom/churn/retain/{loss.id}").get_data(as_text=True)
    assert "Alice" in html and "Your remark: Alice (store)" in html
    assert 'href="tel:13900000000"' in html
    live_code = html.split('data-testid="retain-live-code"', 1)[1]
    assert own.qr_code and f'src="{own.qr_code}"' in live_code and "Lisi card" in live_code
    assert f'href="/t/acme/members/customers/{alice.id}"' in html
    assert "What to do" in html and "send the customer your contact code" in html


def test_without_a_mobile_a_code_or_members_the_page_keeps_the_facts_and_steps_only(
        db, tenant, wecom_only_account, client, make_user, login, wsgi_http, worker):
    churn(wsgi_http, wecom_only_account, "zhangsan", "wmCarol", at=1763600000)
    worker.join()
    [loss] = losses(db, tenant.id)
    login(make_user("zs@acme.test", tenant, role="employee", scope="mine",
                    employee_id=employee(db, tenant.id, "zhangsan").id))
    html = client.get(f"/t/acme/wecom/churn/retain/{loss.id}").get_data(as_text=True)
    assert "Carol" in html and "What to do" in html and "send a friend request again" in html
    assert "tel:" not in html and 'data-testid="retain-live-code"' not in html
    assert 'data-testid="retain-profile"' not in html and "/members/" not in html


def test_another_tenants_member_cannot_open_the_retain_page(db, tenant, other_tenant, churn_account, enable_plugins,
                                                            client, make_user, login, wsgi_http, worker):
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=1763600000)
    worker.join()
    [loss] = losses(db, tenant.id)
    enable_plugins(other_tenant, "wecom")
    login(make_user("ls@globex.test", other_tenant, role="tenant_admin"))
    assert client.get(f"/t/{other_tenant.slug}/wecom/churn/retain/{loss.id}").status_code == 404
    assert client.get(f"/t/{tenant.slug}/wecom/churn/retain/{loss.id}").status_code in (403, 404)
