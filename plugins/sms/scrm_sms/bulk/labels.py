"""Labels of the bulk-send codes: its statuses (code set ``sms.bulk_status``) and the ledger reasons this area
writes (core's ``delivery.reason``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

BULK_STATUS = "sms.bulk_status"
DELIVERY_REASON = "delivery.reason"

register_labels(BULK_STATUS, {"scheduled": _l("To be sent"), "sending": _l("Sending SMS"), "paused": _l("Paused"),
                              "finished": _l("Sent successfully"), "failed": _l("Sending failed"),
                              "cancelled": _l("Cancelled")})
register_labels(DELIVERY_REASON, {"sms_cancelled": _l("The bulk send was cancelled"),
                                  "INSUFFICIENT_BALANCE": _l("Insufficient SMS balance")})
