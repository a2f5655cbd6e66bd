"""The audience of a mass send as one SQL query over the account's fans (spec 4.2 rules 2 and 3): followers of the
account, all of them or those with any of the chosen OA tags, narrowed by gender, region (China only) and follow
time (the tenant's days, inclusive). Counting and listing never loop over fans in Python."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date
from zoneinfo import ZoneInfo

from sqlalchemy import and_, exists, func, literal_column, or_, select, text
from sqlmodel import Session

from scrm.sdk import date_span

from ..fans.models import Fan

CHINA = ("中国", "China", "CN")
#: the provincial divisions a region filter may name (China only, spec 4.2 rule 2)
PROVINCES = ("北京", "天津", "河北", "山西", "内蒙古", "辽宁", "吉林", "黑龙江", "上海", "江苏", "浙江", "安徽", "福建",
             "江西", "山东", "河南", "湖北", "湖南", "广东", "广西", "海南", "重庆", "四川", "贵州", "云南", "西藏",
             "陕西", "甘肃", "青海", "宁夏", "新疆", "台湾", "香港", "澳门")


@dataclass
class Audience:
    account_id: int
    tag_ids: list[int] = field(default_factory=list)
    genders: list[int] = field(default_factory=list)
    province: str = ""
    city: str = ""
    follow_from: date | None = None
    follow_to: date | None = None


def _tag_condition(session: Session, tag_ids: list[int]):
    dialect = session.get_bind().dialect.name
    ids = sorted({int(t) for t in tag_ids})
    if dialect == "postgresql":
        from sqlalchemy import cast
        from sqlalchemy.dialects.postgresql import JSONB

        column = cast(Fan.__table__.c.tagid_list, JSONB)
        return or_(*(column.op("@>")(cast(text(f"'[{tag}]'"), JSONB)) for tag in ids))
    each = func.json_each(Fan.__table__.c.tagid_list).table_valued("value")
    return exists(select(literal_column("1")).select_from(each).where(each.c.value.in_(ids)))


def conditions(session: Session, tenant_id: int, audience: Audience, tz: ZoneInfo):
    table = Fan.__table__.c
    where = [table.tenant_id == tenant_id, table.account_id == audience.account_id, table.subscribed.is_(True)]
    if audience.tag_ids:
        where.append(_tag_condition(session, audience.tag_ids))
    if audience.genders:
        where.append(table.sex.in_(sorted(set(audience.genders))))
    if audience.province:
        where.append(table.country.in_(CHINA))
        where.append(table.province == audience.province)
        if audience.city:
            where.append(table.city == audience.city)
    if audience.follow_from is not None:
        where.append(table.subscribe_time >= date_span(audience.follow_from, tz).start)
    if audience.follow_to is not None:
        where.append(table.subscribe_time < date_span(audience.follow_to, tz).end)
    return and_(*where)


def count(session: Session, tenant_id: int, audience: Audience, tz: ZoneInfo) -> int:
    """预计发送人数: the fans the filters match now."""
    return int(session.execute(select(func.count()).select_from(Fan.__table__).where(
        conditions(session, tenant_id, audience, tz))).scalar_one())


def recipients(session: Session, tenant_id: int, audience: Audience, tz: ZoneInfo, limit: int):
    """(customer id, openid) of the matching fans, by openid, at most ``limit``."""
    table = Fan.__table__.c
    return session.execute(select(table.customer_id, table.openid).where(
        conditions(session, tenant_id, audience, tz)).order_by(table.openid).limit(limit)).all()


def cities(session: Session, tenant_id: int, account_id: int, province: str) -> list[str]:
    """The cities of the account's followers in ``province`` (the region filter's second level)."""
    table = Fan.__table__.c
    rows = session.execute(select(table.city).where(
        table.tenant_id == tenant_id, table.account_id == account_id, table.province == province,
        table.country.in_(CHINA), table.city != "").distinct().order_by(table.city).limit(200)).scalars()
    return list(rows)
