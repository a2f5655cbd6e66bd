"""Automatic tags: a tag whose carriers are exactly the customers matching its rule.

Evaluating one tag is three statements whatever the number of customers: record a tagging event for every matching
customer without the tag, link them (INSERT ... SELECT), and unlink the customers that no longer match. Customers
that stop matching lose the tag: an automatic tag states a fact about the customer now ("female", "bought twice
this month"), and a stale one would mislead every audience built on it.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

from sqlalchemy import and_, delete, exists, insert, literal, not_, select
from sqlmodel import Session

from scrm.sdk import AudienceError, CustomerTag, FilterType, Tag, TagGroup, compile_audience, utcnow

from .bulk import insert_from_select
from .models import TagEvent, TagMeta
from .tagging import AUTO

log = logging.getLogger(__name__)


@dataclass
class Evaluation:
    tag_id: int
    added: int
    removed: int


def evaluate(session: Session, tenant_id: int, tag: Tag, types: list[FilterType]) -> Evaluation:
    """Apply ``tag`` to exactly the customers matching its rule. Raises ``AudienceError`` for a rule that does not
    compile (e.g. a condition of a plugin the tenant disabled): then nothing changes."""
    meta = session.execute(select(TagMeta).where(TagMeta.tag_id == tag.id)).scalars().first()
    if meta is None or not (meta.rule or {}).get("conditions"):
        raise AudienceError(f"tag {tag.id} has no rule")
    matching = compile_audience(tenant_id, meta.rule, types).subquery()
    link = CustomerTag.__table__
    now = utcnow()
    newcomers = (select(matching.c.id).where(not_(exists().where(
        link.c.customer_id == matching.c.id, link.c.tag_id == tag.id, link.c.employee_key == 0))))
    new = newcomers.subquery()
    session.execute(insert(TagEvent.__table__).from_select(
        ["tenant_id", "tag_id", "customer_id", "source", "created_at"],
        select(literal(tenant_id), literal(tag.id), new.c.id, literal(AUTO),
               literal(now, type_=TagEvent.__table__.c.created_at.type))))
    added = insert_from_select(
        session, link, ["tenant_id", "customer_id", "tag_id", "employee_key", "source", "created_at"],
        select(literal(tenant_id), new.c.id, literal(tag.id), literal(0), literal(AUTO),
               literal(now, type_=link.c.created_at.type)))
    removed = session.execute(delete(CustomerTag).where(
        and_(CustomerTag.tenant_id == tenant_id, CustomerTag.tag_id == tag.id,
             CustomerTag.customer_id.not_in(select(matching.c.id))))).rowcount
    meta.evaluated_at = now
    session.add(meta)
    session.flush()
    return Evaluation(tag.id, added, removed)


def auto_tags(session: Session, tenant_id: int) -> list[Tag]:
    """The tenant's tags in automatic categories."""
    return list(session.execute(select(Tag).join(TagGroup, TagGroup.id == Tag.group_id)
                                .where(Tag.tenant_id == tenant_id, TagGroup.source == AUTO)
                                .order_by(Tag.id)).scalars())
