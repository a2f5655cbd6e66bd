# ruff: noqa: F811  (pytest fixtures imported from the helper modules are redefined as test arguments)
"""Member levels, the ladder (spec A §2.1 member_level, menu Loyalty › Member levels): create, edit and delete on the
pages and through the API, unique names and ranks, default validity, deleting a held level refused, the menu entry,
operators read-only, the migration matching the models, and tenant isolation of every page and endpoint."""

from __future__ import annotations

from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from members_levels_fixtures import give_level, level  # noqa: F401
from members_loyalty_fixtures import admin, bearer, customer, loyalty_tenant  # noqa: F401
from scrm_members.loyalty.models import CustomerLevel, MemberLevel, OrderItem
from sqlmodel import SQLModel, func, select

LEVELS = "/t/acme/members/levels/"


def names(db, tenant) -> list[str]:
    db.commit()
    found = list(db.exec(select(MemberLevel.name).where(MemberLevel.tenant_id == tenant.id)
                         .order_by(MemberLevel.rank)))
    db.commit()
    return found


def test_the_migration_creates_the_tables_the_models_declare(platform):
    tables = {m.__tablename__ for m in (MemberLevel, CustomerLevel, OrderItem)}
    with platform.engine.connect() as conn:
        context = MigrationContext.configure(conn, opts={"compare_type": True})
        diffs = compare_metadata(context, SQLModel.metadata)
    assert [d for d in diffs if any(name in repr(d) for name in tables)] == []


def test_an_admin_creates_edits_and_deletes_levels_on_the_pages(client, admin, loyalty_tenant, db):
    page = client.get(LEVELS)
    assert page.status_code == 200 and "No levels yet." in page.get_data(as_text=True)
    assert 'name="rank" type="number" min="1" max="99" value="1"' in client.get(LEVELS + "new").get_data(as_text=True)
    created = client.post(LEVELS + "new", data={"name": "普通会员", "rank": "1", "validity": "permanent"})
    assert created.status_code == 302
    client.post(LEVELS + "new", data={"name": "钻石卡会员", "rank": "3", "description": "top",
                                      "validity": "months", "validity_months": "12"})
    assert names(db, loyalty_tenant) == ["普通会员", "钻石卡会员"]
    listing = client.get(LEVELS).get_data(as_text=True)
    assert "12 months" in listing and "Permanent" in listing
    diamond = db.exec(select(MemberLevel).where(MemberLevel.name == "钻石卡会员")).one()
    db.commit()
    edited = client.post(f"{LEVELS}{diamond.id}/edit", data={"name": "钻石卡会员", "rank": "2", "validity": "permanent"})
    assert edited.status_code == 302
    db.refresh(diamond)
    assert (diamond.rank, diamond.validity_months, diamond.description) == (2, None, "")
    assert client.post(f"{LEVELS}{diamond.id}/delete").status_code == 302
    assert names(db, loyalty_tenant) == ["普通会员"]


def test_names_and_ranks_are_unique_and_fields_are_checked(client, admin, loyalty_tenant, level, db):
    level(loyalty_tenant, "Gold", rank=2)
    cases = [({"name": "gold", "rank": "3"}, "error-name", "A level named gold already exists."),
             ({"name": "Silver", "rank": "2"}, "error-rank", "Rank 2 is taken by Gold."),
             ({"name": "", "rank": "1"}, "error-name", "Give a name of 1 to 30 characters."),
             ({"name": "x" * 31, "rank": "1"}, "error-name", None),
             ({"name": "Silver", "rank": "0"}, "error-rank", None),
             ({"name": "Silver", "rank": "1", "validity": "months", "validity_months": "0"}, "error-validity_months",
              None),
             ({"name": "Silver", "rank": "1", "description": "d" * 201}, "error-description", None)]
    for data, testid, message in cases:
        response = client.post(LEVELS + "new", data={"validity": "permanent", **data})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and f'data-testid="{testid}"' in body, data
        assert message is None or message in body
    assert names(db, loyalty_tenant) == ["Gold"]


def test_a_held_level_cannot_be_deleted_but_an_expired_one_can(client, admin, loyalty_tenant, level, give_level,
                                                             customer, db):
    from datetime import date

    gold, silver = level(loyalty_tenant, "Gold", rank=2), level(loyalty_tenant, "Silver", rank=1)
    give_level(customer(loyalty_tenant, "Ann"), gold)
    give_level(customer(loyalty_tenant, "Bob"), silver, until=date(2020, 1, 1))
    refused = client.post(f"{LEVELS}{gold.id}/delete", follow_redirects=True)
    assert "1 customer holds Gold: give them another level first." in refused.get_data(as_text=True)
    assert client.post(f"{LEVELS}{silver.id}/delete").status_code == 302
    assert names(db, loyalty_tenant) == ["Gold"]
    assert db.exec(select(func.count()).select_from(CustomerLevel)).one() == 1


def test_operators_see_the_ladder_and_the_menu_but_do_not_change_it(client, loyalty_tenant, make_user, login, level):
    level(loyalty_tenant, "Gold")
    login(make_user("op@acme.test", loyalty_tenant, role="operator"))
    page = client.get(LEVELS)
    assert page.status_code == 200 and "Gold" in page.get_data(as_text=True)
    assert "/members/levels/" in client.get("/t/acme/members/customers/").get_data(as_text=True)
    assert client.get(LEVELS + "new").status_code == 403
    assert client.post(LEVELS + "new", data={"name": "Silver", "rank": "2"}).status_code == 403


def test_another_tenants_levels_are_not_seen_nor_changed(client, admin, loyalty_tenant, other_tenant, level, db):
    foreign = level(other_tenant, "Globex VIP")
    assert "Globex VIP" not in client.get(LEVELS).get_data(as_text=True)
    assert client.get(f"{LEVELS}{foreign.id}/edit").status_code == 404
    assert client.post(f"{LEVELS}{foreign.id}/edit", data={"name": "Mine", "rank": "1"}).status_code == 404
    assert client.post(f"{LEVELS}{foreign.id}/delete").status_code == 404
    client.post(LEVELS + "new", data={"name": "Globex VIP", "rank": "1", "validity": "permanent"})  # same name: fine
    assert names(db, loyalty_tenant) == ["Globex VIP"] and names(db, other_tenant) == ["Globex VIP"]


# -- API -------------------------------------------------------------------------------------------------------------


def test_the_api_lists_creates_changes_and_deletes_levels(client, loyalty_tenant, api_token, db):
    headers = bearer(api_token(loyalty_tenant))
    created = client.post("/api/v1/members/levels", json={"name": "Gold", "rank": 2, "validity_months": 12},
                          headers=headers)
    assert created.status_code == 201, created.get_json()
    gold = created.get_json()
    assert (gold["validity_months"], gold["holders"]) == (12, 0)
    again = client.post("/api/v1/members/levels", json={"name": "GOLD", "rank": 3}, headers=headers)
    assert again.status_code == 422 and "name" in again.get_json()["error"]["fields"]
    patched = client.patch(f"/api/v1/members/levels/{gold['id']}", json={"validity_months": None, "rank": 5},
                           headers=headers)
    assert patched.status_code == 200 and patched.get_json()["validity_months"] is None
    assert patched.get_json()["rank"] == 5 and patched.get_json()["name"] == "Gold"
    listed = client.get("/api/v1/members/levels", headers=headers).get_json()["items"]
    assert [item["name"] for item in listed] == ["Gold"]
    assert client.delete(f"/api/v1/members/levels/{gold['id']}", headers=headers).get_json() == {"deleted": True}
    assert names(db, loyalty_tenant) == []


def test_the_api_refuses_to_delete_a_held_level_and_hides_other_tenants(client, loyalty_tenant, other_tenant,
                                                                        api_token, level, give_level, customer, db):
    gold = level(loyalty_tenant, "Gold")
    give_level(customer(loyalty_tenant, "Ann"), gold)
    foreign = level(other_tenant, "Globex VIP")
    headers = bearer(api_token(loyalty_tenant))
    refused = client.delete(f"/api/v1/members/levels/{gold.id}", headers=headers)
    assert refused.status_code == 409 and refused.get_json()["error"]["code"] == "level_in_use"
    assert [i["holders"] for i in client.get("/api/v1/members/levels", headers=headers).get_json()["items"]] == [1]
    assert client.patch(f"/api/v1/members/levels/{foreign.id}", json={"name": "x"}, headers=headers).status_code == 404
    assert client.delete(f"/api/v1/members/levels/{foreign.id}", headers=headers).status_code == 404
    assert names(db, other_tenant) == ["Globex VIP"]
