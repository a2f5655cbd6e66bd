"""Six months of WeCom history for the demo brand (part of the ``demo_data`` hook, see :mod:`scrm_wecom.demo`).

* The brand's customers with a WeChat unionid became friends of their owner (a store employee) when they joined, a
  few of a second employee of the store as well: they are seeded into the sandbox corp with those add times, and the
  full sync links them to the customers by unionid.
* The live codes were made months ago and counted the adds of their employees' new friends since.
* Some friendships ended: customers deleted employees (churned) and employees deleted customers, each through the
  sandbox (the relation goes, the callback reaches the platform like WeCom's), then dated back over the last weeks.
* The stores run customer group chats that their friends joined over the months; two customers join one of them
  during the demo, through the sandbox's callback.

Past times are written directly where WeCom's callbacks would carry "now" (a callback older than a few minutes is
refused, as it should be). Each step finds its own rows of an earlier run and does nothing again.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import func, insert, update
from sqlmodel import Session, select

from scrm.sdk import (
    ChannelAccount,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    Department,
    Employee,
    IdentityKind,
    day_span,
    utcnow,
)

from . import timeline
from .churn.models import FriendLoss
from .groupchats import jobs as groupchat_jobs
from .groupchats import sync as groupchat_sync
from .groupchats.models import GroupChat, GroupMember
from .livecodes.models import LiveCode, LiveCodeEmployee, LiveCodeFriendEvent
from .sandbox.groupchats import GroupChatControl
from .sandbox.remote import SandboxControl
from .sync.models import Follow, FollowStatus

BRAND_FRIENDS = 720
"""At most this many of the brand's WeChat customers are friends of their store's employees."""
SECOND_EMPLOYEE_SHARE = 0.12
LIVE_CODE_AGE_DAYS = 150
LIVE_CODE_SHARE = 0.55
"""Share of a code employee's new friends (since the code exists) who came through the code."""
CHURNED, DELETED = 18, 7
GROUP_CHATS = (("南京西路旗舰店·茶友会", "上海南京西路旗舰店", 60), ("徐家汇店会员福利群", "上海徐家汇店", 40),
               ("陆家嘴店午后茶歇群", "上海陆家嘴店", 30), ("湖滨银泰店新品品鉴群", "杭州湖滨银泰店", 45),
               ("西溪印象城店茶艺课堂", "杭州西溪印象城店", 30), ("观前街店老茶客群", "苏州观前街店", 35),
               ("新街口店会员日", "南京新街口店", 35))
"""Group chats: name, store (owned by its manager), members wanted (the store's friends, as many as there are)."""
MANAGER = "店长"
REMARKS = ("爱喝乌龙", "龙井老客", "送礼需求", "办公室团购", "周末到店", "普洱收藏", "冷泡茶控", "会员日常客")
"""What store staff note about a friend (half of the friends have a remark: name·note)."""


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def brand_friends(session: Session, tenant_id: int, employees: list[Employee], now: datetime) -> list[dict[str, Any]]:
    """Sandbox external contacts for the brand's customers with a unionid and an owner among ``employees``: friends
    of their owner since a little after they joined (and of a colleague of the owner's store, for some)."""
    rng = random.Random(11)
    by_id = {e.id: e for e in employees}
    colleagues: dict[int | None, list[Employee]] = {}
    for employee in employees:
        colleagues.setdefault(employee.department_id, []).append(employee)
    rows = session.exec(select(Customer.id, Customer.name, Customer.gender, Customer.created_at,
                               Customer.owner_employee_id, CustomerIdentity.value)
                        .join(CustomerIdentity, CustomerIdentity.customer_id == Customer.id)
                        .where(Customer.tenant_id == tenant_id, CustomerIdentity.kind == IdentityKind.UNIONID,
                               Customer.owner_employee_id.in_(list(by_id)))
                        .order_by(Customer.id).limit(BRAND_FRIENDS)).all()
    contacts = []
    for customer_id, name, gender, created_at, owner_id, unionid in rows:
        owner = by_id[owner_id]
        added = min(_utc(created_at) + timedelta(minutes=rng.randint(1, 36 * 60)), now - timedelta(minutes=30))
        follows = [{"userid": owner.userid, "add_way": rng.choice((1, 1, 1, 1, 2, 3, 4, 202)),
                    "createtime": int(added.timestamp()),
                    "remark": f"{name}·{rng.choice(REMARKS)}" if rng.random() < 0.5 else ""}]
        others = [e for e in colleagues.get(owner.department_id, []) if e.id != owner.id]
        if others and rng.random() < SECOND_EMPLOYEE_SHARE:
            later = min(added + timedelta(days=rng.randint(1, 40)), now - timedelta(minutes=10))
            follows.append({"userid": rng.choice(others).userid, "add_way": 1, "createtime": int(later.timestamp())})
        contacts.append({"external_userid": f"wmDemoBrand{customer_id:06d}", "name": name, "type": 1,
                         "gender": gender, "unionid": unionid, "follow_user": follows})
    return contacts


def backdate_wecom_customers(session: Session, account: ChannelAccount) -> int:
    """Customers the sync created (source wecom) joined when their first friendship began, not at the sync."""
    first = (select(Follow.customer_id, func.min(Follow.added_at).label("added"))
             .where(Follow.tenant_id == account.tenant_id, Follow.account_id == account.id,
                    Follow.added_at.is_not(None)).group_by(Follow.customer_id).subquery())
    rows = session.exec(select(Customer.id, first.c.added).join(first, first.c.customer_id == Customer.id)
                        .where(Customer.tenant_id == account.tenant_id, Customer.source == "wecom",
                               Customer.created_at > first.c.added)).all()
    for customer_id, added in rows:
        session.execute(update(Customer).where(Customer.id == customer_id).values(created_at=added))
    session.flush()
    return len(rows)


def live_code_history(session: Session, account: ChannelAccount, codes: list[LiveCode]) -> int:
    """The codes were made months ago; part of their employees' friends since came through them. Returns how many
    adds were written (none when a code already counts adds)."""
    rng = random.Random(23)
    now = utcnow()
    written = 0
    for code in codes:
        if session.exec(select(LiveCodeFriendEvent.id).where(LiveCodeFriendEvent.live_code_id == code.id)
                        .limit(1)).first() is not None:
            continue
        made = now - timedelta(days=LIVE_CODE_AGE_DAYS, hours=rng.randint(0, 200))
        code.created_at = code.updated_at = made
        session.add(code)
        staff = select(LiveCodeEmployee.employee_id).where(LiveCodeEmployee.live_code_id == code.id)
        follows = session.exec(select(Follow).where(Follow.tenant_id == account.tenant_id,
                                                    Follow.account_id == account.id, Follow.employee_id.in_(staff),
                                                    Follow.added_at >= made).order_by(Follow.id)).all()
        rows = [{"tenant_id": account.tenant_id, "live_code_id": code.id, "kind": "add", "userid": f.userid,
                 "external_userid": f.external_userid, "customer_id": f.customer_id,
                 "event_id": f"demo-lc{code.id}-f{f.id}", "occurred_at": f.added_at}
                for f in follows if rng.random() < LIVE_CODE_SHARE]
        if rows:
            session.execute(insert(LiveCodeFriendEvent.__table__), rows)
            _name_code_in_timeline(session, account.tenant_id, code, {(r["customer_id"], r["userid"]) for r in rows})
        written += len(rows)
    session.flush()
    return written


def _name_code_in_timeline(session: Session, tenant_id: int, code: LiveCode, pairs: set[tuple[int, str]]) -> None:
    """The "friend added" timeline entries of those friendships name the code they came through."""
    events = session.exec(select(CustomerEvent).where(
        CustomerEvent.tenant_id == tenant_id, CustomerEvent.plugin == timeline.PLUGIN,
        CustomerEvent.kind == timeline.FRIEND_ADDED,
        CustomerEvent.customer_id.in_(sorted({c for c, _u in pairs})))).all()
    for event in events:
        if (event.customer_id, (event.data or {}).get("userid")) in pairs:
            event.data = {**(event.data or {}), "live_code": code.name}
            session.add(event)


@dataclass
class History:
    """The steps that go through the sandbox: losses and group chats."""

    session: Session
    sandbox: SandboxControl
    demo: Any
    account: ChannelAccount
    callback: dict[str, str]

    @property
    def tenant_id(self) -> int:
        return self.account.tenant_id

    def losses(self) -> int:
        """Some friendships end through the sandbox (customers delete employees, employees delete customers), then
        the losses are dated back over the last weeks. Returns how many ended (none when losses exist)."""
        if self.session.exec(select(FriendLoss.id).where(FriendLoss.tenant_id == self.tenant_id,
                                                         FriendLoss.account_id == self.account.id)
                             .limit(1)).first() is not None:
            return 0
        rng = random.Random(31)
        now = utcnow()
        candidates = self.session.exec(select(Follow).where(
            Follow.tenant_id == self.tenant_id, Follow.account_id == self.account.id,
            Follow.status == FollowStatus.ACTIVE.value, Follow.external_userid.like("wmDemoBrand%"),
            Follow.added_at < now - timedelta(days=5)).order_by(Follow.id)).all()
        picked = rng.sample(list(candidates), min(CHURNED + DELETED, len(candidates)))
        ended = []
        for n, follow in enumerate(picked):
            days = (now - _utc(follow.added_at)).days
            back = rng.randint(1, max(1, min(75, days - 1)))  # a local day, at a waking hour
            lost_at = day_span(now, back).start + timedelta(hours=rng.uniform(8.0, 23.5))
            ended.append((follow.userid, follow.external_userid, follow.customer_id, lost_at,
                          "customer" if n < CHURNED else "employee"))
        self.session.commit()
        for userid, ext, _customer, _at, by in ended:
            self.sandbox.delete_friend(self.account.external_id, userid, ext, by=by, callback=self.callback)
        self.demo.wait_for_jobs()
        self.session.expire_all()
        for userid, ext, customer_id, lost_at, by in ended:
            self._date_back(userid, ext, customer_id, lost_at, by)
        self.session.commit()
        return len(ended)

    def _date_back(self, userid: str, ext: str, customer_id: int, lost_at: datetime, by: str) -> None:
        tenant_id = self.tenant_id
        self.session.execute(update(FriendLoss).where(
            FriendLoss.tenant_id == tenant_id, FriendLoss.account_id == self.account.id, FriendLoss.userid == userid,
            FriendLoss.external_userid == ext).values(lost_at=lost_at, created_at=lost_at))
        ended = {"churned_at": lost_at} if by == "customer" else {"deleted_at": lost_at}
        self.session.execute(update(Follow).where(
            Follow.account_id == self.account.id, Follow.userid == userid, Follow.external_userid == ext)
            .values(updated_at=lost_at, **ended))
        self.session.execute(update(LiveCodeFriendEvent).where(
            LiveCodeFriendEvent.tenant_id == tenant_id, LiveCodeFriendEvent.kind == "delete",
            LiveCodeFriendEvent.userid == userid, LiveCodeFriendEvent.external_userid == ext)
            .values(occurred_at=lost_at))
        self.session.execute(update(CustomerEvent).where(
            CustomerEvent.tenant_id == tenant_id, CustomerEvent.customer_id == customer_id,
            CustomerEvent.plugin == timeline.PLUGIN, CustomerEvent.kind == timeline.FRIEND_LOST)
            .values(occurred_at=lost_at))

    # -- group chats -----------------------------------------------------------------------------------------------------

    def group_chats(self) -> int:
        """The stores' group chats in the sandbox (once), a full group chat sync (once), and two customers joining
        the flagship's chat now. Returns how many chats were created."""
        corp_id = self.account.external_id
        chats = GroupChatControl(self.sandbox, corp_id, self.callback)
        created = 0
        if not self.sandbox.corp(corp_id).get("group_chats"):
            specs = self._chat_specs()
            if specs:
                created = len(chats.create(*specs))
        if self.session.exec(select(GroupChat.id).where(GroupChat.tenant_id == self.tenant_id,
                                                        GroupChat.account_id == self.account.id)
                             .limit(1)).first() is None:
            run, new = groupchat_sync.create_sync(self.session, self.account, "scrm demo")
            self.session.commit()
            if new:
                groupchat_jobs.sync_group_chats.send(self.tenant_id, run_id=run.id)
            self.demo.wait_for_jobs()
            if created:
                self._join_now(chats)
        return created

    def _store_friends(self) -> dict[str, tuple[str | None, list[tuple[str, str]]]]:
        """Per store name: its manager's userid and its friends (external_userid, userid of the employee)."""
        rows = self.session.exec(select(Department.name, Employee.userid, Employee.position, Follow.external_userid)
                                 .join(Employee, Employee.department_id == Department.id)
                                 .join(Follow, Follow.employee_id == Employee.id)
                                 .where(Department.tenant_id == self.tenant_id, Follow.account_id == self.account.id,
                                        Follow.status == FollowStatus.ACTIVE.value)
                                 .order_by(Follow.id)).all()
        out: dict[str, tuple[str | None, list[tuple[str, str]]]] = {}
        for store, userid, position, ext in rows:
            manager, friends = out.setdefault(store, (None, []))
            friends.append((ext, userid))
            if position == MANAGER and manager is None:
                out[store] = (userid, friends)
        return out

    def _chat_specs(self) -> list[dict[str, Any]]:
        rng = random.Random(47)
        now = utcnow()
        stores = self._store_friends()
        specs = []
        for name, store, size in GROUP_CHATS:
            manager, friends = stores.get(store, (None, []))
            if not friends:
                continue
            owner = manager or friends[0][1]
            made = now - timedelta(days=rng.randint(60, 170))
            members = list(dict.fromkeys(ext for ext, _u in friends))
            chosen = rng.sample(members, min(size, len(members)))
            staff = sorted({u for _e, u in friends} - {owner})[:2]
            member_rows = [{"userid": u, "type": 1, "join_time": int((made + timedelta(hours=1)).timestamp())}
                           for u in staff]
            for ext in chosen:
                joined = made + (now - made) * rng.random() ** 0.8
                member_rows.append({"userid": ext, "type": 2, "join_time": int(joined.timestamp()),
                                    "join_scene": rng.choice((1, 2, 3, 3)), "invitor": owner})
            specs.append({"name": name, "owner": owner, "create_time": int(made.timestamp()),
                          "notice": "欢迎加入示例品牌茶友群！每周三会员日，群内专享新品试饮与积分翻倍。",
                          "members": member_rows, "admin_list": staff[:1]})
        return specs

    def _join_now(self, chats: GroupChatControl) -> None:
        """Two of the flagship's friends who are not in its first chat join it now (the callback counts them)."""
        chat = self.session.exec(select(GroupChat).where(GroupChat.tenant_id == self.tenant_id,
                                                         GroupChat.account_id == self.account.id,
                                                         GroupChat.name == GROUP_CHATS[0][0])).first()
        if chat is None:
            return
        inside = set(self.session.exec(select(GroupMember.member_id).where(
            GroupMember.tenant_id == self.tenant_id, GroupMember.group_chat_id == chat.id)).all())
        friends = [ext for ext, _u in self._store_friends().get(GROUP_CHATS[0][1], (None, []))[1]
                   if ext not in inside]
        self.session.commit()  # no write transaction stays open while the callbacks come in
        for ext in friends[:2]:
            chats.join(chat.chat_id, {"userid": ext, "type": 2, "invitor": chat.owner_userid}, join_scene=3, fire=True)
        self.session.commit()
        self.demo.wait_for_jobs()

