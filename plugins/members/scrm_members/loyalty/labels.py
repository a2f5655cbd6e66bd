"""Labels of the loyalty area's codes, registered with the shared code labels (``scrm.sdk.register_labels``) and
shown through ``code_label`` everywhere: order statuses, order import statuses, reminder statuses, and the customer
source of customers an order created."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

ORDER_STATUS = "members.order.status"
IMPORT_STATUS = "members.import.status"
NOTIFICATION_STATUS = "members.notification.status"

register_labels(ORDER_STATUS, {"created": _l("Not paid yet"), "paid": _l("Paid"),
                               "partially_refunded": _l("Partially refunded"), "refunded": _l("Refunded"),
                               "cancelled": _l("Cancelled")})
register_labels(IMPORT_STATUS, {"previewed": _l("Previewed"), "queued": _l("Queued"), "running": _l("Running"),
                                "done": _l("Done"), "failed": _l("Failed")})
register_labels(NOTIFICATION_STATUS, {"pending": _l("Pending"), "sent": _l("Sent"), "cancelled": _l("Cancelled")})
register_labels("customer.source", {"order": _l("Created from an order")})
