"""The official-account part of the demo brand (the ``demo_data`` hook of ``scrm demo``), against the sandbox.

:func:`seed_demo` builds a :class:`DemoContext` (the sandbox URL and control client, the brand's two accounts) and
calls one function per area, in :data:`AREAS` order: ``scrm_official_account.demo_<area>.seed(tenant, session, demo,
ctx)`` for every area module that exists (``demo_accounts`` first: the accounts the others use). Each area keeps its
own seed idempotent (running ``scrm demo`` twice adds nothing).
"""

from __future__ import annotations

import importlib
import importlib.util
import logging
from dataclasses import dataclass, field
from typing import Any

from sqlmodel import Session

log = logging.getLogger(__name__)

AREAS: tuple[str, ...] = ("accounts", "messages", "fans", "stores", "qrcodes", "materials", "autoreply", "menus",
                          "masssend", "templates", "share")
"""The order areas are seeded in (later areas use what earlier ones made)."""


@dataclass
class DemoContext:
    """What every area's seed gets besides the hook's arguments."""

    sandbox_url: str
    platform: Any
    #: the brand's accounts by role: "brand" (the flagship service account) and "stores" (shared by the stores)
    accounts: dict[str, Any] = field(default_factory=dict)
    #: whatever an area leaves for the later ones (e.g. fans' openids per account)
    shared: dict[str, Any] = field(default_factory=dict)


def area_module(area: str):
    name = f"scrm_official_account.demo_{area}"
    if importlib.util.find_spec(name) is None:
        return None
    return importlib.import_module(name)


def seed_demo(tenant: Any, session: Session, demo: Any) -> None:
    """The ``demo_data`` hook: see the module docstring."""
    from scrm.sdk import current_bus

    from .accounts import PLUGIN

    ctx = DemoContext(sandbox_url=demo.sandbox_url(PLUGIN), platform=current_bus().platform)
    for area in AREAS:
        module = area_module(area)
        if module is not None:
            module.seed(tenant, session, demo, ctx)
            session.commit()
