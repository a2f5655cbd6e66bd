"""The customer timeline's SMS entries: a reply to an SMS, an unsubscribe (a TD reply or an operator), a number
taken off the unsubscribe list. Written where they happen (``jobs``, the unsubscribe pages), rendered by the
``timeline_entries`` hook as one translated line each."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import escape

from scrm.sdk import TimelineEntry, mask_mobile
from scrm.sdk.timeline import entry_kind

PLUGIN = "sms"
REPLIED = entry_kind(PLUGIN, "replied", "replied by SMS", "The customer replied to an SMS; data: text, mobile.",
                     label=_l("Replied by SMS"), contact=True)
UNSUBSCRIBED = entry_kind(PLUGIN, "unsubscribed", "unsubscribed from marketing SMS",
                          "The customer's mobile went on the SMS unsubscribe list; data: mobile, source (uplink, "
                          "manual or import), reply.", label=_l("Unsubscribed from marketing SMS"))
RESUBSCRIBED = entry_kind(PLUGIN, "resubscribed", "taken off the SMS unsubscribe list",
                          "An operator took the customer's mobile off the SMS unsubscribe list; data: mobile.",
                          label=_l("Taken off the SMS unsubscribe list"))
KINDS = {REPLIED.kind: REPLIED, UNSUBSCRIBED.kind: UNSUBSCRIBED, RESUBSCRIBED.kind: RESUBSCRIBED}
ICONS = {REPLIED.kind: "message", UNSUBSCRIBED.kind: "bell-off", RESUBSCRIBED.kind: "bell"}


def line(event, masked: bool) -> str:
    data = event.data or {}
    mobile = data.get("mobile") or ""
    mobile = mask_mobile(mobile) if masked else mobile
    if event.kind == REPLIED.kind:
        return _("Replied by SMS from %(mobile)s: %(text)s", mobile=mobile, text=escape(data.get("text", "")))
    if event.kind == UNSUBSCRIBED.kind:
        if data.get("source") == "uplink":
            return _("Unsubscribed from marketing SMS by replying “%(reply)s” (%(mobile)s)",
                     reply=escape(data.get("reply", "")), mobile=mobile)
        return _("Put on the SMS unsubscribe list by an operator (%(mobile)s)", mobile=mobile)
    return _("Taken off the SMS unsubscribe list (%(mobile)s)", mobile=mobile)


def timeline_entries(tenant, events) -> list[TimelineEntry]:
    return [TimelineEntry(e.id, line(e, tenant.mask_mobiles), ICONS[e.kind]) for e in events
            if e.plugin == PLUGIN and e.kind in KINDS and e.tenant_id == tenant.id]
