"""The blacklist panel of the customer 360 profile: the state, the reason, and the add or remove form."""

from __future__ import annotations

from flask import has_request_context, render_template, request
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from scrm.sdk import Membership, ProfilePanel, Role

from . import blacklist

STAFF_ROLES = (Role.TENANT_ADMIN, Role.OPERATOR)


def _may_edit(user, tenant, session) -> bool:
    if user is None:
        return False
    if user.is_platform_admin:
        return True
    membership = session.execute(select(Membership).where(Membership.tenant_id == tenant.id,
                                                          Membership.user_id == user.id)).scalars().first()
    return membership is not None and membership.role in STAFF_ROLES


def customer_panels(tenant, customer, user, session) -> list[ProfilePanel]:
    if not has_request_context():
        return []
    entry = blacklist.active_entry(session, tenant.id, customer.id)
    html = render_template("members/segments/_blacklist_panel.html", customer=customer, entry=entry,
                           editable=_may_edit(user, tenant, session), back=request.path)
    return [ProfilePanel(str(_l("Blacklist")), Markup(html), order=80, key="members.blacklist")]
