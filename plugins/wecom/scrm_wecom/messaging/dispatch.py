"""The provider call of one application message (``message/send``), made by the platform's send job through
``WeComPlugin.deliver``; the answer becomes a ``SendResult`` the platform records on the ledger row.

* sent: ``SendResult.sent`` with WeCom's ``msgid`` (the row's provider id); WeCom's answer is kept on the message;
* the userid is in WeCom's ``invaliduser`` answer, or WeCom answers 81013 (user, party and tag all invalid), 60111
  (unknown userid) or any other error code: failed with WeCom's code and message, not retried;
* WeCom busy (-1, 45009, 45033) or not reachable at all (connection refused, no token): a retryable failure, so the
  platform retries with backoff and marks the row failed with the code after its last attempt;
* the request went out but no answer came back (a read timeout, a 5xx): failed ``unavailable``, never sent again
  blindly (the employee may have the message already).
"""

from __future__ import annotations

import logging
from typing import Any

import httpx
from sqlalchemy import update

from scrm.sdk import Outgoing, SendResult, job_session
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import AccountNotConfigured
from ..client import WeComClient, WeComUnavailable
from .models import AppMessage

log = logging.getLogger(__name__)

#: WeCom's "busy" answers: the message was not taken, trying again later may work
TRANSIENT_CODES = frozenset({-1, 45009, 45033})
#: transport errors that prove the request never reached WeCom
NOT_SENT_ERRORS = (httpx.ConnectError, httpx.ConnectTimeout)


def send_app_message(client: WeComClient, outgoing: Outgoing) -> SendResult:
    """One ``message/send`` call of a ``text`` or ``textcard`` message to the employee ``outgoing.recipient`` (a
    userid); never raises."""
    userid, content = outgoing.recipient, dict(outgoing.message.payload)
    try:
        with client:
            if outgoing.message.kind == "textcard":
                response = client.send_app_textcard(title=content["title"], description=content["description"],
                                                    url=content["url"], button=content.get("btntxt"), users=[userid])
            else:
                response = client.send_app_text(content.get("content", ""), users=[userid])
    except WeChatAPIError as exc:
        keep_answer(outgoing, {"errcode": exc.errcode, "errmsg": exc.errmsg})
        return SendResult.failed(str(exc.errcode), exc.errmsg or str(exc), retryable=exc.errcode in TRANSIENT_CODES)
    except WeComUnavailable as exc:
        surely_not_sent = isinstance(exc.__cause__, NOT_SENT_ERRORS)
        return SendResult.failed("unavailable", str(exc) or "WeCom unavailable", retryable=surely_not_sent)
    except AccountNotConfigured as exc:
        return SendResult.failed("not_configured", str(exc))
    keep_answer(outgoing, response)
    invalid = [u for u in str(response.get("invaliduser") or "").split("|") if u]
    if userid in invalid:
        return SendResult.failed("invaliduser",
                                 f"WeCom cannot reach userid {userid} (unknown or outside the app's visible range)")
    return SendResult.sent(str(response.get("msgid") or "") or None)


def keep_answer(outgoing: Outgoing, response: dict[str, Any]) -> None:
    """Store WeCom's answer and the attempt number on the app message of the ledger row (its own short
    transaction: the provider call runs outside any)."""
    table = AppMessage.__table__
    with job_session() as session:
        session.execute(update(table).where(table.c.delivery_id == outgoing.delivery_id,
                                            table.c.tenant_id == outgoing.tenant_id)
                        .values(response=response, attempts=outgoing.attempt))
