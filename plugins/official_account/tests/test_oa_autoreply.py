"""Auto replies (spec 3.5, 4.3, acceptance 9-14, marketing rules D.5): limits 20 rules / 60-character names /
30-character keywords, keywords unique per account, full and half match, the rule created last wins, the default
and subscribe replies with independent switches, material replies (and news edits showing in later replies), the
forwarding event for customer service, the passive replies through the callback, pages with CSRF, isolation."""

from __future__ import annotations

import pytest
from oa_fixtures import *  # noqa: F403
from oa_fixtures import AES_KEY, APPID, ORIGINAL_ID, OTHER_APPID, TOKEN
from oa_materials_support import *  # noqa: F403
from oa_materials_support import fresh, png
from scrm_official_account.autoreply import service
from scrm_official_account.autoreply.events import on_domain_event
from scrm_official_account.autoreply.models import KeywordRule
from scrm_official_account.events import EVENT_TEXT
from scrm_official_account.materials.models import Material
from scrm_official_account.sandbox import message_xml, read_reply
from sqlmodel import select

from scrm.sdk import DomainEvent

OPENID = "oFan-autoreply-1"
TARGET = {"appid": APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"}
_seq = iter(range(10_000, 99_999))


def rule(name="活动咨询", *keywords, reply="感谢关注，活动详情请见菜单", kind="text", material_id=None, forward=False):
    words = [service.KeywordInput(*k) if isinstance(k, tuple) else service.KeywordInput(k)
             for k in (keywords or ("优惠",))]
    return service.RuleInput(name=name, keywords=words,
                             reply=service.ReplyInput(kind, reply if kind == "text" else "", material_id),
                             forward_to_service=forward)


def add(db, account, name, *keywords, **kwargs) -> KeywordRule:
    created = service.create_rule(db, account.tenant_id, account.id, rule(name, *keywords, **kwargs))
    db.commit()
    return created


def code_of(callable_, *args) -> str:
    with pytest.raises(service.ReplyError) as caught:
        callable_(*args)
    return caught.value.code


@pytest.fixture
def oa(db, tenant, enable_plugins, make_oa_account):
    enable_plugins(tenant, "official_account")
    return make_oa_account(tenant)


def default_reply(db, account, text="您好，客服将尽快回复您", enabled=True):
    service.save_single_reply(db, account.tenant_id, account.id, service.DEFAULT, service.ReplyInput("text", text))
    service.set_switch(db, account.tenant_id, account.id, "message", enabled)
    db.commit()


def answer(fire, account, content=None, msg_type="text", **fields) -> dict:
    if msg_type == "text":
        fields.update(Content=content, MsgId=str(next(_seq)))
    elif msg_type != "event":
        fields.setdefault("MsgId", str(next(_seq)))
    response = fire(account, message_xml(ORIGINAL_ID, OPENID, msg_type, **fields))
    assert response.status_code == 200
    return read_reply(TARGET, response.get_data(as_text=True))


# -- limits (acceptance 9) ---------------------------------------------------------------------------------------

def test_an_account_has_at_most_20_rules(db, oa, make_oa_account, tenant):
    assert service.RULES_MAX == 20
    for i in range(20):
        add(db, oa, f"规则{i}", f"关键词{i}")
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("规则21", "关键词21")) == "RULE_LIMIT_REACHED"
    db.rollback()
    assert service.count_rules(db, tenant.id, oa.id) == 20
    second = make_oa_account(tenant, appid=OTHER_APPID, name="门店号")
    add(db, second, "规则21", "关键词21")  # the limit is per account


def test_rule_name_is_required_and_at_most_60_characters(db, oa, tenant):
    assert service.NAME_MAX == 60
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("  ", "a")) == "NAME_REQUIRED"
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("名" * 61, "a")) == "TOO_LONG"
    db.rollback()
    assert add(db, oa, "名" * 60, "a").name == "名" * 60


def test_a_keyword_is_at_most_30_characters_and_a_rule_needs_one(db, oa, tenant):
    assert service.KEYWORD_MAX == 30
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("r", "字" * 31)) == "TOO_LONG"
    no_keywords = service.RuleInput(name="r", keywords=[], reply=service.ReplyInput("text", "x"))
    assert code_of(service.create_rule, db, tenant.id, oa.id, no_keywords) == "KEYWORD_REQUIRED"
    db.rollback()
    add(db, oa, "r", "字" * 30)


def test_a_reply_needs_its_content(db, oa, tenant):
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("r", "a", reply=" ")) == "CONTENT_REQUIRED"
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("r", "a", kind="image")) == "CONTENT_REQUIRED"
    assert code_of(service.set_switch, db, tenant.id, oa.id, "subscribe", True) == "CONTENT_REQUIRED"
    db.rollback()
    assert service.count_rules(db, tenant.id, oa.id) == 0


# -- uniqueness (acceptance 10) ----------------------------------------------------------------------------------

def test_a_keyword_belongs_to_one_rule_of_the_account(db, oa, tenant, make_oa_account):
    first = add(db, oa, "规则A", "优惠")
    second = add(db, oa, "规则B", "满减")
    assert code_of(service.update_rule, db, second, rule("规则B", "满减", "优惠")) == "DUPLICATE_KEYWORD"
    db.rollback()
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("规则C", "优惠")) == "DUPLICATE_KEYWORD"
    assert code_of(service.create_rule, db, tenant.id, oa.id, rule("规则C", "包邮", "包邮")) == "DUPLICATE_KEYWORD"
    db.rollback()
    service.update_rule(db, db.get(KeywordRule, first.id), rule("规则A改", "优惠", "折扣"))  # its own keyword
    db.commit()
    other = make_oa_account(tenant, appid=OTHER_APPID, name="门店号")
    add(db, other, "门店规则", "优惠")  # another account of the tenant may use it


# -- matching (acceptance 11, 12) --------------------------------------------------------------------------------

def test_full_match_needs_the_whole_message_and_half_match_a_part(db, oa, tenant, fire):
    default_reply(db, oa)
    price = add(db, oa, "价格", ("价格", "full"), reply="今日会员价 199 元")
    assert answer(fire, oa, "价格")["Content"] == "今日会员价 199 元"
    assert answer(fire, oa, "价格多少")["Content"] == "您好，客服将尽快回复您"
    service.delete_rule(db, db.get(KeywordRule, price.id))
    db.commit()
    add(db, oa, "价格", ("价格", "half"), reply="今日会员价 199 元")
    assert answer(fire, oa, "请问价格多少")["Content"] == "今日会员价 199 元"


def test_the_rule_created_last_wins(db, oa, tenant, fire):
    older = add(db, oa, "优惠活动", "优惠", reply="来自优惠规则")
    add(db, oa, "领券", "券", reply="来自领券规则")
    assert answer(fire, oa, "优惠券")["Content"] == "来自领券规则"
    service.update_rule(db, db.get(KeywordRule, older.id), rule("优惠活动", "优惠", reply="来自优惠规则（改）"))
    db.commit()  # editing does not make a rule newer: creation decides
    assert answer(fire, oa, "优惠券")["Content"] == "来自领券规则"
    add(db, oa, "精确", ("优惠券", "full"), reply="来自精确规则")
    assert answer(fire, oa, "优惠券")["Content"] == "来自精确规则"
    assert answer(fire, oa, "优惠")["Content"] == "来自优惠规则（改）"


def test_the_matcher_follows_every_edit(db, oa, tenant):
    created = add(db, oa, "规则", "会员日", reply="会员日九折")
    assert service.decide_message(db, tenant.id, oa.id, "text", "今天会员日吗").reply["text"] == "会员日九折"
    service.update_rule(db, db.get(KeywordRule, created.id), rule("规则", "生日礼", reply="生日礼已备好"))
    db.commit()
    assert service.decide_message(db, tenant.id, oa.id, "text", "今天会员日吗").reply is None
    assert service.decide_message(db, tenant.id, oa.id, "text", "我的生日礼").reply["text"] == "生日礼已备好"


# -- default and subscribe replies, switches (acceptance 13, 14) --------------------------------------------------

def test_the_default_reply_and_its_switch(db, oa, tenant, fire):
    add(db, oa, "优惠", "优惠", reply="优惠规则")
    default_reply(db, oa)
    assert answer(fire, oa, "营业时间")["Content"] == "您好，客服将尽快回复您"
    assert answer(fire, oa, msg_type="image", PicUrl="http://p/1.jpg", MediaId="m1")["Content"] \
        == "您好，客服将尽快回复您"  # a non-text message gets the default reply
    service.set_switch(db, tenant.id, oa.id, "keyword", False)
    db.commit()
    assert answer(fire, oa, "有优惠吗")["Content"] == "您好，客服将尽快回复您"
    service.set_switch(db, tenant.id, oa.id, "message", False)
    db.commit()
    assert answer(fire, oa, "营业时间") == {}
    assert answer(fire, oa, "有优惠吗") == {}
    service.set_switch(db, tenant.id, oa.id, "keyword", True)
    db.commit()
    assert answer(fire, oa, "有优惠吗")["Content"] == "优惠规则"


def test_the_subscribe_reply_and_independent_switches(db, oa, tenant, fire):
    default_reply(db, oa)
    service.save_single_reply(db, tenant.id, oa.id, service.SUBSCRIBE,
                              service.ReplyInput("text", "欢迎关注美妆会员中心"))
    service.set_switch(db, tenant.id, oa.id, "subscribe", True)
    db.commit()
    assert answer(fire, oa, msg_type="event", Event="subscribe")["Content"] == "欢迎关注美妆会员中心"
    before = service.settings_for(db, tenant.id, oa.id)
    states = (before.keyword_enabled, before.message_enabled)
    service.set_switch(db, tenant.id, oa.id, "subscribe", False)
    db.commit()
    fresh(db)
    after = service.settings_for(db, tenant.id, oa.id)
    assert (after.keyword_enabled, after.message_enabled) == states == (True, True)
    assert answer(fire, oa, msg_type="event", Event="subscribe", create_time=1) == {}
    assert answer(fire, oa, "营业时间")["Content"] == "您好，客服将尽快回复您"


def test_subscribe_and_default_replies_offer_no_news(db, oa, tenant):
    news = Material(tenant_id=tenant.id, account_id=oa.id, kind="news", name="n", media_id="m")
    db.add(news)
    db.commit()
    with pytest.raises(service.ReplyError):
        service.save_single_reply(db, tenant.id, oa.id, service.SUBSCRIBE, service.ReplyInput("news", "", news.id))


# -- material replies ------------------------------------------------------------------------------------------

def test_material_replies_and_news_edits_acceptance_2(db, oa_world, fire):
    world = oa_world
    assert world.upload("image", png(), "cover.png").status_code == 302
    fresh(db)
    cover = db.exec(select(Material).where(Material.kind == "image")).one()
    form = {"account_id": str(world.account.id), "article_count": "1", "action": "save",
            "articles-0-title": "冬季新品上市", "articles-0-digest": "限定色号", "articles-0-content": "<p>新品</p>",
            "articles-0-content_source_url": "https://brand.example.com/winter", "articles-0-cover_id": str(cover.id)}
    assert world.staff.post(world.url("/materials/news/new"), data=form).status_code == 302
    fresh(db)
    news = db.exec(select(Material).where(Material.kind == "news")).one()
    add(db, world.account, "新品", "新品", kind="news", material_id=news.id)
    add(db, world.account, "海报", "海报", kind="image", material_id=cover.id)
    reply = answer(fire, world.account, "有新品吗")
    assert reply["MsgType"] == "news" and reply["ArticleCount"] == "1"
    item = reply["Articles"]["item"]
    item = item[0] if isinstance(item, list) else item
    assert item["Title"] == "冬季新品上市" and item["PicUrl"] == cover.url
    assert item["Url"] == "https://brand.example.com/winter" and item["Description"] == "限定色号"
    assert answer(fire, world.account, "要海报")["Image"]["MediaId"] == cover.media_id
    form["articles-0-title"] = "冬季新品第二波"
    assert world.staff.post(world.url(f"/materials/news/{news.id}/edit"), data=form).status_code == 302
    item = answer(fire, world.account, "有新品吗")["Articles"]["item"]
    assert (item[0] if isinstance(item, list) else item)["Title"] == "冬季新品第二波"


def test_a_material_in_a_rule_cannot_be_deleted_until_the_rule_changes_acceptance_1(db, oa_world):
    world = oa_world
    assert world.upload("image", png(), "poster.png").status_code == 302
    fresh(db)
    image = db.exec(select(Material).where(Material.kind == "image")).one()
    rule_form = {"name": "海报", "keyword_count": "1", "keywords-0-text": "海报", "keywords-0-mode": "half",
                 "reply_type": "image", "material_image": str(image.id), "action": "save"}
    assert world.staff.post(world.url(f"/autoreply/{world.account.id}/rules/new"), data=rule_form).status_code == 302
    refused = world.staff.post(world.url(f"/materials/{image.id}/delete"))
    assert refused.status_code == 409 and "海报" in refused.get_data(as_text=True)
    fresh(db)
    created = db.exec(select(KeywordRule)).one()
    rule_form.update(reply_type="text", reply_text="海报请到门店领取")
    assert world.staff.post(world.url(f"/autoreply/rules/{created.id}/edit"), data=rule_form).status_code == 302
    assert world.staff.post(world.url(f"/materials/{image.id}/delete")).status_code == 302
    fresh(db)
    assert db.exec(select(Material)).all() == []


# -- forwarding to customer service (D.5) ------------------------------------------------------------------------

def _text_event(tenant, oa, content, msg_id="9001"):
    return DomainEvent("ev-" + msg_id, EVENT_TEXT, tenant.id,
                       {"account_id": oa.id, "appid": APPID, "openid": OPENID, "msg_id": msg_id,
                        "content": content, "create_time": 1700000000, "inbound_id": 1})


def _forwarded(db):
    from sqlalchemy import text

    return [row for row in db.execute(text("SELECT type, payload FROM outbox")).all()
            if row[0] == service.FORWARD_EVENT]


def test_a_forwarding_rule_publishes_the_message_for_customer_service(db, oa, tenant):
    add(db, oa, "人工客服", "人工", reply="正在为您转接人工客服", forward=True)
    add(db, oa, "营业时间", "营业", reply="每天 10:00-22:00")
    on_domain_event(_text_event(tenant, oa, "我要人工"), db)
    on_domain_event(_text_event(tenant, oa, "营业时间", "9002"), db)
    db.commit()
    [(kind, payload)] = _forwarded(db)
    payload = payload if isinstance(payload, dict) else __import__("json").loads(payload)
    assert payload["content"] == "我要人工" and payload["msg_id"] == "9001" and payload["openid"] == OPENID
    assert payload["rule_name"] == "人工客服" and payload["account_id"] == oa.id
    service.set_switch(db, tenant.id, oa.id, "keyword", False)
    db.commit()
    on_domain_event(_text_event(tenant, oa, "我要人工", "9003"), db)
    db.commit()
    assert len(_forwarded(db)) == 1  # a rule that is off forwards nothing


# -- pages, CSRF and isolation ------------------------------------------------------------------------------------

def test_the_rule_form_saves_and_refuses_with_messages(db, oa_world):
    world = oa_world
    url = world.url(f"/autoreply/{world.account.id}/rules/new")
    base = {"keyword_count": "2", "keywords-0-text": "包邮", "keywords-0-mode": "full", "keywords-1-text": "满减",
            "keywords-1-mode": "half", "reply_type": "text", "reply_text": "全场满 199 包邮", "action": "save"}
    assert world.staff.post(url, data={**base, "name": "名" * 61}).status_code == 422
    page = world.staff.post(url, data={**base, "name": "包邮", "keywords-1-text": "字" * 31})
    assert page.status_code == 422 and 'data-error="keywords"' in page.get_data(as_text=True)
    assert world.staff.post(url, data={**base, "name": "包邮活动", "forward_to_service": "1"}).status_code == 302
    fresh(db)
    created = db.exec(select(KeywordRule)).one()
    assert created.forward_to_service and created.name == "包邮活动"
    listing = world.staff.get(world.url(f"/autoreply/?account_id={world.account.id}&tab=keyword"))
    assert f'data-rule-id="{created.id}"' in listing.get_data(as_text=True)
    dup = world.staff.post(url, data={**base, "name": "另一个", "keyword_count": "1"})
    assert dup.status_code == 422 and "包邮" in dup.get_data(as_text=True)
    no_token = world.staff.client.post(url, data={**base, "name": "无令牌"})
    assert no_token.status_code == 400
    fresh(db)
    assert len(db.exec(select(KeywordRule)).all()) == 1


def test_the_21st_rule_is_refused_on_the_page(db, oa_world):
    world = oa_world
    for i in range(20):
        add(db, world.account, f"规则{i}", f"词{i}")
    page = world.staff.get(world.url(f"/autoreply/?account_id={world.account.id}&tab=keyword"))
    assert 'data-testid="rule-limit"' in page.get_data(as_text=True)
    refused = world.staff.post(world.url(f"/autoreply/{world.account.id}/rules/new"),
                               data={"name": "规则21", "keyword_count": "1", "keywords-0-text": "词21",
                                     "keywords-0-mode": "half", "reply_type": "text", "reply_text": "x",
                                     "action": "save"})
    assert refused.status_code == 422 and "20" in refused.get_data(as_text=True)


def test_switches_and_single_replies_on_the_page(db, oa_world):
    world = oa_world
    account = world.account
    refused = world.staff.post(world.url(f"/autoreply/{account.id}/switch"), data={"which": "subscribe", "enabled": "1"})
    assert refused.status_code == 422
    saved = world.staff.post(world.url(f"/autoreply/{account.id}/single/subscribe"),
                             data={"reply_type": "text", "reply_text": "欢迎关注"})
    assert saved.status_code == 302
    assert world.staff.post(world.url(f"/autoreply/{account.id}/switch"),
                            data={"which": "subscribe", "enabled": "1"}).status_code == 302
    fresh(db)
    settings = service.settings_for(db, world.tenant.id, account.id)
    assert settings.subscribe_enabled and settings.keyword_enabled and not settings.message_enabled
    assert settings.subscribe_reply == {"type": "text", "text": "欢迎关注", "material_id": None}


def test_another_tenant_cannot_reach_the_rules(db, oa_world, make_tenant, enable_plugins, other_staff):
    created = add(db, oa_world.account, "规则", "会员")
    other = make_tenant("globex", "Globex")
    enable_plugins(other, "official_account")
    intruder = other_staff(other, "admin@globex.test")
    base = "/t/globex/official_account/autoreply"
    assert intruder.get(f"{base}/?account_id={oa_world.account.id}").status_code == 404
    assert intruder.get(f"{base}/rules/{created.id}/edit").status_code == 404
    assert intruder.post(f"{base}/rules/{created.id}/delete").status_code == 404
    assert intruder.post(f"{base}/{oa_world.account.id}/switch", data={"which": "keyword", "enabled": "0"}
                         ).status_code == 404
    assert intruder.post(f"{base}/{oa_world.account.id}/rules/new", data={"name": "x"}).status_code == 404
    fresh(db)
    assert service.count_rules(db, oa_world.tenant.id, oa_world.account.id) == 1
    assert service.settings_for(db, oa_world.tenant.id, oa_world.account.id).keyword_enabled
    assert service.decide_message(db, other.id, oa_world.account.id, "text", "会员").reply is None


def test_rules_of_one_account_never_answer_another(db, tenant, enable_plugins, make_oa_account, fire, make_tenant):
    enable_plugins(tenant, "official_account")
    brand = make_oa_account(tenant)
    stores = make_oa_account(tenant, appid=OTHER_APPID, name="门店服务号")
    add(db, brand, "会员", "会员", reply="品牌号的回复")
    default_reply(db, brand)
    store_target = {"appid": OTHER_APPID, "token": TOKEN, "encoding_aes_key": AES_KEY, "mode": "safe"}
    response = fire(stores, message_xml("gh_0000000000b2", OPENID, "text", Content="会员", MsgId="880001"))
    assert read_reply(store_target, response.get_data(as_text=True)) == {}
    assert answer(fire, brand, "会员")["Content"] == "品牌号的回复"
    assert service.decide_message(db, tenant.id, stores.id, "text", "会员").reply is None
    other = make_tenant("globex", "Globex")
    assert service.decide_message(db, other.id, brand.id, "text", "会员").reply is None
    with pytest.raises(service.ReplyError):  # a material of another account is refused as reply content
        image = Material(tenant_id=tenant.id, account_id=stores.id, kind="image", name="p", media_id="m")
        db.add(image)
        db.commit()
        service.create_rule(db, tenant.id, brand.id, rule("图", "图", kind="image", material_id=image.id))


def test_the_rule_limit_holds_when_two_rules_are_saved_at_once(db, oa, tenant, platform):
    import threading

    from sqlmodel import Session

    for i in range(19):
        add(db, oa, f"规则{i}", f"词{i}")
    barrier = threading.Barrier(2)
    outcomes: list[str] = []

    def save(word: str) -> None:
        with Session(platform.engine) as session:
            barrier.wait(timeout=10)
            try:
                service.create_rule(session, tenant.id, oa.id, rule(f"并发{word}", word))
                session.commit()
                outcomes.append("saved")
            except service.ReplyError as exc:
                session.rollback()
                outcomes.append(exc.code)
            except Exception as exc:  # SQLite: the second writer may time out on the lock instead
                session.rollback()
                outcomes.append(type(exc).__name__)

    threads = [threading.Thread(target=save, args=(w,)) for w in ("甲", "乙")]
    for t in threads:
        t.start()
    for t in threads:
        t.join(timeout=60)
    assert outcomes.count("saved") == 1, outcomes
    fresh(db)
    assert service.count_rules(db, tenant.id, oa.id) == 20


def test_another_process_sees_an_edit_within_its_check_interval(db, oa, tenant, monkeypatch):
    now = [1000.0]
    monkeypatch.setattr(service, "_clock", lambda: now[0])
    created = add(db, oa, "规则", "会员日", reply="会员日九折")
    stale = service.compiled_for(db, tenant.id, oa.id)
    assert stale.match("会员日") is not None
    service.update_rule(db, db.get(KeywordRule, created.id), rule("规则", "生日礼", reply="生日礼已备好"))
    db.commit()
    # what another worker process still holds: its matcher, checked against the revision stamp just now
    service._compiled[oa.id] = stale
    service._checked[oa.id] = (now[0] + service.CHECK_INTERVAL, service._cache())
    now[0] += service.CHECK_INTERVAL - 0.01
    assert service.compiled_for(db, tenant.id, oa.id) is stale  # within the interval: memory only, no I/O
    assert service.compiled_in_memory(tenant.id, oa.id) is stale
    now[0] += 0.02  # the interval is over: the next message checks the stamp and sees the edit
    assert service.compiled_in_memory(tenant.id, oa.id) is None
    fresh_matcher = service.compiled_for(db, tenant.id, oa.id)
    assert fresh_matcher is not stale and fresh_matcher.match("会员日") is None
    assert fresh_matcher.match("我的生日礼").name == "规则"
    assert service.compiled_for(db, tenant.id, oa.id) is fresh_matcher  # then it is reused
    assert service.CHECK_INTERVAL <= 1.0


def test_this_process_sees_an_edit_at_its_next_message(db, oa, tenant):
    created = add(db, oa, "规则", "会员日", reply="会员日九折")
    assert service.compiled_for(db, tenant.id, oa.id).match("会员日") is not None
    assert service.compiled_in_memory(tenant.id, oa.id) is not None
    service.update_rule(db, db.get(KeywordRule, created.id), rule("规则", "生日礼", reply="生日礼已备好"))
    assert service.compiled_in_memory(tenant.id, oa.id) is not None  # not before the commit
    db.commit()
    assert service.compiled_in_memory(tenant.id, oa.id) is None
    assert service.compiled_for(db, tenant.id, oa.id).match("会员日") is None


def test_a_text_reply_is_decided_on_the_callback_thread_once_the_matcher_is_warm(db, oa, tenant, fire, monkeypatch):
    from scrm_official_account import callbacks

    add(db, oa, "会员日", "会员日", reply="会员日九折")
    default_reply(db, oa, "默认回复")
    handed = []
    pool = callbacks.executor()

    class Counting:
        def submit(self, *args, **kwargs):
            handed.append(args)
            return pool.submit(*args, **kwargs)

    monkeypatch.setattr(callbacks, "executor", lambda: Counting())
    assert answer(fire, oa, "今天会员日吗")["Content"] == "会员日九折"
    assert len(handed) == 1  # cold: the matcher is compiled on a reply thread
    assert answer(fire, oa, "明天会员日吗")["Content"] == "会员日九折"
    assert answer(fire, oa, "你好")["Content"] == "默认回复"  # no rule matches: the default reply, from memory too
    assert len(handed) == 1
    service._checked.clear()  # the check interval is over: the next message checks the revision off the thread
    assert answer(fire, oa, "会员日")["Content"] == "会员日九折"
    assert len(handed) == 2


def test_a_material_reply_is_read_on_a_reply_thread(db, oa_world, fire, monkeypatch):
    from scrm_official_account import callbacks

    world = oa_world
    image = Material(tenant_id=world.tenant.id, account_id=world.account.id, kind="image", name="海报",
                     media_id="media-poster")
    db.add(image)
    db.commit()
    add(db, world.account, "海报", "海报", kind="image", material_id=image.id)
    handed = []
    pool = callbacks.executor()

    class Counting:
        def submit(self, *args, **kwargs):
            handed.append(args)
            return pool.submit(*args, **kwargs)

    monkeypatch.setattr(callbacks, "executor", lambda: Counting())
    for expected in (1, 2):
        reply = answer(fire, world.account, "要海报")
        assert reply["MsgType"] == "image" and reply["Image"]["MediaId"] == "media-poster"
        assert len(handed) == expected  # warm or not: the material is read with the database


def test_rules_are_searched_by_name_keyword_and_type(db, oa_world):
    world = oa_world
    add(db, world.account, "会员日活动", "会员日")
    add(db, world.account, "营业时间", "几点关门")
    image = Material(tenant_id=world.tenant.id, account_id=world.account.id, kind="image", name="海报", media_id="m")
    db.add(image)
    db.commit()
    add(db, world.account, "海报", "海报", kind="image", material_id=image.id)
    base = world.url(f"/autoreply/?account_id={world.account.id}&tab=keyword")

    def names(query: str) -> list[str]:
        import re

        page = world.staff.get(base + query).get_data(as_text=True)
        return re.findall(r'<tr data-rule-id="\d+">\s*<td>([^<]+)', page)

    assert names("") == ["海报", "营业时间", "会员日活动"]  # newest first
    assert names("&q=关门") == ["营业时间"]
    assert names("&q=会员") == ["会员日活动"]
    assert names("&type=image") == ["海报"]


def test_the_pages_read_in_chinese(db, oa_world):
    world = oa_world
    world.staff.client.get("/lang/zh_CN")
    for path, words in ((f"/autoreply/?account_id={world.account.id}", ("自动回复管理", "消息回复", "关注回复")),
                        (f"/autoreply/{world.account.id}/rules/new", ("新建关键词规则", "半匹配（消息包含关键词）", "同时将粉丝消息转给客服")),
                        (f"/materials/?account_id={world.account.id}&tab=voice", ("素材管理", "音频", "不超过 2 MB")),
                        (f"/materials/news/new?account_id={world.account.id}", ("新建图文素材", "请在这里输入标题（必填）", "阅读原文链接"))):
        page = world.staff.get(world.url(path))
        assert page.status_code == 200, path
        text = page.get_data(as_text=True)
        for word in words:
            assert word in text, (path, word)
