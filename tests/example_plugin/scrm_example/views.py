"""The plugin's pages, mounted at ``/t/<tenant>/example/``."""

from __future__ import annotations

from flask import Blueprint, flash, redirect, render_template, request, url_for
from sqlmodel import select

from scrm.sdk.web import STAFF, audit_action, current_tenant, db, plugin_settings, role_required

from .models import ExampleNote

bp = Blueprint("example", __name__, template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    error, status = None, 200
    if request.method == "POST":
        body = (request.form.get("body") or "").strip()
        if not body or len(body) > 200:
            error, status = "Write a note of 1 to 200 characters.", 422
        else:
            db().add(ExampleNote(tenant_id=tenant.id, body=body))
            audit_action("example.note", body[:40])
            db().commit()
            flash("Note saved.", "success")
            return redirect(url_for("example.index"))
    notes = db().exec(select(ExampleNote).where(ExampleNote.tenant_id == tenant.id)
                      .order_by(ExampleNote.id.desc()).limit(plugin_settings("example")["max_notes"])).all()
    return render_template("example/index.html", notes=notes, error=error,
                           greeting=plugin_settings("example")["greeting"]), status
