"""Mini program links in group welcome texts (spec 2.3.1): the form accepts an inserted link and registers it with
WeCom's group_welcome_template/add unchanged; a malformed one is refused before WeCom is called."""

from __future__ import annotations

from scrm_wecom.group_welcome.models import GroupWelcomeTemplate
from sqlalchemy import select
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_moments_fixtures import *  # noqa: F403
from wecom_sync_fixtures import *  # noqa: F403

BASE = "/t/acme/wecom/welcome/group"
ADD = "/cgi-bin/externalcontact/group_welcome_template/add"
LINK = "#小程序://零售小商铺/首页/Ab12Cd34"


def rows(db, tenant_id: int) -> list[GroupWelcomeTemplate]:
    db.commit()
    db.expire_all()
    return list(db.execute(select(GroupWelcomeTemplate).where(GroupWelcomeTemplate.tenant_id == tenant_id))
                .scalars())


def test_the_link_reaches_the_group_welcome_template(db, admin, synced, sandbox):
    text = f"欢迎入群！会员商城 {LINK} 每周三上新"
    assert admin.post(f"{BASE}/new", data={"text": text}).status_code == 302
    [call] = sandbox[1].calls(ADD)
    assert call["body"]["text"] == {"content": text}
    [row] = rows(db, synced.tenant_id)
    assert row.text == text
    assert LINK in admin.get(f"{BASE}/{row.id}/edit").text


def test_a_malformed_link_is_refused_before_wecom_is_called(db, admin, synced, sandbox):
    response = admin.post(f"{BASE}/new", data={"text": "欢迎入群 #小程序://零售小商铺/"})
    assert response.status_code == 422 and 'data-error="text"' in response.text
    assert "#小程序://零售小商铺/" in response.text
    assert sandbox[1].calls(ADD) == [] and rows(db, synced.tenant_id) == []


def test_the_link_counts_in_the_1000_characters(db, admin, synced, sandbox):
    over = "好" * (1001 - len(LINK)) + LINK
    assert admin.post(f"{BASE}/new", data={"text": over}).status_code == 422
    assert admin.post(f"{BASE}/new", data={"text": over[1:]}).status_code == 302
