"""Labels of the mass-send codes (``code_label('wecom.masssend.status', ...)``) and of the reasons its ledger rows
end failed or skipped (core's ``delivery.reason``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

register_labels("wecom.masssend.status", {
    "pending": _l("Waiting to send"), "sending": _l("Sending"), "sent": _l("Sent"), "cancelled": _l("Cancelled"),
    "failed": _l("Failed")})
register_labels("wecom.masssend.send_type", {"immediate": _l("Send now"), "scheduled": _l("Scheduled send")})
register_labels("delivery.reason", {"not_friend": _l("No longer a friend"),
                                    "limit_reached": _l("Receive limit reached"),
                                    "cancelled": _l("Cancelled")})
