"""The employee's Moments page customers open from the business card (历史朋友圈), without sign-in:
``/p/<tenant>/wecom/moments/<token>`` (endpoint ``wecom_public.moments.page``). Every open counts a visit."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from scrm.sdk.web import current_tenant, db

from . import pages

bp = Blueprint("moments", __name__, url_prefix="/moments", template_folder="../templates")


@bp.get("/<token>")
def page(token: str):
    found = pages.by_token(db(), current_tenant().id, token)
    if found is None:
        abort(404)
    row, employee = found
    pages.count_view(db(), row)
    db().commit()
    posts = pages.posts_of(db(), employee)
    return render_template("wecom/moments/public_page.html", employee=employee, posts=posts,
                           media=pages.media_of(db(), [task for task, _at in posts]))
