"""Tag pages: the category tree per tab (manual, automatic, and one tab per channel that owns tags through the
``tag_sources`` hook, e.g. WeCom), category visibility, creating several tags at once, automatic tags with their rule
and "Estimate", editing (rename, move), deleting, and the tag list with its metrics and filters.

A channel's tab lists its tags and sets its categories' visibility; every other change of a channel tag is made on the
channel's own page (``TagSource.manage_endpoint``, WeCom first), never here."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from sqlalchemy import select

from scrm.sdk import Department, Employee
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_membership,
    current_tenant,
    customer_visibility,
    db,
    parse_int,
    role_required,
    tenant_hooks,
)

from . import tag_catalog as catalog
from .audiences import validate_rule
from .jobs import evaluate_auto_tag
from .rule_form import parse_rule
from .tag_catalog import CatalogError
from .tagging import department_group_ids, visible_group_ids
from .web import bp, editor, filter_types, page_number, user_id

NAME_ROWS = 3
TAG_PAGE_SIZE = 10


def _sources() -> list:
    """The ``TagSource`` of every enabled plugin that owns tags (by order); a plugin cannot take over a local tab."""
    found = tenant_hooks().contribute("tag_sources", tenant=current_tenant())
    return sorted((s for s in found if s.source not in catalog.TABS), key=lambda s: (s.order, s.source))


def _source(tab: str):
    return next((s for s in _sources() if s.source == tab), None)


def _tab() -> str:
    tab = request.values.get("tab", "manual")
    return tab if tab in catalog.TABS or _source(tab) is not None else "manual"


def _int_arg(name: str) -> int | None:
    return parse_int(request.args.get(name), low=0)


def _visible() -> set[int]:
    return visible_group_ids(db(), current_tenant().id, current_membership())


def _posted_category() -> int | None:
    """The posted ``category_id`` if the user may see that category."""
    category_id = parse_int(request.form.get("category_id"), low=0)
    return category_id if category_id is not None and category_id in _visible() else None


def _category_arg(visible: set[int]) -> int | None:
    category_id = parse_int(request.args.get("category"))
    return category_id if category_id in visible else None


def _render_index(errors: dict[str, str] | None = None, status: int = 200, form: dict | None = None):
    tenant, tab, visible = current_tenant(), _tab(), _visible()
    sources = _sources()
    channel = next((s for s in sources if s.source == tab), None)
    category_id = _category_arg(visible)
    department_id = _int_arg("department") if tab != "auto" else None
    listed = visible & department_group_ids(db(), tenant.id, department_id) if department_id else visible
    creator_id = _int_arg("creator")
    newest_first = request.args.get("sort", "updated_desc") != "updated_asc"
    page = page_number()
    rows, total = catalog.tag_rows(db(), tenant.id, tab, listed, category_id, request.args.get("q", ""),
                                   newest_first, TAG_PAGE_SIZE, (page - 1) * TAG_PAGE_SIZE, creator_id=creator_id,
                                   scope=customer_visibility())
    tree = catalog.category_tree(db(), tenant.id, tab, visible)
    selected = catalog.get_category(db(), tenant.id, category_id) if category_id else None
    departments = db().execute(select(Department).where(Department.tenant_id == tenant.id)
                               .order_by(Department.name)).scalars().all()
    manage_url = url_for(channel.manage_endpoint, tenant=tenant.slug) if channel is not None else None
    return render_template("members/segments/tags.html", tab=tab, tree=tree, rows=rows, total=total, page=page,
                           pages=max(1, -(-total // TAG_PAGE_SIZE)), selected=selected, newest_first=newest_first,
                           sources=sources, channel=channel, manage_url=manage_url, departments=departments,
                           department_id=department_id, creators=catalog.creators(db(), tenant.id, tab),
                           creator_id=creator_id, errors=errors or {}, form=form or {}), status


@bp.get("/tags/")
@role_required(*STAFF)
def tags():
    return _render_index()


@bp.post("/tags/categories")
@role_required(*STAFF)
def category_create():
    tab = _tab()
    channel = _source(tab)
    if channel is not None:
        return _render_index({"category": _("%(title)s: groups and tags are created on the channel's own page.",
                                            title=channel.title)}, 422)
    try:
        group = catalog.create_category(db(), current_tenant().id, tab, request.form.get("name", ""),
                                        request.form.get("parent_id") or None)
    except CatalogError as exc:
        db().rollback()
        return _render_index(exc.fields, 422, dict(request.form))
    audit_action("members.tag_category.create", group.name)
    db().commit()
    flash(_("Category saved."), "success")
    return redirect(url_for("members.segments.tags", tab=tab, category=group.id))


def _category_or_404(category_id: int, channels: bool = False):
    """A visible category of a local tab; with ``channels``, also of an enabled channel's tab (visibility only)."""
    group = catalog.get_category(db(), current_tenant().id, category_id)
    if group is None or group.id not in _visible():
        abort(404)
    if group.source not in catalog.TABS and not (channels and _source(group.source) is not None):
        abort(404)
    return group


@bp.post("/tags/categories/<int:category_id>/rename")
@role_required(*STAFF)
def category_rename(category_id: int):
    group = _category_or_404(category_id)
    try:
        catalog.rename_category(db(), group, request.form.get("name", ""))
        db().flush()
    except CatalogError as exc:
        db().rollback()
        return _render_index({"rename": exc.fields.get("name", str(exc))}, 422)
    audit_action("members.tag_category.rename", group.name)
    db().commit()
    flash(_("Category renamed."), "success")
    return redirect(url_for("members.segments.tags", tab=group.source, category=group.id))


@bp.post("/tags/categories/<int:category_id>/delete")
@role_required(*STAFF)
def category_delete(category_id: int):
    group = _category_or_404(category_id)
    tab = group.source
    try:
        catalog.delete_category(db(), group)
    except CatalogError as exc:
        return _render_index({"category": exc.fields["category"]}, 422)
    audit_action("members.tag_category.delete", group.name)
    db().commit()
    flash(_("Category deleted."), "success")
    return redirect(url_for("members.segments.tags", tab=tab))


@bp.route("/tags/categories/<int:category_id>/scope", methods=["GET", "POST"])
@role_required(*STAFF)
def category_scope(category_id: int):
    """Who may see and use the category's tags; channel categories (WeCom groups) get their scope here too."""
    group = _category_or_404(category_id, channels=True)
    tenant = current_tenant()
    error, status = None, 200
    if request.method == "POST":
        try:
            catalog.set_category_scope(db(), group, request.form.getlist("department_id"),
                                       request.form.getlist("employee_id"))
        except CatalogError as exc:
            db().rollback()
            error, status = exc.fields["scope"], 422
        else:
            audit_action("members.tag_category.scope", group.name)
            db().commit()
            flash(_("Visibility saved."), "success")
            return redirect(url_for("members.segments.tags", tab=group.source, category=group.id))
    departments = db().execute(select(Department).where(Department.tenant_id == tenant.id)
                               .order_by(Department.name)).scalars().all()
    employees = db().execute(select(Employee).where(Employee.tenant_id == tenant.id)
                             .order_by(Employee.name)).scalars().all()
    chosen_d, chosen_e = catalog.category_scope(db(), group)
    if request.method == "POST":
        chosen_d = {d for d in map(parse_int, request.form.getlist("department_id")) if d is not None}
        chosen_e = {e for e in map(parse_int, request.form.getlist("employee_id")) if e is not None}
    return render_template("members/segments/tag_scope.html", group=group, departments=departments,
                           employees=employees, chosen_d=chosen_d, chosen_e=chosen_e, error=error), status


@bp.get("/tags/name-row")
@role_required(*STAFF)
def tag_name_row():
    """One more name input for the "+" button of the new-tags form (htmx)."""
    return render_template("members/segments/_tag_name_row.html")


def _categories_for(tab: str):
    visible = _visible()
    return [g for g in catalog.categories(db(), current_tenant().id, tab) if g.id in visible]


@bp.route("/tags/new", methods=["GET", "POST"])
@role_required(*STAFF)
def tag_new():
    """Create several manual tags of one category in a single save."""
    errors, status = {}, 200
    names = request.form.getlist("name") if request.method == "POST" else [""] * NAME_ROWS
    if request.method == "POST":
        try:
            created = catalog.create_tags(db(), current_tenant().id, _posted_category(), names, user_id())
        except CatalogError as exc:
            db().rollback()
            errors, status = exc.fields, 422
        else:
            audit_action("members.tag.create", ", ".join(t.name for t in created))
            db().commit()
            flash(_("%(n)d tags created.", n=len(created)), "success")
            return redirect(url_for("members.segments.tags", tab="manual", category=created[0].group_id))
    return render_template("members/segments/tag_new.html", categories=_categories_for("manual"), names=names,
                           errors=errors, form=request.form), status


def _save_auto_tag(tag=None):
    tenant = current_tenant()
    types = filter_types()
    rule = parse_rule(request.form, types)
    errors: dict[str, str] = {}
    message = validate_rule(db(), tenant.id, rule, types)
    if message:
        errors["rule"] = message
    category_id = _posted_category()
    try:
        if errors:
            raise CatalogError(errors)
        if tag is None:
            tag = catalog.create_tags(db(), tenant.id, category_id, [request.form.get("name", "")], user_id(),
                                      tab="auto", rule=rule)[0]
        else:
            catalog.update_tag(db(), tag, request.form.get("name", ""), category_id, user_id(), rule=rule)
    except CatalogError as exc:
        db().rollback()
        return None, {**errors, **exc.fields}, rule
    return tag, {}, rule


@bp.route("/tags/auto/new", methods=["GET", "POST"])
@role_required(*STAFF)
def auto_tag_new():
    """Create an automatic tag: category, name and rule; it is evaluated at once and then hourly."""
    types = filter_types()
    rule, errors, status = None, {}, 200
    if request.method == "POST":
        tag, errors, rule = _save_auto_tag()
        if tag is not None:
            audit_action("members.tag.create", tag.name, auto=True)
            db().commit()
            _evaluate_soon(tag.id)
            flash(_("Automatic tag saved; it is being applied."), "success")
            return redirect(url_for("members.segments.tags", tab="auto", category=tag.group_id))
        status = 422
    return render_template("members/segments/tag_auto.html", tag=None, categories=_categories_for("auto"),
                           errors=errors, form=request.form, **editor(rule, types)), status


def _evaluate_soon(tag_id: int) -> None:
    """Enqueue the evaluator; if the broker is down, the hourly schedule applies the tag later."""
    try:
        evaluate_auto_tag.send(current_tenant().id, tag_id=tag_id)
    except Exception:  # noqa: BLE001 - the recurring schedule is the durable path
        flash(_("The tag will be applied by the next hourly run."), "info")


def _tag_or_404(tag_id: int):
    tag = catalog.get_tag(db(), current_tenant().id, tag_id)
    if tag is None or tag.group_id not in _visible():
        abort(404)
    group = catalog.get_category(db(), current_tenant().id, tag.group_id)
    if group is None or group.source not in catalog.TABS:
        abort(404)
    return tag, group


@bp.route("/tags/<int:tag_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def tag_edit(tag_id: int):
    """Rename a tag, move it to another category of its tab, or change an automatic tag's rule."""
    tag, group = _tag_or_404(tag_id)
    meta = catalog.tag_meta(db(), tag)
    errors, status = {}, 200
    if group.source == "auto":
        types = filter_types()
        rule = meta.rule
        if request.method == "POST":
            saved, errors, rule = _save_auto_tag(tag)
            if saved is not None:
                audit_action("members.tag.update", tag.name, auto=True)
                db().commit()
                _evaluate_soon(tag.id)
                flash(_("Automatic tag saved; it is being applied."), "success")
                return redirect(url_for("members.segments.tags", tab="auto", category=tag.group_id))
            status = 422
            tag, group = _tag_or_404(tag_id)
        return render_template("members/segments/tag_auto.html", tag=tag, categories=_categories_for("auto"),
                               errors=errors, form=request.form if request.method == "POST" else
                               {"name": tag.name, "category_id": str(tag.group_id)},
                               **editor(rule, types)), status
    if request.method == "POST":
        try:
            catalog.update_tag(db(), tag, request.form.get("name", ""), _posted_category(), user_id())
        except CatalogError as exc:
            db().rollback()
            errors, status = exc.fields, 422
            tag, group = _tag_or_404(tag_id)
        else:
            audit_action("members.tag.update", tag.name)
            db().commit()
            flash(_("Tag saved."), "success")
            return redirect(url_for("members.segments.tags", tab=group.source, category=tag.group_id))
    form = request.form if request.method == "POST" else {"name": tag.name, "category_id": str(tag.group_id)}
    return render_template("members/segments/tag_edit.html", tag=tag, categories=_categories_for(group.source),
                           errors=errors, form=form), status


@bp.route("/tags/<int:tag_id>/delete", methods=["GET", "POST"])
@role_required(*STAFF)
def tag_delete(tag_id: int):
    """GET asks for confirmation; POST deletes the tag and its links."""
    tag, group = _tag_or_404(tag_id)
    if request.method == "GET":
        people = catalog.tagged_people(db(), current_tenant().id, tag.id)
        return render_template("members/segments/confirm.html", title=_("Delete tag"),
                               message=_("Delete the tag “%(name)s”? %(n)d customers carry it; they lose it.",
                                         name=tag.name, n=people),
                               action=url_for("members.segments.tag_delete", tag_id=tag.id),
                               cancel=url_for("members.segments.tags", tab=group.source))
    name, tab = tag.name, group.source
    catalog.delete_tag(db(), tag)
    audit_action("members.tag.delete", name)
    db().commit()
    flash(_("Tag deleted."), "success")
    return redirect(url_for("members.segments.tags", tab=tab))


@bp.post("/tags/<int:tag_id>/evaluate")
@role_required(*STAFF)
def auto_tag_run(tag_id: int):
    """Apply an automatic tag now (enqueued)."""
    tag, group = _tag_or_404(tag_id)
    if group.source != "auto":
        return redirect(url_for("members.segments.tags", tab=group.source))
    _evaluate_soon(tag.id)
    flash(_("The tag is being applied."), "success")
    return redirect(url_for("members.segments.tags", tab="auto", category=tag.group_id))
