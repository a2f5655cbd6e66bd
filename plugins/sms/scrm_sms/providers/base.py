"""The provider interface: what an SMS vendor's client implements so that the channel can send through it.

A third party adds another vendor by subclassing ``SmsProvider`` in its own distribution and declaring it under the
entry-point group ``scrm_sms.providers`` (``[project.entry-points."scrm_sms.providers"] acme = "pkg.mod:AcmeSms"``);
``scrm_sms.providers.provider_class(name)`` finds it and the account form offers it. Everything here is plain data:
no database, no Flask, so a provider is unit-tested against its vendor's documentation alone.

Errors: every refusal by the vendor is a ``ProviderError`` whose ``reason`` is one of ``REASONS`` (the operator's
words for it come from ``scrm_sms.labels``) and whose ``code`` is the vendor's own. ``retryable`` is True only when
the vendor surely took nothing (throttled, busy); sends are not idempotent at Aliyun or Tencent, so a request whose
answer was lost raises ``OutcomeUnknown`` and is resolved later by ``query_status`` with the out id, never sent again.
"""

from __future__ import annotations

from abc import ABC, abstractmethod
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any, ClassVar

# -- failure reasons (stable codes; labels in scrm_sms.labels) ------------------------------------------------------
BALANCE = "balance"  #: the vendor account has no money or package left
TEMPLATE = "template"  #: template missing, not approved, or parameters not matching it
SIGNATURE = "signature"  #: sign name missing, not approved, or not the account's
RATE_LIMIT = "rate_limit"  #: throttled: per-number business limits (retrying today will not help) or API QPS
ILLEGAL_NUMBER = "illegal_number"  #: not a valid mobile number (or an international one the account cannot reach)
AUTH = "auth"  #: the access key / secret is wrong, disabled, or the signature of the request did not match
CONTENT = "content"  #: content refused by the vendor (sensitive words, too long)
UNKNOWN = "unknown"  #: any other code: shown with the vendor's code and message
REASONS = (BALANCE, TEMPLATE, SIGNATURE, RATE_LIMIT, ILLEGAL_NUMBER, AUTH, CONTENT, UNKNOWN)

# -- review states of templates and signatures -----------------------------------------------------------------------
PENDING, APPROVED, REJECTED = "pending", "approved", "rejected"

# -- delivery states reported by the vendor -------------------------------------------------------------------------
DELIVERED, FAILED, SENT = "delivered", "failed", "sent"


class ProviderError(Exception):
    """The vendor refused a call: ``reason`` (one of ``REASONS``), the vendor's ``code`` and ``message``.

    ``retryable``: the vendor surely took nothing and a later attempt may succeed (API throttling, "busy"). Never
    set for a per-number business limit (tomorrow, not in a minute) nor for anything after the message may have gone
    out."""

    def __init__(self, reason: str, code: str, message: str = "", *, retryable: bool = False,
                 request_id: str = "") -> None:
        super().__init__(f"{code}: {message}" if message else code)
        self.reason, self.code, self.message = reason, str(code), str(message)
        self.retryable, self.request_id = retryable, request_id


class Unreachable(Exception):
    """The vendor could not be reached at all (connection refused, DNS): the request never left, nothing was sent."""


class OutcomeUnknown(Exception):
    """The request went out but no answer came back (timeout, connection reset, a 5xx without a body): the message
    may or may not have been sent. Resolve it with ``query_status``; never send it again blindly."""


@dataclass(frozen=True)
class Credentials:
    """An account's settings as a provider needs them. ``key_id`` / ``key_secret`` are the AccessKeyId /
    AccessKeySecret (Aliyun) or SecretId / SecretKey (Tencent); ``app_id`` the SmsSdkAppId (Tencent only);
    ``api_base`` overrides the vendor's endpoint (the sandbox); ``region`` the vendor's region id."""

    key_id: str
    key_secret: str
    region: str = ""
    app_id: str = ""
    api_base: str = ""

    def __repr__(self) -> str:  # never print the secret
        return f"Credentials(key_id={self.key_id!r}, region={self.region!r}, app_id={self.app_id!r})"


@dataclass(frozen=True)
class SmsRequest:
    """One message to one mainland mobile (11 digits): a template of the vendor with its parameters in the order of
    the template's variables, under a sign name. ``out_id`` is the platform's key of the send (the ledger row's
    idempotency key or id); vendors echo it in reports and answer status queries by it."""

    mobile: str
    sign_name: str
    template_code: str
    params: Mapping[str, str] = field(default_factory=dict)
    out_id: str = ""


@dataclass(frozen=True)
class SendOutcome:
    """The vendor's answer for one number: ``ok`` with its message id (``BizId`` / ``SerialNo``), else the error."""

    mobile: str
    ok: bool
    message_id: str = ""
    error: ProviderError | None = None
    fee: int | None = None  #: billed segments when the vendor says (Tencent's ``Fee``)


@dataclass(frozen=True)
class StatusReport:
    """What became of one message: ``status`` (``DELIVERED`` / ``FAILED`` / ``SENT`` still waiting for the
    carrier), the vendor's ``message_id`` and the platform's ``out_id`` when known, the carrier's code."""

    mobile: str
    status: str
    message_id: str = ""
    out_id: str = ""
    code: str = ""
    description: str = ""
    reported_at: datetime | None = None
    segments: int | None = None


@dataclass(frozen=True)
class Uplink:
    """A reply from a mobile to the account (an uplink SMS)."""

    mobile: str
    text: str
    sign_name: str = ""
    extend_code: str = ""
    received_at: datetime | None = None
    ident: str = ""  #: the vendor's id of the reply when it has one (dedupe)


@dataclass(frozen=True)
class ReviewResult:
    """A template's or signature's review by the vendor (carrier): ``kind`` ``"template"`` or ``"signature"``,
    ``ref`` the template code / sign name, ``status`` ``PENDING`` / ``APPROVED`` / ``REJECTED`` and the reason."""

    kind: str
    ref: str
    status: str
    reason: str = ""


@dataclass(frozen=True)
class TemplateDraft:
    """A template to file for review: ``content`` in the vendor's syntax (``${name}`` at Aliyun; Tencent uses
    ``{1}``.. and the client converts), ``category`` ``marketing`` or ``notification``, ``remark`` for the reviewer."""

    name: str
    content: str
    category: str
    remark: str = ""


@dataclass(frozen=True)
class SignatureDraft:
    """A sign name to file: ``name`` (2-20 characters, without 【】), ``source`` the vendor's proof type code,
    ``remark`` for the reviewer."""

    name: str
    remark: str = ""
    source: str = ""


Callback = StatusReport | Uplink | ReviewResult


class SmsProvider(ABC):
    """One SMS vendor's API with one account's credentials. Subclasses set ``name`` (the entry-point name), ``title``
    (shown in the account form), ``batch_max`` (numbers per batch call) and implement the methods below."""

    name: ClassVar[str] = ""
    title: ClassVar[str] = ""
    batch_max: ClassVar[int] = 1
    default_region: ClassVar[str] = ""
    #: the vendor needs an application id besides the key pair (Tencent's SmsSdkAppId)
    needs_app_id: ClassVar[bool] = False

    def __init__(self, credentials: Credentials, *, timeout: float = 10.0,
                 clock: Callable[[], float] | None = None) -> None:
        import time

        self.credentials = credentials
        self.timeout = timeout
        self.clock = clock or time.time

    # -- sending ----------------------------------------------------------------------------------------------------

    def send(self, request: SmsRequest) -> SendOutcome:
        """Send one message; raises ``ProviderError`` for a request-level refusal (auth, balance ...),
        ``Unreachable`` or ``OutcomeUnknown``; a per-number refusal comes back as a failed ``SendOutcome``."""
        [outcome] = self.send_batch([request])
        return outcome

    @abstractmethod
    def send_batch(self, requests: Sequence[SmsRequest]) -> list[SendOutcome]:
        """Send up to ``batch_max`` messages of one template and sign name in one call; one outcome per request,
        in order."""

    @abstractmethod
    def query_status(self, mobile: str, *, message_id: str = "", out_id: str = "",
                     sent_on: date | None = None) -> StatusReport | None:
        """What became of a message sent to ``mobile`` on ``sent_on`` (the vendors keep 30 days or so): by its
        ``message_id`` when known, else by the platform's ``out_id``. None when the vendor has no such message (it
        was never sent)."""

    # -- review of templates and signatures ----------------------------------------------------------------------------

    @abstractmethod
    def submit_template(self, draft: TemplateDraft) -> str:
        """File a template for review; returns the vendor's template code (pending)."""

    @abstractmethod
    def query_template(self, code: str) -> ReviewResult:
        """The review state of a template."""

    @abstractmethod
    def delete_template(self, code: str) -> None:
        """Delete a template at the vendor."""

    @abstractmethod
    def submit_signature(self, draft: SignatureDraft) -> str:
        """File a sign name for review; returns the name the vendor knows it by."""

    @abstractmethod
    def query_signature(self, name: str) -> ReviewResult:
        """The review state of a sign name."""

    @abstractmethod
    def delete_signature(self, name: str) -> None:
        """Delete a sign name at the vendor."""

    # -- checking and callbacks -----------------------------------------------------------------------------------------

    @abstractmethod
    def check(self) -> str:
        """A cheap authenticated call proving the key pair works (no message is sent); returns a short summary.
        Raises ``ProviderError`` (``AUTH`` for a wrong key) or ``Unreachable``."""

    @abstractmethod
    def parse_callback(self, body: bytes, content_type: str = "") -> list[Callback]:
        """The items of one HTTP callback the vendor pushed: delivery reports, uplink replies, review results.
        Raises ``ValueError`` for a body that is not one of the vendor's callback shapes."""

    def callback_answer(self, ok: bool) -> tuple[str, int]:
        """The body and HTTP status the vendor expects in answer to a callback (JSON text)."""
        return ('{"code":0,"msg":"ok"}', 200) if ok else ('{"code":1,"msg":"refused"}', 400)


def decode_json(body: bytes) -> Any:
    """JSON from a vendor's body; ``ValueError`` when it is not JSON."""
    import json

    try:
        return json.loads(body.decode("utf-8") if isinstance(body, bytes | bytearray) else body)
    except (UnicodeDecodeError, json.JSONDecodeError) as exc:
        raise ValueError(f"not JSON: {exc}") from None


def beijing_today(timestamp: float) -> date:
    """The date in China (UTC+8) at ``timestamp``: the vendors keep and query send records by Beijing date."""
    from datetime import UTC, timedelta

    return (datetime.fromtimestamp(timestamp, UTC) + timedelta(hours=8)).date()
