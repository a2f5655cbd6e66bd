"""The phone page app messages link to: a customer card under ``/t/<tenant>/wecom/messages/customers/<id>``
(endpoint ``wecom.messaging.customer``). Open to members whose data scope covers the customer and to the employees
the customer is a WeCom friend of."""

from __future__ import annotations

from flask import Blueprint, abort, render_template
from sqlalchemy import exists, select

from scrm.sdk import Customer, CustomerEvent, Employee, format_local, get_scoped
from scrm.sdk.web import (
    Role,
    current_membership,
    current_tenant,
    current_user,
    customer_visibility,
    db,
    role_required,
    timeline_lines,
)

from ..sync.models import Follow, FollowStatus

bp = Blueprint("messaging", __name__, url_prefix="/messages", template_folder="../templates")

MEMBERS = (Role.TENANT_ADMIN, Role.OPERATOR, Role.EMPLOYEE)
RECENT = 5


def _may_open(customer: Customer, follows: list[Follow]) -> bool:
    user, membership = current_user(), current_membership()
    if user is not None and user.is_platform_admin:
        return True
    if membership is not None and membership.employee_id in {f.employee_id for f in follows}:
        return True
    visibility = customer_visibility()
    where = [Customer.id == customer.id] + ([visibility] if visibility is not None else [])
    return bool(db().execute(select(exists().where(*where))).scalar())


@bp.get("/customers/<int:customer_id>")
@role_required(*MEMBERS)
def customer(customer_id: int):
    row = get_scoped(db(), Customer, current_tenant().id, customer_id) or abort(404)
    follows = list(db().execute(select(Follow).where(Follow.tenant_id == row.tenant_id,
                                                     Follow.customer_id == row.id)
                                .order_by(Follow.added_at.desc())).scalars())
    if not _may_open(row, follows):
        abort(403)
    names = {e.id: e.name for e in db().execute(select(Employee).where(Employee.tenant_id == row.tenant_id)).scalars()}
    events = list(db().execute(select(CustomerEvent).where(CustomerEvent.tenant_id == row.tenant_id,
                                                           CustomerEvent.customer_id == row.id)
                               .order_by(CustomerEvent.occurred_at.desc()).limit(RECENT)).scalars())
    return render_template("wecom/messaging/customer.html", customer=row, follows=follows, names=names,
                           events=timeline_lines(events),
                           active=FollowStatus.ACTIVE.value,
                           local_time=lambda m: format_local(m, empty="-"))

