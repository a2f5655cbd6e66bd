"""The values of the outbound path: a message, one send handed to a channel, and the channel's answer."""

from __future__ import annotations

from dataclasses import dataclass, field
from enum import StrEnum
from typing import Any


class MessageKind(StrEnum):
    """Message kinds a channel may declare in ``ChannelPlugin.capabilities``. A channel may declare kinds of its own
    (plain strings); these are the ones features share, with the payload keys they carry."""

    TEXT = "text"  #: {"content": str}
    IMAGE = "image"  #: {"media_id": str} or {"url": str}
    LINK = "link"  #: {"title": str, "url": str, "description"?: str, "picurl"?: str}
    TEMPLATE = "template"  #: {"template_id": str, "params": {name: value}, "url"?: str} (SMS, OA templates)
    MINIPROGRAM = "miniprogram"  #: {"appid": str, "page": str, "title": str, "media_id"?: str}
    REDPACKET = "redpacket"  #: {"amount": int (fen), "wishing": str, "act_name"?: str}
    FILE = "file"  #: {"media_id": str}
    VIDEO = "video"  #: {"media_id": str}


@dataclass(frozen=True)
class OutboundMessage:
    """What to send: a ``kind`` (a ``MessageKind`` or a channel's own kind) and its JSON-serialisable ``payload``."""

    kind: str
    payload: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def text(cls, content: str) -> OutboundMessage:
        return cls(MessageKind.TEXT.value, {"content": content})

    def to_json(self) -> dict[str, Any]:
        """The form stored on the ledger row (``MessageDelivery.message``)."""
        return {"kind": str(self.kind), "payload": dict(self.payload)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> OutboundMessage:
        return cls(str(data.get("kind") or ""), dict(data.get("payload") or {}))


@dataclass(frozen=True)
class Outgoing:
    """One send handed to ``ChannelPlugin.deliver``: the ledger row's id, its idempotency key (pass it to providers
    that deduplicate, so a retried call cannot send twice), the recipient address on the channel, the message and the
    attempt number (1 for the first provider call)."""

    delivery_id: int
    tenant_id: int
    idempotency_key: str
    recipient: str
    message: OutboundMessage
    attempt: int = 1
    customer_id: int | None = None
    purpose: str | None = None


@dataclass(frozen=True)
class SendResult:
    """A channel's answer to one send. ``ok`` with the provider's message id (the key of later delivery reports), or a
    failure with the provider's code and message and whether trying again later may succeed (``retryable``: the
    provider surely did not take the message, e.g. rate limited, busy, connection refused)."""

    ok: bool
    provider_id: str | None = None
    error_code: str | None = None
    error: str | None = None
    retryable: bool = False
    #: the provider already reports the message delivered (some APIs answer synchronously)
    delivered: bool = False
    #: the provider declined the message for a reason that is no error (nothing was sent, nothing to retry: WeCom's
    #: 41051 "the customer already chats" for a welcome); the row ends ``skipped`` with the code
    skipped: bool = False

    @classmethod
    def sent(cls, provider_id: str | None, *, delivered: bool = False) -> SendResult:
        return cls(True, provider_id=provider_id, delivered=delivered)

    @classmethod
    def failed(cls, code: str, message: str = "", *, retryable: bool = False) -> SendResult:
        return cls(False, error_code=str(code)[:40], error=(message or None) and message[:500], retryable=retryable)

    @classmethod
    def declined(cls, code: str, message: str = "") -> SendResult:
        """The provider took nothing and nothing went wrong (see ``skipped``): the row ends skipped with ``code``."""
        return cls(False, error_code=str(code)[:40], error=(message or None) and message[:500], skipped=True)


class OutboundError(ValueError):
    """A send refused at call time (nothing was written)."""


class UnsupportedMessageKind(OutboundError):
    """The channel cannot send this kind of message (it is not in the channel's ``capabilities``)."""

    def __init__(self, channel: str, kind: str, capabilities: tuple[str, ...]) -> None:
        self.channel, self.kind, self.capabilities = channel, kind, tuple(capabilities)
        can = ", ".join(capabilities) or "nothing"
        super().__init__(f"channel '{channel}' cannot send '{kind}' messages (it sends: {can})")


class UnknownChannel(OutboundError):
    """The account's plugin is not an active channel plugin, or the account is missing or belongs to another tenant."""
