"""Labels of codes: one label per code, for every code set a user sees (customer sources, identity kinds, delivery
statuses and the reasons a row was not sent, audit actions, employee statuses ...), registered once and used by every page, export and filter.

Core registers its own code sets with message ids (``scrm.core.messages.N_``); a plugin registers the codes it adds
(``scrm.sdk.register_labels("customer.source", {"wecom": _l("WeCom external contact")})``) with lazy strings of
its own catalogue. The host renders a label in the user's language (``scrm.hostapp.labels.code_label``, the Jinja
global ``code_label(set, code)``); an unknown code shows as it is.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from .messages import N_

CUSTOMER_SOURCE = "customer.source"
IDENTITY_KIND = "identity.kind"
DELIVERY_STATUS = "delivery.status"
#: why a ledger row was not sent (its ``error_code``): core's codes here, a channel registers its own
DELIVERY_REASON = "delivery.reason"
EMPLOYEE_STATUS = "employee.status"
AUDIT_ACTION = "audit.action"
ROLE = "membership.role"
DATA_SCOPE = "membership.scope"
PLUGIN_CATEGORY = "plugin.category"

_labels: dict[str, dict[str, Any]] = {}


def register_labels(code_set: str, labels: Mapping[str, Any]) -> None:
    """Give the codes of ``code_set`` their labels (message ids or lazy strings); later registrations of a code win."""
    _labels.setdefault(code_set, {}).update({str(code): label for code, label in labels.items()})


def label_of(code_set: str, code: Any) -> Any | None:
    """The registered label (message id or lazy string) of ``code`` in ``code_set``; None when it has none."""
    if code is None:
        return None
    value = str(getattr(code, "value", code))
    labels = _labels.get(code_set, {})
    if value in labels:
        return labels[value]
    kind, at, _account = value.partition("@")  # channel-scoped codes: ``openid@<appid>``
    return labels.get(kind) if at else None


def registered(code_set: str) -> dict[str, Any]:
    """Every code of ``code_set`` with its label."""
    return dict(_labels.get(code_set, {}))


register_labels(CUSTOMER_SOURCE, {"manual": N_("Manually created"), "import": N_("Imported"), "api": N_("API")})
register_labels(IDENTITY_KIND, {"mobile": N_("Mobile"), "unionid": N_("WeChat UnionID"), "openid": N_("Official Account OpenID"),
                               "external_userid": N_("WeCom external contact")})
register_labels(DELIVERY_STATUS, {"queued": N_("Sending"), "sent": N_("Sent"), "delivered": N_("Delivered"),
                                  "failed": N_("Failed"), "skipped": N_("Not sent")})
register_labels(DELIVERY_REASON, {
    "excluded": N_("Customer excluded (e.g. blacklisted)"), "frequency_cap": N_("Daily frequency cap reached"),
    "plugin_disabled": N_("Channel disabled for the brand"), "unknown_outcome": N_("Outcome unknown, not resent"),
    "no_account": N_("No channel account"), "failed": N_("Sending failed"), "skipped": N_("Not sent"),
})
register_labels(EMPLOYEE_STATUS, {"active": N_("Active"), "left": N_("Left"), "inactive": N_("Not activated")})
register_labels(ROLE, {"tenant_admin": N_("Brand admin"), "operator": N_("Operator"), "employee": N_("Employee")})
register_labels(DATA_SCOPE, {"all": N_("All customers"), "department": N_("Own department"),
                             "mine": N_("Own customers")})
register_labels(PLUGIN_CATEGORY, {"channel": N_("Channel"), "feature": N_("Feature")})
register_labels(AUDIT_ACTION, {
    "plugin.enable": N_("Plugin enabled"), "plugin.disable": N_("Plugin disabled"),
    "plugin.settings": N_("Plugin settings changed"), "token.create": N_("API token created"),
    "token.revoke": N_("API token revoked"), "tenant.settings": N_("Brand settings changed"),
})
