"""Names in the churn lists link to the members profile only when the tenant enabled members; the churned list's
filters show a few main ones and open "more filters" when one of the others is set."""

from __future__ import annotations

import re

from wecom_churn_fixtures import *  # noqa: F403
from wecom_churn_fixtures import churn, signed_in, ts
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403
from wecom_sync_fixtures import customer_of

MORE_OPEN = re.compile(r'<details class="more-filters"[^>]*\sopen')


def name_cell(html: str, loss_marker: str = "data-loss-id=") -> str:
    return html.split(loss_marker, 1)[1].split("<td>", 1)[1].split("</td>", 1)[0]


def test_churned_names_link_to_the_profile_with_members_enabled(db, tenant, churn_account, wsgi_http, worker,
                                                               client, make_user, login):
    churn(wsgi_http, churn_account, "lisi", "wmAlice", at=ts("2026-11-01T10:00:00+08:00"))
    worker.join()
    alice = customer_of(db, tenant.id, "wmAlice")
    signed_in(make_user, login, tenant, "admin@acme.test")
    cell = name_cell(client.get("/t/acme/wecom/churn/churned").get_data(as_text=True))
    assert f'<a href="/t/acme/members/customers/{alice.id}" data-testid="profile-link">Alice</a>' in cell


def test_without_members_the_churned_names_are_plain_text(db, tenant, wecom_only_account, wsgi_http, worker, client,
                                                          make_user, login):
    churn(wsgi_http, wecom_only_account, "lisi", "wmAlice", at=ts("2026-11-01T10:00:00+08:00"))
    worker.join()
    signed_in(make_user, login, tenant, "admin@acme.test")
    cell = name_cell(client.get("/t/acme/wecom/churn/churned").get_data(as_text=True))
    assert "Alice" in cell and "<a " not in cell


def test_the_churned_filters_open_more_filters_only_when_one_of_them_is_set(db, tenant, churn_account, client,
                                                                          make_user, login):
    signed_in(make_user, login, tenant, "admin@acme.test")
    html = client.get("/t/acme/wecom/churn/churned").get_data(as_text=True)
    form = html.split('data-testid="churn-filter"', 1)[1].split("</form>", 1)[0]
    main, more = form.split('data-testid="more-filters"', 1)
    assert 'name="q"' in main and 'name="employee_id"' in main and 'name="days_min"' in more
    assert not MORE_OPEN.search(html)
    assert not MORE_OPEN.search(client.get("/t/acme/wecom/churn/churned?q=ali").get_data(as_text=True))
    assert MORE_OPEN.search(client.get("/t/acme/wecom/churn/churned?days_min=5").get_data(as_text=True))
