"""Inbound official-account callbacks as typed events (protocols.md §3.2).

:func:`parse_inbound` turns a parsed callback message into an :class:`InboundEvent`: its domain event ``type`` (the
constants below), the fan's ``openid`` and a ``payload`` in snake_case. The callback uses it to find a passive reply
(:mod:`.replies`); the processing job publishes it as a domain event of the tenant (``scrm.sdk.publish``), which
every area subscribes to through its ``events.py`` (``EVENT_TYPES`` + ``on_domain_event(event, session)``).

Every payload carries ``account_id``, ``appid``, ``openid``, ``create_time`` (int, WeChat's seconds), ``inbound_id``
(the stored callback) and, for messages, ``msg_id``. Further keys per type:

================================  ======================================================================================
``EVENT_SUBSCRIBED``              ``scene`` (the scene of a parameter QR code without ``qrscene_``, or None), ``ticket``
``EVENT_UNSUBSCRIBED``            –
``EVENT_SCANNED``                 ``scene`` (EventKey), ``ticket`` (a follower scanned a parameter QR code)
``EVENT_TEXT``                    ``content``
``EVENT_IMAGE``                   ``pic_url``, ``media_id``
``EVENT_VOICE``                   ``media_id``, ``format``, ``recognition``
``EVENT_VIDEO``                   ``media_id``, ``thumb_media_id``, ``short`` (True for ``shortvideo``)
``EVENT_LOCATION``                ``latitude``, ``longitude``, ``scale``, ``label``
``EVENT_LINK``                    ``title``, ``description``, ``url``
``EVENT_MENU_CLICK``              ``key`` (EventKey), ``menu_id``
``EVENT_MENU_VIEW``               ``url`` (EventKey), ``menu_id``
``EVENT_LOCATION_REPORTED``       ``latitude``, ``longitude``, ``precision`` (the LOCATION event)
``EVENT_TEMPLATE_SEND_FINISHED``  ``msg_id`` (MsgID), ``status`` (``success`` / ``failed:user block`` /
                                  ``failed:system failed``, spaces normalised), ``ok`` (bool)
``EVENT_MASS_SEND_FINISHED``      ``msg_id`` (MsgID), ``status``, ``total_count``, ``filter_count``, ``sent_count``,
                                  ``error_count``
``EVENT_OTHER``                   ``event`` / ``msg_type`` and the raw fields in snake_case
================================  ======================================================================================
"""

from __future__ import annotations

import hashlib
import re
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

PREFIX = "official_account."
EVENT_SUBSCRIBED = PREFIX + "subscribed"
EVENT_UNSUBSCRIBED = PREFIX + "unsubscribed"
EVENT_SCANNED = PREFIX + "scanned"
EVENT_TEXT = PREFIX + "text_received"
EVENT_IMAGE = PREFIX + "image_received"
EVENT_VOICE = PREFIX + "voice_received"
EVENT_VIDEO = PREFIX + "video_received"
EVENT_LOCATION = PREFIX + "location_received"
EVENT_LINK = PREFIX + "link_received"
EVENT_MENU_CLICK = PREFIX + "menu_clicked"
EVENT_MENU_VIEW = PREFIX + "menu_viewed"
EVENT_LOCATION_REPORTED = PREFIX + "location_reported"
EVENT_TEMPLATE_SEND_FINISHED = PREFIX + "template_send_finished"
EVENT_MASS_SEND_FINISHED = PREFIX + "mass_send_finished"
EVENT_OTHER = PREFIX + "other_received"

MESSAGE_EVENTS: dict[str, str] = {"text": EVENT_TEXT, "image": EVENT_IMAGE, "voice": EVENT_VOICE,
                                  "video": EVENT_VIDEO, "shortvideo": EVENT_VIDEO, "location": EVENT_LOCATION,
                                  "link": EVENT_LINK}
"""MsgType of a fan's message → its domain event type."""
MESSAGE_TYPES = frozenset(set(MESSAGE_EVENTS.values()))
"""The events that are messages a fan wrote (they open the 48-hour window of 消息管理)."""
ALL_EVENT_TYPES = frozenset({EVENT_SUBSCRIBED, EVENT_UNSUBSCRIBED, EVENT_SCANNED, *MESSAGE_TYPES, EVENT_MENU_CLICK,
                             EVENT_MENU_VIEW, EVENT_LOCATION_REPORTED, EVENT_TEMPLATE_SEND_FINISHED,
                             EVENT_MASS_SEND_FINISHED, EVENT_OTHER})

SCENE_PREFIX = "qrscene_"
_INT_FIELDS = frozenset({"TotalCount", "FilterCount", "SentCount", "ErrorCount", "MenuId", "Scale"})


@dataclass
class InboundEvent:
    """One inbound callback, typed. ``message`` is the parsed XML (WeChat's field names)."""

    type: str
    openid: str
    create_time: int | None
    payload: dict[str, Any] = field(default_factory=dict)
    message: Mapping[str, Any] = field(default_factory=dict)

    @property
    def is_message(self) -> bool:
        return self.type in MESSAGE_TYPES


def _text(message: Mapping[str, Any], name: str) -> str:
    value = message.get(name)
    return value.strip() if isinstance(value, str) else ""


def _int(value: Any) -> int | None:
    text = str(value or "").strip()
    return int(text) if text.lstrip("-").isdigit() else None


def _float(value: Any) -> float | None:
    try:
        return float(str(value).strip())
    except (TypeError, ValueError):
        return None


def _snake(name: str) -> str:
    return re.sub(r"(?<=[a-z0-9])(?=[A-Z])", "_", name).lower()


def normalise_status(status: str) -> str:
    """``failed: system failed`` and ``failed:system failed`` are the same status (protocols.md §3.2)."""
    return re.sub(r"\s*:\s*", ":", status.strip())


def parse_inbound(message: Mapping[str, Any]) -> InboundEvent:
    """The typed event of a parsed callback message (see the module docstring)."""
    msg_type = _text(message, "MsgType").lower()
    openid = _text(message, "FromUserName")
    create_time = _int(message.get("CreateTime"))
    payload: dict[str, Any] = {"openid": openid, "create_time": create_time}
    if msg_type != "event":
        payload["msg_id"] = _text(message, "MsgId") or None
        type = MESSAGE_EVENTS.get(msg_type, EVENT_OTHER)
        if type == EVENT_TEXT:
            payload["content"] = message.get("Content") if isinstance(message.get("Content"), str) else ""
        elif type == EVENT_IMAGE:
            payload.update(pic_url=_text(message, "PicUrl"), media_id=_text(message, "MediaId"))
        elif type == EVENT_VOICE:
            payload.update(media_id=_text(message, "MediaId"), format=_text(message, "Format"),
                           recognition=_text(message, "Recognition") or None)
        elif type == EVENT_VIDEO:
            payload.update(media_id=_text(message, "MediaId"), thumb_media_id=_text(message, "ThumbMediaId"),
                           short=msg_type == "shortvideo")
        elif type == EVENT_LOCATION:
            payload.update(latitude=_float(message.get("Location_X")), longitude=_float(message.get("Location_Y")),
                           scale=_int(message.get("Scale")), label=_text(message, "Label"))
        elif type == EVENT_LINK:
            payload.update(title=_text(message, "Title"), description=_text(message, "Description"),
                           url=_text(message, "Url"))
        else:
            payload["msg_type"] = msg_type
        return InboundEvent(type, openid, create_time, payload, message)
    event = _text(message, "Event")
    key = _text(message, "EventKey")
    lowered = event.lower()
    if lowered == "subscribe":
        scene = key[len(SCENE_PREFIX):] if key.startswith(SCENE_PREFIX) else None
        payload.update(scene=scene or None, ticket=_text(message, "Ticket") or None)
        type = EVENT_SUBSCRIBED
    elif lowered == "unsubscribe":
        type = EVENT_UNSUBSCRIBED
    elif lowered == "scan":
        payload.update(scene=key or None, ticket=_text(message, "Ticket") or None)
        type = EVENT_SCANNED
    elif lowered == "click":
        payload.update(key=key, menu_id=_int(message.get("MenuId")))
        type = EVENT_MENU_CLICK
    elif lowered == "view":
        payload.update(url=key, menu_id=_int(message.get("MenuId")))
        type = EVENT_MENU_VIEW
    elif lowered == "location":
        payload.update(latitude=_float(message.get("Latitude")), longitude=_float(message.get("Longitude")),
                       precision=_float(message.get("Precision")))
        type = EVENT_LOCATION_REPORTED
    elif lowered == "templatesendjobfinish":
        status = normalise_status(_text(message, "Status"))
        payload.update(msg_id=_text(message, "MsgID") or _text(message, "MsgId") or None, status=status,
                       ok=status == "success")
        type = EVENT_TEMPLATE_SEND_FINISHED
    elif lowered == "masssendjobfinish":
        payload.update(msg_id=_text(message, "MsgID") or _text(message, "MsgId") or None,
                       status=normalise_status(_text(message, "Status")),
                       **{_snake(name): _int(message.get(name))
                          for name in ("TotalCount", "FilterCount", "SentCount", "ErrorCount")})
        type = EVENT_MASS_SEND_FINISHED
    else:
        payload["event"] = event
        for name, value in message.items():
            if name not in ("ToUserName", "FromUserName", "CreateTime", "MsgType", "Event"):
                payload[_snake(name)] = _int(value) if name in _INT_FIELDS else value
        type = EVENT_OTHER
    return InboundEvent(type, openid, create_time, payload, message)


def dedupe_key(message: Mapping[str, Any], plaintext: str) -> str:
    """WeChat's advice (protocols.md §1.2): messages by ``MsgId``, events by ``FromUserName`` + ``CreateTime`` (with
    the event name and key, so two different events of one second stay two); otherwise a hash of the body."""
    msg_id = message.get("MsgId")
    if _text(message, "MsgType").lower() != "event" and isinstance(msg_id, str) and msg_id.strip():
        return f"msg:{msg_id.strip()[:120]}"
    openid, created = _text(message, "FromUserName"), _text(message, "CreateTime")
    if openid and created:
        parts = "\x1f".join((openid, created, _text(message, "Event"), _text(message, "EventKey"),
                             _text(message, "MsgID")))
        return "event:" + hashlib.sha256(parts.encode("utf-8")).hexdigest()
    return "body:" + hashlib.sha256(plaintext.encode("utf-8")).hexdigest()
