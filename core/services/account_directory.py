"""Channel accounts as the callback gateway sees them, kept in memory for a moment.

Every provider callback names its account in the URL; reading the account and its tenant from the database for each
one is a round trip (and a pool checkout) that the hottest request of the platform can skip. The directory keeps
``(account, tenant active)`` per account id for ``ttl`` seconds (2 by default, like the job bus's enablement cache).

Freshness: any session of this process that commits a change to a ``ChannelAccount`` or a ``Tenant`` (new, edited,
deleted) empties every directory of the process when it commits; other processes see the change within ``ttl``.
So an account deactivated or re-keyed on the admin page stops (or starts) taking callbacks at once in that process
and within 2 seconds everywhere. Unknown account ids are remembered too (a flood of made-up URLs costs no queries).

The account handed out is a detached snapshot shared by concurrent requests: read it, never change it or add it to a
session (load the account in your session to change it).
"""

from __future__ import annotations

import time
import weakref
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy import bindparam, event, select
from sqlalchemy.engine import Engine
from sqlalchemy.orm import Session as OrmSession
from sqlmodel import Session

from ..memo import DEFAULT_TTL, Memo
from ..models import ChannelAccount, Tenant

_directories: weakref.WeakSet[AccountDirectory] = weakref.WeakSet()


@dataclass(frozen=True)
class DirectoryEntry:
    account: ChannelAccount
    tenant_active: bool

    @property
    def usable(self) -> bool:
        """Whether callbacks for the account may be taken (account and tenant active)."""
        return self.account.active and self.tenant_active


class AccountDirectory:
    """``find(account_id)``: the account and whether its tenant is active, from memory when fresh."""

    def __init__(self, engine: Engine, ttl: float = DEFAULT_TTL, clock: Callable[[], float] = time.monotonic) -> None:
        self.engine = engine
        self._memo = Memo(self._load, ttl, clock)
        _directories.add(self)

    def find(self, account_id: int) -> DirectoryEntry | None:
        return self._memo.get(account_id)

    def forget(self) -> None:
        self._memo.forget()

    def _load(self, account_id: int) -> DirectoryEntry | None:
        with Session(self.engine, expire_on_commit=False) as session:
            found = session.execute(_ACCOUNT_AND_TENANT, {"account_id": account_id}).first()
            if found is None:
                return None
            account, tenant_active = found
            session.expunge(account)
            return DirectoryEntry(account, bool(tenant_active))


_ACCOUNT_AND_TENANT = (select(ChannelAccount, Tenant.active).join(Tenant, Tenant.id == ChannelAccount.tenant_id)
                       .where(ChannelAccount.id == bindparam("account_id")))


def forget_all() -> None:
    """Empty every directory of this process."""
    for directory in list(_directories):
        directory.forget()


_WATCHED = (ChannelAccount, Tenant)


@event.listens_for(OrmSession, "after_flush")
def _note_changes(session: OrmSession, _context) -> None:
    if any(isinstance(obj, _WATCHED) for obj in (*session.new, *session.dirty, *session.deleted)):
        session.info["scrm_accounts_changed"] = True


@event.listens_for(OrmSession, "after_commit")
def _forget_on_commit(session: OrmSession) -> None:
    if session.info.pop("scrm_accounts_changed", False):
        forget_all()
