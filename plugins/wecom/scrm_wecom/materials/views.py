"""素材库 and 话术库 pages under ``/t/<tenant>/wecom/materials/`` (endpoints ``wecom.materials.*``): the material
list with its group tree, search and filters, the form, detail with the browse records and their export, the
internal share (preview link and QR, untracked), and groups. Scripts are in :mod:`.script_views`."""

from __future__ import annotations

import io
from datetime import date, timedelta

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, send_file, url_for
from flask_babel import gettext as _
from sqlalchemy import func, or_
from sqlmodel import select

from scrm.sdk import (
    Customer,
    Department,
    Employee,
    Tag,
    TagGroup,
    export_time,
    local_midnight,
    tabular,
    zone_title,
)
from scrm.sdk import qr as qr_codes
from scrm.sdk.web import STAFF, audit_action, current_tenant, current_user, db, role_required

from ..views.customer_links import customer_page_url
from . import files, minilinks, service, tracking
from .labels import KIND_LABELS, SCOPE_LABELS
from .models import (
    COVER_ROLE,
    ENTERPRISE,
    FILE_ROLE,
    KINDS,
    MATERIAL,
    SCOPES,
    ContentGroup,
    Material,
    MaterialView,
)
from .scope import groups as tab_groups
from .urls import preview_url

bp = Blueprint("materials", __name__, url_prefix="/materials", template_folder="../templates",
               static_folder="../static/wecom/materials", static_url_path="/static")
PAGE_SIZES = (10, 20, 50)


def _scope() -> str:
    scope = request.values.get("scope", ENTERPRISE)
    return scope if scope in SCOPES else ENTERPRISE


def _int(raw) -> int | None:
    try:
        value = int(raw)
    except (TypeError, ValueError):
        return None
    return value if 0 < value < 2**31 else None


def _material_or_404(material_id: int) -> Material:
    material = db().get(Material, material_id)
    if material is None or material.tenant_id != current_tenant().id or material.deleted_at is not None \
            or material.owner_employee_id is not None:  # a personal material is its employee's, in the sidebar
        abort(404)
    return material


def _group_or_404(group_id: int) -> ContentGroup:
    group = db().get(ContentGroup, group_id)
    if group is None or group.tenant_id != current_tenant().id:
        abort(404)
    return group


@bp.app_template_global("wecom_minilink_choices")
def minilink_choices() -> list[tuple[str, str]]:
    """The insert button's picker (``wecom/materials/_minilink.html``): the current brand's mini program text
    links."""
    return minilinks.link_choices(db(), current_tenant().id)


@bp.app_template_global("wecom_minilink_pattern")
def minilink_pattern() -> str:
    """The one link pattern, for the insert button's script."""
    return minilinks.PATTERN


def departments() -> list[Department]:
    return list(db().exec(select(Department).where(Department.tenant_id == current_tenant().id)
                          .order_by(Department.id)))


def tag_groups() -> list[tuple[str, list[Tag]]]:
    tenant_id = current_tenant().id
    names = dict(db().exec(select(TagGroup.id, TagGroup.name).where(TagGroup.tenant_id == tenant_id)).all())
    out: dict[int, tuple[str, list[Tag]]] = {}
    for tag in db().exec(select(Tag).where(Tag.tenant_id == tenant_id).order_by(Tag.group_id, Tag.id)):
        out.setdefault(tag.group_id, (names.get(tag.group_id, ""), []))[1].append(tag)
    return list(out.values())


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant, scope = current_tenant(), _scope()
    groups = tab_groups(db(), tenant.id, MATERIAL, scope)
    db().commit()  # the tab's default group, created on first visit
    group_id, q, kind = _int(request.args.get("group")), request.args.get("q", "").strip()[:50], \
        request.args.get("kind", "")
    per_page = _int(request.args.get("per_page")) or PAGE_SIZES[0]
    per_page = per_page if per_page in PAGE_SIZES else PAGE_SIZES[0]
    page = _int(request.args.get("page")) or 1
    query = select(Material).where(Material.tenant_id == tenant.id, Material.scope == scope,
                                   Material.deleted_at.is_(None))
    if group_id:
        query = query.where(Material.group_id == group_id)
    if kind in KINDS:
        query = query.where(Material.kind == kind)
    if q:
        pattern = f"%{q.replace('%', '').replace('_', '')}%"
        query = query.where(or_(Material.title.like(pattern), Material.file_name.like(pattern),
                                Material.summary.like(pattern)))
    total = db().exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(db().exec(query.order_by(Material.id.desc()).offset((page - 1) * per_page).limit(per_page)))
    counts = tracking.view_counts(db(), [m.id for m in rows])
    return render_template("wecom/materials/index.html", rows=rows, counts=counts, groups=groups,
                           group_names={g.id: g for g in groups}, scope=scope, group_id=group_id, q=q, kind=kind,
                           page=page, per_page=per_page, total=total, pages=max(1, -(-total // per_page)),
                           page_sizes=PAGE_SIZES, kinds=KINDS, kind_labels=KIND_LABELS, scope_labels=SCOPE_LABELS,
                           departments=departments())


def _values(material: Material | None) -> tuple[service.MaterialValues, dict[str, object]]:
    """The form's values and the upload errors (checked before anything decodes them)."""
    form = request.form
    values = service.MaterialValues(
        kind=form.get("kind", material.kind if material else ""), title=form.get("title", ""),
        group_id=_int(form.get("group_id")), summary=form.get("summary", ""), url=form.get("url", "").strip(),
        body=form.get("body", ""), appid=form.get("appid", "").strip(), page=form.get("page", "").strip(),
        text_link=form.get("text_link", "").strip(),
        tag_ids=[i for i in (_int(v) for v in form.getlist("tag_ids")) if i])
    errors: dict[str, object] = {}
    upload = request.files.get("file")
    if upload is not None and upload.filename and values.kind in service.FILE_KINDS:
        limit = {"poster": files.IMAGE_MAX, "video": files.VIDEO_MAX, "file": files.FILE_MAX}[values.kind]
        try:
            values.file = files.check_upload(values.kind, upload.read(limit + 1), upload.filename)
        except files.FileRejected as exc:
            errors["file"] = exc.message
    cover = request.files.get("cover")
    if cover is not None and cover.filename:
        try:
            values.cover = files.check_cover(cover.read(files.COVER_MAX + 1), cover.filename)
        except files.FileRejected as exc:
            errors["cover"] = exc.message
    return values, errors


def _form(scope: str, values, errors, material=None, status=200):
    groups = tab_groups(db(), current_tenant().id, MATERIAL, scope)
    return render_template("wecom/materials/form.html", scope=scope, values=values, errors=errors,
                           material=material, groups=groups, kinds=KINDS, kind_labels=KIND_LABELS,
                           tag_groups=tag_groups(), scope_labels=SCOPE_LABELS,
                           title_max=service.TITLE_MAX), status


def _save(scope: str, material: Material | None):
    values, errors = _values(material)
    if not errors:
        try:
            saved = service.save_material(db(), current_tenant().id, scope, values, current_user().email,
                                          material=material)
        except service.Invalid as exc:
            errors = exc.errors
        else:
            audit_action("wecom.material.update" if material else "wecom.material.create", str(saved.id),
                         title=saved.title, kind=saved.kind)
            db().commit()
            flash(_("Material saved."), "success")
            return redirect(url_for("wecom.materials.index", scope=scope))
    db().rollback()
    return _form(scope, values, errors, material, status=422)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def create():
    scope = _scope()
    if request.method == "POST":
        return _save(scope, None)
    values = service.MaterialValues(kind="poster", title="", group_id=_int(request.args.get("group")))
    return _form(scope, values, {})


@bp.route("/<int:material_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(material_id: int):
    material = _material_or_404(material_id)
    if request.method == "POST":
        return _save(material.scope, material)
    values = service.MaterialValues(kind=material.kind, title=material.title, group_id=material.group_id,
                                    summary=material.summary, url=material.url, body=material.body,
                                    appid=material.appid, page=material.page, text_link=material.text_link,
                                    tag_ids=list(material.track_tag_ids))
    return _form(material.scope, values, {}, material)


@bp.post("/<int:material_id>/delete")
@role_required(*STAFF)
def delete(material_id: int):
    material = _material_or_404(material_id)
    service.delete_material(material)
    audit_action("wecom.material.delete", str(material.id), title=material.title)
    db().commit()
    flash(_("Material deleted."), "success")
    return redirect(url_for("wecom.materials.index", scope=material.scope))


def _date(name: str) -> date | None:
    try:
        return date.fromisoformat(request.args.get(name, ""))
    except ValueError:
        return None


def _records_query(material: Material):
    """The browse records of the detail page with its filters (customer name, reminded employee, days)."""
    query = (select(MaterialView, Customer.name, Employee.name)
             .join(Customer, Customer.id == MaterialView.customer_id, isouter=True)
             .join(Employee, Employee.id == MaterialView.employee_id, isouter=True)
             .where(MaterialView.material_id == material.id, MaterialView.tenant_id == material.tenant_id))
    name = request.args.get("customer", "").strip()[:50]
    if name:
        query = query.where(Customer.name.like(f"%{name.replace('%', '')}%"))
    employee_id = _int(request.args.get("employee"))
    if employee_id:
        query = query.where(MaterialView.employee_id == employee_id)
    start, end = _date("start"), _date("end")
    if start:
        query = query.where(MaterialView.opened_at >= local_midnight(start))
    if end:
        query = query.where(MaterialView.opened_at < local_midnight(end + timedelta(days=1)))
    return query.order_by(MaterialView.opened_at.desc(), MaterialView.id.desc())


@bp.get("/<int:material_id>")
@role_required(*STAFF)
def detail(material_id: int):
    material = _material_or_404(material_id)
    records = list(db().exec(_records_query(material).limit(500)))
    reminded = list(db().exec(select(Employee).where(Employee.tenant_id == material.tenant_id, Employee.id.in_(
        select(MaterialView.employee_id).where(MaterialView.material_id == material.id))).order_by(Employee.name)))
    group = db().get(ContentGroup, material.group_id)
    return render_template("wecom/materials/detail.html", material=material, group=group, records=records,
                           overview=tracking.overview(db(), material), reminded=reminded,
                           kind_labels=KIND_LABELS, duration=tracking.format_duration,
                           cover=files.file_of(db(), material.id, COVER_ROLE),
                           file=files.file_of(db(), material.id, FILE_ROLE), args=request.args,
                           customer_url=customer_page_url)


@bp.get("/<int:material_id>/records.<any(csv, xlsx):fmt>")
@role_required(*STAFF)
def export(material_id: int, fmt: str):
    material = _material_or_404(material_id)
    rows = [[customer or "", employee or "", export_time(view.opened_at), tracking.format_duration(view.duration),
             export_time(view.reminded_at)] for view, customer, employee in db().exec(_records_query(material))]
    titles = [_("Customer"), _("Reminded employee"), zone_title(_("Opened at")), _("Browse time"),
              zone_title(_("Reminded at"))]
    audit_action("wecom.material.export", str(material.id), fmt=fmt, rows=len(rows))
    db().commit()
    name = f"material-{material.id}-records.{fmt}"
    if fmt == "xlsx":
        return send_file(tabular.xlsx_file(titles, rows, sheet=_("Browse records")), as_attachment=True,
                         download_name=name, mimetype=tabular.XLSX_MIMETYPE)
    return Response(tabular.csv_text(titles, rows), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


@bp.get("/<int:material_id>/share")
@role_required(*STAFF)
def share(material_id: int):
    """内部分享: the preview link and its QR (never tracked, spec 3.5)."""
    material = _material_or_404(material_id)
    return render_template("wecom/materials/share.html", material=material,
                           link=preview_url(db(), material))


@bp.get("/<int:material_id>/share.png")
@role_required(*STAFF)
def share_qr(material_id: int):
    material = _material_or_404(material_id)
    png = qr_codes.render_qr(preview_url(db(), material), qr_codes.DEFAULT_SIZE, None)
    return send_file(io.BytesIO(png), mimetype="image/png", as_attachment=request.args.get("download") == "1",
                     download_name=f"material-{material.id}.png")


# -- groups (of materials and of scripts) ------------------------------------------------------------------------------

def _group_back(library: str, scope: str):
    endpoint = "wecom.materials.index" if library == MATERIAL else "wecom.materials.scripts"
    return redirect(url_for(endpoint, scope=scope))


@bp.post("/groups/new")
@role_required(*STAFF)
def group_create():
    library = request.form.get("library", MATERIAL)
    if library not in (MATERIAL, "script"):
        abort(400)
    scope = _scope()
    return _group_save(library, scope, None)


@bp.post("/groups/<int:group_id>/edit")
@role_required(*STAFF)
def group_edit(group_id: int):
    group = _group_or_404(group_id)
    return _group_save(group.library, group.scope, group)


def _group_save(library: str, scope: str, group: ContentGroup | None):
    department_ids = [i for i in (_int(v) for v in request.form.getlist("department_ids")) if i]
    try:
        saved = service.save_group(db(), current_tenant().id, library, scope, request.form.get("name", ""),
                                   department_ids, group)
    except service.Invalid as exc:
        db().rollback()
        for message in exc.errors.values():
            flash(str(message), "error")
        return _group_back(library, scope)
    audit_action("wecom.content_group.save", str(saved.id), library=library, name=saved.name)
    db().commit()
    flash(_("Group saved."), "success")
    return _group_back(library, scope)


@bp.post("/groups/<int:group_id>/delete")
@role_required(*STAFF)
def group_delete(group_id: int):
    group = _group_or_404(group_id)
    library, scope = group.library, group.scope
    try:
        moved = service.delete_group(db(), group)
    except service.Invalid as exc:
        db().rollback()
        for message in exc.errors.values():
            flash(str(message), "error")
        return _group_back(library, scope)
    audit_action("wecom.content_group.delete", str(group_id), moved=moved)
    db().commit()
    flash(_("Group deleted; its items moved to the default group."), "success")
    return _group_back(library, scope)


from . import script_views  # noqa: E402,F401  (the script pages, on this blueprint)
