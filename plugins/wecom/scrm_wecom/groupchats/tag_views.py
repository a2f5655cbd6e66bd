"""The group tag management page under ``/t/<tenant>/wecom/groupchats/tags/`` (endpoints
``wecom.groupchats.tags.*``): tag groups and their tags, created, renamed and deleted. Bad input re-renders the page
with the message (422) and changes nothing."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import ngettext

from scrm.sdk.web import STAFF, audit_action, current_tenant, current_user, db, role_required

from . import tags

bp = Blueprint("tags", __name__, url_prefix="/tags", template_folder="../templates")


def _operator() -> str:
    user = current_user()
    return user.email if user is not None else "api"


def _page(errors: dict[str, str] | None = None, status: int = 200):
    return render_template("wecom/groupchats/tags.html", groups=tags.tag_groups(db(), current_tenant().id),
                           errors=errors or {}, form=request.form if errors else {}), status


def _done(message: str):
    db().commit()
    flash(message, "success")
    return redirect(url_for("wecom.groupchats.tags.index"))


def _group(group_id: int):
    return tags.find_group(db(), current_tenant().id, group_id) or abort(404)


def _tag(tag_id: int):
    return tags.find_tag(db(), current_tenant().id, tag_id) or abort(404)


@bp.get("/")
@role_required(*STAFF)
def index():
    return _page()


@bp.post("/groups")
@role_required(*STAFF)
def create_group():
    try:
        group = tags.create_group(db(), current_tenant().id, request.form.get("name"), request.form.get("tags"))
    except tags.TagError as exc:
        db().rollback()
        return _page({"new": exc.message}, 422)
    audit_action("wecom.group_tags.group_created", f"wecom_group_tag_group:{group.id}", name=group.name)
    return _done(_("Tag group %(name)s created.", name=group.name))


@bp.post("/groups/<int:group_id>")
@role_required(*STAFF)
def rename_group(group_id: int):
    group = _group(group_id)
    try:
        tags.rename_group(db(), group, request.form.get("name"))
    except tags.TagError as exc:
        db().rollback()
        return _page({f"group-{group_id}": exc.message}, 422)
    audit_action("wecom.group_tags.group_renamed", f"wecom_group_tag_group:{group.id}", name=group.name)
    return _done(_("Tag group renamed to %(name)s.", name=group.name))


@bp.post("/groups/<int:group_id>/delete")
@role_required(*STAFF)
def delete_group(group_id: int):
    group = _group(group_id)
    name = group.name
    tags.delete_group(db(), group)
    audit_action("wecom.group_tags.group_deleted", f"wecom_group_tag_group:{group_id}", name=name)
    return _done(_("Tag group %(name)s deleted.", name=name))


@bp.post("/groups/<int:group_id>/tags")
@role_required(*STAFF)
def add_tags(group_id: int):
    group = _group(group_id)
    try:
        added = tags.add_tags(db(), group, request.form.get("tags"))
    except tags.TagError as exc:
        db().rollback()
        return _page({f"tags-{group_id}": exc.message}, 422)
    audit_action("wecom.group_tags.tags_added", f"wecom_group_tag_group:{group.id}", tags=[t.name for t in added])
    return _done(ngettext("%(num)s tag added to %(name)s.", "%(num)s tags added to %(name)s.", len(added),
                          name=group.name))


@bp.post("/<int:tag_id>")
@role_required(*STAFF)
def rename_tag(tag_id: int):
    tag = _tag(tag_id)
    try:
        tags.rename_tag(db(), tag, request.form.get("name"))
    except tags.TagError as exc:
        db().rollback()
        return _page({f"tag-{tag_id}": exc.message}, 422)
    audit_action("wecom.group_tags.tag_renamed", f"wecom_group_tag:{tag.id}", name=tag.name)
    return _done(_("Tag renamed to %(name)s.", name=tag.name))


@bp.post("/<int:tag_id>/delete")
@role_required(*STAFF)
def delete_tag(tag_id: int):
    tag = _tag(tag_id)
    name = tag.name
    tags.delete_tag(db(), tag)
    audit_action("wecom.group_tags.tag_deleted", f"wecom_group_tag:{tag_id}", name=name)
    return _done(_("Tag %(name)s deleted.", name=name))
