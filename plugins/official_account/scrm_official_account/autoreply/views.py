"""自动回复管理 pages, under ``/t/<tenant>/official_account/autoreply/`` (endpoints ``official_account.autoreply.*``):
the tabs 消息回复 (default reply) / 关键词回复 (keyword rules) / 关注回复 (subscribe reply) of one account, the three
independent switches, and the keyword rule form."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import MenuItem
from scrm.sdk.web import STAFF, audit_action, current_tenant, db, parse_int, role_required
from scrm.sdk.web import translate as tr

from ..accounts import find_account, list_accounts
from ..materials import picker_choices
from ..materials.models import IMAGE, NEWS, VIDEO, VOICE
from . import service
from .models import FULL, HALF

bp = Blueprint("autoreply", __name__, url_prefix="/autoreply", template_folder="../templates")

PER_PAGE = 20
TABS = {"message": _l("Received-message reply"), "keyword": _l("Keyword reply"), "subscribe": _l("Subscribe reply")}
TYPE_LABELS = {service.TEXT: _l("Text"), NEWS: _l("News"), IMAGE: _l("Image"), VOICE: _l("Audio"),
               VIDEO: _l("Video")}
MODE_LABELS = {HALF: _l("Half match (message contains the keyword)"), FULL: _l("Full match")}


def menu_items(tenant, user):
    return [MenuItem(_l("Auto-reply management"), "official_account.autoreply.index", order=40,
                     group="ops.official_account")]


def _account(account_id: int | None):
    tenant = current_tenant()
    if account_id:
        return find_account(db(), tenant.id, account_id) or abort(404)
    accounts = list_accounts(db(), tenant.id)
    return accounts[0] if accounts else None


def _errors(exc: service.ReplyError) -> dict[str, str]:
    return {k: tr(v) for k, v in exc.fields.items()}


def _reply_from_form(prefix: str = "") -> service.ReplyInput:
    form = request.form
    kind = form.get(prefix + "reply_type", service.TEXT)
    return service.ReplyInput(type=kind, text=form.get(prefix + "reply_text", ""),
                              material_id=parse_int(form.get(f"{prefix}material_{kind}"), 0) or None)


def _page(account, tab: str, *, errors=None, values=None, status: int = 200):
    tenant = current_tenant()
    context = {"account": account, "accounts": list_accounts(db(), tenant.id), "tab": tab, "tabs": TABS,
               "type_labels": TYPE_LABELS, "mode_labels": MODE_LABELS, "errors": errors or {},
               "values": values or {}}
    if account is not None:
        settings = service.peek_settings(db(), tenant.id, account.id)
        context["settings"] = settings
        context["choices"] = picker_choices(db(), tenant.id, account.id, (NEWS, IMAGE, VOICE, VIDEO))
        if tab == "keyword":
            search = (request.args.get("q") or "").strip()[:60]
            reply_type = request.args.get("type", "")
            rules = service.list_rules(db(), tenant.id, account.id, search=search,
                                       reply_type=reply_type if reply_type in service.RULE_TYPES else "")
            page = max(1, parse_int(request.args.get("page"), 1) or 1)
            shown = rules[(page - 1) * PER_PAGE: page * PER_PAGE]
            context.update(rules=shown, keywords=service.keywords_of(db(), [r.id for r in shown]), search=search,
                           reply_type=reply_type, page=page, pages=max(1, -(-len(rules) // PER_PAGE)),
                           rule_count=service.count_rules(db(), tenant.id, account.id),
                           rules_max=service.RULES_MAX)
        else:
            reply = settings.default_reply if tab == "message" else settings.subscribe_reply
            context["values"] = values or {"reply_type": (reply or {}).get("type") or service.TEXT,
                                           "reply_text": (reply or {}).get("text") or "",
                                           "material_id": (reply or {}).get("material_id")}
    return render_template("official_account/autoreply/index.html", **context), status


@bp.get("/")
@role_required(*STAFF)
def index():
    account = _account(parse_int(request.args.get("account_id"), 0))
    tab = request.args.get("tab", "message")
    return _page(account, tab if tab in TABS else "message")


@bp.post("/<int:account_id>/switch")
@role_required(*STAFF)
def switch(account_id: int):
    account = _account(account_id)
    which = request.form.get("which", "")
    enabled = request.form.get("enabled") == "1"
    tab = {"keyword": "keyword", "message": "message", "subscribe": "subscribe"}.get(which, "message")
    try:
        service.set_switch(db(), current_tenant().id, account.id, which, enabled)
    except service.ReplyError as exc:
        db().rollback()
        return _page(account, tab, errors=_errors(exc), status=422)
    audit_action("official_account.autoreply.switch", f"account:{account.id}", which=which, enabled=enabled)
    db().commit()
    flash(_("Reply turned on.") if enabled else _("Reply turned off."), "success")
    return redirect(url_for(".index", account_id=account.id, tab=tab))


@bp.post("/<int:account_id>/single/<which>")
@role_required(*STAFF)
def single(account_id: int, which: str):
    account = _account(account_id)
    if which not in (service.DEFAULT, service.SUBSCRIBE):
        abort(404)
    tab = "message" if which == service.DEFAULT else "subscribe"
    reply = _reply_from_form()
    label = str(TABS[tab])
    try:
        service.save_single_reply(db(), current_tenant().id, account.id, which, reply, label=label)
    except service.ReplyError as exc:
        db().rollback()
        return _page(account, tab, errors=_errors(exc), values={"reply_type": reply.type, "reply_text": reply.text,
                                                                "material_id": reply.material_id}, status=422)
    audit_action("official_account.autoreply.single", f"account:{account.id}", which=which, type=reply.type)
    db().commit()
    flash(_("Reply saved."), "success")
    return redirect(url_for(".index", account_id=account.id, tab=tab))


# -- keyword rules -----------------------------------------------------------------------------------------------

def _rule_values_from_form() -> dict:
    form = request.form
    count = min(50, max(1, parse_int(form.get("keyword_count"), 1) or 1))
    keywords = [{"text": form.get(f"keywords-{i}-text", ""), "mode": form.get(f"keywords-{i}-mode", HALF)}
                for i in range(count)]
    reply = _reply_from_form()
    return {"name": form.get("name", ""), "keywords": keywords, "reply_type": reply.type,
            "reply_text": reply.text, "material_id": reply.material_id,
            "forward_to_service": bool(form.get("forward_to_service"))}


def _rule_form(account, rule, values, errors, status=200):
    tenant = current_tenant()
    return render_template("official_account/autoreply/rule_form.html", account=account, rule=rule, values=values,
                           errors=errors, type_labels=TYPE_LABELS, mode_labels=MODE_LABELS,
                           choices=picker_choices(db(), tenant.id, account.id, (NEWS, IMAGE, VOICE, VIDEO)),
                           limits={"name": service.NAME_MAX, "keyword": service.KEYWORD_MAX}), status


def _save_rule(account, rule=None):
    values = _rule_values_from_form()
    action = request.form.get("action", "save")
    if action == "add_keyword":
        values["keywords"].append({"text": "", "mode": HALF})
        return _rule_form(account, rule, values, {})
    if action.startswith("remove_") and len(values["keywords"]) > 1:
        index = parse_int(action[len("remove_"):], -1)
        if index is not None and 0 <= index < len(values["keywords"]):
            values["keywords"].pop(index)
        return _rule_form(account, rule, values, {})
    data = service.RuleInput(name=values["name"],
                             keywords=[service.KeywordInput(k["text"], k["mode"]) for k in values["keywords"]
                                       if k["text"].strip()],
                             reply=service.ReplyInput(values["reply_type"], values["reply_text"],
                                                      values["material_id"]),
                             forward_to_service=values["forward_to_service"])
    try:
        if rule is None:
            rule = service.create_rule(db(), current_tenant().id, account.id, data)
        else:
            service.update_rule(db(), rule, data)
    except service.ReplyError as exc:
        db().rollback()
        return _rule_form(account, rule, values, _errors(exc), 422)
    audit_action("official_account.autoreply.rule_save", f"keyword_rule:{rule.id}", name=rule.name)
    db().commit()
    flash(_("Keyword rule saved."), "success")
    return redirect(url_for(".index", account_id=account.id, tab="keyword"))


@bp.route("/<int:account_id>/rules/new", methods=["GET", "POST"])
@role_required(*STAFF)
def rule_new(account_id: int):
    account = _account(account_id)
    if request.method == "POST":
        return _save_rule(account)
    return _rule_form(account, None, {"name": "", "keywords": [{"text": "", "mode": HALF}],
                                      "reply_type": service.TEXT, "reply_text": "", "material_id": None,
                                      "forward_to_service": False}, {})


def _rule_or_404(rule_id: int):
    return service.find_rule(db(), current_tenant().id, rule_id) or abort(404)


@bp.route("/rules/<int:rule_id>/edit", methods=["GET", "POST"])
@role_required(*STAFF)
def rule_edit(rule_id: int):
    rule = _rule_or_404(rule_id)
    account = _account(rule.account_id)
    if request.method == "POST":
        return _save_rule(account, rule)
    keywords = service.keywords_of(db(), [rule.id])[rule.id]
    return _rule_form(account, rule, {"name": rule.name,
                                      "keywords": [{"text": k.text, "mode": k.mode} for k in keywords],
                                      "reply_type": rule.reply_type, "reply_text": rule.reply_text,
                                      "material_id": rule.material_id,
                                      "forward_to_service": rule.forward_to_service}, {})


@bp.post("/rules/<int:rule_id>/delete")
@role_required(*STAFF)
def rule_delete(rule_id: int):
    rule = _rule_or_404(rule_id)
    account_id, name = rule.account_id, rule.name
    service.delete_rule(db(), rule)
    audit_action("official_account.autoreply.rule_delete", f"keyword_rule:{rule_id}", name=name)
    db().commit()
    flash(_("Keyword rule deleted."), "success")
    return redirect(url_for(".index", account_id=account_id, tab="keyword"))
