"""Links from the plugin's pages to the members plugin's customer pages (profile, edit, create, delete), found by
endpoint name, never imported: a link is given only when the tenant enabled that plugin, so no page shows a link
that would answer 404."""

from __future__ import annotations

from flask import current_app, url_for

from scrm.sdk.web import tenant_hooks

MEMBERS = "members"


def members_on() -> bool:
    """Whether the tenant enabled the members plugin and its customer pages are mounted."""
    return MEMBERS in tenant_hooks().enabled and "members.customers.detail" in current_app.view_functions


def customer_page_url(page: str, customer_id: int | None = None, **args) -> str | None:
    """The URL of the members page ``members.customers.<page>`` (for ``customer_id`` when given), or None."""
    endpoint = f"members.customers.{page}"
    if not members_on() or endpoint not in current_app.view_functions:
        return None
    if customer_id is not None:
        args["customer_id"] = customer_id
    return url_for(endpoint, **args)
