"""Labels of WeCom's codes, registered with the shared code labels (``scrm.sdk.register_labels``) and shown through
``code_label``: sync run statuses and the customer source of customers read from WeCom."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

SYNC_STATUS = "wecom.sync.status"

register_labels(SYNC_STATUS, {"queued": _l("Queued"), "running": _l("Running"), "done": _l("Done"),
                              "failed": _l("Failed")})
