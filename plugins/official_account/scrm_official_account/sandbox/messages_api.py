"""Customer-service and template messages: ``/cgi-bin/message/custom/send`` (the 48-hour window: 45015 outside it or
after an unsubscribe, 45047 beyond 5 messages per interaction, 40003 unknown openid, 40008 bad msgtype) and
``/cgi-bin/message/template/send`` (40037 unknown template, 43004 not subscribed, 40003 unknown openid, 47003 a
value over 20 characters or with a line break; ``client_msg_id`` sends once; ``POST /sandbox/template_finish`` then
pushes the ``TEMPLATESENDJOBFINISH`` callbacks)."""

from __future__ import annotations

from typing import Any

from .routing import api, require
from .state import Account, SandboxError, SandboxState

CUSTOM_TYPES = frozenset({"text", "image", "voice", "video", "music", "news", "mpnews", "msgmenu",
                          "miniprogrampage", "mpnewsarticle"})


@api("/cgi-bin/message/custom/send")
def custom_send(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "touser", "msgtype")
    msgtype = str(payload["msgtype"])
    if msgtype not in CUSTOM_TYPES or not isinstance(payload.get(msgtype), dict):
        raise SandboxError(40008, "invalid message type")
    openid = str(payload["touser"])
    if openid not in account.fans:
        raise SandboxError(40003, "invalid openid")
    fan = state.check_window(account, openid)
    fan.replies_since += 1
    state.sent.append({"kind": "custom", "appid": account.appid, "touser": openid, "msgtype": msgtype,
                       "body": payload})
    return {}


@api("/cgi-bin/message/template/send")
def template_send(state: SandboxState, account: Account, payload: dict[str, Any]) -> dict[str, Any]:
    require(payload, "touser", "template_id")
    openid = str(payload["touser"])
    if account.templates and payload["template_id"] not in account.templates:
        raise SandboxError(40037, "invalid template_id")
    fan = account.fans.get(openid)
    if fan is None:
        raise SandboxError(40003, "invalid openid")
    if not fan.subscribed:
        raise SandboxError(43004, "require subscribe")
    for name, field in (payload.get("data") or {}).items():
        value = field.get("value") if isinstance(field, dict) else None
        if not isinstance(value, str) or len(value) > 20 or "\n" in value:
            raise SandboxError(47003, f"argument invalid! data.{name}.value invalid")
    msg_id = state.next_msg_id()
    client_msg_id = payload.get("client_msg_id")
    if client_msg_id:
        seen = state.area("template_client_ids")
        if client_msg_id in seen:
            return {"msgid": seen[client_msg_id]}
        seen[client_msg_id] = msg_id
    state.sent.append({"kind": "template", "appid": account.appid, "touser": openid, "msgid": msg_id,
                       "body": payload, "status": "failed:user block" if fan.blocked_template else "success"})
    return {"msgid": msg_id}
