"""The plugin's public page, mounted at ``/p/<tenant>/example/`` (``register_public_routes``): a customer leaves a
note without signing in; the notes customers left are listed, and each has a page of its own."""

from __future__ import annotations

from flask import Blueprint, abort, redirect, render_template, request, url_for
from sqlmodel import select

from scrm.sdk.web import current_tenant, current_user, db, plugin_settings

from .models import ExampleNote

PUBLIC = "public"
bp = Blueprint("example_public", __name__, template_folder="templates")


@bp.route("/", methods=["GET", "POST"])
def guestbook():
    tenant = current_tenant()
    assert current_user() is None  # public pages never see a signed-in user
    error, status = None, 200
    if request.method == "POST":
        body = (request.form.get("body") or "").strip()
        if not body or len(body) > 200:
            error, status = "Write a note of 1 to 200 characters.", 422
        else:
            db().add(ExampleNote(tenant_id=tenant.id, body=body, source=PUBLIC))
            db().commit()
            return redirect(url_for("example_public.guestbook"))
    notes = db().exec(select(ExampleNote).where(ExampleNote.tenant_id == tenant.id, ExampleNote.source == PUBLIC)
                      .order_by(ExampleNote.id.desc()).limit(20)).all()
    return render_template("example/public.html", notes=notes, error=error,
                           greeting=plugin_settings("example")["greeting"]), status


@bp.get("/notes/<int:note_id>")
def note(note_id: int):
    row = db().get(ExampleNote, note_id)
    if row is None or row.tenant_id != current_tenant().id or row.source != PUBLIC:
        abort(404)
    return render_template("example/public.html", notes=[row], error=None, greeting=row.body)
