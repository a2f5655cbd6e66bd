"""Tag categories and tags: the two-level category tree per tab, category visibility, creating several tags at once,
renaming, moving and deleting, and the tag list with its metrics (tagged people, tagged times) and filters.

The local tabs (``TABS``: manual, automatic) are edited here. A channel's tags (``source`` "wecom", contributed through
the ``tag_sources`` hook) are listed with the same tree, filters and metrics, and their categories get a visibility
scope here, but they are created, renamed, moved and deleted only by their channel plugin.

Every function validates first and raises ``CatalogError`` with a field-keyed message before changing anything.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from flask_babel import gettext as _
from sqlalchemy import delete, func, select
from sqlmodel import Session

from scrm.sdk import Customer, CustomerTag, Department, Employee, Tag, TagGroup, User, utcnow

from .models import TagCategoryScope, TagEvent, TagMeta

TABS = ("manual", "auto")
TAG_NAME_MAX = 15
CATEGORY_NAME_MAX = 30


class CatalogError(ValueError):
    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(fields.values()))
        self.fields = fields


# -- categories ------------------------------------------------------------------------------------------------------


def categories(session: Session, tenant_id: int, tab: str) -> list[TagGroup]:
    return list(session.execute(select(TagGroup).where(TagGroup.tenant_id == tenant_id, TagGroup.source == tab)
                                .order_by(TagGroup.order, TagGroup.name)).scalars())


def category_tree(session: Session, tenant_id: int, tab: str,
                  visible: set[int] | None = None) -> list[tuple[TagGroup, int, list[tuple[TagGroup, int]]]]:
    """First-level categories of ``tab`` with their tag counts (sub-categories included) and their sub-categories."""
    groups = [g for g in categories(session, tenant_id, tab) if visible is None or g.id in visible]
    counts = dict(session.execute(select(Tag.group_id, func.count()).where(Tag.tenant_id == tenant_id)
                                  .group_by(Tag.group_id)).all())
    children: dict[int, list[TagGroup]] = {}
    for group in groups:
        if group.parent_id is not None:
            children.setdefault(group.parent_id, []).append(group)
    tree = []
    for group in groups:
        if group.parent_id is None:
            subs = [(s, counts.get(s.id, 0)) for s in children.get(group.id, [])]
            tree.append((group, counts.get(group.id, 0) + sum(n for _s, n in subs), subs))
    return tree


def get_category(session: Session, tenant_id: int, category_id: Any, tab: str | None = None) -> TagGroup | None:
    try:
        group = session.get(TagGroup, int(category_id))
    except (TypeError, ValueError):
        return None
    if group is None or group.tenant_id != tenant_id or (tab is not None and group.source != tab):
        return None
    return group


def _category_name(session: Session, tenant_id: int, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise CatalogError({"name": _("Enter a category name.")})
    if len(name) > CATEGORY_NAME_MAX:
        raise CatalogError({"name": _("A category name has at most %(n)d characters.", n=CATEGORY_NAME_MAX)})
    taken = session.execute(select(TagGroup.id).where(TagGroup.tenant_id == tenant_id, TagGroup.name == name)).first()
    if taken is not None and taken[0] != exclude:
        raise CatalogError({"name": _("A category with this name already exists.")})
    return name


def create_category(session: Session, tenant_id: int, tab: str, name: str, parent_id: Any = None) -> TagGroup:
    if tab not in TABS:
        raise CatalogError({"tab": _("Unknown tag type.")})
    name = _category_name(session, tenant_id, name)
    parent = None
    if parent_id not in (None, ""):
        parent = get_category(session, tenant_id, parent_id, tab)
        if parent is None:
            raise CatalogError({"parent_id": _("Choose a first-level category of this tab.")})
        if parent.parent_id is not None:
            raise CatalogError({"parent_id": _("Categories have two levels: a sub-category cannot have children.")})
    group = TagGroup(tenant_id=tenant_id, name=name, source=tab, parent_id=parent.id if parent else None)
    session.add(group)
    session.flush()
    return group


def rename_category(session: Session, group: TagGroup, name: str) -> None:
    group.name = _category_name(session, group.tenant_id, name, exclude=group.id)
    session.add(group)


def delete_category(session: Session, group: TagGroup) -> None:
    """Only an empty category (no tags, no sub-categories) can be deleted, so no customer loses tags by accident."""
    has_tags = session.execute(select(Tag.id).where(Tag.group_id == group.id).limit(1)).first()
    has_children = session.execute(select(TagGroup.id).where(TagGroup.parent_id == group.id).limit(1)).first()
    if has_tags or has_children:
        raise CatalogError({"category": _("Move or delete its tags and sub-categories first.")})
    session.delete(group)


def category_scope(session: Session, group: TagGroup) -> tuple[set[int], set[int]]:
    """(department ids, employee ids) of the category's visibility; both empty means all departments."""
    rows = session.execute(select(TagCategoryScope.department_id, TagCategoryScope.employee_id)
                           .where(TagCategoryScope.group_id == group.id)).all()
    return {d for d, _e in rows if d is not None}, {e for _d, e in rows if e is not None}


def set_category_scope(session: Session, group: TagGroup, department_ids: list[Any], employee_ids: list[Any]) -> None:
    """Replace the category's visibility; no departments and no employees means all departments."""
    try:
        departments = {int(d) for d in department_ids if str(d).strip()}
        employees = {int(e) for e in employee_ids if str(e).strip()}
    except ValueError as exc:
        raise CatalogError({"scope": _("Choose departments and employees from the lists.")}) from exc
    tenant_id = group.tenant_id
    known_d = set(session.execute(select(Department.id).where(Department.tenant_id == tenant_id,
                                                              Department.id.in_(departments))).scalars())
    known_e = set(session.execute(select(Employee.id).where(Employee.tenant_id == tenant_id,
                                                            Employee.id.in_(employees))).scalars())
    if known_d != departments or known_e != employees:
        raise CatalogError({"scope": _("Choose departments and employees from the lists.")})
    session.execute(delete(TagCategoryScope).where(TagCategoryScope.group_id == group.id))
    for department_id in sorted(departments):
        session.add(TagCategoryScope(tenant_id=tenant_id, group_id=group.id, department_id=department_id))
    for employee_id in sorted(employees):
        session.add(TagCategoryScope(tenant_id=tenant_id, group_id=group.id, employee_id=employee_id))
    session.flush()


# -- tags ------------------------------------------------------------------------------------------------------------


def _tag_name(session: Session, group: TagGroup, name: str, exclude: int | None = None) -> str:
    name = (name or "").strip()
    if not name:
        raise CatalogError({"name": _("Enter a tag name.")})
    if len(name) > TAG_NAME_MAX:
        raise CatalogError({"name": _("A tag name has at most %(n)d characters.", n=TAG_NAME_MAX)})
    taken = session.execute(select(Tag.id).where(Tag.group_id == group.id, Tag.name == name)).first()
    if taken is not None and taken[0] != exclude:
        raise CatalogError({"name": _("The category already has a tag named “%(name)s”.", name=name)})
    return name


def create_tags(session: Session, tenant_id: int, category_id: Any, names: list[str], user_id: int | None,
                tab: str = "manual", rule: dict[str, Any] | None = None) -> list[Tag]:
    """Create one tag per non-empty name in the category (the "+" rows of the form). All or nothing."""
    group = get_category(session, tenant_id, category_id, tab)
    if group is None:
        raise CatalogError({"category_id": _("Choose a category.")})
    wanted = [n.strip() for n in names if n and n.strip()]
    if not wanted:
        raise CatalogError({"name": _("Enter a tag name.")})
    if len(set(wanted)) != len(wanted):
        raise CatalogError({"name": _("The same name is entered twice.")})
    for name in wanted:
        _tag_name(session, group, name)
    now = utcnow()
    tags = []
    for name in wanted:
        tag = Tag(tenant_id=tenant_id, group_id=group.id, name=name, source=tab)
        session.add(tag)
        session.flush()
        session.add(TagMeta(tenant_id=tenant_id, tag_id=tag.id, created_by=user_id, updated_by=user_id,
                            updated_at=now, rule=rule or {}))
        tags.append(tag)
    session.flush()
    return tags


def get_tag(session: Session, tenant_id: int, tag_id: Any) -> Tag | None:
    try:
        tag = session.get(Tag, int(tag_id))
    except (TypeError, ValueError):
        return None
    return tag if tag is not None and tag.tenant_id == tenant_id else None


def tag_meta(session: Session, tag: Tag) -> TagMeta:
    meta = session.execute(select(TagMeta).where(TagMeta.tag_id == tag.id)).scalars().first()
    if meta is None:
        meta = TagMeta(tenant_id=tag.tenant_id, tag_id=tag.id, updated_at=tag.created_at, rule={})
    return meta


def update_tag(session: Session, tag: Tag, name: str, category_id: Any, user_id: int | None,
               rule: dict[str, Any] | None = None) -> None:
    """Rename and/or move a tag to another category of the same tab; an automatic tag may get a new rule."""
    group = session.get(TagGroup, tag.group_id)
    target = get_category(session, tag.tenant_id, category_id, group.source if group else None)
    if target is None:
        raise CatalogError({"category_id": _("Choose a category of the same tab.")})
    tag.name = _tag_name(session, target, name, exclude=tag.id)
    tag.group_id = target.id
    meta = tag_meta(session, tag)
    meta.updated_by, meta.updated_at = user_id, utcnow()
    if rule is not None:
        meta.rule = rule
    session.add(tag)
    session.add(meta)
    session.flush()


def delete_tag(session: Session, tag: Tag) -> None:
    """Delete the tag; its customer links and tagging events go with it."""
    session.execute(delete(TagEvent).where(TagEvent.tag_id == tag.id))
    session.execute(delete(TagMeta).where(TagMeta.tag_id == tag.id))
    session.execute(delete(CustomerTag).where(CustomerTag.tag_id == tag.id))
    session.delete(tag)


@dataclass
class TagRow:
    tag: Tag
    category: str
    people: int
    times: int
    created_by: str
    updated_by: str
    updated_at: datetime
    rule: dict[str, Any]
    scope: list[str] = field(default_factory=list)  # department and employee names; empty: all departments


def scope_labels(session: Session, tenant_id: int, group_ids: set[int]) -> dict[int, list[str]]:
    """The "applicable scope" of each category of ``group_ids``: the names of its visibility's departments and
    employees, or its parent's when it has none of its own; absent means all departments."""
    if not group_ids:
        return {}
    parents = dict(session.execute(select(TagGroup.id, TagGroup.parent_id).where(
        TagGroup.tenant_id == tenant_id, TagGroup.id.in_(group_ids))).all())
    wanted = set(group_ids) | {p for p in parents.values() if p is not None}
    own: dict[int, list[str]] = {}
    for group_id, department, employee in session.execute(
            select(TagCategoryScope.group_id, Department.name, Employee.name)
            .outerjoin(Department, Department.id == TagCategoryScope.department_id)
            .outerjoin(Employee, Employee.id == TagCategoryScope.employee_id)
            .where(TagCategoryScope.tenant_id == tenant_id, TagCategoryScope.group_id.in_(wanted))
            .order_by(TagCategoryScope.id)).all():
        own.setdefault(group_id, []).append(department or employee or "")
    out = {}
    for group_id in group_ids:
        labels = own.get(group_id) or own.get(parents.get(group_id) or 0)
        if labels:
            out[group_id] = labels
    return out


def creators(session: Session, tenant_id: int, tab: str) -> list[tuple[int, str]]:
    """``(user id, name)`` of the users who created tags of ``tab``, by name: the creator filter's choices."""
    rows = session.execute(
        select(User.id, User.name, User.email).distinct()
        .join(TagMeta, TagMeta.created_by == User.id).join(Tag, Tag.id == TagMeta.tag_id)
        .join(TagGroup, TagGroup.id == Tag.group_id)
        .where(TagMeta.tenant_id == tenant_id, TagGroup.source == tab)).all()
    return sorted(((uid, name or email or "") for uid, name, email in rows), key=lambda r: r[1])


def tag_rows(session: Session, tenant_id: int, tab: str, visible_groups: set[int] | None = None,
             category_id: int | None = None, q: str = "", newest_first: bool = True, limit: int = 20,
             offset: int = 0, creator_id: int | None = None, scope: Any = None) -> tuple[list[TagRow], int]:
    """One page of the tab's tags with their metrics and applicable scope (4 queries, whatever the page size), and
    the total. ``visible_groups`` limits the categories (visibility, department filter); ``creator_id`` the creator;
    ``scope`` (the user's customer visibility, None for all) the customers the metrics count."""
    creator = User.__table__.alias("creator")
    updater = User.__table__.alias("updater")
    updated = func.coalesce(TagMeta.updated_at, Tag.created_at)
    query = (select(Tag, TagGroup.name, TagMeta.rule, creator.c.email, creator.c.name, updater.c.email,
                    updater.c.name, updated.label("updated"))
             .join(TagGroup, TagGroup.id == Tag.group_id)
             .outerjoin(TagMeta, TagMeta.tag_id == Tag.id)
             .outerjoin(creator, creator.c.id == TagMeta.created_by)
             .outerjoin(updater, updater.c.id == TagMeta.updated_by)
             .where(Tag.tenant_id == tenant_id, TagGroup.source == tab))
    if visible_groups is not None:
        query = query.where(Tag.group_id.in_(visible_groups))
    if category_id is not None:
        subs = select(TagGroup.id).where(TagGroup.parent_id == category_id)
        query = query.where((Tag.group_id == category_id) | Tag.group_id.in_(subs))
    if q:
        query = query.where(Tag.name.contains(q.strip()))
    if creator_id is not None:
        query = query.where(TagMeta.created_by == creator_id)
    total = session.execute(select(func.count()).select_from(query.subquery())).scalar_one()
    query = query.order_by(updated.desc() if newest_first else updated.asc(), Tag.id.desc())
    rows = session.execute(query.limit(limit).offset(offset)).all()
    ids = [r[0].id for r in rows]
    people_query = (select(CustomerTag.tag_id, func.count(func.distinct(CustomerTag.customer_id)))
                    .join(Customer, Customer.id == CustomerTag.customer_id)
                    .where(CustomerTag.tag_id.in_(ids), Customer.merged_into_id.is_(None))
                    .group_by(CustomerTag.tag_id))
    times_query = select(TagEvent.tag_id, func.count()).where(TagEvent.tag_id.in_(ids)).group_by(TagEvent.tag_id)
    if scope is not None:
        people_query = people_query.where(scope)
        times_query = times_query.join(Customer, Customer.id == TagEvent.customer_id).where(scope)
    people = dict(session.execute(people_query).all()) if ids else {}
    times = dict(session.execute(times_query).all()) if ids else {}
    scopes = scope_labels(session, tenant_id, {r[0].group_id for r in rows})
    out = [TagRow(tag, category, people.get(tag.id, 0), times.get(tag.id, 0), c_name or c_email or "",
                  u_name or u_email or "", upd, rule or {}, scopes.get(tag.group_id, []))
           for tag, category, rule, c_email, c_name, u_email, u_name, upd in rows]
    return out, total


def tagged_people(session: Session, tenant_id: int, tag_id: int) -> int:
    """Distinct live customers carrying the tag now."""
    return session.execute(
        select(func.count(func.distinct(CustomerTag.customer_id)))
        .join(Customer, Customer.id == CustomerTag.customer_id)
        .where(CustomerTag.tenant_id == tenant_id, CustomerTag.tag_id == tag_id,
               Customer.merged_into_id.is_(None))).scalar_one()


def tagged_times(session: Session, tenant_id: int, tag_id: int) -> int:
    return session.execute(select(func.count()).select_from(TagEvent).where(
        TagEvent.tenant_id == tenant_id, TagEvent.tag_id == tag_id)).scalar_one()


def record_catalog_change(session: Session, tenant_id: int, payload: dict[str, Any], when: datetime | None) -> None:
    """A ``tag.catalog_changed`` event (tags created or renamed by the plugin that owns them): who and when, for the
    creator / updater columns. Idempotent: a redelivered event writes the same values again."""
    user_id = payload.get("user_id")
    user_id = int(user_id) if isinstance(user_id, int) else None
    when = when or utcnow()
    tags = session.execute(select(Tag).where(Tag.tenant_id == tenant_id,
                                             Tag.id.in_([int(i) for i in payload.get("tag_ids") or []]))).scalars()
    for tag in tags:
        meta = tag_meta(session, tag)
        if payload.get("action") == "created" and meta.created_by is None:
            meta.created_by = user_id
        if meta.id is None or meta.updated_by is None or _aware(when) >= _aware(meta.updated_at):
            meta.updated_by, meta.updated_at = user_id, when  # events may arrive out of order: the newest wins
        session.add(meta)


def _aware(moment: datetime) -> datetime:
    return moment if moment.tzinfo is not None else moment.replace(tzinfo=UTC)
