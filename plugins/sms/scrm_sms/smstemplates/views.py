"""Pages of SMS templates and signatures, under ``/t/<tenant>/sms/templates/`` (endpoints ``sms.templates.*``).

The list has the tabs custom / system, filters (name, review status, created range in the tenant's days), 10 rows
per page and a sort by usage count; the form has insert buttons for the variables and live counters
(``static/sms/template_form.js``). Signatures (``/signatures/``) are filed per SMS account. Provider calls run
after the row is committed; a review-status sync button runs the tenant's poll at once.
"""

from __future__ import annotations

from datetime import date

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scrm.sdk import date_span
from scrm.sdk.web import (
    STAFF,
    audit_action,
    current_tenant,
    current_user,
    db,
    parse_int,
    plugin_settings,
    role_required,
    translate,
)

from .. import content, review
from ..signatures import service as signatures
from ..signatures.models import SOURCES
from . import (
    labels,  # noqa: F401  (the code labels the pages show)
    service,
)
from .models import CUSTOM, KINDS, REVIEW_STATES, SCENARIOS, SYSTEM

bp = Blueprint("templates", __name__, url_prefix="/templates", static_folder="../static",
               static_url_path="/static")


def _day(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw) if raw else None
    except ValueError:
        return None


def _user() -> str:
    user = current_user()
    return user.email if user is not None else ""


def _messages(fields: dict) -> dict[str, str]:
    return {name: translate(message) for name, message in fields.items()}


def _signature_limit() -> int:
    return content.signature_limit(plugin_settings("sms"))


# -- list -------------------------------------------------------------------------------------------------------------


@bp.get("/")
@role_required(*STAFF)
def index():
    tenant = current_tenant()
    args = request.args
    kind = args.get("tab") if args.get("tab") in KINDS else CUSTOM
    day_from, day_to = _day(args.get("from")), _day(args.get("to"))
    flt = service.ListFilter(kind=kind, name=(args.get("name") or "").strip()[:30],
                             status=args.get("status") if args.get("status") in REVIEW_STATES else "",
                             created_from=date_span(day_from).start if day_from else None,
                             created_to=date_span(day_to).end if day_to else None,
                             sort=args.get("sort") if args.get("sort") in ("usage", "-usage") else "",
                             page=parse_int(args.get("page"), 1) or 1)
    page = service.listing(db(), tenant.id, flt)
    names = {s.id: s.text for s in signatures.listing(db(), tenant.id)}
    query = {"tab": kind, "name": flt.name, "status": flt.status, "from": args.get("from") or "",
             "to": args.get("to") or "", "sort": flt.sort}
    query = {k: v for k, v in query.items() if v}
    return render_template("sms/templates/index.html", page=page, flt=flt, kind=kind, query=query,
                           signature_names=names, day_from=day_from, day_to=day_to,
                           editable=service.editable, deletable=service.deletable)


# -- create / edit ----------------------------------------------------------------------------------------------------


def _submitted() -> service.TemplateInput:
    form = request.form
    return service.TemplateInput(name=form.get("name") or "", signature_id=parse_int(form.get("signature_id"), 0),
                                 category=form.get("category") or "", scenario=form.get("scenario") or "",
                                 content=form.get("content") or "", link_url=form.get("link_url") or "",
                                 remark=form.get("remark") or "")


def _form(values, errors: dict[str, str], template=None, warnings=(), status: int = 200):
    tenant = current_tenant()
    return render_template("sms/templates/form.html", values=values, errors=errors, template=template,
                           warnings=[translate(w.message) for w in warnings],
                           signatures=signatures.approved(db(), tenant.id), scenarios=SCENARIOS,
                           categories=content.CATEGORIES, variables=content.VARIABLES,
                           variable_labels={k: translate(v) for k, v in content.VARIABLE_LABELS.items()},
                           name_max=content.NAME_MAX, content_max=content.CONTENT_MAX), status


def _file(template_id: int) -> None:
    """Submit the committed pending template to the provider, then keep the poll running."""
    row = service.get(db(), current_tenant().id, template_id)
    if row is None:
        return
    review.submit_template(db(), row)
    review.ensure_poll(db(), row.tenant_id)
    db().commit()


@bp.route("/new", methods=["GET", "POST"])
@role_required(*STAFF)
def new():
    if request.method == "GET":
        return _form(service.TemplateInput("", None, content.MARKETING, "promotion", ""), {})
    data = _submitted()
    try:
        row = service.create(db(), current_tenant().id, data, created_by=_user())
    except service.TemplateError as exc:
        return _form(data, _messages(exc.fields), warnings=exc.warnings, status=422)
    audit_action("sms.template_created", f"sms_template:{row.id}", name=row.name)
    db().commit()
    _file(row.id)
    flash(_("The template was submitted for review."), "success")
    return redirect(url_for(".detail", template_id=row.id))


@bp.route("/<int:template_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def edit(template_id: int):
    row = service.get(db(), current_tenant().id, template_id) or abort(404)
    if not service.editable(row):
        flash(_("Only a rejected custom template can be edited."), "error")
        return redirect(url_for(".detail", template_id=row.id)), 303
    if request.method == "GET":
        return _form(row, {}, template=row)
    data = _submitted()
    try:
        service.resubmit(db(), row, data)
    except service.TemplateError as exc:
        db().rollback()
        return _form(data, _messages(exc.fields), template=row, warnings=exc.warnings, status=422)
    audit_action("sms.template_resubmitted", f"sms_template:{row.id}", name=row.name)
    db().commit()
    _file(row.id)
    flash(_("The template was submitted for review again."), "success")
    return redirect(url_for(".detail", template_id=row.id))


@bp.get("/<int:template_id>")
@role_required(*STAFF)
def detail(template_id: int):
    tenant = current_tenant()
    row = service.get(db(), tenant.id, template_id) or abort(404)
    signature = signatures.get(db(), tenant.id, row.signature_id) if row.signature_id else None
    sample = content.compose(signature.text if signature else tenant.name[:20], row.content, row.category)
    return render_template("sms/templates/detail.html", template=row, signature=signature, sample=sample,
                           segments=content.estimate_segments(signature.text if signature else tenant.name[:20],
                                                              row.content, row.category),
                           warnings=[translate(i.message) for i in content.check_body(row.content) if not i.blocks],
                           editable=service.editable(row), deletable=service.deletable(row))


@bp.post("/<int:template_id>/delete")
@role_required(*STAFF)
def delete(template_id: int):
    row = service.get(db(), current_tenant().id, template_id) or abort(404)
    try:
        service.delete(db(), row)
    except service.NotAllowed as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for(".detail", template_id=template_id)), 303
    audit_action("sms.template_deleted", f"sms_template:{template_id}", name=row.name)
    kept = (row.account_id, row.tenant_id, row.provider_code)
    db().commit()
    review.withdraw(db(), "template", *kept)
    flash(_("The template was deleted."), "success")
    return redirect(url_for(".index")), 303


@bp.post("/sync")
@role_required(*STAFF)
def sync():
    """Ask the provider about every pending signature and template now."""
    moved = review.poll(db(), current_tenant().id)
    flash(_("Review status synced: %(n)s changed.", n=moved), "success")
    return redirect(url_for(".index")), 303


# -- signatures ---------------------------------------------------------------------------------------------------------


@bp.get("/signatures/")
@role_required(*STAFF)
def signature_list():
    tenant = current_tenant()
    accounts = {a.id: a for a in signatures.sms_accounts(db(), tenant.id)}
    return render_template("sms/templates/signatures.html", rows=signatures.listing(db(), tenant.id),
                           accounts=accounts, limit=_signature_limit())


def _signature_form(values, errors: dict[str, str], signature=None, status: int = 200):
    tenant = current_tenant()
    return render_template("sms/templates/signature_form.html", values=values, errors=errors, signature=signature,
                           accounts=signatures.sms_accounts(db(), tenant.id), sources=SOURCES,
                           limit=_signature_limit()), status


def _signature_submitted(row=None) -> signatures.SignatureInput:
    form = request.form
    account_id = row.account_id if row is not None else parse_int(form.get("account_id"), 0)
    return signatures.SignatureInput(account_id, form.get("text") or "", form.get("source") or "",
                                     form.get("remark") or "")


def _file_signature(signature_id: int) -> None:
    row = signatures.get(db(), current_tenant().id, signature_id)
    if row is None:
        return
    review.submit_signature(db(), row)
    review.ensure_poll(db(), row.tenant_id)
    db().commit()


@bp.route("/signatures/new", methods=["GET", "POST"])
@role_required(*STAFF)
def signature_new():
    if request.method == "GET":
        return _signature_form(signatures.SignatureInput(None, "", "company", ""), {})
    data = _signature_submitted()
    try:
        row = signatures.create(db(), current_tenant().id, data, created_by=_user(), limit=_signature_limit())
    except signatures.SignatureError as exc:
        return _signature_form(data, _messages(exc.fields), status=422)
    audit_action("sms.signature_created", f"sms_signature:{row.id}", text=row.text)
    db().commit()
    _file_signature(row.id)
    flash(_("The signature was submitted for review."), "success")
    return redirect(url_for(".signature_list"))


@bp.route("/signatures/<int:signature_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def signature_edit(signature_id: int):
    row = signatures.get(db(), current_tenant().id, signature_id) or abort(404)
    if request.method == "GET":
        if row.status != "rejected":
            abort(404)
        return _signature_form(row, {}, signature=row)
    data = _signature_submitted(row)
    try:
        signatures.resubmit(db(), row, data, limit=_signature_limit())
    except signatures.SignatureError as exc:
        db().rollback()
        return _signature_form(data, _messages(exc.fields), signature=row, status=422)
    except signatures.NotEditable as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for(".signature_list")), 303
    audit_action("sms.signature_resubmitted", f"sms_signature:{row.id}", text=row.text)
    db().commit()
    _file_signature(row.id)
    flash(_("The signature was submitted for review again."), "success")
    return redirect(url_for(".signature_list"))


@bp.post("/signatures/<int:signature_id>/delete")
@role_required(*STAFF)
def signature_delete(signature_id: int):
    row = signatures.get(db(), current_tenant().id, signature_id) or abort(404)
    try:
        signatures.delete(db(), row)
    except signatures.NotEditable as exc:
        flash(translate(exc.message), "error")
        return redirect(url_for(".signature_list")), 303
    audit_action("sms.signature_deleted", f"sms_signature:{signature_id}", text=row.text)
    kept = (row.account_id, row.tenant_id, row.provider_ref)
    db().commit()
    review.withdraw(db(), "signature", *kept)
    flash(_("The signature was deleted."), "success")
    return redirect(url_for(".signature_list")), 303


__all__ = ["bp", "SYSTEM"]
