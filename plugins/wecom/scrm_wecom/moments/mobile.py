"""The employee's own Moments page on the phone (我的朋友圈, spec §2.1.1, §3.1, §4.1 rules 5 and 6), under
``/p/<tenant>/wecom/moments/me`` (endpoints ``wecom_public.moments.mobile.*``).

The employee is identified as on the chat sidebar: WeCom's web OAuth (snsapi_base, ``materials.oauth``) turns the
code into the member's userid, and the session keeps the active employee of that tenant. A customer (not a member)
never gets past the sign-in: WeCom names no member for them. An employee without WeCom's customer-contact
permission (spec §2.1.3, §4.1 rule 1; ``sync/permission.py``) is refused every route with the reason (403).

* ``GET me``: the employee's page as customers see it (background wall and signature), the page's link, the posts;
* ``POST me/look``: the employee's own background and signature, refused (403) while the brand unifies them;
* ``POST me/posts``: a personal post (pages only: text and/or a link, or the material centre's posters, video or
  link), refused (403) while mobile publishing is off;
* ``POST me/posts/<id>/delete``: delete one of the employee's own personal posts (403 while mobile publishing is off
  or for an enterprise post; 404 for another employee's post).

Each write answers a redirect to the page, or JSON when the client asks for it (``Accept: application/json``):
``{"id", "publish_type"}`` (201) for a post, ``{"error"}`` with 403 / 404 / 422 for a refusal.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, jsonify, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlmodel import select

from scrm.sdk import audit, uploads, utcnow
from scrm.sdk.web import current_tenant, db

from ..materials import employee_web, oauth
from ..sync import permission
from . import appearance, pages, records, service
from .models import MomentSender, PublishMode, PublishType

bp = Blueprint("mobile", __name__, url_prefix="/me", template_folder="../templates")


def _wants_json() -> bool:
    return request.accept_mimetypes.best == "application/json"


def _signed_in():
    """(employee, account id) of the signed-in employee, or 403."""
    held = oauth.signed_in(db(), current_tenant().id)
    if held is None:
        abort(403)
    return held


def _no_permission(employee) -> tuple | None:
    """403 with the reason when the employee lacks WeCom's customer-contact permission (spec §2.1.3, §4.1 rule 1:
    only employees with it may use the Moments pages; see ``sync/permission.py``), else None."""
    if permission.permitted(db(), employee):
        return None
    db().rollback()
    message = _("You do not have WeCom's customer-contact permission: only employees with it may use the Moments "
                "pages. Ask your WeCom administrator to grant it; it applies here after the next contact sync.")
    if _wants_json():
        return jsonify({"error": message}), 403
    return render_template("wecom/moments/mobile_refused.html", message=message), 403


def _record(employee, action: str, target: str, **detail) -> None:
    audit(db(), action, tenant_id=current_tenant().id, actor=f"wecom:{employee.userid}", target=target,
          detail=detail, ip=request.remote_addr)


def _usable_materials(employee) -> list[tuple[int, str]]:
    """The material centre's posters, videos and links the employee may use (enterprise groups and their teams')."""
    from ..materials.models import MATERIAL, Material
    from ..materials.scope import usable_group_ids

    tenant_id = current_tenant().id
    groups = usable_group_ids(db(), tenant_id, MATERIAL, employee)
    usable = set(db().exec(select(Material.id).where(Material.tenant_id == tenant_id,
                                                     Material.group_id.in_(groups or [0]))))
    return [(mid, label) for mid, label in service.material_choices(db(), tenant_id) if mid in usable]


def _page(employee, account_id: int, *, values: dict | None = None, errors: dict | None = None,
          look_errors: dict | None = None, refusal: str = "", status: int = 200):
    tenant_id = current_tenant().id
    page = pages.page_for(db(), employee)
    posts = pages.posts_of(db(), employee)
    settings = appearance.brand_settings(db(), tenant_id)
    html = render_template(
        "wecom/moments/mobile.html", employee=employee, page=page, look=appearance.look_of(db(), page),
        posts=posts, media=pages.media_of(db(), [task for task, _at in posts]), type_labels=records.TYPE_LABELS,
        unified=settings.unify_background, publishing=settings.mobile_publish,
        materials=_usable_materials(employee) if settings.mobile_publish else [],
        values=values or {"text": "", "link_title": "", "link_url": "", "material_ids": []}, errors=errors or {},
        look_errors=look_errors or {}, refusal=refusal, max_text=service.MAX_TEXT,
        max_signature=appearance.MAX_SIGNATURE, recommended=appearance.RECOMMENDED_SIZE,
        max_mb=appearance.BACKGROUND_MAX // (1024 * 1024), account_id=account_id,
        link=url_for("wecom_public.moments.page", token=page.token, _external=True))
    db().commit()  # the page made on first use
    return html, status


def _refuse(employee, account_id: int, status: int, message: str):
    """A refused write: nothing changed, the reason (JSON or the page with the reason)."""
    db().rollback()
    if _wants_json():
        return jsonify({"error": message}), status
    return _page(employee, account_id, refusal=message, status=status)


@bp.get("")
def home():
    held = oauth.signed_in(db(), current_tenant().id)
    if held is None:
        return employee_web.authorize(lambda account_id: url_for(".signed_in", account=account_id, _external=True))
    return _no_permission(held[0]) or _page(*held)


@bp.get("/oauth")
def signed_in():
    """WeCom's answer: the code of a member of the corp (anyone else is refused)."""
    employee_web.complete_sign_in()
    return redirect(url_for(".home"))


@bp.post("/look")
def save_look():
    """The employee's own background and signature (spec §4.1 rule 5: not while the brand unifies them)."""
    employee, account_id = _signed_in()
    if (refused := _no_permission(employee)) is not None:
        return refused
    page = pages.page_for(db(), employee)
    if appearance.unified(db(), page.tenant_id):
        return _refuse(employee, account_id, 403, str(appearance.Unified.message))
    try:
        data = uploads.read_upload(request.files.get("background"), appearance.BACKGROUND_MAX)
        checked = appearance.check_background(data, request.files["background"].filename or "background") \
            if data else None
        appearance.save_own(db(), page, signature=request.form.get("signature", ""), background=checked,
                            remove_background=request.form.get("remove_background") == "1")
    except appearance.AppearanceError as exc:
        db().rollback()
        if _wants_json():
            return jsonify({"error": "; ".join(exc.fields.values()), "fields": exc.fields}), 422
        return _page(employee, account_id, look_errors=exc.fields, status=422)
    _record(employee, "wecom.moments.own_look", f"moments_page:{page.id}", background=bool(data),
            signature=page.signature)
    db().commit()
    if _wants_json():
        return jsonify({"signature": page.signature}), 200
    flash(_("Your background and signature are saved."), "success")
    return redirect(url_for(".home"))


def _may_publish():
    """``(employee, account id, None)``, or a refusal as the third item when the employee lacks the customer-contact
    permission or the brand has mobile publishing off (403)."""
    employee, account_id = _signed_in()
    refused = _no_permission(employee)
    if refused is None and not appearance.mobile_publish_on(db(), current_tenant().id):
        refused = _refuse(employee, account_id, 403, str(appearance.PublishingOff.message))
    return employee, account_id, refused


@bp.post("/posts")
def publish():
    """A personal post on the employee's page (spec §3.1: publish type personal; 403 while publishing is off)."""
    employee, account_id, refused = _may_publish()
    if refused is not None:
        return refused
    tenant_id = current_tenant().id
    form = request.form
    material_ids = [int(v) for v in form.getlist("material_ids") if v.strip().isdigit()]
    values = {"text": form.get("text", ""), "link_title": form.get("link_title", ""),
              "link_url": form.get("link_url", ""), "material_ids": material_ids}
    errors: dict[str, str] = {}
    usable = {mid for mid, _label in _usable_materials(employee)}
    if any(m not in usable for m in material_ids):
        errors["material_ids"] = _("Choose posters, a video or a link of this brand's material centre.")
        text, attachment = "", {}
    else:
        text, attachment = service.validate_content(db(), tenant_id, service.MomentInput(
            None, values["text"], [employee.id], link_title=values["link_title"], link_url=values["link_url"],
            material_ids=material_ids), errors)
    if errors:
        db().rollback()
        if _wants_json():
            return jsonify({"error": "; ".join(errors.values()), "fields": errors}), 422
        return _page(employee, account_id, values=values, errors=errors, status=422)
    task = service.page_post(db(), tenant_id, account=employee_web.account_or_404(account_id), text=text, attachment=attachment,
                             employees=[employee], publish_type=PublishType.PERSONAL,
                             publish_mode=PublishMode.NOW, at=utcnow(), created_by=employee.name)
    _record(employee, "wecom.moments.personal_post", f"moment_task:{task.id}")
    db().commit()
    if _wants_json():
        return jsonify({"id": task.id, "publish_type": task.publish_type.value}), 201
    flash(_("Published on your Moments page."), "success")
    return redirect(url_for(".home"))


@bp.post("/posts/<int:task_id>/delete")
def delete(task_id: int):
    """Delete one of the employee's own personal posts (spec §4.1 rule 6; 403 while publishing is off)."""
    employee, account_id, refused = _may_publish()
    if refused is not None:
        return refused
    tenant_id = current_tenant().id
    task = service.get(db(), tenant_id, task_id)
    mine = task is not None and db().exec(select(MomentSender.id).where(
        MomentSender.task_id == task.id, MomentSender.employee_id == employee.id)).first() is not None
    if not mine:
        return _refuse(employee, account_id, 404, _("No such post on your Moments page."))
    if task.publish_type != PublishType.PERSONAL:
        return _refuse(employee, account_id, 403, _("Only your own personal posts can be deleted here."))
    others = db().exec(select(MomentSender.id).where(MomentSender.task_id == task.id,
                                                     MomentSender.employee_id != employee.id)).first()
    if others is not None:  # a personal post has one employee; never delete someone else's copy
        return _refuse(employee, account_id, 403, _("Only your own personal posts can be deleted here."))
    service.delete_post(db(), task)
    _record(employee, "wecom.moments.personal_delete", f"moment_task:{task_id}")
    db().commit()
    if _wants_json():
        return jsonify({"deleted": task_id}), 200
    flash(_("Moment deleted."), "success")
    return redirect(url_for(".home"))

