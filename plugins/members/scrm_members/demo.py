"""The members part of the demo brand (the ``demo_data`` hook of ``scrm demo``): 90 days of orders of a tea-house
chain across its stores, employees and online shops, member levels, lifecycle stages, points, yearly targets,
segments and a short blacklist, then the home dashboard's statistics.

Each part is written once (found again by its own rows on the next run), with past times written directly where
the services would stamp "now"; everything is drawn from one seeded random generator. The statistics snapshot is
recomputed on every run, so "today" is always today.
"""

from __future__ import annotations

import random
from collections import defaultdict
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta

from sqlalchemy import func, insert, select
from sqlmodel import Session

from scrm.sdk import (
    Customer,
    Department,
    Employee,
    day_span,
    local,
    local_midnight,
    local_now,
    use_zone,
    utcnow,
)

from .loyalty import dashboard, stages
from .loyalty.models import (
    CustomerLevel,
    MemberLevel,
    Order,
    OrderItem,
    OrderStatus,
    PerformanceTarget,
    PointsBalance,
    PointsEntry,
    StageMembership,
)
from .segments import segment_store
from .segments.audiences import tenant_filter_types
from .segments.models import BlacklistEntry, Segment, SegmentKind

ORDER_DAYS = 90
CHUNK = 500
SELLERS = ("店长", "导购", "茶艺师")

PRODUCTS = (  # code, name, category, price (yuan)
    ("LJ250", "明前西湖龙井 250g", "绿茶", 688), ("BLC100", "洞庭碧螺春 100g", "绿茶", 268),
    ("AJBC150", "安吉白茶 150g", "绿茶", 328), ("DHP200", "武夷大红袍 200g", "乌龙茶", 458),
    ("TGY250", "安溪铁观音 250g", "乌龙茶", 238), ("DC100", "凤凰单丛·蜜兰香 100g", "乌龙茶", 198),
    ("ZSXZ150", "正山小种 150g", "红茶", 168), ("JJM100", "金骏眉 100g", "红茶", 598),
    ("DH200", "滇红金芽 200g", "红茶", 218), ("PE357", "勐海古树普洱生茶饼 357g", "普洱", 888),
    ("PES200", "宫廷普洱熟茶 200g", "普洱", 258), ("MLYZ100", "茉莉银针 100g", "花草茶", 128),
    ("GHWL20", "桂花乌龙三角包 20 袋", "花草茶", 69), ("MTWL12", "蜜桃乌龙冷泡茶 12 袋", "花草茶", 59),
    ("GWTZ01", "青瓷盖碗茶具套装", "茶具", 399), ("LH-MY", "中秋茶礼盒·明月", "礼盒", 1288),
    ("LH-XC", "新春臻品茶礼", "礼盒", 1688), ("XP-GH", "门店现泡·桂花龙井拿铁", "门店饮品", 32),
    ("XP-LC", "门店现泡·冷萃乌龙", "门店饮品", 28),
)
CHANNELS = (("store", 58), ("miniapp", 20), ("tmall", 11), ("douyin", 8), ("jd", 3))
LEVELS = (("普通会员", "注册即享会员价与生日礼", None), ("银卡会员", "累计消费满 1,000 元", 12),
          ("金卡会员", "累计消费满 5,000 元，享 95 折与专属茶艺师", 12),
          ("钻石会员", "累计消费满 10,000 元，享 9 折与新品品鉴会", 24))
SEGMENTS = (  # category kind, category, name, description, rule (filled with ids where needed)
    (SegmentKind.DYNAMIC, "会员运营", "高价值复购客户", "近三个月购买 3 次以上且累计消费满 1,000 元",
     {"conditions": [{"type": "purchase_count", "values": [{"min": 3}]},
                     {"type": "paid_amount", "values": [{"min": 1000}]}]}),
    (SegmentKind.DYNAMIC, "会员运营", "积分待兑换客户", "积分余额 500 分以上，适合推送积分商城",
     {"conditions": [{"type": "points", "values": [{"min": 500}]}]}),
    (SegmentKind.DYNAMIC, "门店运营", "南京西路旗舰店顾客", "在上海南京西路旗舰店有过购买",
     {"conditions": [{"type": "purchased_at_store", "values": ["store:上海南京西路旗舰店"]}]}),
    (SegmentKind.STATIC, "活动名单", "新品品鉴会邀约名单", "忠诚客户与超级客户（保存时的快照）",
     {"conditions": [{"type": "stage", "values": ["stage:4", "stage:5"]}]}),
)
BLACKLIST = ("多次恶意退款", "批量注册刷取新人礼", "辱骂门店员工")


@dataclass
class Brand:
    """What the members demo works with: the tenant's stores, sellers and customers."""

    tenant_id: int
    now: datetime
    stores: dict[int, str]  # department id -> name (leaf departments that have sellers)
    sellers: dict[int, int]  # employee id -> store id
    customers: list[tuple[int, datetime, bool, int | None]]  # id, joined, member, owner
    paid: dict[int, list[tuple[datetime, int]]] = field(default_factory=lambda: defaultdict(list))


def seed_demo(tenant, session: Session, demo) -> None:
    """The ``demo_data`` hook: see the module docstring."""
    with use_zone(getattr(tenant, "timezone", None)):
        _seed(tenant, session)


def _seed(tenant, session: Session) -> None:
    brand = _brand(session, tenant.id)
    if not brand.customers or not brand.stores:
        return  # a tenant without the demo's org and customers
    rng = random.Random(7)
    if not _has(session, Order, tenant.id):
        seed_orders(session, brand, rng)
    seed_targets(session, brand, rng)
    seed_levels(session, brand, rng)
    seed_stages(session, brand)
    seed_points(session, brand, rng)
    seed_segments(session, tenant, brand)
    seed_blacklist(session, brand)
    dashboard.refresh(session, tenant.id)
    session.commit()


def _has(session: Session, model, tenant_id: int) -> bool:
    return session.execute(select(model.id).where(model.tenant_id == tenant_id).limit(1)).first() is not None


def _brand(session: Session, tenant_id: int) -> Brand:
    employees = session.execute(select(Employee.id, Employee.department_id, Employee.position).where(
        Employee.tenant_id == tenant_id)).all()
    sellers = {e.id: e.department_id for e in employees if e.position in SELLERS and e.department_id}
    stores = dict(session.execute(select(Department.id, Department.name).where(
        Department.tenant_id == tenant_id, Department.id.in_(set(sellers.values())))).all())
    customers = [(r.id, _utc(r.created_at), r.is_member, r.owner_employee_id) for r in session.execute(
        select(Customer.id, Customer.created_at, Customer.is_member, Customer.owner_employee_id).where(
            Customer.tenant_id == tenant_id, Customer.merged_into_id.is_(None)).order_by(Customer.id))]
    return Brand(tenant_id, utcnow(), stores, {e: d for e, d in sellers.items() if d in stores}, customers)


def _utc(moment: datetime) -> datetime:
    """A stored time as an aware UTC datetime (SQLite gives naive UTC)."""
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def _opening_hours_passed(day_start: datetime, now: datetime) -> float:
    """The share of the day's opening hours (09:00 to 22:00) that lie before ``now``."""
    return min(1.0, max(0.0, ((now - day_start).total_seconds() - 9 * 3600) / (13 * 3600)))


def _lines(rng: random.Random, channel: str, gift: bool) -> list[tuple[str, str, str, int, int]]:
    """An order's lines: (code, name, category, quantity, unit price in fen)."""
    if gift:
        code, name, category, price = rng.choice([p for p in PRODUCTS if p[2] == "礼盒"] + [PRODUCTS[0], PRODUCTS[9]])
        return [(code, name, category, rng.choice((1, 2, 2, 3, 4)), price * 100)]
    pool = PRODUCTS if channel == "store" else [p for p in PRODUCTS if p[2] != "门店饮品"]
    picked = rng.sample(pool, rng.choice((1, 1, 1, 2, 2, 3)))
    return [(code, name, category, rng.choice((1, 1, 1, 2)) if price > 100 else rng.choice((1, 2, 3)), price * 100)
            for code, name, category, price in picked]


def seed_orders(session: Session, brand: Brand, rng: random.Random) -> int:
    """About 45 orders a day over the last 90 local days, today up to now: store orders with their store and
    seller, online orders without; a loyal core of customers buys often (some of them gift boxes), a few orders are
    refunded. Returns how many orders were written."""
    channels = [code for code, weight in CHANNELS for _ in range(weight)]
    store_sellers: dict[int, list[int]] = defaultdict(list)
    for employee_id, store_id in brand.sellers.items():
        store_sellers[store_id].append(employee_id)
    loyal = rng.sample(brand.customers, min(90, len(brand.customers) // 10))
    big_spenders = {c[0] for c in loyal[:25]}
    orders, items_by_order = [], []
    serial = 0
    for days_ago in range(ORDER_DAYS - 1, -1, -1):
        start = day_span(brand.now, days_ago).start
        weekend = local(start).weekday() >= 5
        eligible = [c for c in brand.customers if c[1] <= start + timedelta(hours=22)]
        if not eligible:
            continue
        count = rng.randint(34, 46) + (18 if weekend else 0)
        if days_ago == 0:  # today: as many as the opening hours so far bring, a few at least
            count = max(4, int(count * _opening_hours_passed(start, brand.now)))
        for _ in range(count):
            customer = rng.choice(loyal) if rng.random() < 0.3 else rng.choice(eligible)
            paid_at = start + timedelta(hours=9, seconds=rng.randint(0, 13 * 3600))
            if paid_at > brand.now:
                paid_at = start + (brand.now - start) * rng.random()
            paid_at = max(paid_at, customer[1] + timedelta(minutes=5))
            if paid_at > brand.now:
                continue
            channel = rng.choice(channels)
            store_id = employee_id = None
            if channel == "store":
                owner_store = brand.sellers.get(customer[3] or 0)
                store_id = owner_store if owner_store and rng.random() < 0.75 else rng.choice(list(brand.stores))
                employee_id = customer[3] if brand.sellers.get(customer[3] or 0) == store_id \
                    else rng.choice(store_sellers[store_id])
            lines = _lines(rng, channel, customer[0] in big_spenders and rng.random() < 0.5)
            goods = sum(q * p for _c, _n, _k, q, p in lines)
            discount = goods // 20 if goods >= 50_000 and rng.random() < 0.5 else 0
            shipping = 0 if channel == "store" or goods >= 9_900 else 1_000
            paid = goods - discount + shipping
            serial += 1
            prefix = {"store": "MD", "miniapp": "XCX", "tmall": "TM", "douyin": "DY", "jd": "JD"}[channel]
            local_day = local(paid_at).strftime("%Y%m%d")
            refunded = rng.random() < 0.03 and days_ago > 1
            orders.append({
                "tenant_id": brand.tenant_id, "source": channel, "order_no": f"{prefix}{local_day}{serial:05d}",
                "customer_id": customer[0], "store_id": store_id, "employee_id": employee_id,
                "status": (OrderStatus.REFUNDED if refunded else OrderStatus.PAID).value,
                "item_count": sum(q for _c, _n, _k, q, _p in lines), "goods_cents": goods,
                "shipping_original_cents": shipping, "discount_cents": discount, "paid_cents": paid,
                "refund_cents": paid if refunded else 0, "created_at": paid_at - timedelta(minutes=rng.randint(1, 20)),
                "paid_at": paid_at, "refunded_at": paid_at + timedelta(days=rng.randint(1, 3)) if refunded else None,
                "updated_at": paid_at})
            items_by_order.append(lines)
            brand.paid[customer[0]].append((paid_at, paid))
    table = Order.__table__
    for begin in range(0, len(orders), CHUNK):
        part = orders[begin:begin + CHUNK]
        ids = session.execute(insert(table).returning(table.c.id, sort_by_parameter_order=True), part).scalars().all()
        session.execute(insert(OrderItem.__table__), [
            {"tenant_id": brand.tenant_id, "order_id": order_id, "line_no": n, "product_code": code,
             "product_name": name, "category": category, "quantity": quantity, "unit_price_cents": price,
             "paid_cents": quantity * price}
            for order_id, lines in zip(ids, items_by_order[begin:begin + CHUNK], strict=True)
            for n, (code, name, category, quantity, price) in enumerate(lines, 1)])
    session.flush()
    return len(orders)


def _paid_by_customer(session: Session, brand: Brand) -> dict[int, list[tuple[datetime, int]]]:
    if not brand.paid:
        for customer_id, paid_at, cents in session.execute(select(Order.customer_id, Order.paid_at, Order.paid_cents)
                                                           .where(Order.tenant_id == brand.tenant_id,
                                                                  Order.paid_at.is_not(None)).order_by(Order.paid_at)):
            brand.paid[customer_id].append((_utc(paid_at), cents))
    return brand.paid


def seed_targets(session: Session, brand: Brand, rng: random.Random) -> None:
    """This year's targets of each store and seller: what they sold this year so far, stretched by 10 to 80 %."""
    year = local_now(brand.now).year
    if session.execute(select(PerformanceTarget.id).where(PerformanceTarget.tenant_id == brand.tenant_id,
                                                          PerformanceTarget.year == year).limit(1)).first():
        return
    start = local_midnight(date(year, 1, 1))
    in_year = (Order.tenant_id == brand.tenant_id, Order.paid_at >= start)
    by_store = dict(session.execute(select(Order.store_id, func.sum(Order.paid_cents)).where(*in_year)
                                    .group_by(Order.store_id)).all())
    by_seller = dict(session.execute(select(Order.employee_id, func.sum(Order.paid_cents)).where(*in_year)
                                     .group_by(Order.employee_id)).all())

    def target(sold: int | None, floor: int) -> int:
        return max(floor, int((sold or 0) * rng.uniform(1.1, 1.8)) // 100_000 * 100_000)

    rows = [{"tenant_id": brand.tenant_id, "department_id": store_id, "employee_id": None, "year": year,
             "target_cents": target(by_store.get(store_id), 20_000_000)} for store_id in sorted(brand.stores)]
    rows += [{"tenant_id": brand.tenant_id, "department_id": None, "employee_id": employee_id, "year": year,
              "target_cents": target(by_seller.get(employee_id), 5_000_000)} for employee_id in sorted(brand.sellers)]
    session.execute(insert(PerformanceTarget.__table__), rows)


def seed_levels(session: Session, brand: Brand, rng: random.Random) -> None:
    """The level ladder (when the tenant has none) and a level for every member, by what they spent."""
    ladder = list(session.execute(select(MemberLevel).where(MemberLevel.tenant_id == brand.tenant_id)
                                  .order_by(MemberLevel.rank)).scalars())
    if not ladder:
        for rank, (name, description, months) in enumerate(LEVELS, 1):
            session.add(MemberLevel(tenant_id=brand.tenant_id, name=name, rank=rank, description=description,
                                    validity_months=months))
        session.flush()
        ladder = list(session.execute(select(MemberLevel).where(MemberLevel.tenant_id == brand.tenant_id)
                                      .order_by(MemberLevel.rank)).scalars())
    if _has(session, CustomerLevel, brand.tenant_id):
        return
    spent = {cid: sum(c for _t, c in paid) for cid, paid in _paid_by_customer(session, brand).items()}
    thresholds = (0, 100_000, 500_000, 1_000_000)
    rows = []
    for customer_id, joined, member, _owner in brand.customers:
        if not member:
            continue
        rank = max(i for i, floor in enumerate(thresholds) if spent.get(customer_id, 0) >= floor)
        level = ladder[min(rank, len(ladder) - 1)]
        rows.append({"tenant_id": brand.tenant_id, "customer_id": customer_id, "level_id": level.id,
                     "valid_until": None, "assigned_by": "system", "assigned_at": joined})
    for begin in range(0, len(rows), CHUNK):
        session.execute(insert(CustomerLevel.__table__), rows[begin:begin + CHUNK])


def seed_stages(session: Session, brand: Brand) -> None:
    """Everyone with an order or a member card in a lifecycle stage, as the sample ladder's rules read: first
    contact, intending (members without an order), first order, loyal and super customers (10 orders or more, under
    or over 10,000 yuan); the rest of the ladder by position when an admin changed it."""
    ladder = stages.tenant_stages(session, brand.tenant_id)
    if len(ladder) < 5 or _has(session, StageMembership, brand.tenant_id):
        return
    paid = _paid_by_customer(session, brand)
    rows = []
    for customer_id, joined, member, _owner in brand.customers:
        orders = paid.get(customer_id, [])
        total = sum(c for _t, c in orders)
        if len(orders) >= 10:
            position, since = (4 if total >= 1_000_000 else 3), orders[9][0]
        elif len(orders) >= 1:
            position, since = 2, orders[0][0]
        elif member:
            position, since = 1, joined
        elif customer_id % 3 == 0:
            position, since = 0, joined
        else:
            continue
        rows.append({"tenant_id": brand.tenant_id, "customer_id": customer_id,
                     "stage_id": ladder[position].id, "entered_at": since, "left_at": None})
    for begin in range(0, len(rows), CHUNK):
        session.execute(insert(StageMembership.__table__), rows[begin:begin + CHUNK])


def seed_points(session: Session, brand: Brand, rng: random.Random) -> None:
    """One point per yuan paid by members, a sign-up bonus, and some points spent in the points mall."""
    if _has(session, PointsEntry, brand.tenant_id):
        return
    members = {c[0]: c[1] for c in brand.customers if c[2]}
    paid = _paid_by_customer(session, brand)
    entries, balances = [], {}
    for customer_id, joined in members.items():
        moves = [(joined, 100, "新会员注册礼")]
        moves += [(at, cents // 100, "消费得积分") for at, cents in paid.get(customer_id, [])]
        total = sum(m[1] for m in moves)
        if total >= 600 and rng.random() < 0.4:
            last = max(m[0] for m in moves)
            spent = min(total, rng.choice((300, 500)))
            moves.append((min(brand.now, last + timedelta(days=rng.randint(1, 10))), -spent, "积分商城兑换：桂花乌龙三角包"))
        balance = 0
        for at, delta, reason in sorted(moves, key=lambda m: m[0]):
            balance += delta
            entries.append({"tenant_id": brand.tenant_id, "customer_id": customer_id, "delta": delta,
                            "balance_after": balance, "reason": reason, "actor": "system", "created_at": at})
        balances[customer_id] = balance
    for begin in range(0, len(entries), CHUNK):
        session.execute(insert(PointsEntry.__table__), entries[begin:begin + CHUNK])
    rows = [{"tenant_id": brand.tenant_id, "customer_id": cid, "balance": value, "updated_at": brand.now}
            for cid, value in balances.items()]
    for begin in range(0, len(rows), CHUNK):
        session.execute(insert(PointsBalance.__table__), rows[begin:begin + CHUNK])


def _resolve(value: str, stores: dict[str, int], ladder: list) -> str:
    if value.startswith("store:"):
        return str(stores[value[6:]])
    if value.startswith("stage:"):
        return str(ladder[int(value[6:]) - 1].id)
    return value


def seed_segments(session: Session, tenant, brand: Brand) -> None:
    """The demo's member groups (created once each, by name) through the segment service."""
    existing = set(session.execute(select(Segment.name).where(Segment.tenant_id == tenant.id)).scalars())
    todo = [s for s in SEGMENTS if s[2] not in existing]
    if not todo:
        return
    types = tenant_filter_types(session, tenant)
    stores = {name: store_id for store_id, name in brand.stores.items()}
    ladder = stages.tenant_stages(session, tenant.id)
    for kind, category_name, name, description, rule in todo:
        if any(v.startswith("store:") and v[6:] not in stores for c in rule["conditions"] for v in c["values"]
               if isinstance(v, str)):
            continue
        category = next((c for c in segment_store.categories(session, tenant.id, kind.value)
                         if c.name == category_name), None)
        if category is None:
            category = segment_store.create_category(session, tenant.id, kind.value, category_name)
        conditions = [{**c, "values": [_resolve(v, stores, ladder) if isinstance(v, str) else v
                                       for v in c["values"]]} for c in rule["conditions"]]
        clean = segment_store.validate(session, tenant.id, {
            "name": name, "description": description, "kind": kind.value, "category_id": category.id,
            "rule": {"conditions": conditions}}, types)
        segment_store.create_segment(session, tenant.id, clean, types, None)


def seed_blacklist(session: Session, brand: Brand) -> None:
    """Three customers on the blacklist, for reasons a store meets."""
    if _has(session, BlacklistEntry, brand.tenant_id):
        return
    for n, reason in enumerate(BLACKLIST):
        customer_id, joined, _member, _owner = brand.customers[17 + n * 211]
        session.add(BlacklistEntry(tenant_id=brand.tenant_id, customer_id=customer_id, reason=reason,
                                   created_at=joined + timedelta(days=3)))
    session.flush()
