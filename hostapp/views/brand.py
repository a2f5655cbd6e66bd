"""Brand settings (品牌设置): the tenant's name, the language of data seeded for it and its time zone.

The time zone is where every time is shown and every "today" / "this month" is counted (``scrm.core.timeutil``);
times stay stored in UTC, so changing it moves no data. The language is the one seeded data (a plugin's stage
ladder, member levels ...) is written in when a plugin is enabled; each user still picks the UI language.
"""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.core import shortlinks
from scrm.core.jobs import current_bus
from scrm.core.models import Role
from scrm.core.services import audit
from scrm.core.timeutil import DEFAULT_TIMEZONE, is_valid_zone, timezone_names
from scrm.sdk import qr, uploads

from ..auth import role_required
from ..i18n import LANGUAGES
from ..labels import translate
from ..platform_ext import db

bp = Blueprint("brand", __name__)
#: the texts of ``scrm.sdk.qr.logo_message`` (the SDK has no catalogue of its own): extracted into the host's
LOGO_MESSAGES = (_l("Choose an image file."), _l("The logo is at most 2 MB."),
                 _l("The logo must be between 16 and 4096 pixels a side."), _l("The logo must be a PNG or JPEG image."))
NAME_MAX = 100
#: offered first in the zone list: the platform's market, then zones of brands it serves abroad
COMMON_ZONES = ("Asia/Shanghai", "Asia/Hong_Kong", "Asia/Taipei", "Asia/Singapore", "Asia/Tokyo", "Europe/London",
                "America/New_York", "America/Los_Angeles", "UTC")
PLACE_AREAS = {"Africa", "America", "Antarctica", "Arctic", "Asia", "Atlantic", "Australia", "Europe", "Indian",
               "Pacific"}


def is_place_zone(name: str) -> bool:
    """Zones named by area and place (``Europe/Paris``), as pickers offer them; not the aliases kept for old systems
    (``PRC``, ``US/Eastern``, ``Etc/GMT+8``), which stay valid when typed or posted."""
    area = name.split("/", 1)[0]
    return "/" in name and area in PLACE_AREAS


def validate(form) -> tuple[dict[str, str], dict[str, str]]:
    """The cleaned values and the errors (by field) of a posted brand settings form."""
    values = {"name": (form.get("name") or "").strip(), "language": form.get("language") or "",
              "timezone": (form.get("timezone") or "").strip()}
    errors: dict[str, str] = {}
    if not values["name"]:
        errors["name"] = _("Enter the brand name.")
    elif len(values["name"]) > NAME_MAX:
        errors["name"] = _("At most %(n)s characters.", n=NAME_MAX)
    if values["language"] not in LANGUAGES:
        errors["language"] = _("Choose one of the languages offered.")
    if not is_valid_zone(values["timezone"]):
        errors["timezone"] = _("Choose a time zone from the list, e.g. %(zone)s.", zone=DEFAULT_TIMEZONE)
    return values, errors


@bp.route("", methods=["GET", "POST"])
@role_required(Role.TENANT_ADMIN)
def settings():
    tenant = g.tenant
    values = {"name": tenant.name, "language": tenant.language, "timezone": tenant.timezone}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values, errors = validate(request.form)
        if not errors:
            before = {"name": tenant.name, "language": tenant.language, "timezone": tenant.timezone}
            tenant.name, tenant.language, tenant.timezone = values["name"], values["language"], values["timezone"]
            db().add(tenant)
            changed = {key: [before[key], values[key]] for key in values if before[key] != values[key]}
            audit.record(db(), "tenant.settings", tenant_id=tenant.id, user_id=g.user.id, actor=g.user.email,
                         target=tenant.slug, detail=changed, ip=request.remote_addr)
            db().commit()
            current_bus().zones.forget(lambda key: key == tenant.id)
            flash(_("Brand settings saved."), "success")
            return redirect(url_for("brand.settings"))
    return _page(values, errors)


def _page(values: dict, errors: dict[str, str], logo_error: str | None = None, status: int | None = None):
    zones = [*COMMON_ZONES, *(z for z in timezone_names() if z not in COMMON_ZONES and is_place_zone(z))]
    logo = shortlinks.logo(db(), g.tenant.id)
    return render_template("tenant/brand_settings.html", values=values, errors=errors, languages=LANGUAGES,
                           zones=zones, common=len(COMMON_ZONES), logo=logo, logo_error=logo_error,
                           max_logo_mb=qr.MAX_LOGO_BYTES // (1024 * 1024)), \
        status or (422 if errors or logo_error else 200)


@bp.post("/logo")
@role_required(Role.TENANT_ADMIN)
def logo():
    """The brand logo and the "logo on QR codes" switch (A.2: applies to every marketing and poster QR code).
    ``remove`` drops the logo; otherwise an uploaded file (optional when one is stored) replaces it."""
    tenant = g.tenant
    values = {"name": tenant.name, "language": tenant.language, "timezone": tenant.timezone}
    if request.form.get("remove"):
        shortlinks.remove_logo(db(), tenant.id)
        detail = {"removed": True}
    else:
        upload = request.files.get("logo")
        image = None
        if upload is not None and upload.filename:
            try:
                image = qr.validate_logo(uploads.read_upload(upload, qr.MAX_LOGO_BYTES))
            except qr.LogoRejected as exc:
                return _page(values, {}, qr.logo_message(exc))
        on = request.form.get("on_qr_codes") == "1"
        try:
            shortlinks.set_logo(db(), tenant.id, image, on)
        except shortlinks.ShortLinkError as exc:
            db().rollback()
            return _page(values, {}, translate(exc.message))
        detail = {"uploaded": image is not None, "on_qr_codes": on}
    audit.record(db(), "tenant.qr_logo", tenant_id=tenant.id, user_id=g.user.id, actor=g.user.email,
                 target=tenant.slug, detail=detail, ip=request.remote_addr)
    db().commit()
    flash(_("Logo settings saved."), "success")
    return redirect(url_for("brand.settings"))


@bp.get("/logo.png")
@role_required(Role.TENANT_ADMIN)
def logo_image():
    row = shortlinks.logo(db(), g.tenant.id)
    if row is None or not row.image:
        abort(404)
    return Response(row.image, mimetype="image/png", headers={"Cache-Control": "private, no-cache"})
