"""Contact sync: WeCom external contacts and their follow relations into core customers, identities, per-employee
corp tags (``CustomerTag`` with ``employee_id``, source "wecom"), :class:`~scrm_wecom.sync.models.Follow` rows and
the relations' personal tags (:mod:`scrm_wecom.rules.personal_tags`).

One-ID, as ``match_or_create`` does it but in bulk: a contact is matched by ``unionid`` first, then by its
``external_userid@<corpid>`` identity; unknown contacts become customers with source "wecom" (owner: the member who
added them first). When the two identities name two different customers, the one holding the external_userid is
merged into the unionid's customer. WeCom's name, avatar and gender overwrite customers whose source is "wecom" and
only fill empty fields of other customers.

:class:`ContactApplier` applies entries ``(external_contact, [follow_info, ...])`` a batch at a time with a handful of
bulk statements (no per-row queries, no commit): the full sync feeds it pages of ``batch/get_by_user``; a single
friend event feeds it one ``externalcontact/get`` answer, or only what the event says (a follow entry may omit keys:
omitted fields keep their stored values, and a follow without ``tags`` / ``tag_id`` leaves its tags alone).
Applying the same entries twice changes nothing.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import bindparam, delete, insert, select, update
from sqlmodel import Session

from scrm.sdk import (
    ChannelAccount,
    Customer,
    CustomerIdentity,
    CustomerTag,
    Employee,
    IdentityKind,
    publish,
    utcnow,
)

from .. import timeline
from ..livecodes.models import LiveCode
from ..rules import personal_tags
from .models import Follow, FollowStatus
from .wecom_tags import SOURCE, tag_id_map

CHUNK = 900  # bound parameters per IN list (SQLite's historical limit is 999)
SYNCED_EVENT = "wecom.contacts_synced"
CORP_TAG = 1  # follow_user.tags[].type: 1 corp tag, 2 personal tag, 3 rule-group tag

CUSTOMER, FOLLOW = Customer.__table__, Follow.__table__
FOLLOW_COLUMNS = ("customer_id", "employee_id", "remark", "description", "add_way", "state", "added_at", "status",
                  "deleted_at", "churned_at")
FOLLOW_KEYS = {"remark": "remark", "description": "description", "add_way": "add_way", "state": "state",
               "added_at": "createtime"}  # column -> WeCom follow_info key
Entry = tuple[Mapping[str, Any], Sequence[Mapping[str, Any]]]
Merger = Callable[[Session, int, int, int], None]


CORP_NAME_KEY = "wecom_corp_name"
"""``Customer.attributes`` key of the corp a WeCom-user contact belongs to (external contact type 2)."""
WECOM_USER = 2


def _contact_attributes(contact: Mapping[str, Any]) -> dict[str, Any]:
    """What the sync keeps of an external contact in ``Customer.attributes``: the corp name of a WeCom user."""
    corp = str(contact.get("corp_name") or contact.get("corp_full_name") or "").strip()[:100]
    return {CORP_NAME_KEY: corp} if corp and int(contact.get("type") or 1) == WECOM_USER else {}


@dataclass
class ContactResult:
    contacts: int = 0
    customers_created: int = 0
    customers_linked: int = 0
    customers_updated: int = 0
    customers_merged: int = 0
    follows_created: int = 0
    follows_updated: int = 0
    follows_ended: int = 0
    tags_added: int = 0
    tags_removed: int = 0
    personal_tags_added: int = 0
    personal_tags_removed: int = 0
    created_ids: list[int] = field(default_factory=list)
    linked_ids: list[int] = field(default_factory=list)

    def as_dict(self) -> dict[str, int]:
        return {k: v for k, v in vars(self).items() if isinstance(v, int)}

    def add(self, other: ContactResult) -> None:
        for name, value in other.as_dict().items():
            setattr(self, name, getattr(self, name) + value)


def _chunks(values: Sequence[Any]) -> Iterable[Sequence[Any]]:
    for start in range(0, len(values), CHUNK):
        yield values[start:start + CHUNK]


def _epoch(value: Any) -> datetime | None:
    try:
        seconds = int(value)
    except (TypeError, ValueError):
        return None
    return datetime.fromtimestamp(seconds, UTC) if seconds > 0 else None


def follow_tag_ids(follow: Mapping[str, Any]) -> list[str]:
    """The corp tag ids on a follow relation: ``tag_id`` (batch/get_by_user) or ``tags`` (externalcontact/get)."""
    if follow.get("tag_id") is not None:
        return [str(t) for t in follow.get("tag_id") or []]
    return [str(t["tag_id"]) for t in follow.get("tags") or [] if int(t.get("type") or CORP_TAG) == CORP_TAG]


def group_entries(rows: Iterable[Mapping[str, Any]]) -> list[Entry]:
    """Group ``batch/get_by_user`` rows (``{external_contact, follow_info}``) by contact."""
    grouped: dict[str, tuple[Mapping[str, Any], list[Mapping[str, Any]]]] = {}
    for row in rows:
        contact = row.get("external_contact") or {}
        ext = str(contact.get("external_userid") or "")
        if not ext:
            continue
        grouped.setdefault(ext, (contact, []))[1].append(row.get("follow_info") or {})
    return list(grouped.values())


class ContactApplier:
    """Applies contact entries of one account (see the module docstring). ``merge(session, tenant_id, survivor_id,
    merged_id)`` merges two customers (the job passes one built on the tenant's hooks)."""

    def __init__(self, session: Session, account: ChannelAccount, merge: Merger | None = None) -> None:
        self.session = session
        self.account = account
        self.tenant_id = account.tenant_id
        self.ext_kind = IdentityKind.external_userid(account.external_id)
        self.merge = merge
        self.employees: dict[str, int] = {}
        self.tags = tag_id_map(session, self.tenant_id)

    def _load_employees(self, entries: Sequence[Entry]) -> None:
        wanted = sorted({str(f.get("userid") or "") for _c, follows in entries for f in follows} - set(self.employees))
        for chunk in _chunks(wanted):
            self.employees.update(self.session.execute(select(Employee.userid, Employee.id).where(
                Employee.tenant_id == self.tenant_id, Employee.userid.in_(chunk))).all())

    # -- identities and customers ------------------------------------------------------------------------------------

    def _identities(self, kind: str, values: Sequence[str]) -> dict[str, int]:
        found: dict[str, int] = {}
        for chunk in _chunks(list(dict.fromkeys(v for v in values if v))):
            found.update(self.session.execute(select(CustomerIdentity.value, CustomerIdentity.customer_id).where(
                CustomerIdentity.tenant_id == self.tenant_id, CustomerIdentity.kind == kind,
                CustomerIdentity.value.in_(chunk))).all())
        return found

    def _customers(self, ids: Iterable[int]) -> dict[int, Any]:
        rows: dict[int, Any] = {}
        for chunk in _chunks(sorted(set(ids))):
            for row in self.session.execute(select(Customer.id, Customer.name, Customer.avatar, Customer.gender,
                                                   Customer.source, Customer.attributes).where(Customer.tenant_id == self.tenant_id,
                                                                          Customer.id.in_(chunk))):
                rows[row.id] = row
        return rows

    def _owner(self, follows: Sequence[Mapping[str, Any]]) -> int | None:
        ordered = sorted(follows, key=lambda f: int(f.get("createtime") or 0))
        return next((self.employees[str(f.get("userid"))] for f in ordered if str(f.get("userid")) in self.employees),
                    None)

    def _resolve(self, entries: Sequence[Entry], result: ContactResult) -> dict[str, int]:
        """external_userid → customer id, creating, linking and merging customers as One-ID says."""
        exts = [str(c["external_userid"]) for c, _f in entries]
        unionids = [str(c.get("unionid") or "") for c, _f in entries]
        by_ext, by_union = self._identities(self.ext_kind, exts), self._identities(IdentityKind.UNIONID, unionids)
        now = utcnow()
        resolved: dict[str, int] = {}
        links: list[dict[str, Any]] = []
        new: list[tuple[str, str, dict[str, Any]]] = []
        for (contact, follows), ext, unionid in zip(entries, exts, unionids, strict=True):
            cx, cy = by_ext.get(ext), by_union.get(unionid) if unionid else None
            if cx is None and cy is None:
                new.append((ext, unionid, {
                    "tenant_id": self.tenant_id, "name": str(contact.get("name") or "")[:100],
                    "avatar": (str(contact.get("avatar") or "")[:500] or None), "gender": int(contact.get("gender") or 0),
                    "source": SOURCE, "owner_employee_id": self._owner(follows), "is_member": False,
                    "attributes": _contact_attributes(contact), "created_at": now, "updated_at": now}))
                continue
            if cx is None:
                links.append({"customer_id": cy, "kind": self.ext_kind, "value": ext})
                resolved[ext] = cy
            elif cy is None:
                if unionid:
                    links.append({"customer_id": cx, "kind": IdentityKind.UNIONID, "value": unionid})
                resolved[ext] = cx
            elif cx != cy and self.merge is not None:
                self.merge(self.session, self.tenant_id, cy, cx)
                result.customers_merged += 1
                resolved[ext] = cy
            else:
                resolved[ext] = cy if cy is not None else cx
            if cx is None or (cy is None and unionid):
                result.customers_linked += 1
                result.linked_ids.append(resolved[ext])
        if new:
            ids = self.session.execute(insert(CUSTOMER).returning(CUSTOMER.c.id, sort_by_parameter_order=True),
                                       [values for _e, _u, values in new]).scalars().all()
            for (ext, unionid, _values), customer_id in zip(new, ids, strict=True):
                resolved[ext] = customer_id
                links.append({"customer_id": customer_id, "kind": self.ext_kind, "value": ext})
                if unionid:
                    links.append({"customer_id": customer_id, "kind": IdentityKind.UNIONID, "value": unionid})
            result.customers_created += len(ids)
            result.created_ids.extend(ids)
        if links:
            self.session.execute(insert(CustomerIdentity.__table__), [{"tenant_id": self.tenant_id, "created_at": now, **link}
                                                            for link in links])
        self._update_customers(entries, resolved, {ext for ext, _u, _v in new}, result)
        return resolved

    def _update_customers(self, entries: Sequence[Entry], resolved: Mapping[str, int], created: set[str],
                          result: ContactResult) -> None:
        existing = self._customers(resolved[str(c["external_userid"])] for c, _f in entries
                                   if str(c["external_userid"]) not in created)
        changes: dict[int, dict[str, Any]] = {}
        attribute_changes: dict[int, dict[str, Any]] = {}
        for contact, _follows in entries:
            row = existing.get(resolved[str(contact["external_userid"])])
            if row is None:
                continue
            wanted = {"name": str(contact.get("name") or "")[:100] or None,
                      "avatar": str(contact.get("avatar") or "")[:500] or None,
                      "gender": int(contact.get("gender") or 0) or None}
            current = {"name": row.name or None, "avatar": row.avatar or None, "gender": row.gender or None}
            values = {k: v for k, v in wanted.items()
                      if v is not None and current[k] != v and (row.source == SOURCE or current[k] is None)}
            if values:
                changes[row.id] = {**{k: getattr(row, k) for k in current}, **values}
            corp = _contact_attributes(contact).get(CORP_NAME_KEY)
            if corp and (row.attributes or {}).get(CORP_NAME_KEY) != corp:
                attribute_changes[row.id] = {**(row.attributes or {}), CORP_NAME_KEY: corp}
        if changes:
            now = utcnow()
            self.session.execute(
                update(CUSTOMER).where(CUSTOMER.c.id == bindparam("b_id")).values(
                    name=bindparam("b_name"), avatar=bindparam("b_avatar"), gender=bindparam("b_gender"),
                    updated_at=bindparam("b_now")),
                [{"b_id": cid, "b_name": v["name"] or "", "b_avatar": v["avatar"], "b_gender": v["gender"] or 0,
                  "b_now": now} for cid, v in changes.items()])
            result.customers_updated += len(changes)
        if attribute_changes:
            self.session.execute(
                update(CUSTOMER).where(CUSTOMER.c.id == bindparam("b_id")).values(attributes=bindparam("b_attributes")),
                [{"b_id": cid, "b_attributes": attributes} for cid, attributes in attribute_changes.items()])

    # -- follows and tags ----------------------------------------------------------------------------------------------

    def _follows(self, entries: Sequence[Entry], resolved: Mapping[str, int], complete: bool,
                 result: ContactResult) -> None:
        exts = list(resolved)
        existing: dict[tuple[str, str], Any] = {}
        for chunk in _chunks(exts):
            for row in self.session.execute(select(Follow.__table__).where(
                    Follow.account_id == self.account.id, Follow.external_userid.in_(chunk))):
                existing[(row.external_userid, row.userid)] = row
        now = utcnow()
        inserts, updates = [], []
        began: list[dict[str, Any]] = []  # friendships that begin (new or re-added): a timeline entry each
        listed: set[tuple[str, str]] = set()
        for contact, follows in entries:
            ext = str(contact["external_userid"])
            for follow in follows:
                userid = str(follow.get("userid") or "")
                if not userid:
                    continue
                listed.add((ext, userid))
                given = {"remark": str(follow.get("remark") or "")[:100],
                         "description": str(follow.get("description") or "")[:255],
                         "add_way": int(follow.get("add_way") or 0), "state": str(follow.get("state") or "")[:64],
                         "added_at": _epoch(follow.get("createtime"))}
                wanted = {"customer_id": resolved[ext], "employee_id": self.employees.get(userid),
                          "status": FollowStatus.ACTIVE.value, "deleted_at": None, "churned_at": None,
                          **{k: v for k, v in given.items() if FOLLOW_KEYS[k] in follow}}
                row = existing.get((ext, userid))
                if row is None:
                    inserts.append({"tenant_id": self.tenant_id, "account_id": self.account.id, "userid": userid,
                                    "external_userid": ext, "updated_at": now, **given, **wanted})
                    began.append(inserts[-1])
                elif row.status != FollowStatus.ACTIVE.value:
                    began.append({**{k: getattr(row, k) for k in FOLLOW_COLUMNS}, "userid": userid, **wanted})
                if row is not None and any(getattr(row, k) != v for k, v in wanted.items()):
                    values = {k: getattr(row, k) for k in FOLLOW_COLUMNS} | wanted
                    updates.append({"b_id": row.id, "b_now": now, **{f"b_{k}": v for k, v in values.items()}})
        if inserts:
            self.session.execute(insert(FOLLOW), inserts)
            result.follows_created += len(inserts)
        if updates:
            self.session.execute(
                update(FOLLOW).where(FOLLOW.c.id == bindparam("b_id")).values(
                    updated_at=bindparam("b_now"), **{c: bindparam(f"b_{c}") for c in FOLLOW_COLUMNS}),
                updates)
            result.follows_updated += len(updates)
        self._friends_began(began)
        if complete:  # the entries list every follow of their contacts: the others ended
            ended = [row.id for key, row in existing.items()
                     if key not in listed and row.status == FollowStatus.ACTIVE.value]
            if ended:
                self.session.execute(update(Follow).where(Follow.id.in_(ended)).values(
                    status=FollowStatus.DELETED.value, deleted_at=now, updated_at=now))
                result.follows_ended += len(ended)

    def _friends_began(self, began: Sequence[dict[str, Any]]) -> None:
        """A "friend added" timeline entry per friendship that began, at its add time, naming the live code whose
        ``state`` it came with."""
        if not began:
            return
        states = sorted({f["state"] for f in began if f.get("state")})
        codes = dict(self.session.execute(select(LiveCode.state, LiveCode.name).where(
            LiveCode.tenant_id == self.tenant_id, LiveCode.state.in_(states))).all()) if states else {}
        timeline.write_many(self.session, [
            timeline.row(self.tenant_id, f["customer_id"], timeline.FRIEND_ADDED, f.get("added_at"),
                         userid=f["userid"], live_code=codes.get(f.get("state") or ""), state=f.get("state"))
            for f in began])

    def _tags(self, entries: Sequence[Entry], resolved: Mapping[str, int], result: ContactResult) -> None:
        wanted: set[tuple[int, int, int]] = set()
        pairs: set[tuple[int, int]] = set()
        for contact, follows in entries:
            customer_id = resolved[str(contact["external_userid"])]
            for follow in follows:
                employee_id = self.employees.get(str(follow.get("userid") or ""))
                if employee_id is None or ("tag_id" not in follow and "tags" not in follow):
                    continue  # unknown member, or an entry that says nothing about tags
                pairs.add((customer_id, employee_id))
                for wecom_id in follow_tag_ids(follow):
                    tag_id = self.tags.get(wecom_id)
                    if tag_id is not None:
                        wanted.add((customer_id, tag_id, employee_id))
        if not pairs or not self.tags:
            return
        have: dict[tuple[int, int, int], int] = {}
        corp_tags = set(self.tags.values())
        for chunk in _chunks(sorted({c for c, _e in pairs})):
            for row in self.session.execute(select(CustomerTag.id, CustomerTag.customer_id, CustomerTag.tag_id,
                                                   CustomerTag.employee_key).where(
                    CustomerTag.tenant_id == self.tenant_id, CustomerTag.customer_id.in_(chunk),
                    CustomerTag.employee_key != 0)):
                if row.tag_id in corp_tags and (row.customer_id, row.employee_key) in pairs:
                    have[(row.customer_id, row.tag_id, row.employee_key)] = row.id
        missing = wanted - have.keys()
        extra = [row_id for key, row_id in have.items() if key not in wanted]
        if missing:
            now = utcnow()
            self.session.execute(insert(CustomerTag.__table__), [
                {"tenant_id": self.tenant_id, "customer_id": c, "tag_id": t, "employee_id": e, "employee_key": e,
                 "source": SOURCE, "created_at": now} for c, t, e in sorted(missing)])
            result.tags_added += len(missing)
        if extra:
            self.session.execute(delete(CustomerTag).where(CustomerTag.id.in_(extra)))
            result.tags_removed += len(extra)

    # -- the whole batch -----------------------------------------------------------------------------------------------

    def apply(self, entries: Sequence[Entry], *, complete: bool = False, publish_event: bool = True) -> ContactResult:
        """Apply one batch. ``complete`` says the entries list every follow relation of their contacts
        (``externalcontact/get``), so relations missing from them ended. Publishes one ``wecom.contacts_synced``
        event naming the customers created or linked (nothing when nothing changed). Flushes, never commits."""
        result = ContactResult(contacts=len(entries))
        entries = [e for e in entries if e[0].get("external_userid")]
        if not entries:
            return result
        self._load_employees(entries)
        resolved = self._resolve(entries, result)
        self._follows(entries, resolved, complete, result)
        self._tags(entries, resolved, result)
        result.personal_tags_added, result.personal_tags_removed = personal_tags.apply_entries(
            self.session, self.account, entries)
        self.session.flush()
        if publish_event and (result.created_ids or result.linked_ids):
            publish(self.session, self.tenant_id, SYNCED_EVENT, {
                "account_id": self.account.id, "created_customer_ids": result.created_ids,
                "linked_customer_ids": sorted(set(result.linked_ids))})
        return result


def end_follows(session: Session, account: ChannelAccount, userids: Sequence[str], seen: set[tuple[str, str]]
                ) -> int:
    """After a full sync of members ``userids``: their active relations that WeCom no longer lists ended while
    callbacks were missed; mark them deleted. Returns how many."""
    ended: list[int] = []
    for chunk in _chunks(list(userids)):
        for row in session.execute(select(Follow.id, Follow.external_userid, Follow.userid).where(
                Follow.account_id == account.id, Follow.status == FollowStatus.ACTIVE.value,
                Follow.userid.in_(chunk))):
            if (row.external_userid, row.userid) not in seen:
                ended.append(row.id)
    now = utcnow()
    for chunk in _chunks(ended):
        session.execute(update(Follow).where(Follow.id.in_(chunk)).values(
            status=FollowStatus.DELETED.value, deleted_at=now, updated_at=now))
    return len(ended)
