"""The brand's Moments look on the 朋友圈设置 tab, under ``/t/<tenant>/wecom/moments/settings/`` (endpoints
``wecom.moments_brand.*``): save the unified background and signature and the mobile publishing switch, and the
brand's background image for the tab's preview. The tab itself is ``wecom.moments.settings``; its template reads
this form's state through the ``wecom_moments_brand_form`` template global."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scrm.sdk import uploads
from scrm.sdk.web import STAFF, audit_action, current_tenant, db, role_required

from .. import appearance
from ..images import image_response

bp = Blueprint("moments_brand", __name__, url_prefix="/moments/settings", template_folder="../../templates")


def form_state(values: dict | None = None, errors: dict | None = None) -> dict:
    """The look form's values, errors and the stored background's version."""
    row = appearance.brand_settings(db(), current_tenant().id)
    if values is None:
        values = {"unify_background": row.unify_background, "signature": row.signature,
                  "mobile_publish": row.mobile_publish}
    return {"values": values, "errors": errors or {}, "version": appearance.version_of(row.background),
            "max_signature": appearance.MAX_SIGNATURE, "recommended": appearance.RECOMMENDED_SIZE,
            "max_mb": appearance.BACKGROUND_MAX // (1024 * 1024),
            "mobile_url": url_for("wecom_public.moments.mobile.home", tenant=current_tenant().slug, _external=True)}


@bp.app_template_global("wecom_moments_brand_form")
def brand_form() -> dict:
    return form_state()


@bp.post("/look")
@role_required(*STAFF)
def save():
    """统一朋友圈背景 / 朋友圈背景 / 朋友圈签名 / 员工手机端发表: all or nothing, audited."""
    from ..views import _rules_context

    tenant = current_tenant()
    form = request.form
    values = {"unify_background": form.get("unify_background") == "1", "signature": form.get("signature", ""),
              "mobile_publish": form.get("mobile_publish") == "1"}
    try:
        data = uploads.read_upload(request.files.get("background"), appearance.BACKGROUND_MAX)
        checked = appearance.check_background(data, request.files["background"].filename or "background") \
            if data else None
        appearance.save_brand(db(), tenant.id, appearance.BrandInput(
            background=checked, remove_background=form.get("remove_background") == "1", **values))
    except appearance.AppearanceError as exc:
        db().rollback()
        context = _rules_context({"threshold": "", "score": "", "tag_ids": []}, {})
        return render_template("wecom/moments/settings.html", look=form_state(values, exc.fields), **context), 422
    audit_action("wecom.moments.appearance", "moments_settings", unify_background=values["unify_background"],
                 mobile_publish=values["mobile_publish"], background=bool(data) or form.get("remove_background") == "1",
                 signature=values["signature"][:100])
    db().commit()
    flash(_("Moments settings saved."), "success")
    return redirect(url_for("wecom.moments.settings"))


@bp.get("/background")
@role_required(*STAFF)
def background():
    """The brand's background image (the tab's preview)."""
    row = appearance.brand_settings(db(), current_tenant().id)
    if not row.background:
        abort(404)
    return image_response(row.background, row.background_mime, private=True)
