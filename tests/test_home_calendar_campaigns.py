"""The channels' campaigns on the home page's marketing calendar (members-1 R5, acceptance 9, through the
``calendar_entries`` hook): an SMS bulk send and an official account mass send put a dot on the tenant's day they
are sent, with a link on the day's page; a cancelled or failed one does not; another tenant's never shows."""

from __future__ import annotations

import re
from datetime import datetime, time

import pytest

from scrm.core.timeutil import local_datetime, local_today


@pytest.fixture
def boss(tenant, make_user, login, enable_plugins):
    enable_plugins(tenant, "sms", "official_account")
    login(make_user("boss@acme.test", tenant, role="tenant_admin"))


def dotted(html: str) -> list[str]:
    return re.findall(r'data-day="([\d-]+)">\s*<a [^>]*>(?:(?!</a>).)*data-testid="calendar-dot"', html, re.S)


def at(day: int, hour: int = 9) -> datetime:
    return local_datetime(local_today().replace(day=day), time(hour))


def test_sms_sends_and_mass_sends_are_campaigns_on_the_calendar(client, db, tenant, other_tenant, boss,
                                                                  make_channel_account, enable_plugins):
    from scrm_official_account.masssend.models import MassSend
    from scrm_sms.bulk.models import SmsBulkSend

    sms = make_channel_account(tenant, "sms", name="阿里云短信")
    oa = make_channel_account(tenant, "official_account", name="品牌服务号")
    db.add(SmsBulkSend(tenant_id=tenant.id, account_id=sms.id, category="marketing", signature="悦澜",
                       content="双12会员日全场八折", body="双12会员日全场八折", audience={}, send_at=at(12),
                       status="scheduled"))
    db.add(SmsBulkSend(tenant_id=tenant.id, account_id=sms.id, category="marketing", signature="悦澜",
                       content="取消的群发", body="取消的群发", audience={}, send_at=at(13), status="cancelled"))
    db.add(MassSend(tenant_id=tenant.id, account_id=oa.id, send_mode="scheduled", scheduled_at=at(20, 23),
                    text="年终盛典预告"))
    enable_plugins(other_tenant, "sms")
    theirs = make_channel_account(other_tenant, "sms", name="别家短信")
    db.add(SmsBulkSend(tenant_id=other_tenant.id, account_id=theirs.id, category="marketing", signature="别家",
                       content="别家的群发", body="别家的群发", audience={}, send_at=at(14), status="scheduled"))
    db.commit()
    today = local_today()
    assert dotted(client.get("/t/acme/").get_data(as_text=True)) == [
        today.replace(day=12).isoformat(), today.replace(day=20).isoformat()]
    day = client.get(f"/t/acme/calendar?day={today.replace(day=12).isoformat()}").get_data(as_text=True)
    assert "SMS send: 双12会员日全场八折" in day and "/t/acme/sms/bulk/" in day
    late = client.get(f"/t/acme/calendar?day={today.replace(day=20).isoformat()}").get_data(as_text=True)
    assert "Official account mass send: 年终盛典预告" in late  # 23:00 the tenant's time: still that day
