"""The employee's group SOP page on the phone (我的群SOP, spec §2.7.2, §4.7 rule 3), under
``/p/<tenant>/wecom/sidebar/sop/groups`` (endpoints ``wecom_public.sop.groups.*``), signed in as the chat sidebar
and the Moments phone page are (WeCom OAuth through :mod:`..materials.employee_web` and :mod:`..materials.oauth`).

* ``GET  ``: the group chats the signed-in employee owns, each with its group SOP rule and the progress of its
  current cycle (to-dos delivered out of those planned, the next one's time);
* ``POST <group>/move``: move the group to another enabled group SOP rule of the brand (``rule_id``);
* ``POST <group>/remove``: take the group out of its rule;
* ``POST <group>/restart``: restart the rule cycle (day 0 becomes now, the nodes run again from "join day").

Each change goes through the rule service as the operator's binding changes do: the old binding's pending tasks are
cancelled in the same transaction, the new ones planned by ``plan_binding``. A group the employee does not own is
403, a group of another brand 404, a session of another brand 403; bad input answers 422 with the reason and changes
nothing. The posts need the CSRF token.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import func
from sqlmodel import select

from scrm.sdk import audit, format_local, get_scoped
from scrm.sdk.web import current_tenant, db

from ..groupchats.models import ChatStatus, GroupChat
from ..materials import employee_web, oauth
from . import rules as service
from .models import RuleKind, RuleStatus, SopBinding, SopRule, SopTask, TaskStatus, Trigger
from .planning import nodes_of

bp = Blueprint("groups", __name__, url_prefix="/groups", template_folder="../templates")

DELIVERED = (TaskStatus.REMINDED, TaskStatus.SENT, TaskStatus.DONE)


def _signed_in():
    held = oauth.signed_in(db(), current_tenant().id)
    if held is None:
        abort(403)
    return held[0]


def _rows(employee) -> list[dict]:
    """The employee's group chats (not dismissed) with their binding, rule and the current cycle's progress."""
    tenant_id = current_tenant().id
    found = db().exec(select(GroupChat, SopBinding, SopRule)
                      .outerjoin(SopBinding, SopBinding.group_chat_id == GroupChat.id)
                      .outerjoin(SopRule, SopRule.id == SopBinding.rule_id)
                      .where(GroupChat.tenant_id == tenant_id, GroupChat.owner_employee_id == employee.id,
                             GroupChat.status != ChatStatus.DISMISSED)
                      .order_by(GroupChat.name, GroupChat.id).limit(500)).all()
    rows = []
    for group, binding, rule in found:
        row = {"group": group, "binding": binding, "rule": rule, "nodes": 0, "delivered": 0, "planned": 0,
               "next": None}
        if binding is not None and rule is not None:
            row["nodes"] = len(nodes_of(db(), rule))
            counts = dict(db().exec(select(SopTask.status, func.count()).where(
                SopTask.tenant_id == tenant_id, SopTask.rule_id == rule.id, SopTask.group_chat_id == group.id,
                SopTask.created_at >= binding.joined_at, SopTask.status != TaskStatus.CANCELLED)
                .group_by(SopTask.status)).all())
            row["delivered"] = sum(counts.get(s, 0) for s in DELIVERED)
            row["planned"] = row["delivered"] + counts.get(TaskStatus.PENDING, 0)
            row["next"] = db().exec(select(func.min(SopTask.due_at)).where(
                SopTask.tenant_id == tenant_id, SopTask.rule_id == rule.id, SopTask.group_chat_id == group.id,
                SopTask.status == TaskStatus.PENDING)).first()
        rows.append(row)
    return rows


def _page(employee, *, refusal: str = "", status: int = 200):
    tenant_id = current_tenant().id
    rules = db().exec(select(SopRule).where(SopRule.tenant_id == tenant_id, SopRule.kind == RuleKind.GROUP,
                                            SopRule.status == RuleStatus.ON).order_by(SopRule.name)).all()
    from .views import STATUS_LABELS

    html = render_template("wecom/sop/groups_mobile.html", employee=employee, rows=_rows(employee), rules=rules,
                           refusal=refusal, status_labels=STATUS_LABELS, on=RuleStatus.ON,
                           restartable=Trigger.GROUP_BOUND,
                           local=lambda m: format_local(m, "%Y-%m-%d %H:%M", empty="-"))
    return html, status


def _refuse(employee, status: int, message: str):
    db().rollback()
    return _page(employee, refusal=message, status=status)


def _my_group(employee, group_id: int):
    """The tenant's group ``group_id`` (404 for none, also another brand's) and a refusal when the employee is not
    its owner (403)."""
    group = get_scoped(db(), GroupChat, current_tenant().id, group_id)
    if group is None:
        abort(404)
    if group.owner_employee_id != employee.id:
        return group, _refuse(employee, 403, _("Only the group owner can change its group SOP rule."))
    return group, None


def _record(employee, action: str, group: GroupChat, **detail) -> None:
    audit(db(), action, tenant_id=current_tenant().id, actor=f"wecom:{employee.userid}",
          target=f"group_chat:{group.id}", detail=detail, ip=request.remote_addr)


@bp.get("")
def home():
    held = oauth.signed_in(db(), current_tenant().id)
    if held is None:
        return employee_web.authorize(lambda account_id: url_for(".signed_in", account=account_id, _external=True))
    return _page(held[0])


@bp.get("/oauth")
def signed_in():
    """WeCom's answer: the code of a member of the corp (anyone else is refused)."""
    employee_web.complete_sign_in()
    return redirect(url_for(".home"))


@bp.post("/<int:group_id>/move")
def move(group_id: int):
    employee = _signed_in()
    group, refused = _my_group(employee, group_id)
    if refused is not None:
        return refused
    rule_id = employee_web.positive_id(request.form.get("rule_id"))
    rule = get_scoped(db(), SopRule, current_tenant().id, rule_id) if rule_id else None
    if rule is None:
        return _refuse(employee, 422, _("Choose an enabled group SOP rule of this brand."))
    try:
        binding = service.move_group(db(), group, rule)
    except service.RuleError as exc:
        return _refuse(employee, 422, next(iter(exc.errors.values())))
    _record(employee, "wecom.sop.group_moved", group, rule=rule.id, joined_at=binding.joined_at.isoformat())
    db().commit()
    flash(_("%(group)s is now in the rule %(rule)s.", group=group.name, rule=rule.name), "success")
    return redirect(url_for(".home"))


@bp.post("/<int:group_id>/remove")
def remove(group_id: int):
    employee = _signed_in()
    group, refused = _my_group(employee, group_id)
    if refused is not None:
        return refused
    binding = service.locked_binding(db(), current_tenant().id, group.id)
    if binding is None:
        return _refuse(employee, 422, _("The group chat is in no group SOP rule."))
    rule = db().get(SopRule, binding.rule_id)
    service.unbind_group(db(), rule, group.id)
    _record(employee, "wecom.sop.group_removed", group, rule=rule.id)
    db().commit()
    flash(_("%(group)s left the rule %(rule)s.", group=group.name, rule=rule.name), "success")
    return redirect(url_for(".home"))


@bp.post("/<int:group_id>/restart")
def restart(group_id: int):
    employee = _signed_in()
    group, refused = _my_group(employee, group_id)
    if refused is not None:
        return refused
    try:
        binding = service.restart_group(db(), group)
    except service.RuleError as exc:
        return _refuse(employee, 422, next(iter(exc.errors.values())))
    _record(employee, "wecom.sop.cycle_restarted", group, rule=binding.rule_id,
            joined_at=binding.joined_at.isoformat())
    db().commit()
    flash(_("The rule cycle of %(group)s starts again today.", group=group.name), "success")
    return redirect(url_for(".home"))
