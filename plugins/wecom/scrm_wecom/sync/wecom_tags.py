"""Corporate tags, both ways: WeCom corp tag groups / tags ↔ core ``TagGroup`` / ``Tag`` with ``source="wecom"`` and
``external_id`` = the WeCom group / tag id.

* **In**: :func:`reconcile` applies WeCom's full list (``get_corp_tag_list``): creates, renames, reorders and deletes
  local wecom-source groups and tags. WeCom is the truth for every tag that has a WeCom id. It runs after
  ``change_external_tag`` callbacks and in the "Sync WeCom tags" action.
* **Out**: :func:`create_tags`, :func:`rename` and :func:`delete` call WeCom first and change the local rows only when
  WeCom accepted (bad input or a WeCom error changes nothing). Local wecom-source tags without a WeCom id (created
  by another module while WeCom was unreachable, say) are pushed by :func:`push_pending` before each reconcile.
* **On customers**: :func:`mark_tags` marks / unmarks corp tags on a customer as seen by one member (``mark_tag``)
  and mirrors it in ``CustomerTag`` rows with that employee (source "wecom").

Functions that call WeCom commit the caller's transaction first: no transaction stays open across an HTTP call
(the token store writes in its own transactions). Names created or renamed here follow the members plugin's rule: at
most 15 characters for tags (WeCom itself allows 30); groups at most 30. A tag that arrives from WeCom keeps WeCom's
name, up to 30 characters. Deleting a group deletes its tags and their customer links (in WeCom and here): WeCom
has no empty groups. A tag never moves to another group: WeCom's ``edit_corp_tag`` cannot move one.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from flask_babel import lazy_gettext as _l
from sqlalchemy import delete as sql_delete
from sqlmodel import Session, select

from scrm.sdk import CustomerTag, Employee, EventTypes, Tag, TagGroup, publish, utcnow

from .models import Follow

SOURCE = "wecom"
TAG_NAME_MAX = 15
GROUP_NAME_MAX = 30
CLASH_SUFFIX = " (WeCom)"


class TagInputError(ValueError):
    """Bad input for a tag operation; ``fields`` maps form fields to messages. Nothing was changed."""

    def __init__(self, fields: Mapping[str, Any]) -> None:
        self.fields = {k: str(v) for k, v in fields.items()}
        super().__init__("; ".join(self.fields.values()))


@dataclass
class TagResult:
    groups_created: int = 0
    groups_updated: int = 0
    groups_deleted: int = 0
    tags_created: int = 0
    tags_updated: int = 0
    tags_deleted: int = 0
    pushed: int = 0

    def as_dict(self) -> dict[str, int]:
        return dict(vars(self))


# -- reading -----------------------------------------------------------------------------------------------------------


def wecom_groups(session: Session, tenant_id: int) -> list[TagGroup]:
    """The tenant's corp tag groups synced from WeCom (core ``TagGroup`` rows of source ``wecom``), in WeCom's order."""
    return list(session.exec(select(TagGroup).where(TagGroup.tenant_id == tenant_id, TagGroup.source == SOURCE)
                             .order_by(TagGroup.order.desc(), TagGroup.id)))


def wecom_tags(session: Session, tenant_id: int) -> list[Tag]:
    """The tenant's corp tags synced from WeCom (core ``Tag`` rows of source ``wecom``), in WeCom's order."""
    return list(session.exec(select(Tag).where(Tag.tenant_id == tenant_id, Tag.source == SOURCE)
                             .order_by(Tag.order.desc(), Tag.id)))


def tag_id_map(session: Session, tenant_id: int) -> dict[str, int]:
    """WeCom tag id → local tag id, for the corp tags synced so far."""
    return dict(session.exec(select(Tag.external_id, Tag.id).where(
        Tag.tenant_id == tenant_id, Tag.source == SOURCE, Tag.external_id.is_not(None))).all())


def find_group(session: Session, tenant_id: int, group_id: int) -> TagGroup | None:
    return session.exec(select(TagGroup).where(TagGroup.id == group_id, TagGroup.tenant_id == tenant_id,
                                               TagGroup.source == SOURCE)).first()


def find_tag(session: Session, tenant_id: int, tag_id: int) -> Tag | None:
    return session.exec(select(Tag).where(Tag.id == tag_id, Tag.tenant_id == tenant_id,
                                          Tag.source == SOURCE)).first()


# -- in: WeCom → local -------------------------------------------------------------------------------------------------


def _group_name(session: Session, tenant_id: int, wecom_name: str, own_id: int | None) -> str:
    """The local name of a WeCom group: its own, or suffixed when a group of another source already has it."""
    name = wecom_name.strip()[:GROUP_NAME_MAX] or "WeCom"
    clash = session.exec(select(TagGroup.id).where(TagGroup.tenant_id == tenant_id, TagGroup.name == name,
                                                   TagGroup.source != SOURCE)).first()
    if clash is None:
        return name
    return name[:GROUP_NAME_MAX - len(CLASH_SUFFIX)] + CLASH_SUFFIX


def reconcile(session: Session, tenant_id: int, wecom: Sequence[Mapping[str, Any]]) -> TagResult:
    """Make the tenant's wecom-source groups and tags equal to WeCom's list (``get_corp_tag_list``'s ``tag_group``):
    create what is missing, rename and reorder what differs, delete what WeCom no longer has. Local wecom-source rows
    without a WeCom id are left alone (see :func:`push_pending`). Flushes, does not commit; idempotent."""
    result = TagResult()
    groups = {g.external_id: g for g in wecom_groups(session, tenant_id) if g.external_id}
    tags = {t.external_id: t for t in wecom_tags(session, tenant_id) if t.external_id}
    seen_groups: set[str] = set()
    seen_tags: set[str] = set()
    for data in wecom:
        if data.get("deleted"):
            continue
        gid = str(data["group_id"])
        seen_groups.add(gid)
        group = groups.get(gid)
        name = _group_name(session, tenant_id, str(data.get("group_name") or ""), group.id if group else None)
        values = {"name": name, "order": int(data.get("order") or 0)}
        if group is None:
            group = TagGroup(tenant_id=tenant_id, source=SOURCE, external_id=gid, **values)
            session.add(group)
            session.flush()
            groups[gid] = group
            result.groups_created += 1
        elif any(getattr(group, k) != v for k, v in values.items()):
            for k, v in values.items():
                setattr(group, k, v)
            session.add(group)
            result.groups_updated += 1
        for tag_data in data.get("tag") or []:
            if tag_data.get("deleted"):
                continue
            tid = str(tag_data["id"])
            seen_tags.add(tid)
            tag = tags.get(tid)
            tag_values = {"name": str(tag_data.get("name") or tid)[:30], "order": int(tag_data.get("order") or 0),
                          "group_id": group.id}
            if tag is None:
                tag = Tag(tenant_id=tenant_id, source=SOURCE, external_id=tid, **tag_values)
                session.add(tag)
                tags[tid] = tag
                result.tags_created += 1
            elif any(getattr(tag, k) != v for k, v in tag_values.items()):
                for k, v in tag_values.items():
                    setattr(tag, k, v)
                session.add(tag)
                result.tags_updated += 1
    session.flush()
    for tid, tag in tags.items():
        if tid not in seen_tags:
            session.delete(tag)
            result.tags_deleted += 1
    for gid, group in groups.items():
        if gid not in seen_groups:
            session.delete(group)
            result.groups_deleted += 1
    session.flush()
    return result


# -- out: local → WeCom ------------------------------------------------------------------------------------------------


def _check_tag_names(names: Iterable[str]) -> list[str]:
    cleaned = [n.strip() for n in names if n and n.strip()]
    if not cleaned:
        raise TagInputError({"names": _l("Enter at least one tag name.")})
    if any(len(n) > TAG_NAME_MAX for n in cleaned):
        raise TagInputError({"names": _l("Tag names have at most %(max)s characters.", max=TAG_NAME_MAX)})
    if len(set(cleaned)) != len(cleaned):
        raise TagInputError({"names": _l("The same tag name is entered twice.")})
    return cleaned


def validate_new_tags(session: Session, tenant_id: int, names: Iterable[str], *, group: TagGroup | None = None,
                      group_name: str = "") -> tuple[list[str], str]:
    """Check new tags for an existing wecom-source ``group`` or a new group ``group_name``: returns the cleaned
    ``(names, group_name)`` or raises :class:`TagInputError`."""
    cleaned = _check_tag_names(names)
    if group is None:
        group_name = group_name.strip()
        if not group_name:
            raise TagInputError({"group": _l("Choose a group or enter the name of a new group.")})
        if len(group_name) > GROUP_NAME_MAX:
            raise TagInputError({"group_name": _l("Group names have at most %(max)s characters.",
                                                  max=GROUP_NAME_MAX)})
        if session.exec(select(TagGroup.id).where(TagGroup.tenant_id == tenant_id,
                                                  TagGroup.name == group_name)).first() is not None:
            raise TagInputError({"group_name": _l("A tag group with this name already exists.")})
        return cleaned, group_name
    taken = set(session.exec(select(Tag.name).where(Tag.tenant_id == tenant_id, Tag.group_id == group.id)))
    if taken & set(cleaned):
        raise TagInputError({"names": _l("This group already has a tag named %(name)s.",
                                         name=sorted(taken & set(cleaned))[0])})
    return cleaned, group.name


def create_tags(session: Session, client: Any, tenant_id: int, names: Iterable[str], *,
                group: TagGroup | None = None, group_name: str = "") -> list[Tag]:
    """Create tags in WeCom (``add_corp_tag``) and then locally, in ``group`` or a new group ``group_name``.

    Raises :class:`TagInputError` for bad input and ``WeChatAPIError`` when WeCom refuses; nothing is stored then."""
    cleaned, group_name = validate_new_tags(session, tenant_id, names, group=group, group_name=group_name)
    group_external = group.external_id if group is not None else None
    session.commit()
    if group is not None and not group_external:
        answer = client.add_corp_tag([{"name": n} for n in cleaned], group_name=group.name)
    else:
        answer = client.add_corp_tag([{"name": n} for n in cleaned], group_id=group_external,
                                     group_name=None if group_external else group_name)
    if group is None:
        group = TagGroup(tenant_id=tenant_id, name=group_name, source=SOURCE,
                         external_id=str(answer.get("group_id") or "") or None, order=int(answer.get("order") or 0))
        session.add(group)
        session.flush()
    elif not group.external_id and answer.get("group_id"):
        group.external_id = str(answer["group_id"])
        session.add(group)
    by_name = {str(t.get("name")): t for t in answer.get("tag") or []}
    created = []
    for name in cleaned:
        data = by_name.get(name, {})
        tag = Tag(tenant_id=tenant_id, group_id=group.id, name=name, source=SOURCE,
                  external_id=str(data.get("id") or "") or None, order=int(data.get("order") or 0))
        session.add(tag)
        created.append(tag)
    session.flush()
    return created


def rename(session: Session, client: Any, row: Tag | TagGroup, name: str) -> None:
    """Rename a wecom-source tag (≤ 15 characters) or group (≤ 30) in WeCom (``edit_corp_tag``), then locally."""
    name = (name or "").strip()
    is_tag = isinstance(row, Tag)
    limit = TAG_NAME_MAX if is_tag else GROUP_NAME_MAX
    if name == row.name:
        return  # unchanged: also a 16-30 character name that WeCom gave the tag is kept
    if not name:
        raise TagInputError({"name": _l("Enter a name.")})
    if len(name) > limit:
        raise TagInputError({"name": _l("Names have at most %(max)s characters.", max=limit)})
    if is_tag:
        clash = select(Tag.id).where(Tag.tenant_id == row.tenant_id, Tag.group_id == row.group_id, Tag.name == name)
    else:
        clash = select(TagGroup.id).where(TagGroup.tenant_id == row.tenant_id, TagGroup.name == name)
    if session.exec(clash).first() is not None:
        raise TagInputError({"name": _l("This name is already taken.")})
    external_id = row.external_id
    session.commit()
    if external_id:
        client.edit_corp_tag(external_id, name=name)
    row.name = name
    session.add(row)
    session.flush()


def catalog_changed(session: Session, tenant_id: int, tags: Sequence[Tag], action: str, user_id: int | None) -> None:
    """Tell the tag screens who created or renamed ``tags`` here (``tag.catalog_changed``, in this transaction)."""
    publish(session, tenant_id, EventTypes.TAG_CATALOG_CHANGED,
            {"tag_ids": [t.id for t in tags], "action": action, "user_id": user_id})


def delete(session: Session, client: Any, row: Tag | TagGroup) -> None:
    """Delete a wecom-source tag or group in WeCom (``del_corp_tag``), then locally: a group's tags and every
    customer link of the deleted tags go too (the database cascades). WeCom drops a group with its last tag: so does
    the next reconcile."""
    external_id = row.external_id
    session.commit()
    if external_id:
        if isinstance(row, Tag):
            client.delete_corp_tags(tag_ids=[external_id])
        else:
            client.delete_corp_tags(group_ids=[external_id])
    session.delete(row)
    session.flush()


def pending(session: Session, tenant_id: int) -> list[Tag]:
    """Local wecom-source tags that WeCom does not know yet (no WeCom id)."""
    return list(session.exec(select(Tag).where(Tag.tenant_id == tenant_id, Tag.source == SOURCE,
                                               Tag.external_id.is_(None)).order_by(Tag.id)))


def push_pending(session: Session, client: Any, tenant_id: int) -> int:
    """Create the :func:`pending` tags in WeCom and record their ids; returns how many were pushed. Commits."""
    todo = [(t.id, t.name, t.group_id) for t in pending(session, tenant_id)]
    groups = {g.id: (g.name, g.external_id) for g in session.exec(select(TagGroup).where(
        TagGroup.tenant_id == tenant_id, TagGroup.id.in_({g for _i, _n, g in todo})))} if todo else {}
    session.commit()
    pushed = 0
    for tag_id, name, group_id in todo:
        group_name, group_external = groups.get(group_id, ("WeCom", None))
        answer = client.add_corp_tag([{"name": name[:30]}], group_id=group_external,
                                     group_name=None if group_external else group_name)
        data = next(iter(answer.get("tag") or []), {})
        tag, group = session.get(Tag, tag_id), session.get(TagGroup, group_id)
        if tag is not None and data.get("id"):
            tag.external_id = str(data["id"])
            session.add(tag)
            pushed += 1
        if group is not None and not group.external_id and answer.get("group_id"):
            group.external_id = str(answer["group_id"])
            session.add(group)
            groups[group_id] = (group.name, group.external_id)
        session.commit()
    return pushed


# -- on customers ------------------------------------------------------------------------------------------------------


def mark_tags(session: Session, client: Any, follow: Follow, add: Sequence[Tag] = (),
              remove: Sequence[Tag] = ()) -> None:
    """Mark ``add`` and unmark ``remove`` (corp tags with WeCom ids) on the follow's customer as seen by its member
    (``mark_tag``), then mirror it in ``CustomerTag`` rows of that employee. Commits the caller's transaction first."""
    add_ids = [t.external_id for t in add if t.external_id]
    remove_ids = [t.external_id for t in remove if t.external_id]
    if not add_ids and not remove_ids:
        return
    tenant_id, customer_id, userid = follow.tenant_id, follow.customer_id, follow.userid
    external_userid, employee_id = follow.external_userid, follow.employee_id
    add_local = [t.id for t in add if t.external_id]
    remove_local = [t.id for t in remove if t.external_id]
    session.commit()
    client.mark_tag(userid, external_userid, add=add_ids, remove=remove_ids)
    if employee_id is None:
        employee_id = session.exec(select(Employee.id).where(Employee.tenant_id == tenant_id,
                                                             Employee.userid == userid)).first()
    key = employee_id or 0
    if remove_local:
        session.execute(sql_delete(CustomerTag).where(
            CustomerTag.tenant_id == tenant_id, CustomerTag.customer_id == customer_id,
            CustomerTag.employee_key == key, CustomerTag.tag_id.in_(remove_local)))
    have = set(session.exec(select(CustomerTag.tag_id).where(
        CustomerTag.customer_id == customer_id, CustomerTag.employee_key == key))) if add_local else set()
    for tag_id in add_local:
        if tag_id not in have:
            session.add(CustomerTag(tenant_id=tenant_id, customer_id=customer_id, tag_id=tag_id,
                                    employee_id=employee_id, employee_key=key, source=SOURCE, created_at=utcnow()))
    session.flush()
