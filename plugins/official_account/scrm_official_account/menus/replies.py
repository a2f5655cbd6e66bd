"""The passive reply of a menu item that sends a message: a CLICK event names the item's key; the published menus of
the account give its reply (a text, or a material of the account, read now so a news edit shows at once)."""

from __future__ import annotations

from typing import Any

from ..events import EVENT_MENU_CLICK
from ..replies import Reply, ReplyContext, reply_handler


def material_reply(view: Any, source: str) -> Reply | None:
    """A material (``materials.get_material``) as a passive reply."""
    if view is None or not view.media_id and view.kind != "news":
        return None
    if view.kind == "image":
        return Reply.image(view.media_id, source)
    if view.kind == "voice":
        return Reply.voice(view.media_id, source)
    if view.kind == "video":
        return Reply.video(view.media_id, view.title or view.name, view.description, source)
    if view.kind == "news":
        articles = [{"title": a.get("title", ""), "description": a.get("digest", ""), "picurl": a.get("picurl", ""),
                     "url": a.get("url", "")} for a in (view.articles or [])]
        return Reply.news(articles[:1], source) if articles else None
    return None


@reply_handler(EVENT_MENU_CLICK, order=20)
def menu_click_reply(ctx: ReplyContext) -> Reply | None:
    from ..materials import get_material
    from .service import click_reply

    key = str(ctx.event.payload.get("key") or "")
    if not key:
        return None
    reply = click_reply(ctx.session, ctx.tenant_id, ctx.account.id, key)
    if not reply:
        return None
    source = f"menu:click:{key}"
    if reply.get("kind") == "material" and reply.get("material_id"):
        return material_reply(get_material(ctx.session, ctx.tenant_id, ctx.account.id, int(reply["material_id"])),
                              source)
    text = str(reply.get("text") or "")
    return Reply.text(text, source) if text else None
