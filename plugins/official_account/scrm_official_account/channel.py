"""The channel contract: ``deliver`` one customer-service or template message (called by the platform's send job).

Message kinds (``OutboundMessage.kind`` and payload) → WeChat:

* ``text`` {content} / ``image`` {media_id} / ``voice`` {media_id} / ``video`` {media_id, title?, description?} /
  ``news`` {articles: [{title, description, url, picurl}]} (one article, WeChat's limit for custom news) /
  ``mpnews`` {media_id} / ``miniprogram`` {appid, page (pagepath), title, thumb_media_id}: ``POST
  /cgi-bin/message/custom/send`` (only within 48 h of the fan's last interaction);
* ``template`` {template_id, params {keyword: value} or data {keyword: {"value"}}, url?, miniprogram?}: ``POST
  /cgi-bin/message/template/send`` with ``client_msg_id`` = the ledger's idempotency key (WeChat sends once per id),
  returning WeChat's ``msgid`` as the provider id (the ``TEMPLATESENDJOBFINISH`` event reports the outcome).

Errors: :data:`ERRORS` maps WeChat's codes to the ledger's; rate limits and busy are retryable, everything else is
final. ``query_outcome`` resolves a template send of unknown outcome by sending again with the same
``client_msg_id`` (WeChat answers the first msgid and sends nothing new); a custom message cannot be asked about.
"""

from __future__ import annotations

from typing import Any

from flask_babel import lazy_gettext as _l

from scrm.sdk import SendResult, current_bus, register_labels
from scrm.sdk.wechat import WeChatAPIError

from .client import OAClient, OAUnavailable

ERRORS: dict[int, tuple[str, bool]] = {
    45015: ("oa_out_of_window", False),  # response out of time limit (48 h) or unsubscribed
    45047: ("oa_window_quota", False),  # out of response count limit
    40003: ("oa_invalid_openid", False),
    43004: ("oa_not_subscribed", False),
    43019: ("oa_blocked", False),  # the fan blocked the account
    48002: ("oa_refused", False),  # the fan refused messages
    40037: ("oa_invalid_template", False),
    47003: ("oa_invalid_argument", False),
    40008: ("oa_invalid_message_type", False),
    40007: ("oa_invalid_media_id", False),
    45009: ("oa_rate_limited", True),
    45011: ("oa_rate_limited", True),
    -1: ("oa_busy", True),
}
"""WeChat errcode → (ledger error code, retryable)."""

#: core's code set of why a ledger row was not sent: the official account's codes (shown by ``delivery_reason``)
register_labels("delivery.reason", {
    "oa_out_of_window": _l("More than 48 hours since the fan's last message, or the fan unfollowed"),
    "oa_window_quota": _l("Reply limit reached for this conversation"),
    "oa_invalid_openid": _l("Unknown fan of this account"),
    "oa_not_subscribed": _l("The fan does not follow the account"),
    "oa_blocked": _l("The fan blocked the account"),
    "oa_refused": _l("The fan refused messages"),
    "oa_invalid_template": _l("Unknown template"),
    "oa_invalid_argument": _l("Invalid template content"),
    "oa_invalid_message_type": _l("Unsupported message type"),
    "oa_invalid_media_id": _l("Unknown material"),
    "oa_rate_limited": _l("Rate limited by WeChat"),
    "oa_busy": _l("WeChat is busy"),
    "oa_unreachable": _l("WeChat could not be reached"),
    "oa_mass_row": _l("Part of a mass send: sent with the mass send"),
})


class UnsupportedContent(ValueError):
    pass


def custom_body(openid: str, kind: str, payload: dict[str, Any]) -> dict[str, Any]:
    """The ``/cgi-bin/message/custom/send`` body of a message."""
    if kind == "text":
        return {"touser": openid, "msgtype": "text", "text": {"content": str(payload.get("content") or "")}}
    if kind in ("image", "voice", "mpnews"):
        return {"touser": openid, "msgtype": kind, kind: {"media_id": str(payload.get("media_id") or "")}}
    if kind == "video":
        return {"touser": openid, "msgtype": "video",
                "video": {"media_id": str(payload.get("media_id") or ""),
                          "thumb_media_id": str(payload.get("thumb_media_id") or payload.get("media_id") or ""),
                          "title": str(payload.get("title") or ""),
                          "description": str(payload.get("description") or "")}}
    if kind == "news":
        articles = list(payload.get("articles") or [])[:1]
        return {"touser": openid, "msgtype": "news",
                "news": {"articles": [{"title": a.get("title", ""), "description": a.get("description", ""),
                                       "url": a.get("url", ""), "picurl": a.get("picurl", "")} for a in articles]}}
    if kind == "miniprogram":
        return {"touser": openid, "msgtype": "miniprogrampage",
                "miniprogrampage": {"title": str(payload.get("title") or ""), "appid": str(payload.get("appid") or ""),
                                    "pagepath": str(payload.get("page") or payload.get("pagepath") or ""),
                                    "thumb_media_id": str(payload.get("thumb_media_id") or
                                                          payload.get("media_id") or "")}}
    raise UnsupportedContent(kind)


def template_body(openid: str, payload: dict[str, Any], client_msg_id: str) -> dict[str, Any]:
    """The ``/cgi-bin/message/template/send`` body (values ≤ 20 characters, no line breaks since 2023-05-04)."""
    data = payload.get("data")
    if not isinstance(data, dict):
        data = {name: {"value": str(value)} for name, value in (payload.get("params") or {}).items()}
    body: dict[str, Any] = {"touser": openid, "template_id": str(payload.get("template_id") or ""), "data": data,
                            "client_msg_id": client_msg_id[:64]}
    if payload.get("url"):
        body["url"] = str(payload["url"])
    if isinstance(payload.get("miniprogram"), dict):
        body["miniprogram"] = payload["miniprogram"]
    return body


def _client(account: Any) -> OAClient:
    return OAClient.for_account(account, current_bus().platform, timeout=8.0, backoff=())


def _failure(exc: WeChatAPIError) -> SendResult:
    code, retryable = ERRORS.get(exc.errcode, (str(exc.errcode), False))
    return SendResult.failed(code, f"{exc.errcode} {exc.errmsg}".strip(), retryable=retryable)


def deliver(account: Any, outgoing: Any) -> SendResult:
    message = outgoing.message
    kind = str(message.kind)
    if "mass_send_id" in (message.payload or {}):
        # a fan's row of a mass send goes out in the send's one message/mass/send call, never one by one: a second
        # guard besides the planner's claim on the rows
        return SendResult.failed("oa_mass_row", "sent by its mass send, not one by one")
    with _client(account) as client:
        try:
            if kind == "template":
                answer = client.send_template_message(template_body(outgoing.recipient, dict(message.payload),
                                                                    outgoing.idempotency_key))
                return SendResult.sent(str(answer.get("msgid") or ""))
            client.send_custom_message(custom_body(outgoing.recipient, kind, dict(message.payload)))
            return SendResult.sent(None)
        except UnsupportedContent:
            return SendResult.failed("oa_invalid_message_type", kind)
        except WeChatAPIError as exc:
            return _failure(exc)
        except OAUnavailable as exc:
            if "HTTP 5" in str(exc) or "ConnectError" in str(exc):
                return SendResult.failed("oa_unreachable", str(exc), retryable=True)
            raise  # a timeout after the request went out: the outcome is unknown (query_outcome)


def query_outcome(account: Any, outgoing: Any) -> SendResult | None:
    """Only template sends can be asked about: the same ``client_msg_id`` again returns the first msgid."""
    if str(outgoing.message.kind) != "template":
        return None
    try:
        return deliver(account, outgoing)
    except OAUnavailable:
        return None
