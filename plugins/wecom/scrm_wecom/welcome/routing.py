"""The one place that decides which welcome a new friend gets.

Order: the resolver registered for the longest prefix of the event's ``state`` (live codes register ``lc:``; other
modules call ``register_state_prefix``; other plugins declare an entry point in group ``scrm_wecom.welcome_states``
named by the prefix, resolved only for tenants that enabled the declaring plugin); when it has no opinion (returns
None), the newest welcome message (by ``updated_at``) that includes the employee or all employees, through its time
segment; otherwise nothing. Exactly one caller (``welcome.dispatch.send_welcome``) acts on the decision, so modules
never race for the single-use welcome code.
"""

from __future__ import annotations

import importlib.metadata
import logging
import threading
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import exists, or_
from sqlmodel import Session, select

from scrm.sdk import Employee, current_bus

from .models import WelcomeMessage, WelcomeMessageEmployee
from .segments import matching_segment

log = logging.getLogger(__name__)

ENTRY_POINT_GROUP = "scrm_wecom.welcome_states"


@dataclass(frozen=True)
class NewFriend:
    """A friend-added event as the welcome resolvers see it."""

    tenant_id: int
    account_id: int
    userid: str
    external_userid: str
    state: str
    welcome_code: str
    added_at: datetime


@dataclass(frozen=True)
class WelcomeChoice:
    """The decision: ``content`` to send (empty: deliberately nothing) and ``ref``, the delivery ledger's task
    reference naming its origin (``live_code:3``, ``welcome:5``, ``welcome:5:segment:0``)."""

    content: dict[str, Any]
    ref: str


StateResolver = Callable[[Session, NewFriend], WelcomeChoice | None]


class StateRouter:
    """Resolvers by ``state`` prefix; the longest registered prefix of a state wins."""

    def __init__(self) -> None:
        self._resolvers: dict[str, StateResolver] = {}
        self._lock = threading.Lock()

    def register(self, prefix: str, resolver: StateResolver) -> None:
        """Route states starting with ``prefix`` to ``resolver``; a prefix is owned by one resolver."""
        if not prefix or len(prefix) > 20:
            raise ValueError("a state prefix has 1 to 20 characters")
        with self._lock:
            current = self._resolvers.get(prefix)
            if current is not None and current is not resolver:
                raise ValueError(f"state prefix {prefix!r} is already registered")
            self._resolvers[prefix] = resolver

    def unregister(self, prefix: str) -> None:
        with self._lock:
            self._resolvers.pop(prefix, None)

    def prefixes(self) -> list[str]:
        return sorted(self._resolvers)

    def resolver_for(self, state: str) -> StateResolver | None:
        if not state:
            return None
        matches = [p for p in self._resolvers if state.startswith(p)]
        return self._resolvers[max(matches, key=len)] if matches else None


ROUTER = StateRouter()


def register_state_prefix(prefix: str, resolver: StateResolver) -> None:
    """Let ``resolver`` decide the welcome of friends who add through a ``state`` starting with ``prefix``."""
    ROUTER.register(prefix, resolver)


def _entry_point_resolver(tenant_id: int, state: str) -> StateResolver | None:
    """A resolver another plugin declared for a prefix of ``state``, if that plugin is enabled for the tenant.

    The entry point's object is called with ``(session, friend)`` and returns None or a dict
    ``{"content": {"text", "attachments"}, "ref": str}``."""
    best = None
    for ep in importlib.metadata.entry_points(group=ENTRY_POINT_GROUP):
        if state.startswith(ep.name) and (best is None or len(ep.name) > len(best.name)):
            best = ep
    if best is None:
        return None
    platform = current_bus().platform
    owner = platform.registry.plugin_for_module(best.value.split(":")[0])
    if owner is None or not platform.plugin_enabled(tenant_id, owner):
        return None
    target = best.load()

    def resolve(session: Session, friend: NewFriend) -> WelcomeChoice | None:
        answer = target(session, friend)
        if not answer:
            return None
        return WelcomeChoice(dict(answer.get("content") or {}), str(answer.get("ref") or f"state:{best.name}")[:80])

    return resolve


def employee_welcome(session: Session, friend: NewFriend) -> WelcomeChoice | None:
    """The newest welcome message for the friend's employee (or for all employees), through its time segment."""
    for_employee = exists().where(
        WelcomeMessageEmployee.welcome_id == WelcomeMessage.id,
        WelcomeMessageEmployee.employee_id == Employee.id,
        Employee.tenant_id == friend.tenant_id, Employee.userid == friend.userid)
    message = session.exec(
        select(WelcomeMessage).where(WelcomeMessage.tenant_id == friend.tenant_id,
                                     or_(WelcomeMessage.all_employees, for_employee))
        .order_by(WelcomeMessage.updated_at.desc(), WelcomeMessage.id.desc()).limit(1)
    ).first()
    if message is None:
        return None
    if message.segmented:
        index = matching_segment(message.segments, friend.added_at)
        if index is not None:
            return WelcomeChoice(message.segments[index]["content"], f"welcome:{message.id}:segment:{index}")
    return WelcomeChoice(message.content, f"welcome:{message.id}")


def choose_welcome(session: Session, friend: NewFriend) -> WelcomeChoice | None:
    """The welcome ``friend`` gets, or None (the default: no welcome)."""
    resolver = ROUTER.resolver_for(friend.state)
    if resolver is None and friend.state:
        try:
            resolver = _entry_point_resolver(friend.tenant_id, friend.state)
        except Exception:  # a broken third-party resolver must not cost the friend the default welcome
            log.exception("welcome resolver for state %r failed to load", friend.state)
    if resolver is not None:
        try:
            choice = resolver(session, friend)
        except Exception:
            log.exception("welcome resolver for state %r failed", friend.state)
            choice = None
        if choice is not None:
            return choice
    return employee_welcome(session, friend)
