"""The brand's product recommendations and training courses: the list ("更多" on the home page), an article's page,
and the admins' form. ``/t/<tenant>/content/<kind>/`` with kind ``recommendation`` or ``course``."""

from __future__ import annotations

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from scrm.core import content
from scrm.core.messages import Message
from scrm.core.models import ContentArticle, Role
from scrm.core.services import audit

from ..auth import has_role, role_required
from ..labels import translate
from ..pagination import keyset_page
from ..platform_ext import db

bp = Blueprint("content", __name__)
ADMIN = (Role.TENANT_ADMIN,)
PAGE_SIZE = 20
TITLES = {content.RECOMMENDATION: _l("Product recommendations"), content.COURSE: _l("Training courses")}


def _kind(kind: str) -> str:
    if kind not in content.KINDS:
        abort(404)
    return kind


def _article(kind: str, article_id: int) -> ContentArticle:
    article = content.get(db(), g.tenant.id, article_id)
    if article is None or article.kind != kind:
        abort(404)
    return article


def _is_admin() -> bool:
    return has_role(*ADMIN)


@bp.get("/")
def index(kind: str):
    kind = _kind(kind)
    stmt = select(ContentArticle).where(ContentArticle.tenant_id == g.tenant.id, ContentArticle.kind == kind)
    if not _is_admin():
        stmt = stmt.where(ContentArticle.published.is_(True))
    page = keyset_page(db(), stmt, ContentArticle, request.args.get("after"), PAGE_SIZE)
    return render_template("tenant/content/index.html", kind=kind, title=TITLES[kind], page=page,
                           can_edit=_is_admin())


@bp.get("/<int:article_id>")
def detail(kind: str, article_id: int):
    article = _article(_kind(kind), article_id)
    if not article.published and not _is_admin():
        abort(404)
    return render_template("tenant/content/detail.html", kind=kind, title=TITLES[kind], article=article)


@bp.route("/new", methods=["GET", "POST"], defaults={"article_id": None})
@bp.route("/<int:article_id>/edit", methods=["GET", "POST"])
@role_required(*ADMIN)
def edit(kind: str, article_id: int | None):
    kind = _kind(kind)
    article = _article(kind, article_id) if article_id else None
    values = {"title": article.title, "summary": article.summary, "url": article.url,
              "published": article.published} if article else {"title": "", "summary": "", "url": "",
                                                               "published": True}
    errors: dict[str, str] = {}
    if request.method == "POST":
        values = {"title": request.form.get("title", ""), "summary": request.form.get("summary", ""),
                  "url": request.form.get("url", ""), "published": request.form.get("published") == "on"}
        try:
            saved = content.save(db(), g.tenant.id, kind, values, g.user.id, article)
        except content.ContentError as exc:
            errors = {field: translate(Message(message, params)) for field, (message, params) in exc.errors.items()}
        else:
            audit.record(db(), "content.save", tenant_id=g.tenant.id, user_id=g.user.id, actor=g.user.email,
                         target=str(saved.id), detail={"kind": kind}, ip=request.remote_addr)
            db().commit()
            flash(_("Article saved."), "success")
            return redirect(url_for("content.index", tenant=g.tenant.slug, kind=kind))
    return render_template("tenant/content/form.html", kind=kind, title=TITLES[kind], article=article,
                           values=values, errors=errors), 422 if errors else 200


@bp.post("/<int:article_id>/delete")
@role_required(*ADMIN)
def delete(kind: str, article_id: int):
    article = _article(_kind(kind), article_id)
    db().delete(article)
    audit.record(db(), "content.delete", tenant_id=g.tenant.id, user_id=g.user.id, actor=g.user.email,
                 target=str(article_id), detail={"kind": kind}, ip=request.remote_addr)
    db().commit()
    flash(_("Article deleted."), "success")
    return redirect(url_for("content.index", tenant=g.tenant.slug, kind=kind))
