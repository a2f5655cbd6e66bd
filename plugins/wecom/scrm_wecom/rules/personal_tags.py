"""Personal tags (WeCom tag type 2): the tags an employee puts on a customer for themself. WeCom shows them only to
that employee (and admins see them in the admin console); here they are kept per follow relation and shown on the
customer profile to the relation's employee and to tenant admins.

The contact sync hands every applied batch to :func:`apply_entries`. A follow entry that carries ``tags`` (the
``externalcontact/get`` shape, read for every add and edit callback) states the relation's personal tags completely;
an entry with only ``tag_id`` (``batch/get_by_user``, which lists corp tag ids only) or no tags says nothing about
them, and the stored ones stay.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, insert, select
from sqlmodel import Session

from scrm.sdk import ChannelAccount, Employee, utcnow

from ..sync.models import Follow, FollowStatus
from .models import PersonalTag

PERSONAL_TAG = 2  # follow_user.tags[].type: 1 corp tag, 2 personal tag, 3 rule-group tag
CHUNK = 900
TagKey = tuple[str, str]  # (group name, tag name)


def tags_of(follow: Mapping[str, Any]) -> set[TagKey] | None:
    """The personal tags a follow entry states, or None when it says nothing about them."""
    if "tags" not in follow:
        return None
    found: set[TagKey] = set()
    for tag in follow.get("tags") or []:
        try:
            kind = int(tag.get("type") or 0)
        except (TypeError, ValueError, AttributeError):
            continue
        name = str(tag.get("tag_name") or "").strip()[:60]
        if kind == PERSONAL_TAG and name:
            found.add((str(tag.get("group_name") or "").strip()[:60], name))
    return found


def apply_entries(session: Session, account: ChannelAccount,
                  entries: Sequence[tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]]) -> tuple[int, int]:
    """Make the stored personal tags of the entries' relations what the entries state (after the relations are
    written). Returns (added, removed)."""
    wanted: dict[tuple[str, str], set[TagKey]] = {}
    for contact, follows in entries:
        ext = str(contact.get("external_userid") or "")
        for follow in follows:
            tags, userid = tags_of(follow), str(follow.get("userid") or "")
            if ext and userid and tags is not None:
                wanted[(ext, userid)] = tags
    if not wanted:
        return 0, 0
    follow_ids: dict[tuple[str, str], int] = {}
    exts = sorted({ext for ext, _u in wanted})
    for index in range(0, len(exts), CHUNK):
        for row in session.execute(select(Follow.id, Follow.external_userid, Follow.userid).where(
                Follow.account_id == account.id, Follow.external_userid.in_(exts[index:index + CHUNK]))):
            if (row.external_userid, row.userid) in wanted:
                follow_ids[(row.external_userid, row.userid)] = row.id
    have: dict[tuple[int, str, str], int] = {}
    ids = sorted(follow_ids.values())
    for index in range(0, len(ids), CHUNK):
        for row in session.execute(select(PersonalTag.id, PersonalTag.follow_id, PersonalTag.group_name,
                                          PersonalTag.name).where(PersonalTag.follow_id.in_(ids[index:index + CHUNK]))):
            have[(row.follow_id, row.group_name, row.name)] = row.id
    target = {(follow_ids[pair], group, name) for pair, tags in wanted.items() if pair in follow_ids
              for group, name in tags}
    missing = sorted(target - have.keys())
    extra = [row_id for key, row_id in have.items() if key not in target]
    if missing:
        now = utcnow()
        session.execute(insert(PersonalTag.__table__), [
            {"tenant_id": account.tenant_id, "follow_id": f, "group_name": g, "name": n, "created_at": now}
            for f, g, n in missing])
    for index in range(0, len(extra), CHUNK):
        session.execute(delete(PersonalTag).where(PersonalTag.id.in_(extra[index:index + CHUNK])))
    return len(missing), len(extra)


@dataclass(frozen=True)
class EmployeeTags:
    """One employee's personal tags on a customer."""

    employee_id: int | None
    employee_name: str
    active: bool
    tags: list[TagKey]


def customer_tags(session: Session, tenant_id: int, customer_id: int,
                  employee_id: int | None = None) -> list[EmployeeTags]:
    """The personal tags on ``customer_id`` by employee (only ``employee_id``'s when given), relations of ended
    friendships included (marked inactive)."""
    query = (select(Follow.employee_id, Follow.userid, Follow.status, Employee.name, PersonalTag.group_name,
                    PersonalTag.name.label("tag"))
             .join(PersonalTag, PersonalTag.follow_id == Follow.id)
             .outerjoin(Employee, Employee.id == Follow.employee_id)
             .where(Follow.tenant_id == tenant_id, Follow.customer_id == customer_id,
                    PersonalTag.tenant_id == tenant_id)
             .order_by(Follow.userid, PersonalTag.group_name, PersonalTag.name))
    if employee_id is not None:
        query = query.where(Follow.employee_id == employee_id)
    grouped: dict[tuple[Any, str], EmployeeTags] = {}
    for row in session.execute(query):
        key = (row.employee_id, row.userid)
        entry = grouped.get(key)
        if entry is None:
            entry = grouped[key] = EmployeeTags(row.employee_id, row.name or row.userid,
                                                row.status == FollowStatus.ACTIVE.value, [])
        entry.tags.append((row.group_name, row.tag))
    return list(grouped.values())
