"""Segment pages: the dynamic and static tabs with their categories, create and edit with the condition editor,
the group profile with its member list, Update / Stop / Resume / Delete, manual picks and the CSV export."""

from __future__ import annotations

from flask import Response, abort, flash, redirect, render_template, request, stream_with_context, url_for
from flask_babel import gettext as _
from sqlalchemy import func, select

from scrm.sdk import AudienceError, Customer, User, export_time, mask_mobile, tabular, zone_title
from scrm.sdk.web import (
    STAFF,
    audit_action,
    code_label,
    current_tenant,
    customer_visibility,
    db,
    role_required,
    translate,
)

from . import segment_store as store
from .audiences import describe
from .inline_category import resolve_new_category
from .models import Segment, SegmentKind, SegmentMember, SegmentMode, SegmentState
from .rule_form import parse_rule
from .segment_profile import profile
from .segment_store import SegmentError
from .web import (
    PAGE_SIZE,
    bp,
    count_query,
    editor,
    filter_types,
    page_number,
    safe_next,
    search_customers,
    user_id,
)

CARDS_PER_PAGE = 9
EXPORT_BATCH = 1000


def _kind() -> str:
    kind = request.values.get("kind", SegmentKind.DYNAMIC.value)
    return kind if kind in store.KINDS else SegmentKind.DYNAMIC.value


def _render_index(errors: dict[str, str] | None = None, status: int = 200):
    tenant, kind = current_tenant(), _kind()
    query = select(Segment).where(Segment.tenant_id == tenant.id, Segment.kind == kind)
    category = store.get_category(db(), tenant.id, request.args.get("category"), kind)
    if category is not None:
        query = query.where(Segment.category_id == category.id)
    q = request.args.get("q", "").strip()
    if q:
        query = query.where(Segment.name.contains(q))
    creator = request.args.get("creator", "")
    if creator.isdigit():
        query = query.where(Segment.created_by == int(creator))
    total = count_query(query)
    page = page_number()
    segments = db().execute(query.order_by(Segment.created_at.desc(), Segment.id.desc())
                            .limit(CARDS_PER_PAGE).offset((page - 1) * CARDS_PER_PAGE)).scalars().all()
    categories = store.categories(db(), tenant.id, kind)
    counts = dict(db().execute(select(Segment.category_id, func.count()).where(Segment.tenant_id == tenant.id,
                                                                               Segment.kind == kind)
                               .group_by(Segment.category_id)).all())
    creators = db().execute(select(User.id, User.name, User.email).where(User.id.in_(
        select(Segment.created_by).where(Segment.tenant_id == tenant.id)))).all()
    names = {c.id: c.name for c in categories}
    scope = customer_visibility()
    member_counts = ({s.id: s.member_count for s in segments} if scope is None else
                     store.visible_member_counts(db(), tenant.id, [s.id for s in segments], scope))
    return render_template("members/segments/index.html", kind=kind, segments=segments, total=total, page=page,
                           member_counts=member_counts,
                           pages=max(1, -(-total // CARDS_PER_PAGE)), categories=categories, counts=counts,
                           category=category, names=names, creators=creators, errors=errors or {},
                           all_count=sum(counts.values())), status


@bp.get("/segments/")
@role_required(*STAFF)
def index():
    return _render_index()


@bp.post("/segments/categories")
@role_required(*STAFF)
def segment_category_create():
    kind = _kind()
    try:
        row = store.create_category(db(), current_tenant().id, kind, request.form.get("name", ""))
    except SegmentError as exc:
        db().rollback()
        return _render_index({"category": next(iter(exc.fields.values()))}, 422)
    audit_action("members.segment_category.create", row.name)
    db().commit()
    flash(_("Category saved."), "success")
    return redirect(url_for("members.segments.index", kind=kind, category=row.id))


def _category_or_404(category_id: int):
    row = store.get_category(db(), current_tenant().id, category_id)
    if row is None:
        abort(404)
    return row


@bp.post("/segments/categories/<int:category_id>/rename")
@role_required(*STAFF)
def segment_category_rename(category_id: int):
    row = _category_or_404(category_id)
    try:
        store.rename_category(db(), row, request.form.get("name", ""))
        db().flush()
    except SegmentError as exc:
        db().rollback()
        return _render_index({"category": next(iter(exc.fields.values()))}, 422)
    audit_action("members.segment_category.rename", row.name)
    db().commit()
    flash(_("Category renamed."), "success")
    return redirect(url_for("members.segments.index", kind=row.kind, category=row.id))


@bp.post("/segments/categories/<int:category_id>/delete")
@role_required(*STAFF)
def segment_category_delete(category_id: int):
    row = _category_or_404(category_id)
    kind, name = row.kind, row.name
    try:
        store.delete_category(db(), row)
    except SegmentError as exc:
        return _render_index({"category": exc.fields["category"]}, 422)
    audit_action("members.segment_category.delete", name)
    db().commit()
    flash(_("Category deleted."), "success")
    return redirect(url_for("members.segments.index", kind=kind))


def _form_data(types: list) -> dict:
    return {"name": request.form.get("name", ""), "description": request.form.get("description", ""),
            "category_id": request.form.get("category_id", ""), "kind": request.form.get("kind", ""),
            "new_category": request.form.get("new_category", ""),
            "mode": request.form.get("mode", SegmentMode.CONDITIONS.value), "rule": parse_rule(request.form, types)}


def _render_form(segment, kind: str, data: dict, types: list, errors: dict, status: int):
    return render_template("members/segments/segment_form.html", segment=segment, kind=kind, data=data,
                           categories=store.categories(db(), current_tenant().id, kind), errors=errors,
                           **editor(data.get("rule"), types)), status


@bp.route("/segments/new", methods=["GET", "POST"])
@role_required(*STAFF)
def segment_new():
    types, kind = filter_types(), _kind()
    if request.method == "GET":
        data = {"kind": kind, "mode": SegmentMode.CONDITIONS.value,
                "category_id": request.args.get("category", ""), "rule": None}
        return _render_form(None, kind, data, types, {}, 200)
    data = _form_data(types)
    try:
        resolve_new_category(db(), current_tenant().id, kind, data, types)
        clean = store.validate(db(), current_tenant().id, data, types)
        segment = store.create_segment(db(), current_tenant().id, clean, types, user_id())
    except SegmentError as exc:
        db().rollback()
        return _render_form(None, kind, data, types, exc.fields, 422)
    audit_action("members.segment.create", segment.name, kind=segment.kind, members=segment.member_count)
    db().commit()
    flash(_("Segment saved with %(n)d customers.", n=_visible_count(segment)), "success")
    return redirect(url_for("members.segments.detail", segment_id=segment.id))


def _visible_count(segment: Segment) -> int:
    """The segment's live members the user may see (its stored count when the user sees every customer)."""
    scope = customer_visibility()
    if scope is None:
        return segment.member_count
    return store.visible_member_counts(db(), segment.tenant_id, [segment.id], scope)[segment.id]


def _segment_or_404(segment_id: int) -> Segment:
    segment = store.get_segment(db(), current_tenant().id, segment_id)
    if segment is None:
        abort(404)
    return segment


@bp.route("/segments/<int:segment_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def segment_edit(segment_id: int):
    segment = _segment_or_404(segment_id)
    types = filter_types()
    if request.method == "GET":
        data = {"name": segment.name, "description": segment.description, "category_id": str(segment.category_id),
                "kind": segment.kind, "mode": segment.mode, "rule": segment.rule}
        return _render_form(segment, segment.kind, data, types, {}, 200)
    data = {**_form_data(types), "kind": segment.kind, "mode": segment.mode}
    try:
        resolve_new_category(db(), current_tenant().id, segment.kind, data, types, segment)
        clean = store.validate(db(), current_tenant().id, data, types, segment)
        store.update_segment(db(), segment, clean, types)
    except (SegmentError, AudienceError) as exc:
        db().rollback()
        fields = exc.fields if isinstance(exc, SegmentError) else {"rule": translate(exc.message)}
        return _render_form(_segment_or_404(segment_id), segment.kind, data, types, fields, 422)
    audit_action("members.segment.update", segment.name)
    db().commit()
    flash(_("Segment saved."), "success")
    return redirect(url_for("members.segments.detail", segment_id=segment.id))


def _extra_panels(segment: Segment) -> list:
    """Panels other areas of the plugin contribute to the group profile (``Area.extra["segment_panels"]``)."""
    from ..plugin import areas

    panels = []
    for area in areas():
        contribute = area.extra.get("segment_panels")
        if contribute is not None:
            panels.extend(contribute(current_tenant(), segment, db()) or [])
    return sorted(panels, key=lambda p: p.order)


@bp.get("/segments/<int:segment_id>")
@role_required(*STAFF)
def detail(segment_id: int):
    segment = _segment_or_404(segment_id)
    tenant = current_tenant()
    types = filter_types()
    page = page_number()
    scope = customer_visibility()
    members = db().execute(store.members_query(segment, scope).order_by(SegmentMember.added_at.desc())
                           .limit(PAGE_SIZE).offset((page - 1) * PAGE_SIZE)).all()
    data = profile(db(), segment, scope)
    category = store.get_category(db(), tenant.id, segment.category_id)
    creator = db().get(User, segment.created_by) if segment.created_by else None
    candidates = search_customers(request.args.get("q", "")) if segment.mode == SegmentMode.MANUAL.value else []
    return render_template("members/segments/detail.html", segment=segment, category=category, creator=creator,
                           rule_text=describe(db(), tenant.id, segment.rule, types), profile=data,
                           members=members, page=page, pages=max(1, -(-data.total // PAGE_SIZE)),
                           candidates=candidates, panels=_extra_panels(segment),
                           mask=tenant.mask_mobiles, mask_mobile=mask_mobile)


@bp.post("/segments/<int:segment_id>/refresh")
@role_required(*STAFF)
def refresh(segment_id: int):
    """"Update": recompute the members now (dynamic, or static by conditions)."""
    segment = _segment_or_404(segment_id)
    if segment.mode != SegmentMode.CONDITIONS.value:
        flash(_("A segment picked by hand changes only when you add or remove customers."), "error")
        return redirect(url_for("members.segments.detail", segment_id=segment.id))
    try:
        count = store.materialize(db(), segment, filter_types())
    except AudienceError as exc:
        db().rollback()
        flash(_("The conditions cannot be evaluated: %(error)s", error=translate(exc.message)), "error")
        return redirect(url_for("members.segments.detail", segment_id=segment_id))
    audit_action("members.segment.refresh", segment.name, members=count)
    db().commit()
    flash(_("Segment updated: %(n)d customers.", n=_visible_count(segment)), "success")
    return redirect(url_for("members.segments.detail", segment_id=segment.id))


@bp.route("/segments/<int:segment_id>/stop", methods=["GET", "POST"])
@role_required(*STAFF)
def stop(segment_id: int):
    """GET asks for confirmation; POST stops the daily refresh of a dynamic segment (members are kept)."""
    segment = _segment_or_404(segment_id)
    if segment.kind != SegmentKind.DYNAMIC.value:
        abort(404)
    if request.method == "GET":
        return render_template("members/segments/confirm.html", title=_("Stop segment"),
                               message=_("Stop “%(name)s”? Its members will no longer be updated automatically.",
                                         name=segment.name),
                               action=url_for("members.segments.stop", segment_id=segment.id),
                               cancel=url_for("members.segments.detail", segment_id=segment.id))
    store.set_state(db(), segment, SegmentState.STOPPED.value)
    audit_action("members.segment.stop", segment.name)
    db().commit()
    flash(_("Segment stopped."), "success")
    return redirect(url_for("members.segments.detail", segment_id=segment.id))


@bp.post("/segments/<int:segment_id>/resume")
@role_required(*STAFF)
def resume(segment_id: int):
    segment = _segment_or_404(segment_id)
    if segment.kind != SegmentKind.DYNAMIC.value:
        abort(404)
    store.set_state(db(), segment, SegmentState.RUNNING.value)
    audit_action("members.segment.resume", segment.name)
    db().commit()
    flash(_("Segment running again; it is updated daily."), "success")
    return redirect(url_for("members.segments.detail", segment_id=segment.id))


@bp.route("/segments/<int:segment_id>/delete", methods=["GET", "POST"])
@role_required(*STAFF)
def delete(segment_id: int):
    """GET asks for confirmation; POST deletes the segment (its customers stay)."""
    segment = _segment_or_404(segment_id)
    if request.method == "GET":
        return render_template("members/segments/confirm.html", title=_("Delete segment"),
                               message=_("Delete “%(name)s”? The segment goes; its %(n)d customers stay.",
                                         name=segment.name, n=_visible_count(segment)),
                               action=url_for("members.segments.delete", segment_id=segment.id),
                               cancel=url_for("members.segments.detail", segment_id=segment.id))
    kind, name = segment.kind, segment.name
    store.delete_segment(db(), segment)
    audit_action("members.segment.delete", name)
    db().commit()
    flash(_("Segment deleted."), "success")
    return redirect(url_for("members.segments.index", kind=kind))


def _picked_members(segment_id: int, add: bool):
    segment = _segment_or_404(segment_id)
    back = safe_next(url_for("members.segments.detail", segment_id=segment.id))
    try:
        if add:
            changed = store.add_members(db(), segment, request.form.getlist("customer_id"), customer_visibility())
        else:
            changed = store.remove_members(db(), segment, request.form.getlist("customer_id"), customer_visibility())
    except SegmentError as exc:
        db().rollback()
        flash(next(iter(exc.fields.values())), "error")
        return redirect(back)
    audit_action("members.segment.add" if add else "members.segment.remove", segment.name, customers=changed)
    db().commit()
    flash(_("%(n)d customers added.", n=changed) if add else _("%(n)d customers removed.", n=changed), "success")
    return redirect(back)


@bp.post("/segments/<int:segment_id>/members/add")
@role_required(*STAFF)
def add_members(segment_id: int):
    """Add the posted ``customer_id`` values to a segment picked by hand."""
    return _picked_members(segment_id, True)


@bp.post("/segments/<int:segment_id>/members/remove")
@role_required(*STAFF)
def remove_members(segment_id: int):
    return _picked_members(segment_id, False)


@bp.get("/segments/<int:segment_id>/export.csv")
@role_required(*STAFF)
def export(segment_id: int):
    """The segment's members the user may see as CSV (mobiles masked when the tenant masks them)."""
    segment = _segment_or_404(segment_id)
    tenant = current_tenant()
    scope = customer_visibility()
    header = [_("Customer ID"), _("Name"), _("Mobile"), _("Gender"), _("Member"), _("Source"), zone_title(_("Joined"))]
    session = db()

    def rows():
        """Batches by customer id (keyset): no server-side cursor stays open across the streamed response."""
        last = None
        while True:
            query = store.members_query(segment, scope).order_by(Customer.id.desc()).limit(EXPORT_BATCH)
            if last is not None:
                query = query.where(Customer.id < last)
            batch = session.execute(query).all()
            if not batch:
                break
            for customer, added_at in batch:
                mobile = mask_mobile(customer.mobile) if tenant.mask_mobiles else (customer.mobile or "")
                yield [customer.id, customer.name, mobile, customer.gender, int(customer.is_member),
                       code_label("customer.source", customer.source), export_time(added_at)]
            last = batch[-1][0].id
        session.commit()  # end the read transaction before the connection goes back to the pool

    audit_action("members.segment.export", segment.name)
    session.commit()
    filename = f"segment-{segment.id}.csv"
    return Response(stream_with_context(tabular.csv_stream(header, rows())), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"'})
