"""Account pages: list, create, edit (with generated Token / EncodingAESKey), callback URL and credential check."""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlalchemy.exc import IntegrityError

from scrm.sdk import ChannelAccount
from scrm.sdk.web import ADMIN, audit_action, current_tenant, db, platform, role_required

from ..accounts import (
    SECRET_FIELDS,
    SecretKind,
    add_archive_key,
    archive_keys_of,
    corp_id_taken,
    credentials_of,
    find_account,
    generate_callback_token,
    generate_encoding_aes_key,
    list_accounts,
    mask_secret,
    remove_archive_key,
    save_account,
)
from ..checks import check_credentials
from .forms import AccountForm, ArchiveKeyForm

GENERATORS = {"callback_token": generate_callback_token, "encoding_aes_key": generate_encoding_aes_key}
KIND_LABELS = {SecretKind.AGENT: _l("Agent (app) secret"), SecretKind.CONTACT: _l("Customer contact secret"),
               SecretKind.ADDRESS_BOOK: _l("Address book secret"), SecretKind.ARCHIVE: _l("Session archive secret")}


def _account_or_404(account_id: int) -> ChannelAccount:
    account = find_account(db(), current_tenant().id, account_id)
    if account is None:
        abort(404)
    return account


def _masked(account: ChannelAccount) -> dict[str, str]:
    creds = credentials_of(platform().secrets, account)
    names = (*SECRET_FIELDS.values(), "callback_token", "encoding_aes_key")
    return {name: mask_secret(getattr(creds, name)) for name in names}


def _callback_url(account: ChannelAccount) -> str:
    return url_for("callbacks.callback", plugin="wecom", account_id=account.id, _external=True)


def _render(form: AccountForm, account: ChannelAccount | None, status: int = 200,
            key_form: ArchiveKeyForm | None = None):
    return render_template("wecom/account_form.html", form=form, account=account,
                           key_form=key_form or ArchiveKeyForm.empty(),
                           archive_keys=archive_keys_of(platform().secrets, account) if account is not None else [],
                           masked=_masked(account) if account is not None else {},
                           callback_url=_callback_url(account) if account is not None else None,
                           check=(account.config or {}).get("check") if account is not None else None,
                           kind_labels={k.value: v for k, v in KIND_LABELS.items()}), status


def _submit(form: AccountForm, account: ChannelAccount | None):
    """Handle a POST of the form: generate a value, or validate and save."""
    generate = request.form.get("generate")
    if generate in GENERATORS:
        form.data[generate] = GENERATORS[generate]()
        return _render(form, account)
    tenant = current_tenant()
    values = form.validate(creating=account is None)
    if values is not None and corp_id_taken(db(), tenant.id, values.corp_id, account.id if account else None):
        form.errors["corp_id"] = _("This CorpId already has an account.")
        values = None
    if values is None:
        return _render(form, account, 422)
    try:
        saved = save_account(db(), platform().secrets, tenant.id, values, account)
        db().commit()
    except IntegrityError:
        db().rollback()
        form.errors["corp_id"] = _("This CorpId already has an account.")
        return _render(form, account, 422)
    audit_action("wecom.account_saved" if account else "wecom.account_created", f"channel_account:{saved.id}",
                 corp_id=saved.external_id)
    db().commit()
    flash(_("WeCom account saved."), "success")
    return redirect(url_for("wecom.account", account_id=saved.id))


@role_required(*ADMIN)
def index():
    accounts = list_accounts(db(), current_tenant().id)
    return render_template("wecom/accounts.html", accounts=accounts)


@role_required(*ADMIN)
def new_account():
    if request.method == "POST":
        return _submit(AccountForm.from_request(request.form), None)
    form = AccountForm.empty()
    form.data["callback_token"] = generate_callback_token()
    form.data["encoding_aes_key"] = generate_encoding_aes_key()
    return _render(form, None)


@role_required(*ADMIN)
def account(account_id: int):
    row = _account_or_404(account_id)
    if request.method == "POST":
        return _submit(AccountForm.from_request(request.form), row)
    form = AccountForm.empty()
    form.data.update(name=row.name, corp_id=row.external_id, agent_id=str((row.config or {}).get("agent_id") or ""),
                     api_base=(row.config or {}).get("api_base") or "")
    return _render(form, row)


@role_required(*ADMIN)
def check(account_id: int):
    row = _account_or_404(account_id)
    results = check_credentials(db(), platform(), row)
    audit_action("wecom.credentials_checked", f"channel_account:{row.id}",
                 ok=sorted(k for k, r in results.items() if r["ok"]))
    db().commit()
    if row.last_error:
        flash(_("Some credentials do not work: %(error)s", error=row.last_error), "error")
    else:
        flash(_("Credentials checked."), "success")
    return redirect(url_for("wecom.account", account_id=row.id))


@role_required(*ADMIN)
def add_key(account_id: int):
    """Add a session-archive private key (a new public-key version); the key is never shown again."""
    row = _account_or_404(account_id)
    key_form = ArchiveKeyForm.from_request(request.form)
    valid = key_form.validate(archive_keys_of(platform().secrets, row))
    if valid is None:
        form = AccountForm.empty()
        form.data.update(name=row.name, corp_id=row.external_id,
                         agent_id=str((row.config or {}).get("agent_id") or ""),
                         api_base=(row.config or {}).get("api_base") or "")
        key_form.data["private_key"] = ""  # never echo a private key back
        return _render(form, row, 422, key_form)
    version, pem = valid
    key = add_archive_key(db(), platform().secrets, row, version, pem)
    audit_action("wecom.archive_key_added", f"channel_account:{row.id}", version=version, bits=key.bits)
    db().commit()
    flash(_("Session archive key version %(version)s saved.", version=version), "success")
    return redirect(url_for("wecom.account", account_id=row.id) + "#archive")


@role_required(*ADMIN)
def remove_key(account_id: int, version: int):
    row = _account_or_404(account_id)
    if not remove_archive_key(db(), platform().secrets, row, version):
        abort(404)
    audit_action("wecom.archive_key_removed", f"channel_account:{row.id}", version=version)
    db().commit()
    flash(_("Session archive key version %(version)s removed.", version=version), "success")
    return redirect(url_for("wecom.account", account_id=row.id) + "#archive")


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/", "index", index)
    bp.add_url_rule("/accounts/new", "new_account", new_account, methods=["GET", "POST"])
    bp.add_url_rule("/accounts/<int:account_id>", "account", account, methods=["GET", "POST"])
    bp.add_url_rule("/accounts/<int:account_id>/check", "check", check, methods=["POST"])
    bp.add_url_rule("/accounts/<int:account_id>/archive-keys", "add_archive_key", add_key, methods=["POST"])
    bp.add_url_rule("/accounts/<int:account_id>/archive-keys/<int:version>/remove", "remove_archive_key", remove_key,
                    methods=["POST"])
