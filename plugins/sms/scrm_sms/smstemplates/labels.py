"""Labels of the codes of signatures and templates (one label per code, through ``scrm.sdk.register_labels``;
pages show them with ``code_label(set, code)``)."""

from __future__ import annotations

from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

REVIEW_STATUS = "sms.review_status"
TEMPLATE_KIND = "sms.template_kind"
SCENARIO = "sms.scenario"
SIGNATURE_SOURCE = "sms.signature_source"
CATEGORY = "sms.category"

register_labels(REVIEW_STATUS, {"pending": _l("Pending review"), "approved": _l("Review passed"),
                                "rejected": _l("Rejected")})
register_labels(TEMPLATE_KIND, {"custom": _l("Custom templates"), "system": _l("System templates")})
register_labels(CATEGORY, {"marketing": _l("Marketing SMS"), "notification": _l("Notification SMS")})
register_labels(SCENARIO, {
    "conference_invitation": _l("Conference invitation"), "registration_success": _l("Registration confirmed"),
    "live_broadcast": _l("Live broadcast"), "event_invitation": _l("Event invitation"),
    "promotion": _l("Promotion"), "member_birthday": _l("Member birthday"), "member_welcome": _l("Member welcome"),
    "points_expiry": _l("Points expiring"), "coupon_expiry": _l("Coupon expiring"),
    "order_shipped": _l("Order shipped"), "order_received": _l("Order delivered"),
    "appointment_reminder": _l("Appointment reminder"), "other": _l("Other")})
register_labels(SIGNATURE_SOURCE, {
    "company": _l("Company (full or short name)"), "trademark": _l("Trademark"), "app": _l("App"),
    "official_account": _l("Official account or mini program"), "shop": _l("Online shop"),
    "website": _l("Filed website")})
register_labels("audit.action", {
    "sms.template_created": _l("SMS template submitted"), "sms.template_resubmitted": _l("SMS template resubmitted"),
    "sms.template_deleted": _l("SMS template deleted"), "sms.signature_created": _l("SMS signature filed"),
    "sms.signature_resubmitted": _l("SMS signature refiled"), "sms.signature_deleted": _l("SMS signature deleted"),
    "sms.statistics_export": _l("SMS success details exported")})
