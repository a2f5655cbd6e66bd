"""Mini program links in mass send texts (spec 2.4.1, 2.5.1, 4.4 rule 7): the customer and the group mass send forms
accept an inserted link, count it in the text's limit, refuse a malformed one with nothing written, and the link
reaches WeCom's add_msg_template text unchanged."""

from __future__ import annotations

from scrm_wecom.masssend.models import MassTask
from sqlalchemy import func, select
from test_wecom_masssend_groups import groups  # noqa: F401  (the group chats fixture)
from wecom_foundation_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import *  # noqa: F403
from wecom_masssend_fixtures import dispatch_now

LINK = "#小程序://零售小商铺/首页/Ab12Cd34"
ADD = "/cgi-bin/externalcontact/add_msg_template"


def base(env) -> str:
    return f"/t/{env.tenant.slug}/wecom/masssend"


def task_count(db) -> int:
    db.commit()
    return db.execute(select(func.count()).select_from(MassTask)).scalar_one()


def created(db) -> MassTask:
    db.commit()
    db.expire_all()
    return db.execute(select(MassTask).order_by(MassTask.id.desc())).scalars().first()


def test_a_customer_mass_send_carries_the_link_to_wecom(db, mass_env, client, wecom_admin):
    wecom_admin(mass_env.tenant)
    text = f"双12会员日，点 {LINK} 进商城领券"
    form = {"chat_type": "single", "text": text, "send_type": "immediate"}
    confirm = client.post(f"{base(mass_env)}/confirm", data=form)
    assert confirm.status_code == 200 and LINK in confirm.get_data(as_text=True)
    assert client.post(f"{base(mass_env)}/", data=form).status_code == 302
    task = dispatch_now(db, created(db))
    assert task.text == text
    bodies = [c["body"] for c in mass_env.control.calls(ADD)]
    assert bodies and all(b["text"] == {"content": text} for b in bodies)


def test_a_group_mass_send_carries_the_link_to_wecom(db, mass_env, groups, client, wecom_admin):  # noqa: F811
    wecom_admin(mass_env.tenant)
    text = f"本周六群内抽奖 {LINK}"
    form = {"chat_type": "group", "text": text, "send_type": "immediate", "name": "VIP"}
    assert client.post(f"{base(mass_env)}/", data=form).status_code == 302
    dispatch_now(db, created(db))
    [body] = [c["body"] for c in mass_env.control.calls(ADD)]
    assert body["chat_type"] == "group" and body["chat_id_list"] == ["wrVip1"]
    assert body["text"] == {"content": text}


def test_a_malformed_link_is_refused_with_nothing_written(db, mass_env, client, wecom_admin):
    wecom_admin(mass_env.tenant)
    for chat_type in ("single", "group"):
        response = client.post(f"{base(mass_env)}/", data={
            "chat_type": chat_type, "text": "点 #小程序://零售小商铺/首页 进商城", "send_type": "immediate"})
        body = response.get_data(as_text=True)
        assert response.status_code == 422 and 'data-testid="error-text"' in body
        assert "#小程序://零售小商铺/首页" in body
    assert task_count(db) == 0
    assert mass_env.control.calls(ADD) == []


def test_the_link_counts_in_the_1500_characters(db, mass_env, client, wecom_admin):
    wecom_admin(mass_env.tenant)
    fits = "a" * (1500 - len(LINK)) + LINK  # within 4,000 bytes too
    over = "a" * (1501 - len(LINK)) + LINK
    response = client.post(f"{base(mass_env)}/", data={"chat_type": "single", "text": over,
                                                        "send_type": "immediate"})
    assert response.status_code == 422 and task_count(db) == 0
    assert client.post(f"{base(mass_env)}/", data={"chat_type": "single", "text": fits,
                                                    "send_type": "immediate"}).status_code == 302
    assert created(db).text == fits
