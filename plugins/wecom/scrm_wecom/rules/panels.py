"""The "WeCom personal tags" panel of the customer 360 profile. WeCom's rule (spec §C): a personal tag is visible to
the employee who set it and to admins. Tenant admins (and platform admins) see every employee's personal tags; a
user linked to an employee sees that employee's; anyone else sees no panel."""

from __future__ import annotations

from flask import has_request_context, render_template
from flask_babel import lazy_gettext as _l
from markupsafe import Markup
from sqlalchemy import select

from scrm.sdk import Membership, ProfilePanel, Role

from .personal_tags import EmployeeTags, customer_tags


def visible_personal_tags(session, tenant, customer, user) -> list[EmployeeTags] | None:
    """The personal tags ``user`` may see on ``customer``; None when the user sees none by rule."""
    if user is None:
        return None
    if getattr(user, "is_platform_admin", False):
        return customer_tags(session, tenant.id, customer.id)
    membership = session.execute(select(Membership).where(Membership.tenant_id == tenant.id,
                                                          Membership.user_id == user.id)).scalars().first()
    if membership is None:
        return None
    if membership.role == Role.TENANT_ADMIN:
        return customer_tags(session, tenant.id, customer.id)
    if membership.employee_id is None:
        return None
    return customer_tags(session, tenant.id, customer.id, membership.employee_id)


def customer_panels(tenant, customer, user, session) -> list[ProfilePanel]:
    if not has_request_context():
        return []
    tags = visible_personal_tags(session, tenant, customer, user)
    if not tags:
        return []
    html = render_template("wecom/rules/_personal_tags_panel.html", personal_tags=tags)
    return [ProfilePanel(str(_l("WeCom personal tags")), Markup(html), order=45, key="wecom.personal_tags")]
