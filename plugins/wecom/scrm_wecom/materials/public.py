"""Public pages of the material centre under ``/p/<tenant>/wecom/`` (no admin sign-in; endpoints
``wecom_public.materials.*``):

* ``mt/<token>``: the tracked page of one send: each open records a view; the page's beacons report how long it
  stays open (``mt/<token>/beacon``);
* ``mp/<token>``: the untracked preview of a material (内部分享, attachments of mass sends and welcomes);
* ``mf/<token>/<role>``: a material's file or cover;
* ``sidebar/``: the employee chat sidebar (WeCom OAuth, JS-SDK config, send materials and scripts; the employee's
  own materials, 个人素材: add a link or a poster, search, send, delete).
"""

from __future__ import annotations

from flask import (
    Blueprint,
    Response,
    abort,
    flash,
    jsonify,
    make_response,
    redirect,
    render_template,
    request,
    url_for,
)
from flask_babel import gettext as _
from sqlalchemy import or_
from sqlmodel import select

from scrm.sdk.web import audit_action, current_tenant, db, platform

from . import employee_web, files, oauth, scripts, service, tracking
from .labels import CONTENT_LABELS, KIND_LABELS
from .models import (
    COVER_ROLE,
    ENTERPRISE,
    FILE_ROLE,
    MATERIAL,
    MINIPROGRAM,
    PERSONAL,
    PERSONAL_KINDS,
    SCRIPT,
    TEAM,
    TEXT,
    ContentGroup,
    Material,
    MaterialSend,
    Script,
)
from .scope import usable_group_ids

bp = Blueprint("materials", __name__, template_folder="../templates", static_folder="../static/wecom/materials",
               static_url_path="/materials/static")
#: WeCom's JS-SDK (with ``wx.agentConfig``), loaded by the sidebar inside the WeCom client only; the sidebar's
#: Content-Security-Policy allows this one host besides the platform
JSSDK_URL = "https://res.wx.qq.com/open/js/jweixin-1.2.0.js"
SIDEBAR_CSP = ("default-src 'self'; script-src 'self' https://res.wx.qq.com; style-src 'self' 'unsafe-inline'; "
               "img-src * data: blob:; connect-src 'self'; object-src 'none'; base-uri 'self'; form-action 'self'; "
               "frame-ancestors 'none'")


def _material_by_token(token: str, *, live: bool = True) -> Material:
    material = db().exec(select(Material).where(Material.tenant_id == current_tenant().id,
                                                Material.token == token)).first()
    if material is None or (live and material.deleted_at is not None):
        abort(404)
    return material


def _page(material: Material, tracked_view=None, send_token: str | None = None):
    cover = files.file_of(db(), material.id, COVER_ROLE)
    file = files.file_of(db(), material.id, FILE_ROLE)
    return render_template("wecom/materials/public_page.html", material=material, cover=cover, file=file,
                           view=tracked_view, send_token=send_token, kind_labels=KIND_LABELS)


@bp.get("/mp/<token>")
def preview(token: str):
    """Never tracked (spec 3.5): no view, no counter, no notification, no tag."""
    return _page(_material_by_token(token))


@bp.get("/mf/<token>/<any(file, cover):role>")
def material_file(token: str, role: str):
    material = _material_by_token(token)
    row = files.file_of(db(), material.id, role)
    if row is None:
        abort(404)
    disposition = "inline" if row.mime.startswith(("image/", "video/", "application/pdf")) else "attachment"
    return Response(row.data, mimetype=row.mime, headers={
        "Cache-Control": "public, max-age=86400", "X-Content-Type-Options": "nosniff",
        "Content-Disposition": f"{disposition}; filename*=UTF-8''{_quote(row.name or role)}"})


def _quote(name: str) -> str:
    from urllib.parse import quote

    return quote(name, safe="")


def _send_by_token(token: str) -> MaterialSend:
    send = db().exec(select(MaterialSend).where(MaterialSend.tenant_id == current_tenant().id,
                                                MaterialSend.token == token)).first()
    if send is None:
        abort(404)
    return send


@bp.get("/mt/<token>")
def tracked(token: str):
    send = _send_by_token(token)
    material = db().get(Material, send.material_id)
    if material is None or material.deleted_at is not None:  # spec 3.6: the link says so and records nothing
        return render_template("wecom/materials/public_gone.html"), 410
    if request.method == "HEAD":  # a link checker's probe is no open
        return _page(material)
    view = tracking.record_view(db(), current_tenant(), send)
    db().commit()
    return _page(material, view, token)


@bp.post("/mt/<token>/beacon")
def beacon(token: str):
    send = _send_by_token(token)
    try:
        seconds = int(request.form.get("seconds", ""))
    except ValueError:
        return jsonify({"error": _("seconds must be a whole number")}), 400
    view = tracking.record_beacon(db(), current_tenant().id, request.form.get("beacon", ""), seconds)
    if view is None or view.send_id != send.id:
        return jsonify({"error": _("unknown view")}), 404
    db().commit()
    return "", 204


# -- the employee chat sidebar ------------------------------------------------------------------------------------------

def _employee():
    held = oauth.signed_in(db(), current_tenant().id)
    if held is None:
        abort(403)
    return held


@bp.get("/sidebar/")
def sidebar():
    return _sidebar_page()


def _sidebar_page(personal_errors: dict | None = None, personal_values: service.MaterialValues | None = None,
                  status: int = 200):
    held = oauth.signed_in(db(), current_tenant().id)
    if held is None:
        return employee_web.authorize(lambda account_id: url_for(".sidebar_oauth", account=account_id,
                                                                 _external=True))
    employee, account_id = held
    tab = PERSONAL if personal_errors is not None else request.args.get("tab", ENTERPRISE)
    tab = tab if tab in (ENTERPRISE, TEAM, PERSONAL, SCRIPT) else ENTERPRISE
    q = request.args.get("q", "").strip()[:50]
    group_id = employee_web.positive_id(request.args.get("group"))
    tenant_id = current_tenant().id
    library = SCRIPT if tab == SCRIPT else MATERIAL
    usable = usable_group_ids(db(), tenant_id, library, employee)
    groups = [g for g in db().exec(select(ContentGroup).where(ContentGroup.id.in_(usable)).order_by(ContentGroup.id))
              if tab == SCRIPT or g.scope == tab]
    wanted = [g.id for g in groups if not group_id or g.id == group_id]
    pattern = f"%{q.replace('%', '').replace('_', '')}%"
    context = {"employee": employee, "tab": tab, "q": q, "group_id": group_id, "groups": groups,
               "kind_labels": KIND_LABELS, "content_labels": CONTENT_LABELS, "account_id": account_id,
               "personal_kinds": PERSONAL_KINDS, "errors": personal_errors or {},
               "values": personal_values or service.MaterialValues(kind="link", title="")}
    if tab == PERSONAL:  # the employee's own materials only (no groups)
        query = select(Material).where(Material.tenant_id == tenant_id, Material.deleted_at.is_(None),
                                       Material.owner_employee_id == employee.id)
        if q:
            query = query.where(or_(Material.title.like(pattern), Material.file_name.like(pattern),
                                    Material.summary.like(pattern)))
        rows = list(db().exec(query.order_by(Material.id.desc()).limit(100)))
        context.update(materials=rows, counts=tracking.view_counts(db(), [m.id for m in rows]))
    elif library == MATERIAL:
        query = select(Material).where(Material.tenant_id == tenant_id, Material.deleted_at.is_(None),
                                       Material.group_id.in_(wanted))
        if q:
            query = query.where(or_(Material.title.like(pattern), Material.file_name.like(pattern)))
        rows = list(db().exec(query.order_by(Material.id.desc()).limit(100)))
        context.update(materials=rows, counts=tracking.view_counts(db(), [m.id for m in rows]))
    else:
        query = select(Script).where(Script.tenant_id == tenant_id, Script.group_id.in_(wanted))
        if q:
            query = query.where(Script.title.like(pattern))
        rows = list(db().exec(query.order_by(Script.id.desc()).limit(100)))
        context.update(scripts=rows, contents=scripts.contents(db(), [s.id for s in rows]))
    response = make_response(render_template("wecom/materials/sidebar.html", jssdk_url=JSSDK_URL, **context), status)
    response.headers["Content-Security-Policy"] = SIDEBAR_CSP
    return response


@bp.post("/sidebar/personal")
def sidebar_personal_add():
    """Add an own material (个人素材): a link (title, address, summary) or a poster (title, PNG/JPG checked before
    anything decodes it, as the material library's). A refusal shows the form again with its messages (422)."""
    employee, _account_id = _employee()
    form = request.form
    kind = form.get("kind", "")
    values = service.MaterialValues(kind=kind, title=form.get("title", ""), summary=form.get("summary", ""),
                                    url=form.get("url", "").strip() if kind == "link" else "")
    errors: dict[str, object] = {}
    upload = request.files.get("file")
    if kind == "poster" and upload is not None and upload.filename:
        try:
            values.file = files.check_upload("poster", upload.read(files.IMAGE_MAX + 1), upload.filename)
        except files.FileRejected as exc:
            errors["file"] = exc.message
    if not errors:
        try:
            saved = service.save_personal(db(), current_tenant().id, employee.id, values,
                                          f"employee:{employee.id}")
        except service.Invalid as exc:
            errors = exc.errors
        else:
            audit_action("wecom.material.personal_create", str(saved.id), title=saved.title, kind=saved.kind,
                         employee_id=employee.id)
            db().commit()
            flash(_("Material saved."), "success")
            return redirect(url_for(".sidebar", tab=PERSONAL))
    db().rollback()
    return _sidebar_page(errors, values, status=422)


def _own_material(employee, material_id: int) -> Material:
    material = db().get(Material, material_id)
    if material is None or material.tenant_id != current_tenant().id or material.deleted_at is not None \
            or material.owner_employee_id != employee.id:
        abort(404)
    return material


@bp.post("/sidebar/personal/<int:material_id>/delete")
def sidebar_personal_delete(material_id: int):
    """Delete an own material (kept as a row: links already sent say it is gone, as the library's)."""
    employee, _account_id = _employee()
    material = _own_material(employee, material_id)
    service.delete_material(material)
    db().add(material)
    audit_action("wecom.material.personal_delete", str(material.id), title=material.title,
                 employee_id=employee.id)
    db().commit()
    flash(_("Material deleted."), "success")
    return redirect(url_for(".sidebar", tab=PERSONAL))


@bp.get("/sidebar/oauth")
def sidebar_oauth():
    employee_web.complete_sign_in()
    return redirect(url_for(".sidebar"))


@bp.get("/sidebar/jsconfig")
def sidebar_jsconfig():
    from . import jssdk

    _employee_row, account_id = _employee()
    url = request.args.get("url", "")
    if not url.startswith(request.host_url):
        return jsonify({"error": _("The page address must be this site's.")}), 400
    account = employee_web.account_or_404(account_id)
    with employee_web.client_for(account) as client:
        return jsonify(jssdk.config(platform().cache, client, account.external_id, client.agent_id, url))


def _customer_id(account_id: int, employee_id: int, external_userid: str) -> int | None:
    from ..sync.models import Follow

    if not external_userid:
        return None
    follow = db().exec(select(Follow).where(Follow.tenant_id == current_tenant().id, Follow.account_id == account_id,
                                            Follow.external_userid == external_userid)
                       .order_by((Follow.employee_id == employee_id).desc())).first()
    return follow.customer_id if follow is not None else None


def _message(material: Material, link: str | None) -> dict:
    """The ``sendChatMessage`` payload of a material (a news card to its tracked page; a mini program card)."""
    cover = files.file_of(db(), material.id, COVER_ROLE)
    image = files.file_of(db(), material.id, FILE_ROLE) if material.kind == "poster" else None
    picture = cover or image
    img = url_for(".material_file", token=material.token, role=picture.role, v=picture.sha256[:12], _external=True) \
        if picture else ""
    if material.kind == MINIPROGRAM:
        return {"msgtype": "miniprogram", "miniprogram": {"appid": material.appid, "title": material.title,
                                                          "imgUrl": img, "page": material.page}}
    return {"msgtype": "news", "news": {"link": link, "title": material.title, "desc": material.summary,
                                        "imgUrl": img}}


def _usable_material(employee, material_id) -> Material:
    material = db().get(Material, employee_web.positive_id(material_id) or 0)
    if material is not None and material.owner_employee_id is not None:  # personal: its owner only
        return _own_material(employee, material.id)
    usable = usable_group_ids(db(), current_tenant().id, MATERIAL, employee)
    if material is None or material.tenant_id != current_tenant().id or material.deleted_at is not None \
            or material.group_id not in usable:
        abort(404)
    return material


def _send_material(employee, account_id: int, material: Material, external_userid: str) -> dict:
    customer_id = _customer_id(account_id, employee.id, external_userid)
    _send, link = tracking.record_send(db(), current_tenant(), material, employee, customer_id, external_userid)
    return _message(material, link)


@bp.post("/sidebar/send")
def sidebar_send():
    employee, account_id = _employee()
    material = _usable_material(employee, request.form.get("material_id"))
    message = _send_material(employee, account_id, material, request.form.get("external_userid", "")[:128])
    db().commit()
    return jsonify({"messages": [message]})


@bp.post("/sidebar/send_script")
def sidebar_send_script():
    employee, account_id = _employee()
    script = db().get(Script, employee_web.positive_id(request.form.get("script_id")) or 0)
    usable = usable_group_ids(db(), current_tenant().id, SCRIPT, employee)
    if script is None or script.tenant_id != current_tenant().id or script.group_id not in usable:
        abort(404)
    external_userid = request.form.get("external_userid", "")[:128]
    messages = []
    for item in scripts.contents(db(), [script.id])[script.id]:
        if item.type == TEXT:
            messages.append({"msgtype": "text", "text": {"content": item.text}})
            continue
        material = db().get(Material, item.material_id or 0)
        if material is None or material.deleted_at is not None:
            continue
        messages.append(_send_material(employee, account_id, material, external_userid))
    db().commit()
    return jsonify({"messages": messages})
