"""Labels of the loyalty area's codes, registered with the shared code labels (``scrm.sdk.register_labels``) and
shown through ``code_label`` everywhere: order statuses, order import statuses, reminder statuses, and the customer
source of customers an order created, notification kinds and members' own timeline kinds (the line a profile shows
when no plugin renders the entry)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels
from scrm.sdk.timeline import TIMELINE_KIND

ORDER_STATUS = "members.order.status"
IMPORT_STATUS = "members.import.status"
NOTIFICATION_STATUS = "members.notification.status"
NOTIFICATION_KIND = "members.notification.kind"

register_labels(ORDER_STATUS, {"created": _l("Not paid yet"), "paid": _l("Paid"),
                               "partially_refunded": _l("Partially refunded"), "refunded": _l("Refunded"),
                               "cancelled": _l("Cancelled")})
register_labels(IMPORT_STATUS, {"previewed": _l("Previewed"), "queued": _l("Queued"), "running": _l("Running"),
                                "done": _l("Done"), "failed": _l("Failed")})
register_labels(NOTIFICATION_STATUS, {"pending": _l("Pending"), "sent": _l("Sent"), "cancelled": _l("Cancelled")})
register_labels("customer.source", {"order": _l("Created from an order")})
register_labels(NOTIFICATION_KIND, {"stage_follow_up": _l("Stage follow-up"), "stage_change": _l("Stage change")})
# the members plugin's own timeline entries, shown by their kind's label in the user's language (the rows keep an
# English summary with the details for exports and audits)
register_labels(TIMELINE_KIND, {"members.created": _l("Customer created"), "members.imported": _l("Imported"),
                                "members.profile_updated": _l("Profile updated"),
                                "members.transfer": _l("Owner transfer"),
                                "members.level_changed": _l("Member level changed"),
                                "members.stage_changed": _l("Lifecycle stage changed")})
