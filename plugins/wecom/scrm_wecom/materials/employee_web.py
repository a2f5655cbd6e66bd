"""The request side of the employee H5 sign-in (:mod:`.oauth`) that every employee page shares (the chat sidebar,
the Moments phone page): the brand's WeCom account a page works with, the redirect to WeCom's authorisation, and the
return that signs the member in. Used inside a public route of the current tenant."""

from __future__ import annotations

from flask import abort, redirect, request

from scrm.sdk import ChannelAccount, channel_accounts
from scrm.sdk.web import current_tenant, db, platform
from scrm.sdk.wechat import WeChatAPIError

from . import oauth


def positive_id(raw: object) -> int | None:
    """A row id from a query or form value (None for anything else)."""
    try:
        value = int(raw)  # type: ignore[call-overload]
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def account_or_404(account_id: int | None) -> ChannelAccount:
    """The tenant's WeCom account ``account_id``, or its first one when none is named; 404 when there is none."""
    from ..accounts import PLUGIN

    accounts = list(channel_accounts(db(), current_tenant().id, PLUGIN))
    chosen = next((a for a in accounts if a.id == account_id), None) if account_id else (accounts[0] if accounts
                                                                                          else None)
    if chosen is None:
        abort(404)
    return chosen


def client_for(account: ChannelAccount):
    from ..client import WeComClient

    return WeComClient.for_account(account, platform())


def authorize(return_url_for):
    """Send a visitor who is not signed in to WeCom's authorisation; ``return_url_for(account_id)`` is the absolute
    address WeCom sends the code back to."""
    account = account_or_404(positive_id(request.args.get("account")))
    with client_for(account) as client:
        agent_id = client.agent_id
    return redirect(oauth.authorize_url(account, return_url_for(account.id), agent_id))


def complete_sign_in() -> None:
    """WeCom's answer: sign in the member of the corp whose code came back (403 for a bad state, a code WeCom
    refuses, or anyone who is not an active employee of this brand)."""
    account = account_or_404(positive_id(request.args.get("account")))
    if not oauth.state_ok(request.args.get("state")) or not request.args.get("code"):
        abort(403)
    try:
        with client_for(account) as client:
            userid = oauth.userid_for(client, request.args["code"])
    except WeChatAPIError:
        abort(403)
    employee = oauth.employee_of(db(), current_tenant().id, userid) if userid else None
    if employee is None:
        abort(403)
    oauth.sign_in(current_tenant().id, account.id, employee.id)
