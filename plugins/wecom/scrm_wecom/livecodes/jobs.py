"""Jobs of live codes (queue ``wecom``)."""

from __future__ import annotations

import logging

from scrm.sdk import actor, current_bus, job_session
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import find_account, record_config_error
from ..client import WeComClient
from .friends import wecom_tag_ids

log = logging.getLogger(__name__)


@actor(max_retries=3, time_limit=30_000)
def mark_wecom_tags(tenant_id: int, *, account_id: int, userid: str, external_userid: str,
                    tag_ids: list[int]) -> None:
    """Mark in WeCom those of ``tag_ids`` that are WeCom corp tags on the customer as seen by ``userid``
    (``mark_tag``); tags that exist only locally stay local. Configuration errors go on the account's page."""
    with job_session() as session:
        account = find_account(session, tenant_id, account_id)
        if account is None:
            return
        wecom_ids = wecom_tag_ids(session, tenant_id, tag_ids)
        if not wecom_ids:
            return
        client = WeComClient.for_account(account, current_bus().platform)
        session.commit()  # no transaction stays open across the call (the token store writes in its own)
        with client:
            try:
                client.mark_tag(userid, external_userid, add=wecom_ids)
            except WeChatAPIError as exc:
                # not retried: the local tags stand, and the tag sync reconciles WeCom later
                if not record_config_error(session, account, exc.errcode, exc.errmsg or ""):
                    log.warning("mark_tag for %s failed: %s", external_userid, exc)
