"""The SOP quick reply in the employee chat sidebar, under ``/p/<tenant>/wecom/sidebar/sop/`` (endpoints
``wecom_public.sop.*``), signed in as the sidebar is (WeCom OAuth, :mod:`..materials.oauth`):

* ``GET  /``: the open to-dos of the signed-in employee for the chat's customer (``external_userid``), an HTML
  fragment the sidebar shows above its tabs (empty when there are none);
* ``POST /<task>/send``: records the send and finishes the to-do, answers the messages for ``sendChatMessage``
  (the content as text, the node's materials as tracked links), as the sidebar's other sends;
* ``POST /<task>/done``: finishes the to-do without sending.

The chat's customer must be the to-do's (409 otherwise), a task of another employee or tenant is 404, a sidebar
session of another tenant is 403. The employee's group SOP page (:mod:`.groups_mobile`) is nested here.
"""

from __future__ import annotations

from flask import Blueprint, abort, jsonify, render_template, request
from flask_babel import gettext as _

from scrm.sdk import format_local
from scrm.sdk.web import current_tenant, db

from ..materials.public import _customer_id, _employee, _send_material
from . import groups_mobile, quick_replies

bp = Blueprint("sop", __name__, url_prefix="/sidebar/sop", template_folder="../templates")
bp.register_blueprint(groups_mobile.bp)  # the employee's group SOP page: ``…/sidebar/sop/groups``


def _external_userid() -> str:
    return request.values.get("external_userid", "").strip()[:128]


@bp.get("/")
def sidebar_todos():
    employee, account_id = _employee()
    customer_id = _customer_id(account_id, employee.id, _external_userid())
    replies = quick_replies.open_replies(db(), current_tenant().id, employee.id, customer_id) if customer_id else []
    return render_template("wecom/sop/sidebar_todos.html", replies=replies,
                           local=lambda m: format_local(m, "%m-%d %H:%M", empty="-"))


def _reply(task_id: int):
    employee, account_id = _employee()
    reply = quick_replies.open_reply(db(), current_tenant().id, employee.id, task_id)
    if reply is None:
        abort(404)
    external_userid = _external_userid()
    if _customer_id(account_id, employee.id, external_userid) != reply.task.customer_id:
        return employee, account_id, reply, external_userid, (jsonify(
            {"error": _("This to-do is for another customer: open the chat with its customer.")}), 409)
    return employee, account_id, reply, external_userid, None


@bp.post("/<int:task_id>/send")
def sidebar_todo_send(task_id: int):
    employee, account_id, reply, external_userid, refused = _reply(task_id)
    if refused is not None:
        return refused
    messages = [{"msgtype": "text", "text": {"content": reply.content}}] if reply.content else []
    messages += [_send_material(employee, account_id, m, external_userid) for m in reply.materials]
    quick_replies.finish(db(), reply.task, sent=True)
    db().commit()
    return jsonify({"messages": messages})


@bp.post("/<int:task_id>/done")
def sidebar_todo_done(task_id: int):
    _employee_row, _account_id, reply, _external, refused = _reply(task_id)
    if refused is not None:
        return refused
    quick_replies.finish(db(), reply.task, sent=False)
    db().commit()
    return jsonify({"done": reply.task.id})
