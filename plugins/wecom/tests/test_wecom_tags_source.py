"""The WeCom corp tags as a tag source (``tag_sources``): the members' tag screen gets a "WeCom tags" tab that sends
every change to the corp-tag page, and that page offers "Sync WeCom tags" to tenant admins."""

from __future__ import annotations

from flask import url_for
from flask_babel import gettext
from scrm_wecom.sync.tag_source import tag_sources
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403


def test_the_source_names_wecom_tags_and_the_corp_tag_page(app, tenant):
    with app.test_request_context():
        [source] = tag_sources(tenant)
        assert (source.source, source.title) == ("wecom", gettext("WeCom tags"))
        assert url_for(source.manage_endpoint, tenant=tenant.slug) == "/t/acme/wecom/sync/tags"


def test_only_a_tenant_with_wecom_enabled_gets_the_source(db, platform, tenant, other_tenant, enable_plugins):
    enable_plugins(tenant, "wecom")
    assert [s.source for s in platform.hooks(db, db.merge(tenant)).contribute("tag_sources", tenant=tenant)] == \
        ["wecom"]
    assert platform.hooks(db, db.merge(other_tenant)).contribute("tag_sources", tenant=other_tenant) == []


def test_the_corp_tag_page_offers_the_tag_sync_to_admins_only(sync_account, tenant, wecom_admin, make_user, login):
    admin = wecom_admin(tenant)
    page = admin.get("/t/acme/wecom/sync/tags").get_data(as_text=True)
    assert 'data-testid="sync-tags"' in page and f"/t/acme/wecom/sync/{sync_account.id}/run" in page
    operator = login(make_user("op@acme.test", tenant, role="operator"))
    assert 'data-testid="sync-tags"' not in operator.get("/t/acme/wecom/sync/tags").get_data(as_text=True)
