"""Group welcome templates (入群欢迎语): text plus at most one image or link, registered with WeCom.

Other plugins (community) read them through :func:`group_welcome_templates`, re-exported by ``scrm_wecom``.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlmodel import Session


@dataclass(frozen=True)
class GroupWelcome:
    """A group welcome template as other features see it."""

    id: int
    account_id: int
    template_id: str  # WeCom's id: employees apply this template to their group chats
    text: str
    kind: str  # text, text_image or text_link
    attachment: dict[str, Any]


def group_welcome_templates(session: Session, tenant_id: int, account_id: int | None = None) -> list[GroupWelcome]:
    """The tenant's group welcome templates, newest first (only one account's with ``account_id``)."""
    from .service import kind_of, newest_first

    return [GroupWelcome(r.id, r.account_id, r.template_id, r.text, kind_of(r), dict(r.attachment or {}))
            for r in newest_first(session, tenant_id, account_id)]


__all__ = ["GroupWelcome", "group_welcome_templates"]
