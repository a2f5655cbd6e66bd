"""The demo brand's core data: a tea-house chain in East China (stores in Shanghai, Hangzhou, Suzhou and Nanjing, a
head office), its employees, customer tags, and a few thousand customers who joined over the last six months.

Everything is drawn from one seeded random generator (the same brand on every machine); times are relative to the
moment of seeding, spread over the days of the brand's local time zone. Rows are written in bulk with their past
``created_at`` (the services would stamp "now"); ``seed_brand`` runs once, when the demo tenant is created.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import insert
from sqlmodel import Session, select

from scrm.core.models import Customer, CustomerIdentity, CustomerTag, Department, Employee, Tag, TagGroup
from scrm.core.timeutil import day_span, use_zone, utcnow

CUSTOMERS = 2400
HISTORY_DAYS = 182
CHUNK = 500
WECHAT_SHARE = 0.3
"""Customers with a WeChat unionid: the WeCom demo makes most of them friends of their store's employees."""
POOL_SHARE = 0.04
"""Customers without an owner (the unassigned pool)."""

SURNAMES = ("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘于蒋蔡余杜叶程苏魏吕丁任沈姚卢姜崔钟谭陆汪范金石廖贾夏韦方"
            "邹熊孟秦白江阎薛尹段雷黎史龙陶贺顾毛郝龚邵万钱严覃武戴莫孔向汤")
FEMALE = ("雨桐", "佳怡", "子涵", "可馨", "梓萱", "思彤", "欣怡", "诗琪", "婉清", "晓雯", "静怡", "若曦", "雅琴", "慧敏",
          "梦瑶", "心怡", "晨曦", "一诺", "语嫣", "雪", "丽", "婷", "颖", "敏", "洁", "琳", "萍", "红梅", "秀英", "淑华")
MALE = ("浩然", "子轩", "宇航", "俊杰", "思远", "博文", "皓轩", "明哲", "天佑", "嘉豪", "志强", "建华", "伟", "磊", "军",
        "涛", "斌", "鹏", "杰", "超", "文博", "一鸣", "家乐", "泽宇", "昊天", "振华", "国栋", "立新", "海峰", "晓东")


@dataclass(frozen=True)
class Store:
    """A store of the brand: its name, its WeCom department id and its staff (name, position)."""

    name: str
    wecom_id: int
    staff: tuple[tuple[str, str], ...]


REGIONS: tuple[tuple[str, int, tuple[Store, ...]], ...] = (
    ("上海大区", 10, (
        Store("上海南京西路旗舰店", 11, (("沈佳琪", "店长"), ("陆晓雯", "茶艺师"), ("顾一鸣", "导购"), ("钱思彤", "导购"))),
        Store("上海徐家汇店", 12, (("黄志强", "店长"), ("朱婉清", "导购"), ("严浩然", "导购"))),
        Store("上海陆家嘴店", 13, (("许静怡", "店长"), ("孙皓轩", "导购"), ("蒋梦瑶", "导购"))),
    )),
    ("浙江大区", 20, (
        Store("杭州湖滨银泰店", 21, (("楼建华", "店长"), ("俞欣怡", "茶艺师"), ("方子轩", "导购"))),
        Store("杭州西溪印象城店", 22, (("金慧敏", "店长"), ("邵宇航", "导购"), ("应雅琴", "导购"))),
    )),
    ("苏南大区", 30, (
        Store("苏州观前街店", 31, (("吴晨曦", "店长"), ("潘俊杰", "导购"), ("陶语嫣", "导购"))),
        Store("南京新街口店", 32, (("王振华", "店长"), ("周心怡", "导购"), ("杨博文", "导购"))),
    )),
)
HEAD_OFFICE = ((2, "会员运营部", (("林若曦", "会员运营经理"), ("何嘉豪", "社群运营专员"))),
               (3, "客服中心", (("赵诗琪", "客服主管"), ("郑天佑", "客服专员"))))
TAG_GROUPS = {
    "茶类偏好": ("绿茶", "乌龙茶", "红茶", "普洱", "花草茶"),
    "购买场景": ("自饮", "商务送礼", "节日礼盒", "办公室下午茶"),
    "客户价值": ("高价值", "潜力客户", "沉睡客户"),
    "来源渠道": ("门店扫码", "直播间", "小程序商城"),
}
SOURCES = (("offline_event", 14), ("miniapp", 26), ("official_account", 18), ("tmall", 14), ("douyin", 10),
           ("jd", 5), ("manual", 8), ("import", 5))


def person_name(rng: random.Random, gender: int) -> str:
    """A realistic Chinese name for gender 1 (male) or 2 (female)."""
    return rng.choice(SURNAMES) + rng.choice(MALE if gender == 1 else FEMALE)


def joined_at(rng: random.Random, now: datetime, days_ago: int) -> datetime:
    """A moment of local day ``days_ago`` (the current zone's) between 09:00 and 22:00, never after ``now``."""
    day = day_span(now, days_ago).start
    moment = day + timedelta(hours=9, seconds=rng.randint(0, 13 * 3600))
    if moment >= now:
        moment = day + (now - day) * rng.random()
    return moment


def _days_ago(rng: random.Random) -> int:
    """Days back from today, weighted so the brand grows: more joins in recent months."""
    return min(HISTORY_DAYS - 1, int(HISTORY_DAYS * (rng.random() ** 1.35)))


def seed_org(session: Session, tenant_id: int) -> list[Employee]:
    """The head office, regions and stores (departments with WeCom ids) and their employees (userids emp001...)."""
    root = Department(tenant_id=tenant_id, name="示例品牌", external_id="1")
    session.add(root)
    session.flush()
    staff: list[tuple[Department, str, str]] = []
    for order, (region_name, region_id, stores) in enumerate(REGIONS):
        region = Department(tenant_id=tenant_id, name=region_name, parent_id=root.id, external_id=str(region_id),
                            order=order)
        session.add(region)
        session.flush()
        for store_order, store in enumerate(stores):
            dept = Department(tenant_id=tenant_id, name=store.name, parent_id=region.id,
                              external_id=str(store.wecom_id), order=store_order)
            session.add(dept)
            staff.extend((dept, name, position) for name, position in store.staff)
    session.flush()
    for wecom_id, name, people in HEAD_OFFICE:
        dept = Department(tenant_id=tenant_id, name=name, parent_id=root.id, external_id=str(wecom_id),
                          order=10 + wecom_id)
        session.add(dept)
        session.flush()
        staff.extend((dept, person, position) for person, position in people)
    employees = [Employee(tenant_id=tenant_id, userid=f"emp{n:03d}", name=name, department_id=dept.id,
                          position=position, mobile=f"1390000{n:04d}")
                 for n, (dept, name, position) in enumerate(staff, start=1)]
    session.add_all(employees)
    session.flush()
    return employees


def seed_tags(session: Session, tenant_id: int) -> list[Tag]:
    tags = []
    for order, (group_name, names) in enumerate(TAG_GROUPS.items()):
        group = TagGroup(tenant_id=tenant_id, name=group_name, order=order)
        session.add(group)
        session.flush()
        for position, name in enumerate(names):
            tag = Tag(tenant_id=tenant_id, group_id=group.id, name=name, order=position)
            session.add(tag)
            tags.append(tag)
    session.flush()
    return tags


def seed_customers(session: Session, tenant_id: int, employees: list[Employee], tags: list[Tag],
                   rng: random.Random, now: datetime, count: int = CUSTOMERS) -> int:
    """``count`` customers who joined over the last six months (a few of them today), with mobile identities (a
    WeChat unionid for some), owners among the store staff (a few in the unassigned pool), member flags and tags.
    Returns how many were written."""
    sellers = [e for e in employees if e.position in ("店长", "导购", "茶艺师")]
    sources = [code for code, weight in SOURCES for _ in range(weight)]
    mobiles: set[str] = set()
    rows: list[dict] = []
    unionids: list[str | None] = []
    today = day_span(now).start
    opened = min(1.0, max(0.0, ((now - today).total_seconds() - 9 * 3600) / (13 * 3600)))
    for n in range(count):
        days_ago = 0 if n < 6 else 1 if n < 22 else _days_ago(rng)
        if n >= 6 and days_ago == 0 and rng.random() > opened:
            days_ago = 1  # today's joins so far: as many as the opening hours that passed bring
        gender = 2 if rng.random() < 0.68 else 1  # a tea-house's customers are mostly women
        while True:
            mobile = f"1{rng.choice('3578')}{rng.randint(0, 9)}{rng.randint(10_000_000, 99_999_999)}"
            if mobile not in mobiles:
                mobiles.add(mobile)
                break
        created = joined_at(rng, now, days_ago)
        attributes = {}
        if rng.random() < 0.6:
            born = now.date().replace(year=now.year - rng.randint(20, 55)) - timedelta(days=rng.randint(0, 364))
            attributes["birthday"] = born.isoformat()
        unionids.append(f"oDemoUnion{n:05d}{rng.randrange(16 ** 8):08x}" if rng.random() < WECHAT_SHARE else None)
        pooled = rng.random() < POOL_SHARE  # no owner yet: the unassigned pool
        rows.append({"tenant_id": tenant_id, "name": person_name(rng, gender), "mobile": mobile, "gender": gender,
                     "source": rng.choice(sources), "owner_employee_id": None if pooled else rng.choice(sellers).id,
                     "is_member": rng.random() < 0.46, "attributes": attributes, "created_at": created,
                     "updated_at": created})
    order = sorted(range(len(rows)), key=lambda i: rows[i]["created_at"])
    rows, unionids = [rows[i] for i in order], [unionids[i] for i in order]
    table = Customer.__table__
    for start in range(0, len(rows), CHUNK):
        part = rows[start:start + CHUNK]
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), part).scalars().all()
        session.execute(insert(CustomerIdentity.__table__), [
            {"tenant_id": tenant_id, "customer_id": cid, "kind": kind, "value": value, "created_at": row["created_at"]}
            for cid, row, unionid in zip(ids, part, unionids[start:start + CHUNK], strict=True)
            for kind, value in (("mobile", row["mobile"]), ("unionid", unionid)) if value])
        tagged = []
        for cid, row in zip(ids, part, strict=True):
            for tag in rng.sample(tags, rng.choice((0, 1, 1, 2, 2, 3))):
                tagged.append({"tenant_id": tenant_id, "customer_id": cid, "tag_id": tag.id, "employee_key": 0,
                               "source": "manual", "created_at": row["created_at"]})
        if tagged:
            session.execute(insert(CustomerTag.__table__), tagged)
    session.flush()
    return len(rows)


def seed_brand(session: Session, tenant_id: int, timezone: str | None = None, now: datetime | None = None) -> None:
    """The whole core part of the demo brand (see the module docstring); days are those of ``timezone``."""
    rng = random.Random(42)
    now = now or utcnow()
    with use_zone(timezone):
        employees = seed_org(session, tenant_id)
        tags = seed_tags(session, tenant_id)
        seed_customers(session, tenant_id, employees, tags, rng, now)
        seed_short_links(session, tenant_id, rng, now)
        seed_articles(session, tenant_id, now)


#: the brand's product recommendations and training courses (title, summary, link path, days since the update)
ARTICLES = {
    "recommendation": [
        ("玻尿酸保湿精华 30ml", "冬季补水主推，会员价 239 元，买二赠旅行装。", "/item/1001", 1),
        ("烟酰胺亮肤面膜 10 片装", "双12 爆款，门店与小程序同价。", "/item/1002", 3),
        ("氨基酸洁面乳", "敏感肌友好，搭配精华推荐。", "/item/1003", 8),
        ("防晒隔离乳 SPF50+", "春季预售，老客专享早鸟价。", "/item/1004", 20),
        ("修护晚霜 50g", "高客单推荐，适合 30 岁以上客户。", "/item/1005", 45),
        ("眼部精华 15ml", "年度新品，试用装可申请。", "/item/1006", 400),
    ],
    "course": [
        ("导购开场三步法", "如何在 30 秒内了解客户需求。", "/course/101", 2),
        ("企业微信加好友话术", "门店扫码加好友的标准话术与禁忌。", "/course/102", 6),
        ("会员日活动执行手册", "双12 会员日门店执行要点。", "/course/103", 12),
        ("肌肤测试仪使用培训", "到店体验的标准流程。", "/course/104", 380),
    ],
}


def seed_articles(session: Session, tenant_id: int, now: datetime) -> None:
    """The brand's articles for the home page: six product recommendations and four courses (one of each older
    than a year, shown by month)."""
    from scrm.core.models import ContentArticle

    if session.exec(select(ContentArticle.id).where(ContentArticle.tenant_id == tenant_id)).first() is not None:
        return
    for kind, rows in ARTICLES.items():
        for title, summary, path, days in rows:
            at = now - timedelta(days=days)
            session.add(ContentArticle(tenant_id=tenant_id, kind=kind, title=title, summary=summary,
                                       url=f"https://m.yuelan-beauty.example.cn{path}", created_at=at,
                                       updated_at=at))
    session.flush()


def seed_short_links(session: Session, tenant_id: int, rng: random.Random, now: datetime) -> None:
    """Short links of the demo brand: an SMS campaign link with personalised links for 200 members and two weeks of
    clicks, a poster link, and the official account menu's permanent link."""
    from scrm.core import shortlinks
    from scrm.core.models import ShortLinkClick, ShortLinkRecipient

    sms = shortlinks.create(session, tenant_id, "https://m.yuelan-beauty.example.cn/act/1212?utm_source=sms",
                            channel="sms", campaign="sms-1212", campaign_label="双12会员日",
                            created_by="demo", now=now - timedelta(days=14))
    mobiles = [f"1390000{n:04d}" for n in range(200)]
    codes = shortlinks.create_many_personalised(session, sms, mobiles)
    people = {r.code: r for r in session.exec(
        select(ShortLinkRecipient).where(ShortLinkRecipient.link_id == sms.id))}
    clicks = []
    for code in rng.sample(codes, 64):
        person = people[code]
        at = now - timedelta(days=rng.randint(0, 13), minutes=rng.randint(0, 600))
        person.clicks, person.first_clicked_at = rng.randint(1, 3), at
        session.add(person)
        clicks += [{"tenant_id": tenant_id, "link_id": sms.id, "recipient_id": person.id, "clicked_at": at,
                    "agent": rng.choice(("wechat", "wechat", "mobile")), "ip_hash": f"{rng.getrandbits(64):016x}"}
                   for _ in range(person.clicks)]
    poster = shortlinks.create(session, tenant_id, "https://m.yuelan-beauty.example.cn/store/xuhui",
                               channel="poster", campaign="store-opening", campaign_label="徐汇店开业海报",
                               created_by="demo", now=now - timedelta(days=6))
    clicks += [{"tenant_id": tenant_id, "link_id": poster.id, "recipient_id": None,
                "clicked_at": now - timedelta(days=rng.randint(0, 5), minutes=rng.randint(0, 900)),
                "agent": "wechat", "ip_hash": f"{rng.getrandbits(64):016x}"} for _ in range(37)]
    shortlinks.create(session, tenant_id, "https://m.yuelan-beauty.example.cn/member/center", kind="long",
                      channel="official_account", campaign="oa-menu", campaign_label="公众号菜单·会员中心",
                      created_by="demo", now=now - timedelta(days=30))
    session.execute(insert(ShortLinkClick.__table__), clicks)
    session.flush()
