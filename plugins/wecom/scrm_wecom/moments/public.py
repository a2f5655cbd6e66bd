"""The employee's Moments page customers open from the business card (历史朋友圈), without sign-in:
``/p/<tenant>/wecom/moments/<token>`` (endpoint ``wecom_public.moments.page``). Every open counts a visit."""

from __future__ import annotations

from flask import Blueprint, abort, render_template

from scrm.sdk.web import current_tenant, db

from . import pages, records

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
    synced = records.synced_posts(db(), employee)
    entries = sorted([(at, task, None) for task, at in posts] + [(r.created_in_wecom_at, None, r) for r in synced],
                     key=lambda e: e[0].timestamp() if e[0] else 0, reverse=True)
    return render_template("wecom/moments/public_page.html", employee=employee, entries=entries,
                           media=pages.media_of(db(), [task for task, _at in posts]))
