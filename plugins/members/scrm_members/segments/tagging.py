"""The tag picker service every tagging path uses (profile, bulk action, API): which tags a user may see and apply,
and applying or removing tags in bulk SQL.

Visibility is set per tag category (``TagCategoryScope``): a category without entries is visible to everyone; with
entries, only to employees of the listed departments (sub-departments included) or the listed employees. A
sub-category also needs its parent to be visible. Tenant admins, platform admins (no membership) and API tokens
(``membership=None``) see every category. Other users are judged by their membership's linked employee; a user with
no linked employee sees only unrestricted categories.

Tags of automatic categories belong to their rule: only the evaluator puts them on or takes them off. Tags of a
channel's categories (``source`` "wecom", say) are applied like manual ones and honour the same visibility; the channel
plugin marks them in the channel from the ``customer.tags_changed`` event.
"""

from __future__ import annotations

from collections.abc import Iterable

from sqlalchemy import and_, delete, exists, insert, literal, not_, select
from sqlmodel import Session

from scrm.sdk import (
    Customer,
    CustomerTag,
    Department,
    Employee,
    EventTypes,
    Role,
    Tag,
    TagGroup,
    customer_scope,
    publish,
    utcnow,
)

from .bulk import insert_from_select
from .models import TagCategoryScope, TagEvent

AUTO = "auto"


class TaggingError(ValueError):
    """The request names tags or customers the user may not tag; nothing was changed."""


def unrestricted(membership) -> bool:
    return membership is None or membership.role == Role.TENANT_ADMIN


def _department_chain(session: Session, tenant_id: int, department_id: int | None) -> set[int]:
    """The department and every department above it (a scope on a department covers its subtree)."""
    if department_id is None:
        return set()
    parents = dict(session.execute(select(Department.id, Department.parent_id)
                                   .where(Department.tenant_id == tenant_id)).all())
    if department_id not in parents:
        return set()
    found, current = set(), department_id
    while current is not None and current not in found:
        found.add(current)
        current = parents.get(current)
    return found


def _employee_departments(session: Session, tenant_id: int, employee_id: int | None) -> set[int]:
    """The employee's department and every department above it."""
    if employee_id is None:
        return set()
    employee = session.get(Employee, employee_id)
    if employee is None or employee.tenant_id != tenant_id:
        return set()
    return _department_chain(session, tenant_id, employee.department_id)


def _groups_visible_to(session: Session, tenant_id: int, departments: set[int], employee_id: int | None) -> set[int]:
    groups = dict(session.execute(select(TagGroup.id, TagGroup.parent_id)
                                  .where(TagGroup.tenant_id == tenant_id)).all())
    scopes: dict[int, list[tuple[int | None, int | None]]] = {}
    for group_id, department_id, scope_employee in session.execute(
            select(TagCategoryScope.group_id, TagCategoryScope.department_id, TagCategoryScope.employee_id)
            .where(TagCategoryScope.tenant_id == tenant_id)).all():
        scopes.setdefault(group_id, []).append((department_id, scope_employee))

    def allowed(group_id: int) -> bool:
        entries = scopes.get(group_id)
        if not entries:
            return True
        return any((d is not None and d in departments) or (e is not None and e == employee_id) for d, e in entries)

    return {g for g, parent in groups.items() if allowed(g) and (parent is None or allowed(parent))}


def visible_group_ids(session: Session, tenant_id: int, membership) -> set[int]:
    """Ids of the tag categories ``membership`` may see and use."""
    if unrestricted(membership):
        return set(session.execute(select(TagGroup.id).where(TagGroup.tenant_id == tenant_id)).scalars())
    employee_id = membership.employee_id
    return _groups_visible_to(session, tenant_id, _employee_departments(session, tenant_id, employee_id),
                              employee_id)


def department_group_ids(session: Session, tenant_id: int, department_id: int) -> set[int]:
    """Ids of the tag categories every employee of ``department_id`` may see and use: unrestricted ones and those
    whose scope names the department or a department above it (not those open to single employees only)."""
    return _groups_visible_to(session, tenant_id, _department_chain(session, tenant_id, department_id), None)


def visible_tags(session: Session, tenant_id: int, membership) -> list[Tag]:
    """The tenant's tags ``membership`` may see, by category and name."""
    ids = visible_group_ids(session, tenant_id, membership)
    if not ids:
        return []
    return list(session.execute(
        select(Tag).join(TagGroup, TagGroup.id == Tag.group_id)
        .where(Tag.tenant_id == tenant_id, Tag.group_id.in_(ids))
        .order_by(TagGroup.order, TagGroup.name, Tag.order, Tag.name)).scalars())


def applicable_tag_ids(session: Session, tenant_id: int, membership) -> set[int]:
    """Visible tags that may be applied by hand (not those of automatic categories)."""
    ids = visible_group_ids(session, tenant_id, membership)
    if not ids:
        return set()
    return set(session.execute(
        select(Tag.id).join(TagGroup, TagGroup.id == Tag.group_id)
        .where(Tag.tenant_id == tenant_id, Tag.group_id.in_(ids), TagGroup.source != AUTO)).scalars())


def _check(session: Session, tenant_id: int, customer_ids: Iterable[int], tag_ids: Iterable[int],
           membership) -> tuple[list[int], list[int]]:
    try:
        customers = sorted({int(c) for c in customer_ids})
        tags = sorted({int(t) for t in tag_ids})
    except (TypeError, ValueError) as exc:
        raise TaggingError("customer and tag ids must be integers") from exc
    if not customers:
        raise TaggingError("choose at least one customer")
    if not tags:
        raise TaggingError("choose at least one tag")
    allowed = applicable_tag_ids(session, tenant_id, membership)
    refused = [t for t in tags if t not in allowed]
    if refused:
        raise TaggingError(f"these tags cannot be applied: {', '.join(map(str, refused))}")
    query = select(Customer.id).where(Customer.tenant_id == tenant_id, Customer.id.in_(customers),
                                      Customer.merged_into_id.is_(None))
    scope = customer_scope(session, membership) if not unrestricted(membership) else None
    if scope is not None:
        query = query.where(scope)
    found = set(session.execute(query).scalars())
    missing = [c for c in customers if c not in found]
    if missing:
        raise TaggingError(f"unknown customers: {', '.join(map(str, missing))}")
    return customers, tags


def apply_tags(session: Session, tenant_id: int, customer_ids: Iterable[int], tag_ids: Iterable[int], membership,
               source: str = "manual", user_id: int | None = None) -> int:
    """Put every tag of ``tag_ids`` on every customer of ``customer_ids``; existing tags are kept. Returns the number
    of new links, each recorded as a tagging event. Raises ``TaggingError`` (and changes nothing) when a tag is not
    visible to ``membership``, belongs to an automatic category, or a customer is unknown or out of scope."""
    customers, tags = _check(session, tenant_id, customer_ids, tag_ids, membership)
    now = utcnow()
    link = CustomerTag.__table__
    pairs = (select(Customer.id.label("customer_id"), Tag.id.label("tag_id"))
             .select_from(Customer).join(Tag, and_(Tag.tenant_id == tenant_id, Tag.id.in_(tags)))
             .where(Customer.tenant_id == tenant_id, Customer.id.in_(customers),
                    not_(exists().where(link.c.customer_id == Customer.id, link.c.tag_id == Tag.id,
                                        link.c.employee_key == 0))))
    new = pairs.subquery()
    events = select(literal(tenant_id), new.c.tag_id, new.c.customer_id, literal(source),
                    literal(user_id, type_=TagEvent.__table__.c.user_id.type),
                    literal(now, type_=TagEvent.__table__.c.created_at.type))
    session.execute(insert(TagEvent.__table__).from_select(
        ["tenant_id", "tag_id", "customer_id", "source", "user_id", "created_at"], events))
    links = select(literal(tenant_id), new.c.customer_id, new.c.tag_id, literal(0), literal(source),
                   literal(now, type_=link.c.created_at.type))
    added = insert_from_select(session, link, ["tenant_id", "customer_id", "tag_id", "employee_key", "source",
                                               "created_at"], links)
    if added:
        publish(session, tenant_id, EventTypes.TAGS_CHANGED,
                {"customer_ids": customers, "added_tag_ids": tags, "removed_tag_ids": [], "source": source})
    return added


def remove_tags(session: Session, tenant_id: int, customer_ids: Iterable[int], tag_ids: Iterable[int], membership,
                source: str = "manual") -> int:
    """Take the tags of ``tag_ids`` off the customers of ``customer_ids``; returns the number of links removed.
    Same checks as ``apply_tags``."""
    customers, tags = _check(session, tenant_id, customer_ids, tag_ids, membership)
    removed = session.execute(delete(CustomerTag).where(
        CustomerTag.tenant_id == tenant_id, CustomerTag.customer_id.in_(customers),
        CustomerTag.tag_id.in_(tags))).rowcount
    if removed:
        publish(session, tenant_id, EventTypes.TAGS_CHANGED,
                {"customer_ids": customers, "added_tag_ids": [], "removed_tag_ids": tags, "source": source})
    return removed
