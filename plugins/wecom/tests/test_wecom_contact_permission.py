"""WeCom's customer-contact permission (客户联系权限, spec wecom-operations §2.1.3 and §4.1 rule 1: only employees
with it may use the Moments pages): the sandbox's ``get_follow_user_list``, the sync storing it per member with one
call, and its consumers (the 员工朋友圈 tab and its export, the Moments form's employee choice and its validation,
the employee's phone page); before any sync read it, everyone may; each brand has its own."""

from __future__ import annotations

import httpx
import pytest
from scrm_wecom.accounts import SecretKind
from scrm_wecom.moments import service
from scrm_wecom.moments.models import MomentTask
from scrm_wecom.sandbox import fire_callback
from scrm_wecom.sandbox.remote import SandboxControlError
from scrm_wecom.sync import permission
from scrm_wecom.sync.models import SyncMember
from sqlalchemy import select, update
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_moments_fixtures import BASE, post_task
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import CORP_ID, TARGET, employee, fire, run_full_sync, seed

EC = "/cgi-bin/externalcontact/get_follow_user_list"
ME = "/p/acme/wecom/moments/me"
JSON = {"Accept": "application/json"}


def stored(db, tenant_id: int) -> dict[str, bool | None]:
    db.commit()
    return dict(db.execute(select(SyncMember.userid, SyncMember.contact_permission).where(
        SyncMember.tenant_id == tenant_id)).all())


def sign_in(app, account, userid: str, slug: str = "acme"):
    """A phone of its own, signed in on the phone page through the sandbox's WeCom OAuth."""
    phone = app.test_client()
    phone.environ_base["HTTP_ACCEPT_LANGUAGE"] = "en"
    first = phone.get(f"/p/{slug}/wecom/moments/me?account={account.id}")
    assert first.status_code == 302, first.get_data(as_text=True)[:300]
    answer = httpx.get(first.headers["Location"].split("#", 1)[0] + f"&userid={userid}", follow_redirects=False,
                       timeout=10)
    assert answer.status_code == 302, answer.text
    done = phone.get(answer.headers["location"].replace("http://localhost", ""))
    assert done.status_code == 302, done.get_data(as_text=True)[:300]
    return phone


def form_choices(admin) -> str:
    page = admin.get(f"{BASE}/new").get_data(as_text=True)
    return page.split('data-testid="moments-employees"')[1].split("</div>")[0]


def listed(admin, db, tenant_id: int, userid: str) -> bool:
    page = admin.get(f"{BASE}/employees").get_data(as_text=True)
    return f'data-employee-id="{employee(db, tenant_id, userid).id}"' in page


# -- the sandbox ------------------------------------------------------------------------------------------------------


def test_the_sandbox_lists_the_members_with_the_permission(db, sync_account, sandbox, wecom_client):
    url, control = sandbox
    client = wecom_client(sync_account)
    # by default: the members (not left) who have customers, in address-book order
    assert client.get_follow_user_list() == ["zhangsan", "lisi"]
    assert control.set_follow_users(CORP_ID, ["sunqi", "lisi"]) == ["sunqi", "lisi"]
    assert client.get_follow_user_list() == ["sunqi", "lisi"]
    with pytest.raises(SandboxControlError, match="60111"):
        control.set_follow_users(CORP_ID, ["lisi", "nobody"])
    with pytest.raises(SandboxControlError, match="40058"):
        control._call("POST", "follow_users", {"corp_id": CORP_ID, "userids": "lisi"})
    assert client.get_follow_user_list() == ["sunqi", "lisi"]  # a refused change changes nothing
    assert control.set_follow_users(CORP_ID, None) == ["zhangsan", "lisi"]
    control.seed(seed(follow_users=["zhaoliu"]))
    assert client.get_follow_user_list() == ["zhaoliu"]
    # WeCom's answer shape, and the customer-contact secret only (48002 for the address book's token)
    answer = httpx.get(f"{url}{EC}", params={"access_token": client.access_token(SecretKind.CONTACT)}).json()
    assert answer == {"errcode": 0, "errmsg": "ok", "follow_user": ["zhaoliu"]}
    wrong = httpx.get(f"{url}{EC}", params={"access_token": client.access_token(SecretKind.ADDRESS_BOOK)}).json()
    assert wrong["errcode"] == 48002
    assert httpx.get(f"{url}{EC}", params={"access_token": "forged"}).json()["errcode"] == 40014


# -- the sync ---------------------------------------------------------------------------------------------------------


def test_the_full_sync_stores_the_permission_with_one_call(db, platform, sync_account, sandbox):
    control = sandbox[1]
    control.set_follow_users(CORP_ID, ["zhangsan", "sunqi"])
    control.clear_calls()
    run = run_full_sync(db, platform, sync_account)
    assert run.status == "done", run.error
    assert len(control.calls(EC)) == 1  # one WeCom call per sync, not one per member
    assert stored(db, sync_account.tenant_id) == {"zhangsan": True, "sunqi": True, "lisi": False, "zhaoliu": False,
                                                  "wangwu": False}
    assert run.stats["permission"] == {"with_permission": 2, "without_permission": 3, "changed": 5}
    again = run_full_sync(db, platform, sync_account)
    assert again.stats["permission"]["changed"] == 0
    assert len(control.calls(EC)) == 2


def test_a_failed_read_fails_the_run_and_keeps_what_was_stored(db, platform, sync_account, sandbox):
    run_full_sync(db, platform, sync_account)
    before = stored(db, sync_account.tenant_id)
    sandbox[1].set_follow_users(CORP_ID, [])
    sandbox[1].fail_next(EC, 48002)
    run = run_full_sync(db, platform, sync_account)
    assert run.status == "failed" and "48002" in run.error
    assert stored(db, sync_account.tenant_id) == before


def test_members_who_change_or_add_a_customer_are_updated_between_full_syncs(db, synced, sandbox, wsgi_http,
                                                                            worker):
    control, tenant_id = sandbox[1], synced.tenant_id
    data = seed(follow_users=["zhangsan", "zhouba"])
    data["users"].append({"userid": "zhouba", "name": "周八", "department": [2], "status": 1})
    control.seed(data)
    control.clear_calls()
    fire(wsgi_http, synced, "create_user", event="change_contact", UserID="zhouba")
    worker.join()
    # the member job reads the list once: the new member has it, lisi lost it
    assert len(control.calls(EC)) == 1
    after = stored(db, tenant_id)
    assert (after["zhouba"], after["zhangsan"], after["lisi"]) == (True, True, False)
    # lisi adds a customer: adding customers needs the permission, so lisi has it again (no WeCom call)
    added = control.add_friend(CORP_ID, "lisi", {"external_userid": "wmErin", "name": "Erin"})
    assert fire_callback(f"http://localhost/callbacks/wecom/{synced.id}", TARGET, added["xml"],
                            http=wsgi_http).status_code == 200
    worker.join()
    assert stored(db, tenant_id)["lisi"] is True


def test_before_any_read_the_member_job_asks_nothing(db, platform, sync_account, sandbox, wsgi_http, worker):
    run_full_sync(db, platform, sync_account)
    db.execute(update(SyncMember).values(contact_permission=None))  # a brand synced before the permission was read
    db.commit()
    sandbox[1].clear_calls()
    fire(wsgi_http, sync_account, "update_user", event="change_contact", UserID="lisi")
    worker.join()
    assert sandbox[1].calls(EC) == []
    assert set(stored(db, sync_account.tenant_id).values()) == {None}


# -- the consumers ----------------------------------------------------------------------------------------------------


def test_a_member_losing_the_permission_is_refused_after_the_next_sync(app, db, platform, synced, sandbox, admin):
    tenant_id = synced.tenant_id
    lisi_id = employee(db, tenant_id, "lisi").id
    phone = sign_in(app, synced, "lisi")
    assert phone.get(ME).status_code == 200
    assert f'value="{lisi_id}"' in form_choices(admin) and listed(admin, db, tenant_id, "lisi")

    sandbox[1].set_follow_users(CORP_ID, ["zhangsan"])
    assert phone.get(ME).status_code == 200  # what the last sync read holds until the next one
    run_full_sync(db, platform, synced)

    # the phone page: every route refused with the reason, nothing written
    home = phone.get(ME)
    assert home.status_code == 403 and "customer-contact permission" in home.get_data(as_text=True)
    assert 'data-testid="moments-no-permission"' in home.get_data(as_text=True)
    refused = phone.post(f"{ME}/posts", data={"text": "新品"}, headers=JSON)
    assert refused.status_code == 403 and "customer-contact permission" in refused.get_json()["error"]
    assert phone.post(f"{ME}/look", data={"signature": "x"}, headers=JSON).status_code == 403
    assert phone.post(f"{ME}/posts/1/delete", headers=JSON).status_code == 403
    # the form no longer offers lisi and refuses lisi with the reason
    choices = form_choices(admin)
    assert f'value="{lisi_id}"' not in choices and f'value="{employee(db, tenant_id, "zhangsan").id}"' in choices
    answer = post_task(admin, db, tenant_id, "zhangsan", "lisi")
    assert answer.status_code == 422 and "no WeCom customer-contact permission" in answer.get_data(as_text=True)
    assert [e.userid for e in service.permitted_employees(db, tenant_id)] == ["zhangsan"]
    assert {e.userid for e in service.active_employees(db, tenant_id)} == {"zhangsan", "lisi"}  # others unchanged
    # the 员工朋友圈 tab and its export leave lisi out and say why
    assert not listed(admin, db, tenant_id, "lisi") and listed(admin, db, tenant_id, "zhangsan")
    tab = admin.get(f"{BASE}/employees").get_data(as_text=True)
    assert 'data-testid="moments-without-permission"' in tab
    export = admin.get(f"{BASE}/employees/links.csv").get_data(as_text=True)
    assert "zhangsan" in export and "lisi" not in export
    db.commit()
    assert db.execute(select(MomentTask).where(MomentTask.tenant_id == tenant_id)).first() is None

    # zhangsan still publishes from the phone (the refusal is the permission, not the page)
    assert sign_in(app, synced, "zhangsan").get(ME).status_code == 200


def test_before_a_sync_reads_it_everyone_may(app, db, platform, sync_account, sandbox, wecom_admin, tenant):
    run_full_sync(db, platform, sync_account)
    db.execute(update(SyncMember).values(contact_permission=None))  # upgraded brand: no data yet
    db.commit()
    sandbox[1].set_follow_users(CORP_ID, ["zhangsan"])  # WeCom says lisi lacks it, but nothing read it yet
    admin = wecom_admin(tenant)
    tenant_id = sync_account.tenant_id
    assert not permission.known(db, tenant_id)
    assert {e.userid for e in service.permitted_employees(db, tenant_id)} == {"zhangsan", "lisi"}
    assert f'value="{employee(db, tenant_id, "lisi").id}"' in form_choices(admin)
    assert listed(admin, db, tenant_id, "lisi")
    assert 'data-testid="moments-without-permission"' not in admin.get(f"{BASE}/employees").get_data(as_text=True)
    phone = sign_in(app, sync_account, "lisi")
    assert phone.get(ME).status_code == 200
    run_full_sync(db, platform, sync_account)  # the first read
    assert phone.get(ME).status_code == 403 and not listed(admin, db, tenant_id, "lisi")


def test_each_brand_has_its_own_permission(app, db, platform, synced, sandbox, admin, other_tenant, enable_plugins,
                                           make_account, wecom_admin):
    enable_plugins(other_tenant, "wecom")
    other_seed = seed(corp_id="wwGlobex", follow_users=["lisi"])
    sandbox[1].seed(other_seed)
    globex = make_account(other_tenant, sandbox[0], corp_id="wwGlobex")
    run_full_sync(db, platform, globex)
    # acme read zhangsan and lisi; globex read only its lisi: neither changes the other
    assert stored(db, synced.tenant_id)["lisi"] is True and stored(db, other_tenant.id)["zhangsan"] is False
    assert [e.userid for e in service.permitted_employees(db, other_tenant.id)] == ["lisi"]
    assert {e.userid for e in service.permitted_employees(db, synced.tenant_id)} == {"zhangsan", "lisi"}
    assert listed(admin, db, synced.tenant_id, "zhangsan")
    # a brand without data stays open even though another brand has data
    db.execute(update(SyncMember).where(SyncMember.tenant_id == synced.tenant_id).values(contact_permission=None))
    db.commit()
    assert not permission.known(db, synced.tenant_id) and permission.known(db, other_tenant.id)
    assert {e.userid for e in service.permitted_employees(db, synced.tenant_id)} == {"zhangsan", "lisi"}
    assert [e.userid for e in service.permitted_employees(db, other_tenant.id)] == ["lisi"]
    assert listed(admin, db, synced.tenant_id, "zhangsan") and listed(admin, db, synced.tenant_id, "lisi")
    # globex's zhangsan is refused on globex's phone page; acme's zhangsan is not
    assert sign_in(app, globex, "zhangsan", slug="globex").get("/p/globex/wecom/moments/me").status_code == 403
    assert sign_in(app, synced, "zhangsan").get(ME).status_code == 200
    # acme's admin reads nothing of globex
    assert admin.get("/t/globex/wecom/moments/employees").status_code in (403, 404)
    assert admin.get("/t/globex/wecom/moments/new").status_code in (403, 404)
