"""The finished events of mass sends and template messages:

* ``MASSSENDJOBFINISH`` → the mass send's WeChat figures (:func:`.dispatch.apply_finished`);
* ``TEMPLATESENDJOBFINISH`` → the template message's ledger row (found by WeChat's msgid, the row's provider id):
  ``success`` delivered, ``failed:user block`` failed (code ``oa_template_user_block``), ``failed:system failed``
  failed (``oa_template_system_failed``). Both are idempotent (forward-only ledger moves; the figures are set, not
  added)."""

from __future__ import annotations

from scrm.sdk import DeliveryStatus, mark_delivery_report

from ..events import EVENT_MASS_SEND_FINISHED, EVENT_TEMPLATE_SEND_FINISHED

EVENT_TYPES = frozenset({EVENT_MASS_SEND_FINISHED, EVENT_TEMPLATE_SEND_FINISHED})
TEMPLATE_FAILURES = {"failed:user block": "oa_template_user_block",
                     "failed:system failed": "oa_template_system_failed"}


def on_domain_event(event, session) -> None:
    payload = event.payload or {}
    account_id = payload.get("account_id")
    msg_id = str(payload.get("msg_id") or "")
    if not account_id or not msg_id:
        return
    if event.type == EVENT_MASS_SEND_FINISHED:
        from .dispatch import apply_finished

        apply_finished(session, event.tenant_id, int(account_id), {
            "MsgID": msg_id, "Status": payload.get("status"), "TotalCount": payload.get("total_count"),
            "FilterCount": payload.get("filter_count"), "SentCount": payload.get("sent_count"),
            "ErrorCount": payload.get("error_count")})
        return
    status = str(payload.get("status") or "")
    if status == "success":
        mark_delivery_report(session, event.tenant_id, "official_account", msg_id, DeliveryStatus.DELIVERED,
                             account_id=int(account_id))
    else:
        mark_delivery_report(session, event.tenant_id, "official_account", msg_id, DeliveryStatus.FAILED,
                             error_code=TEMPLATE_FAILURES.get(status, "oa_template_failed"), error=status[:200],
                             account_id=int(account_id))
