"""Group tags: local labels of customer group chats, kept in tag groups.

WeCom has no tag API for group chats, so these tags live only here (``wecom_group_tag_group``, ``wecom_group_tag``,
``wecom_group_chat_tag``). They are not customer tags: a group chat is not a customer, and tagging a chat tags none
of its members.

* A tag group's name is unique in the tenant, a tag's name unique in its group; both 1 to ``TAG_NAME_MAX``
  characters, surrounding spaces trimmed. Several tags can be added to a group in one save (one name a line).
* Deleting a tag takes it off every chat; deleting a group deletes its tags.
* Every function takes the tenant and ignores ids of another tenant; nothing here commits.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field

from flask_babel import gettext as _
from sqlalchemy import delete, func
from sqlmodel import Session, select

from scrm.sdk import utcnow

from .models import TAG_NAME_MAX, GroupChat, GroupChatTag, GroupTag, GroupTagGroup


class TagError(Exception):
    """Invalid tag input; ``message`` says why (nothing was changed)."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


@dataclass
class TagGroupView:
    """A tag group with its tags and, per tag id, how many chats carry it."""

    group: GroupTagGroup
    tags: list[GroupTag] = field(default_factory=list)
    chats: dict[int, int] = field(default_factory=dict)


def clean_name(value: str | None) -> str:
    """The trimmed name, or ``TagError`` when it is empty or longer than ``TAG_NAME_MAX`` characters."""
    name = (value or "").strip()
    if not name:
        raise TagError(_("Enter a name."))
    if len(name) > TAG_NAME_MAX:
        raise TagError(_("A name has at most %(max)s characters: %(name)s", max=TAG_NAME_MAX, name=name))
    return name


def clean_names(text: str | None) -> list[str]:
    """The distinct names of ``text`` (one a line), each checked by :func:`clean_name`."""
    lines = [line for line in (text or "").splitlines() if line.strip()]
    if not lines:
        raise TagError(_("Enter at least one tag name."))
    names = [clean_name(line) for line in lines]
    if len(set(names)) != len(names):
        raise TagError(_("A tag name appears twice."))
    return names


# -- lookups -------------------------------------------------------------------------------------------------------------

def find_group(session: Session, tenant_id: int, group_id: int) -> GroupTagGroup | None:
    return session.exec(select(GroupTagGroup).where(GroupTagGroup.tenant_id == tenant_id,
                                                    GroupTagGroup.id == group_id)).first()


def find_tag(session: Session, tenant_id: int, tag_id: int) -> GroupTag | None:
    return session.exec(select(GroupTag).where(GroupTag.tenant_id == tenant_id, GroupTag.id == tag_id)).first()


def tag_groups(session: Session, tenant_id: int) -> list[TagGroupView]:
    """The tenant's tag groups (by name) with their tags (by name) and the chats per tag."""
    groups = {g.id: TagGroupView(g) for g in session.exec(select(GroupTagGroup).where(
        GroupTagGroup.tenant_id == tenant_id).order_by(GroupTagGroup.name, GroupTagGroup.id))}
    for tag in session.exec(select(GroupTag).where(GroupTag.tenant_id == tenant_id)
                            .order_by(GroupTag.name, GroupTag.id)):
        if tag.tag_group_id in groups:
            groups[tag.tag_group_id].tags.append(tag)
    counts = dict(session.exec(select(GroupChatTag.tag_id, func.count()).where(
        GroupChatTag.tenant_id == tenant_id).group_by(GroupChatTag.tag_id)).all())
    for view in groups.values():
        view.chats = {t.id: int(counts.get(t.id, 0)) for t in view.tags}
    return list(groups.values())


def tags_by_chat(session: Session, tenant_id: int, chat_ids: Sequence[int]) -> dict[int, list[GroupTag]]:
    """``{chat pk: [tags by name]}`` of the given chats (chats without tags are absent)."""
    out: dict[int, list[GroupTag]] = {}
    if not chat_ids:
        return out
    rows = session.exec(select(GroupChatTag.group_chat_id, GroupTag).join(GroupTag, GroupTag.id == GroupChatTag.tag_id)
                        .where(GroupChatTag.tenant_id == tenant_id, GroupChatTag.group_chat_id.in_(list(chat_ids)))
                        .order_by(GroupTag.name, GroupTag.id))
    for chat_id, tag in rows:
        out.setdefault(chat_id, []).append(tag)
    return out


def tenant_tag_ids(session: Session, tenant_id: int, tag_ids: Iterable[int]) -> list[int]:
    """The ids of ``tag_ids`` that are tags of the tenant."""
    wanted = list({int(t) for t in tag_ids})
    if not wanted:
        return []
    return list(session.exec(select(GroupTag.id).where(GroupTag.tenant_id == tenant_id, GroupTag.id.in_(wanted))))


def with_tags(query, tenant_id: int, tag_ids: Sequence[int]):
    """``query`` (over ``GroupChat``) narrowed to chats carrying any of ``tag_ids``; unchanged without tags."""
    if not tag_ids:
        return query
    return query.where(GroupChat.id.in_(select(GroupChatTag.group_chat_id).where(
        GroupChatTag.tenant_id == tenant_id, GroupChatTag.tag_id.in_(list(tag_ids)))))


# -- managing tag groups and tags ----------------------------------------------------------------------------------------

def _group_name_taken(session: Session, tenant_id: int, name: str, but: int | None = None) -> bool:
    query = select(GroupTagGroup.id).where(GroupTagGroup.tenant_id == tenant_id, GroupTagGroup.name == name)
    if but is not None:
        query = query.where(GroupTagGroup.id != but)
    return session.exec(query).first() is not None


def _tag_names(session: Session, group: GroupTagGroup, but: int | None = None) -> set[str]:
    query = select(GroupTag.name).where(GroupTag.tenant_id == group.tenant_id, GroupTag.tag_group_id == group.id)
    if but is not None:
        query = query.where(GroupTag.id != but)
    return set(session.exec(query))


def create_group(session: Session, tenant_id: int, name: str | None, tag_text: str | None = "") -> GroupTagGroup:
    """A new tag group, with the tags of ``tag_text`` (one a line; optional)."""
    name = clean_name(name)
    names = clean_names(tag_text) if (tag_text or "").strip() else []
    if _group_name_taken(session, tenant_id, name):
        raise TagError(_("A tag group named %(name)s exists already.", name=name))
    group = GroupTagGroup(tenant_id=tenant_id, name=name)
    session.add(group)
    session.flush()
    for tag_name in names:
        session.add(GroupTag(tenant_id=tenant_id, tag_group_id=group.id, name=tag_name))
    session.flush()
    return group


def rename_group(session: Session, group: GroupTagGroup, name: str | None) -> None:
    name = clean_name(name)
    if _group_name_taken(session, group.tenant_id, name, but=group.id):
        raise TagError(_("A tag group named %(name)s exists already.", name=name))
    group.name = name
    session.add(group)
    session.flush()


def delete_group(session: Session, group: GroupTagGroup) -> None:
    """Delete the group, its tags and their places on chats."""
    tag_ids = select(GroupTag.id).where(GroupTag.tenant_id == group.tenant_id, GroupTag.tag_group_id == group.id)
    session.execute(delete(GroupChatTag).where(GroupChatTag.tenant_id == group.tenant_id,
                                               GroupChatTag.tag_id.in_(tag_ids)))
    session.execute(delete(GroupTag).where(GroupTag.tenant_id == group.tenant_id, GroupTag.tag_group_id == group.id))
    session.delete(group)
    session.flush()


def add_tags(session: Session, group: GroupTagGroup, tag_text: str | None) -> list[GroupTag]:
    """Add the tags of ``tag_text`` (one a line) to ``group``; all or none."""
    names = clean_names(tag_text)
    taken = sorted(set(names) & _tag_names(session, group))
    if taken:
        raise TagError(_("The group %(group)s already has a tag named %(name)s.", group=group.name, name=taken[0]))
    tags = [GroupTag(tenant_id=group.tenant_id, tag_group_id=group.id, name=n) for n in names]
    session.add_all(tags)
    session.flush()
    return tags


def rename_tag(session: Session, tag: GroupTag, name: str | None) -> None:
    name = clean_name(name)
    group = session.get(GroupTagGroup, tag.tag_group_id)
    if group is not None and name in _tag_names(session, group, but=tag.id):
        raise TagError(_("The group %(group)s already has a tag named %(name)s.", group=group.name, name=name))
    tag.name = name
    session.add(tag)
    session.flush()


def delete_tag(session: Session, tag: GroupTag) -> None:
    """Delete the tag and take it off every chat."""
    session.execute(delete(GroupChatTag).where(GroupChatTag.tenant_id == tag.tenant_id,
                                               GroupChatTag.tag_id == tag.id))
    session.delete(tag)
    session.flush()


# -- tagging chats -------------------------------------------------------------------------------------------------------

def tenant_chat_ids(session: Session, tenant_id: int, chat_ids: Iterable[int]) -> list[int]:
    wanted = list({int(c) for c in chat_ids})
    if not wanted:
        return []
    return list(session.exec(select(GroupChat.id).where(GroupChat.tenant_id == tenant_id, GroupChat.id.in_(wanted))))


def tag_chats(session: Session, tenant_id: int, chat_ids: Sequence[int], tag_ids: Sequence[int], operator: str,
              remove: bool = False) -> int:
    """Put the tags on the chats (or, with ``remove``, take them off); returns how many chat-tag pairs changed.
    Chats or tags of another tenant are ignored; ``TagError`` when no chat or no tag is left."""
    chats, tags = tenant_chat_ids(session, tenant_id, chat_ids), tenant_tag_ids(session, tenant_id, tag_ids)
    if not chats:
        raise TagError(_("Select at least one group chat."))
    if not tags:
        raise TagError(_("Choose at least one tag."))
    existing = set(session.exec(select(GroupChatTag.group_chat_id, GroupChatTag.tag_id).where(
        GroupChatTag.tenant_id == tenant_id, GroupChatTag.group_chat_id.in_(chats),
        GroupChatTag.tag_id.in_(tags))).all())
    if remove:
        session.execute(delete(GroupChatTag).where(GroupChatTag.tenant_id == tenant_id,
                                                   GroupChatTag.group_chat_id.in_(chats),
                                                   GroupChatTag.tag_id.in_(tags)))
        return len(existing)
    now, added = utcnow(), 0
    for chat_id in chats:
        for tag_id in tags:
            if (chat_id, tag_id) not in existing:
                session.add(GroupChatTag(tenant_id=tenant_id, group_chat_id=chat_id, tag_id=tag_id,
                                         tagged_by=operator[:200], tagged_at=now))
                added += 1
    session.flush()
    return added


def set_chat_tags(session: Session, chat: GroupChat, tag_ids: Sequence[int], operator: str) -> None:
    """Make ``tag_ids`` (the tenant's among them) the chat's tags; an empty list removes them all."""
    wanted = set(tenant_tag_ids(session, chat.tenant_id, tag_ids))
    current = set(session.exec(select(GroupChatTag.tag_id).where(GroupChatTag.tenant_id == chat.tenant_id,
                                                                 GroupChatTag.group_chat_id == chat.id)))
    gone = current - wanted
    if gone:
        session.execute(delete(GroupChatTag).where(GroupChatTag.tenant_id == chat.tenant_id,
                                                   GroupChatTag.group_chat_id == chat.id,
                                                   GroupChatTag.tag_id.in_(list(gone))))
    now = utcnow()
    for tag_id in wanted - current:
        session.add(GroupChatTag(tenant_id=chat.tenant_id, group_chat_id=chat.id, tag_id=tag_id,
                                 tagged_by=operator[:200], tagged_at=now))
    session.flush()
