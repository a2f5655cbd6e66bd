"""Member level pages: the ladder (list, new, edit, delete; tenant admins change it) and giving customers a level, one
from the profile or many from the customer list (the ticked rows or everything the list's filter matches)."""

from __future__ import annotations

from flask import abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scrm.sdk.web import (
    ADMIN,
    STAFF,
    audit_action,
    current_tenant,
    customer_visibility,
    db,
    next_target,
    role_required,
)

from . import levels
from .models import MemberLevel
from .web import actor_name, bp


def _level_or_404(level_id: int) -> MemberLevel:
    level = levels.get_level(db(), current_tenant().id, level_id)
    if level is None:
        abort(404)
    return level


@bp.get("/levels/")
@role_required(*STAFF)
def levels_page():
    tenant = current_tenant()
    return render_template("members/loyalty/levels.html", ladder=levels.ladder(db(), tenant.id),
                           holders=levels.holder_counts(db(), tenant.id, customer_visibility()),
                           validity_text=levels.validity_text)


def _form(level: MemberLevel | None, data: dict, errors: dict, status: int = 200):
    return render_template("members/loyalty/level_form.html", level=level, data=data, errors=errors), status


def _form_data(level: MemberLevel | None) -> dict:
    if request.method == "POST":
        return {key: request.form.get(key, "") for key in ("name", "rank", "description", "validity",
                                                           "validity_months")}
    if level is None:
        ranks = [lv.rank for lv in levels.ladder(db(), current_tenant().id)]
        return {"name": "", "rank": max(ranks, default=0) + 1, "description": "", "validity": "permanent",
                "validity_months": ""}
    return {"name": level.name, "rank": level.rank, "description": level.description,
            "validity": "permanent" if level.validity_months is None else "months",
            "validity_months": level.validity_months or ""}


def _save(level: MemberLevel | None):
    data = _form_data(level)
    if request.method == "GET":
        return _form(level, data, {})
    try:
        clean = levels.clean_level(db(), current_tenant().id, data, level)
    except levels.LevelError as exc:
        return _form(level, data, exc.errors, 422)
    saved = levels.save_level(db(), current_tenant().id, clean, level)
    audit_action("members.level.save", f"level:{saved.id}", **{k: v for k, v in clean.items()})
    db().commit()
    flash(_("Level %(name)s saved.", name=saved.name), "success")
    return redirect(url_for("members.loyalty.levels_page"))


@bp.route("/levels/new", methods=["GET", "POST"])
@role_required(*ADMIN)
def level_new():
    return _save(None)


@bp.route("/levels/<int:level_id>/edit", methods=["GET", "POST"])
@role_required(*ADMIN)
def level_edit(level_id: int):
    return _save(_level_or_404(level_id))


@bp.post("/levels/<int:level_id>/delete")
@role_required(*ADMIN)
def level_delete(level_id: int):
    level = _level_or_404(level_id)
    name = level.name
    try:
        levels.delete_level(db(), current_tenant().id, level)
    except levels.LevelError as exc:
        db().rollback()
        flash(exc.errors["level"], "error")
        return redirect(url_for("members.loyalty.levels_page"))
    audit_action("members.level.delete", f"level:{level_id}", name=name)
    db().commit()
    flash(_("Level %(name)s deleted.", name=name), "success")
    return redirect(url_for("members.loyalty.levels_page"))


@bp.post("/levels/assign")
@role_required(*STAFF)
def level_assign():
    """Give the selected customers a level (or take it away): ``level_id`` (empty: no level) and ``validity``
    (``default``, ``permanent`` or ``until`` with ``valid_until``)."""
    from ..customers.views import Selection, choosing

    values = request.form
    selection = Selection(values)
    tenant = current_tenant()
    errors: dict[str, str] = {}
    status = 200
    if not selection.ids:
        errors["customers"], status = _("Choose at least one customer."), 422
    elif not choosing(values):
        raw_level = values.get("level_id", "")
        level = levels.get_level(db(), tenant.id, raw_level)
        validity = values.get("validity", "default")
        if raw_level and level is None:
            errors["level_id"] = _("Choose one of the levels.")
        else:
            try:
                until = None
                if level is not None:
                    raw = values.get("valid_until", "") if validity == "until" else validity
                    if validity == "until" and not raw:
                        raise levels.LevelError({"valid_until": _("Give the last valid day.")})
                    until = levels.valid_until_for(level, raw)
            except levels.LevelError as exc:
                errors.update(exc.errors)
            else:
                count = levels.assign(db(), tenant.id, selection.ids, level, until, actor=actor_name())
                audit_action("members.level.assign", f"{count} customers", level_id=level.id if level else None,
                             valid_until=until.isoformat() if until else None, customer_ids=selection.ids[:1000])
                db().commit()
                if level is None:
                    flash(_("The level of %(n)s customers was removed.", n=count), "success")
                else:
                    flash(_("%(n)s customers now have the level %(name)s.", n=count, name=level.name), "success")
                return redirect(next_target(selection.back()))
        status = 422
    return render_template("members/loyalty/level_assign.html", selection=selection,
                           ladder=levels.ladder(db(), tenant.id), errors=errors, form=values,
                           validity_text=levels.validity_text), status


def member_levels_of(customers) -> dict:
    """The current level of each customer of a page (one query), for the customer list's level column."""
    return levels.held_levels(db(), current_tenant().id, [c.id for c in customers])


@bp.app_context_processor
def _level_helpers() -> dict:
    return {"member_levels_of": member_levels_of}
