"""话术库 pages under ``/t/<tenant>/wecom/materials/scripts/`` (endpoints ``wecom.materials.script*``): list with
the group tree and keyword search, the multi-content form, detail, delete and the XLSX import."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_
from sqlmodel import select

from scrm.sdk import tabular
from scrm.sdk.web import STAFF, audit_action, current_tenant, current_user, db, role_required

from . import scripts
from .attachments import choices
from .labels import CONTENT_LABELS, SCOPE_LABELS
from .models import CONTENT_MATERIAL_KINDS, CONTENT_TYPES, SCRIPT, Script, ScriptContent
from .scope import groups as tab_groups
from .service import Invalid
from .views import PAGE_SIZES, _group_or_404, _int, _scope, bp, departments


def _script_or_404(script_id: int) -> Script:
    script = db().get(Script, script_id)
    if script is None or script.tenant_id != current_tenant().id:
        abort(404)
    return script


@bp.get("/scripts/", endpoint="scripts")
@role_required(*STAFF)
def script_list():
    tenant, scope = current_tenant(), _scope()
    groups = tab_groups(db(), tenant.id, SCRIPT, scope)
    db().commit()
    group_id, q = _int(request.args.get("group")), request.args.get("q", "").strip()[:50]
    order = "title" if request.args.get("sort") == "title" else "new"
    page = _int(request.args.get("page")) or 1
    per_page = PAGE_SIZES[0]
    query = select(Script).where(Script.tenant_id == tenant.id, Script.scope == scope)
    if group_id:
        query = query.where(Script.group_id == group_id)
    if q:
        pattern = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Script.title.like(pattern), Script.id.in_(
            select(ScriptContent.script_id).where(ScriptContent.tenant_id == tenant.id,
                                                  ScriptContent.text.like(pattern)))))
    total = db().exec(select(func.count()).select_from(query.subquery())).one()
    query = query.order_by(Script.title, Script.id) if order == "title" else query.order_by(Script.id.desc())
    rows = list(db().exec(query.offset((page - 1) * per_page).limit(per_page)))
    return render_template("wecom/materials/scripts.html", rows=rows,
                           contents=scripts.contents(db(), [s.id for s in rows]),
                           groups=groups, group_names={g.id: g for g in groups}, scope=scope, group_id=group_id,
                           q=q, order=order, page=page, pages=max(1, -(-total // per_page)), total=total,
                           departments=departments(), content_labels=CONTENT_LABELS)


def _values() -> scripts.ScriptValues:
    form = request.form
    types, texts, materials = form.getlist("item_type"), form.getlist("item_text"), form.getlist("item_material")
    items = []
    for index, kind in enumerate(types):
        items.append(scripts.Item(type=kind, text=texts[index] if index < len(texts) else "",
                                  material_id=_int(materials[index]) if index < len(materials) else None))
    return scripts.ScriptValues(title=form.get("title", ""), group_id=_int(form.get("group_id")), items=items)


def _form(scope: str, values, errors, script=None, status=200):
    tenant_id = current_tenant().id
    options = {t: choices(db(), tenant_id, kinds=kinds) for t, kinds in CONTENT_MATERIAL_KINDS.items()}
    return render_template("wecom/materials/script_form.html", scope=scope, values=values, errors=errors,
                           script=script, groups=tab_groups(db(), tenant_id, SCRIPT, scope), types=CONTENT_TYPES,
                           content_labels=CONTENT_LABELS, options=options, scope_labels=SCOPE_LABELS,
                           title_max=scripts.TITLE_MAX, text_max=scripts.TEXT_MAX), status


def _save(scope: str, script: Script | None):
    values = _values()
    try:
        saved = scripts.save_script(db(), current_tenant().id, scope, values, current_user().email, script)
    except Invalid as exc:
        db().rollback()
        return _form(scope, values, exc.errors, script, status=422)
    audit_action("wecom.script.update" if script else "wecom.script.create", str(saved.id), title=saved.title[:50])
    db().commit()
    flash(_("Script saved."), "success")
    return redirect(url_for("wecom.materials.scripts", scope=scope))


@bp.route("/scripts/new", methods=["GET", "POST"])
@role_required(*STAFF)
def script_create():
    scope = _scope()
    if request.method == "POST":
        return _save(scope, None)
    return _form(scope, scripts.ScriptValues(title="", group_id=_int(request.args.get("group")),
                                             items=[scripts.Item("text")]), {})


@bp.route("/scripts/<int:script_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def script_edit(script_id: int):
    script = _script_or_404(script_id)
    if request.method == "POST":
        return _save(script.scope, script)
    items = [scripts.Item(c.type, c.text, c.material_id) for c in scripts.contents(db(), [script.id])[script.id]]
    return _form(script.scope, scripts.ScriptValues(script.title, script.group_id, items), {}, script)


@bp.get("/scripts/<int:script_id>")
@role_required(*STAFF)
def script_detail(script_id: int):
    from .models import Material

    script = _script_or_404(script_id)
    items = scripts.contents(db(), [script.id])[script.id]
    ids = [c.material_id for c in items if c.material_id]
    materials = {m.id: m for m in db().exec(select(Material).where(Material.id.in_(ids)))} if ids else {}
    group = _group_or_404(script.group_id)
    return render_template("wecom/materials/script_detail.html", script=script, items=items, materials=materials,
                           group=group, content_labels=CONTENT_LABELS, scope_labels=SCOPE_LABELS)


@bp.post("/scripts/<int:script_id>/delete")
@role_required(*STAFF)
def script_delete(script_id: int):
    script = _script_or_404(script_id)
    scope = script.scope
    db().delete(script)
    audit_action("wecom.script.delete", str(script_id))
    db().commit()
    flash(_("Script deleted."), "success")
    return redirect(url_for("wecom.materials.scripts", scope=scope))


@bp.get("/scripts/import/template.xlsx")
@role_required(*STAFF)
def script_template():
    rows = scripts.template_rows()
    return send_file(tabular.xlsx_file(rows[0], rows[1:], sheet="话术"), as_attachment=True,
                     download_name="scripts-template.xlsx", mimetype=tabular.XLSX_MIMETYPE)


@bp.route("/scripts/import", methods=["GET", "POST"])
@role_required(*STAFF)
def script_import():
    errors: list[scripts.RowError] = []
    if request.method == "POST":
        upload = request.files.get("file")
        content = upload.read(scripts.IMPORT_MAX_BYTES + 1) if upload is not None else b""
        if not content:
            errors = [scripts.RowError(0, _("Choose a file to upload."))]
        else:
            try:
                count = scripts.import_scripts(db(), current_tenant().id, content, current_user().email)
            except scripts.ImportFailed as exc:
                db().rollback()
                errors = exc.errors
            else:
                audit_action("wecom.script.import", "", rows=count)
                db().commit()
                flash(_("%(n)s scripts imported.", n=count), "success")
                return redirect(url_for("wecom.materials.scripts"))
    return render_template("wecom/materials/script_import.html", errors=errors,
                           titles=scripts.TEMPLATE_TITLES), 422 if errors else 200
