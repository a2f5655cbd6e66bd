"""Short links (短链接): the public redirect ``/s/<code>`` and the admin pages under 营销活动 (marketing campaigns).

The redirect needs no sign-in and no tenant in the URL: the code is unique platform-wide. It does one indexed lookup
and, for a GET, one click insert in its own short transaction (plus the counter row of a personalised link), then
answers 302 to the target that was validated when the link was stored; nothing from the request ever becomes the
redirect target. An unknown code answers 404, an expired one 410, with a small page in the visitor's language.
"""

from __future__ import annotations

from datetime import date

from flask import (
    Blueprint,
    Response,
    abort,
    current_app,
    flash,
    g,
    redirect,
    render_template,
    request,
    stream_with_context,
    url_for,
)
from flask_babel import gettext as _
from werkzeug.urls import iri_to_uri

from scrm.core import shortlinks
from scrm.core.models import Role, ShortLink
from scrm.core.services import audit
from scrm.core.services.identity import mask_mobile
from scrm.core.timeutil import as_utc, export_time, local_midnight, utcnow, zone_title
from scrm.sdk import qr, tabular
from scrm.sdk.shortlinks import short_url

from ..auth import role_required
from ..labels import code_label
from ..pagination import keyset_page
from ..platform_ext import db

public = Blueprint("shortlink_public", __name__)
bp = Blueprint("shortlinks", __name__)
STAFF = (Role.TENANT_ADMIN, Role.OPERATOR)
CHART_DAYS = 30
PAGE_SIZE = 50


# --- the public redirect ---------------------------------------------------------------------------------------

@public.route("/s/<code>", methods=["GET", "HEAD"])
def follow(code: str):
    session = db()
    resolved = shortlinks.resolve(session, code)
    if resolved is None or not resolved.tenant_active:  # a deactivated brand's links stop working
        return _missing(404)
    if resolved.expired():
        return _missing(410)
    if request.method == "GET":  # a HEAD (link checkers) is answered, not counted
        shortlinks.record_click(session, resolved, ip=request.remote_addr, user_agent=request.user_agent.string,
                                key=current_app.config["SECRET_KEY"])
        session.commit()
    response = Response(status=302)
    response.headers["Location"] = iri_to_uri(resolved.target_url)
    response.headers["Cache-Control"] = "no-store"  # every visit must reach us to be counted
    response.headers["Referrer-Policy"] = "no-referrer"
    return response


def _missing(status: int):
    db().rollback()
    html = render_template("errors/short_link.html", status=status)
    return Response(html, status=status, headers={"Cache-Control": "no-store"}, mimetype="text/html")


# --- admin pages -----------------------------------------------------------------------------------------------

def _link_or_404(link_id: int) -> ShortLink:
    link = shortlinks.get(db(), g.tenant.id, link_id)
    if link is None:
        abort(404)
    return link


def _date_arg(name: str) -> date | None:
    raw = (request.args.get(name) or "").strip()
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _channels() -> list[tuple[str, str]]:
    return [(key, code_label(shortlinks.CHANNEL_LABELS, key)) for key in shortlinks.CHANNELS]


@bp.get("")
@role_required(*STAFF)
def index():
    channel = request.args.get("channel") or None
    if channel not in shortlinks.CHANNELS:
        channel = None
    campaign = (request.args.get("campaign") or "").strip()[:shortlinks.CAMPAIGN_MAX] or None
    start, end = _date_arg("from"), _date_arg("to")
    stmt = shortlinks.query(g.tenant.id, channel=channel, campaign=campaign,
                            created_from=local_midnight(start) if start else None,
                            created_to=local_midnight(date.fromordinal(end.toordinal() + 1)) if end else None)
    page = keyset_page(db(), stmt, ShortLink, request.args.get("after"), PAGE_SIZE)
    counts = shortlinks.click_counts(db(), g.tenant.id, [link.id for link in page.items])
    filters = {"channel": channel or "", "campaign": campaign or "", "from": start.isoformat() if start else "",
               "to": end.isoformat() if end else ""}
    return render_template("tenant/shortlinks/index.html", page=page, counts=counts, filters=filters,
                           channels=_channels(), base=request.url_root)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    values = {"target_url": "", "kind": "short", "channel": "sms", "campaign": "", "campaign_label": ""}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {key: (request.form.get(key) or "").strip() for key in values}
        try:
            link = shortlinks.create(db(), g.tenant.id, values["target_url"], kind=values["kind"],
                                     channel=values["channel"] if values["channel"] in shortlinks.CHANNELS else "!",
                                     campaign=values["campaign"], campaign_label=values["campaign_label"],
                                     created_by=f"user:{g.user.id}")
        except shortlinks.ShortLinkError as exc:
            db().rollback()
            errors[exc.field] = _(exc.message, **exc.params)
        else:
            audit.record(db(), "short_link.create", tenant_id=g.tenant.id, user_id=g.user.id, actor=g.user.email,
                         target=link.code, detail={"channel": link.channel, "campaign": link.campaign},
                         ip=request.remote_addr)
            db().commit()
            flash(_("Short link created: %(url)s", url=short_url(link)), "success")
            return redirect(url_for(".detail", link_id=link.id))
    return render_template("tenant/shortlinks/form.html", values=values, errors=errors, channels=_channels(),
                           kinds=[(k, code_label(shortlinks.KIND_LABELS, k)) for k in shortlinks.KINDS],
                           target_max=shortlinks.TARGET_MAX), 422 if errors else 200


@bp.get("/<int:link_id>")
@role_required(*STAFF)
def detail(link_id: int):
    link = _link_or_404(link_id)
    numbers = shortlinks.stats(db(), g.tenant.id, link.id, days=CHART_DAYS)
    chart = {"labels": [d.strftime("%m-%d") for d, _n in numbers.per_day],
             "datasets": [{"label": _("Clicks"), "data": [n for _d, n in numbers.per_day],
                           "backgroundColor": "#1677ff"}]}
    return render_template("tenant/shortlinks/detail.html", link=link, stats=numbers, chart=chart,
                           url=short_url(link), sizes=qr.SIZES,
                           expired=link.expires_at is not None and as_utc(link.expires_at) <= utcnow())


@bp.get("/<int:link_id>/qr.png")
@role_required(*STAFF)
def qr_image(link_id: int):
    link = _link_or_404(link_id)
    raw = request.args.get("size") or str(qr.DEFAULT_SIZE)
    size = int(raw) if raw.isdigit() and len(raw) < 6 else 0
    if size not in qr.SIZES:
        abort(400)
    png = qr.render_qr(short_url(link), size, qr.tenant_qr_logo(db(), g.tenant.id))
    response = Response(png, mimetype="image/png")
    if request.args.get("download"):
        response.headers["Content-Disposition"] = f'attachment; filename="short-link-{link.code}-{size}.png"'
    response.headers["Cache-Control"] = "private, no-cache"
    return response


@bp.get("/<int:link_id>/clicks.<fmt>")
@role_required(*STAFF)
def export(link_id: int, fmt: str):
    if fmt not in ("csv", "xlsx"):
        abort(404)
    link = _link_or_404(link_id)
    tenant_id, masked = g.tenant.id, g.tenant.mask_mobiles
    titles = [zone_title(_("Clicked at")), _("Client"), _("Personalised code"), _("Recipient"), _("Customer ID"),
              _("Visitor (hashed address)")]
    session = db()

    def rows():
        for clicked_at, agent, code, recipient, customer_id, ip_hash in shortlinks.clicks(session, tenant_id, link.id):
            shown = mask_mobile(recipient) if masked and recipient and recipient.isdigit() else (recipient or "")
            yield [export_time(clicked_at), code_label(shortlinks.AGENT_LABELS, agent), code or "", shown,
                   customer_id if customer_id is not None else "", ip_hash[:12]]
        session.commit()

    audit.record(session, "short_link.export", tenant_id=tenant_id, user_id=g.user.id, actor=g.user.email,
                 target=link.code, ip=request.remote_addr)
    session.commit()
    name = f"short-link-{link.code}-clicks.{fmt}"
    if fmt == "xlsx":
        handle = tabular.xlsx_file(titles, rows(), sheet=_("Clicks"))
        return Response(handle.read(), mimetype=tabular.XLSX_MIMETYPE,
                        headers={"Content-Disposition": f'attachment; filename="{name}"'})
    return Response(stream_with_context(tabular.csv_stream(titles, rows())), mimetype="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{name}"'})


def init_app(app) -> None:
    """The public redirect (no tenant, no sign-in, no CSRF: it only reads and counts)."""
    app.register_blueprint(public)
