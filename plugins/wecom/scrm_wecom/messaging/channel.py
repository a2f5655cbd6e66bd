"""WeCom as a channel of the platform's outbound path: what it sends, how fast, and the provider call of one send.

What WeCom's server API sends one recipient at once, and so what the channel declares (``WeComPlugin.capabilities``):

* ``text`` and ``textcard``: application messages (``message/send``) to an employee, the recipient a userid;
* ``welcome``: the welcome of a new friend (``externalcontact/send_welcome_msg``), the recipient the customer's
  external_userid. Its payload carries the single-use welcome code and the welcome content: a text and up to nine
  attachments (image, link, mini program, video, file), sent as one message.

Messages to customers outside a welcome (text, image, link, mini program ...) go through WeCom's mass-message tasks
(``add_msg_template``), which an employee confirms in the client: a task for many customers, not one send, so they
are not declared here (WeCom mass sending adds them).

Rate (``WeComPlugin.rate_limit``): WeCom allows a corp at most 10,000 calls a minute to any one API (about 166 a second; more
answers 45009 / 45033). One account's sends of every kind share 150 a second: under that limit, and far above a burst
of welcomes (1,000 friend adds in 20 seconds is 50 a second). An account may set ``config["rate_limit"]``.
"""

from __future__ import annotations

from scrm.sdk import Outgoing, SendResult, current_bus

from ..client import WeComClient
from .dispatch import send_app_message

WELCOME = "welcome"


def deliver(account, outgoing: Outgoing) -> SendResult:
    """The provider call of one send: a welcome with its code, else an app message to an employee."""
    client = WeComClient.for_account(account, current_bus().platform)
    if outgoing.message.kind == WELCOME:
        from ..welcome.dispatch import deliver_welcome

        return deliver_welcome(client, outgoing)
    return send_app_message(client, outgoing)
