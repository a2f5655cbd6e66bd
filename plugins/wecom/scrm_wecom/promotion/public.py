"""The employee's promotion page (H5, 375 px), opened from the poster card without the admin sign-in:
``/p/<tenant>/wecom/promotion/<token>`` (endpoint ``wecom_public.promotion.page``) with their poster, their link,
their live progress and rank, and their reward code once reached; ``.../poster.png`` is the poster itself. The
token is the employee's (random, 24 characters); another tenant's slug or an unknown token answers 404."""

from __future__ import annotations

from flask import Blueprint, Response, abort, render_template, request

from scrm.sdk import Employee, qr, shortlinks
from scrm.sdk.web import current_tenant, db

from . import poster, service
from .labels import poster_hint
from .models import PromotionActivity, PromotionParticipant, Target

bp = Blueprint("promotion", __name__, url_prefix="/promotion", template_folder="../templates")


def _found(token: str) -> tuple[PromotionActivity, PromotionParticipant]:
    participant = service.by_token(db(), current_tenant().id, token)
    if participant is None:
        abort(404)
    return db().get(PromotionActivity, participant.activity_id), participant


def _qr_data(activity: PromotionActivity, participant: PromotionParticipant) -> str:
    if activity.target == Target.LINK and participant.link_id:
        return shortlinks.short_url(shortlinks.get(db(), activity.tenant_id, participant.link_id))
    return participant.qr_code or ""


def poster_png(activity: PromotionActivity, participant: PromotionParticipant, download: bool = False) -> Response:
    employee = db().get(Employee, participant.employee_id)
    data = _qr_data(activity, participant)
    if not data:
        abort(404)
    png = poster.render(title=activity.name, employee=employee.name, hint=poster_hint(activity), qr_data=data,
                        logo_png=qr.tenant_qr_logo(db(), activity.tenant_id))
    headers = {"Cache-Control": "private, max-age=300"}
    if download:
        headers["Content-Disposition"] = f'attachment; filename="poster-{participant.id}.png"'
    return Response(png, mimetype="image/png", headers=headers)


def cover_response(cover) -> Response:
    """The cover image (checked when it was uploaded), or 404."""
    if cover is None:
        abort(404)
    return Response(cover.data, mimetype=cover.mime, headers={"Cache-Control": "private, max-age=300",
                                                              "X-Content-Type-Options": "nosniff"})


@bp.get("/<token>")
def page(token: str):
    activity, participant = _found(token)
    employee = db().get(Employee, participant.employee_id)
    standings = service.ranking(db(), activity)
    mine = next(s for s in standings if s.participant.id == participant.id)
    link = None
    if activity.target == Target.LINK and participant.link_id:
        link = shortlinks.short_url(shortlinks.get(db(), activity.tenant_id, participant.link_id))
    return render_template("wecom/promotion/employee_page.html", activity=activity, participant=participant,
                           employee=employee, mine=mine, total=len(standings), link=link,
                           reward=service.reward_of(db(), participant), status=service.status(activity),
                           cover=service.cover_of(db(), activity),
                           percent=min(100, mine.count * 100 // activity.standard_count))


@bp.get("/<token>/poster.png")
def poster_image(token: str):
    activity, participant = _found(token)
    return poster_png(activity, participant, download=request.args.get("download") == "1")


@bp.get("/<token>/cover")
def cover_image(token: str):
    activity, _participant = _found(token)
    return cover_response(service.cover_of(db(), activity))
