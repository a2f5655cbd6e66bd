"""Platform rule B.2 (marketing-and-platform-rules.md): an external contact the WeCom sync brings in that matches no
customer is created with the source "WeCom external contact import", as the members plugin's customer list shows it
(both plugins enabled; the label lives in the members plugin, the key ``wecom`` in this one)."""

from __future__ import annotations

import re

from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of, run_full_sync

from scrm.sdk import Customer

LIST = "/t/{slug}/members/customers/"


def source_cells(page: str) -> dict[str, str]:
    """``{customer name: source cell text}`` of the customer list's rows (the source is the sixth column)."""
    out = {}
    for row in re.findall(r'<tr data-customer-id="\d+">(.*?)</tr>', page, flags=re.S):
        cells = [re.sub(r"<[^>]+>", " ", c).split() for c in re.findall(r"<td[^>]*>(.*?)</td>", row, flags=re.S)]
        out[cells[1][0]] = " ".join(cells[5])
    return out


def test_customers_synced_from_wecom_show_the_wecom_import_source(db, platform, tenant, sync_account,
                                                                   enable_plugins, wecom_admin):
    enable_plugins(tenant, "members")
    db.add(Customer(tenant_id=tenant.id, name="Walkin", source="manual"))
    db.commit()
    run_full_sync(db, platform, sync_account)
    assert customer_of(db, tenant.id, "wmAlice").source == "wecom"
    page = wecom_admin(tenant).get(LIST.format(slug=tenant.slug))
    assert page.status_code == 200
    cells = source_cells(page.get_data(as_text=True))
    assert {name: cells[name] for name in ("Alice", "Bob", "Carol")} == dict.fromkeys(
        ("Alice", "Bob", "Carol"), "WeCom external contact import")
    assert cells["Walkin"] == "Manually created"


def test_another_tenants_list_shows_none_of_the_synced_customers(db, platform, tenant, other_tenant, sync_account,
                                                                 enable_plugins, wecom_admin):
    enable_plugins(tenant, "members")
    enable_plugins(other_tenant, "members")
    run_full_sync(db, platform, sync_account)
    page = wecom_admin(other_tenant).get(LIST.format(slug=other_tenant.slug)).get_data(as_text=True)
    assert source_cells(page) == {} and "WeCom external contact import" not in page.split("customer-list")[1]
