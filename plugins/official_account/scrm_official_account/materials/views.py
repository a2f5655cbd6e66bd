"""素材管理 pages, under ``/t/<tenant>/official_account/materials/`` (endpoints ``official_account.materials.*``):
the list with the tabs 图文 / 图片 / 音频 / 视频 per account, uploads, the news editor, previews and deletion."""

from __future__ import annotations

from flask import Blueprint, Response, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from markupsafe import Markup

from scrm.sdk import MenuItem, uploads
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    db,
    parse_int,
    platform,
    role_required,
)
from scrm.sdk.web import translate as tr
from scrm.sdk.wechat import WeChatAPIError

from ..accounts import find_account, list_accounts
from . import service
from .html import clean_html
from .models import IMAGE, KINDS, MEDIA_KINDS, NEWS, VIDEO, VOICE, Material

bp = Blueprint("materials", __name__, url_prefix="/materials", template_folder="../templates")

PER_PAGE = 20
TAB_LABELS = {NEWS: _l("News"), IMAGE: _l("Images"), VOICE: _l("Audio"), VIDEO: _l("Video")}


def menu_items(tenant, user):
    return [MenuItem(_l("Material management"), "official_account.materials.index", order=10,
                     group="ops.official_account")]


def _client(account):
    from ..client import OAClient

    return OAClient.for_account(account, platform())


def _account_or_404(account_id: int | None):
    tenant = current_tenant()
    if account_id:
        return find_account(db(), tenant.id, account_id) or abort(404)
    accounts = list_accounts(db(), tenant.id)
    return accounts[0] if accounts else None


def _material_or_404(material_id: int) -> Material:
    return service.find(db(), current_tenant().id, material_id) or abort(404)


def _errors(exc: service.MaterialError) -> dict[str, str]:
    return {k: tr(v) for k, v in exc.fields.items()}


def _upstream(exc: Exception) -> str:
    from ..client import OAUnavailable

    if isinstance(exc, WeChatAPIError):
        return _("WeChat refused the material: %(code)s %(message)s", code=exc.errcode, message=exc.errmsg or "")
    if isinstance(exc, OAUnavailable):
        return _("WeChat could not be reached: %(error)s", error=str(exc))
    raise exc


def _upstream_errors():
    from ..client import OAUnavailable

    return (WeChatAPIError, OAUnavailable)


def _index_page(account, tab: str, *, page: int = 1, search: str = "", upload_errors=None, upload_values=None,
                delete_error: str = "", status: int = 200):
    tenant = current_tenant()
    rows, total = ([], 0)
    articles: dict[int, list] = {}
    if account is not None:
        rows, total = service.list_materials(db(), tenant.id, account.id, tab, search=search,
                                             offset=(page - 1) * PER_PAGE, limit=PER_PAGE)
        if tab == NEWS:
            articles = {m.id: service.articles_of(db(), m) for m in rows}
    references = service.reference_counts(db(), tenant.id, [m.id for m in rows])
    return render_template("official_account/materials/index.html", account=account, references=references,
                           accounts=list_accounts(db(), tenant.id), tab=tab, tabs=TAB_LABELS, rows=rows,
                           articles=articles, total=total, page=page, pages=max(1, -(-total // PER_PAGE)),
                           search=search, limits=service.MAX_BYTES, extensions=service.EXTENSIONS,
                           upload_errors=upload_errors or {}, upload_values=upload_values or {},
                           delete_error=delete_error), status


@bp.get("/")
@role_required(*STAFF)
def index():
    account = _account_or_404(parse_int(request.args.get("account_id"), 0))
    tab = request.args.get("tab", NEWS)
    if tab not in KINDS:
        tab = NEWS
    page = max(1, parse_int(request.args.get("page"), 1) or 1)
    return _index_page(account, tab, page=page, search=(request.args.get("q") or "").strip()[:100])


@bp.post("/upload")
@role_required(*STAFF)
def upload():
    tenant = current_tenant()
    account = _account_or_404(parse_int(request.form.get("account_id"), 0) or -1)
    kind = request.form.get("kind", "")
    if kind not in MEDIA_KINDS:
        abort(400)
    file = request.files.get("file")
    data = uploads.read_upload(file, service.MAX_BYTES[kind])
    title, description = request.form.get("title", ""), request.form.get("description", "")
    errors: dict[str, str] = {}
    file_name = (file.filename or "") if file is not None else ""
    try:
        with _client(account) as client:  # no call before the file passed its checks (upload_media)
            user = current_user()
            material = service.upload_media(db(), client, tenant.id, account.id, kind, data, file_name,
                                            title=title, description=description,
                                            created_by=user.email if user else "")
    except service.MaterialError as exc:
        db().rollback()
        errors = _errors(exc)
    except _upstream_errors() as exc:
        db().rollback()
        errors = {"upstream": _upstream(exc)}
    if errors:
        return _index_page(account, kind, upload_errors=errors,
                           upload_values={"title": title, "description": description}, status=422)
    audit_action("official_account.material.upload", f"material:{material.id}", kind=kind, name=material.name)
    db().commit()
    flash(_("Material uploaded."), "success")
    return redirect(url_for(".index", account_id=account.id, tab=kind))


def _articles_from_form() -> list[service.ArticleInput]:
    form = request.form
    count = min(service.ARTICLES_MAX + 1, max(1, parse_int(form.get("article_count"), 1) or 1))
    out = []
    for i in range(count):
        p = f"articles-{i}-"
        out.append(service.ArticleInput(
            title=form.get(p + "title", ""), author=form.get(p + "author", ""), digest=form.get(p + "digest", ""),
            content=form.get(p + "content", ""), content_source_url=form.get(p + "content_source_url", ""),
            cover_id=parse_int(form.get(p + "cover_id"), 0) or None, show_cover=bool(form.get(p + "show_cover"))))
    return out


def _editor(account, material, articles, errors, status=200):
    from . import picker_choices

    covers = picker_choices(db(), current_tenant().id, account.id, (IMAGE,))[IMAGE]
    return render_template("official_account/materials/news_form.html", account=account, material=material,
                           articles=articles, errors=errors, covers=covers, limits={
                               "title": service.TITLE_MAX, "author": service.AUTHOR_MAX,
                               "digest": service.DIGEST_MAX, "url": service.SOURCE_URL_MAX,
                               "articles": service.ARTICLES_MAX}), status


def _save_news(account, material=None):
    articles = _articles_from_form()
    action = request.form.get("action", "save")
    if action == "add_article":
        if len(articles) < service.ARTICLES_MAX:
            articles.append(service.ArticleInput())
        return _editor(account, material, articles, {})
    if action.startswith("remove_") and len(articles) > 1:
        index = parse_int(action[len("remove_"):], -1)
        if index is not None and 0 <= index < len(articles):
            articles.pop(index)
        return _editor(account, material, articles, {})
    tenant = current_tenant()
    try:
        with _client(account) as client:
            if material is None:
                user = current_user()
                material = service.create_news(db(), client, tenant.id, account.id, articles,
                                               created_by=user.email if user else "")
            else:
                service.update_news(db(), client, material, articles)
    except service.MaterialError as exc:
        db().rollback()
        return _editor(account, material, articles, _errors(exc), 422)
    except _upstream_errors() as exc:
        db().rollback()
        return _editor(account, material, articles, {"upstream": _upstream(exc)}, 502)
    audit_action("official_account.material.news_save", f"material:{material.id}", name=material.name)
    db().commit()
    flash(_("News material saved."), "success")
    return redirect(url_for(".index", account_id=account.id, tab=NEWS))


@bp.route("/news/new", methods=["GET", "POST"])
@role_required(*STAFF)
def news_new():
    account_id = parse_int(request.values.get("account_id"), 0) or -1
    account = _account_or_404(account_id)
    if request.method == "POST":
        return _save_news(account)
    return _editor(account, None, [service.ArticleInput()], {})


@bp.route("/news/<int:material_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def news_edit(material_id: int):
    material = _material_or_404(material_id)
    if material.kind != NEWS:
        abort(404)
    account = _account_or_404(material.account_id)
    if request.method == "POST":
        return _save_news(account, material)
    articles = [service.ArticleInput(title=a.title, author=a.author, digest=a.digest, content=a.content,
                                     content_source_url=a.content_source_url, cover_id=a.cover_id,
                                     show_cover=a.show_cover) for a in service.articles_of(db(), material)]
    return _editor(account, material, articles, {})


@bp.get("/<int:material_id>")
@role_required(*STAFF)
def detail(material_id: int):
    material = _material_or_404(material_id)
    account = _account_or_404(material.account_id)
    view = service.view_of(db(), material)
    for article in view.articles:
        article["html"] = Markup(clean_html(article["content"]))
    return render_template("official_account/materials/detail.html", material=material, view=view, account=account,
                           usages=service.usages_of(db(), material.tenant_id, material), tabs=TAB_LABELS)


@bp.get("/<int:material_id>/file")
@role_required(*STAFF)
def file(material_id: int):
    material = _material_or_404(material_id)
    if material.kind not in MEDIA_KINDS or not material.data:
        abort(404)
    response = Response(material.data, mimetype=material.content_type or "application/octet-stream")
    response.headers["X-Content-Type-Options"] = "nosniff"
    response.headers["Content-Disposition"] = "inline"
    response.headers["Cache-Control"] = "private, max-age=3600"
    return response


@bp.post("/<int:material_id>/delete")
@role_required(*STAFF)
def delete(material_id: int):
    material = _material_or_404(material_id)
    account = _account_or_404(material.account_id)
    kind, name = material.kind, material.name
    try:
        with _client(account) as client:
            service.delete_material(db(), client, material)
    except service.MaterialInUse as exc:
        db().rollback()
        return _index_page(account, kind, delete_error=tr(exc.fields["material"]), status=409)
    except _upstream_errors() as exc:
        db().rollback()
        return _index_page(account, kind, delete_error=_upstream(exc), status=502)
    audit_action("official_account.material.delete", f"material:{material_id}", kind=kind, name=name)
    db().commit()
    flash(_("Material deleted."), "success")
    return redirect(url_for(".index", account_id=account.id, tab=kind))


__all__ = ["bp", "menu_items", "VOICE", "VIDEO"]
