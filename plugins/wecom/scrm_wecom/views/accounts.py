"""The session-archive keys of a corp account (a WeCom extra linked from the host's accounts page): list, add, remove.

The account itself (settings, secrets, callback URL, credential check, rotation) is managed on the host's channel
accounts pages, rendered from ``WeComAccountSettings``.
"""

from __future__ import annotations

from flask import Blueprint, abort, flash, redirect, render_template, request, url_for
from flask_babel import gettext as _

from scrm.sdk import ChannelAccount
from scrm.sdk.web import ADMIN, audit_action, current_tenant, db, platform, role_required

from ..accounts import add_archive_key, archive_keys_of, find_account, remove_archive_key
from .forms import ArchiveKeyForm


def _account_or_404(account_id: int) -> ChannelAccount:
    account = find_account(db(), current_tenant().id, account_id)
    if account is None:
        abort(404)
    return account


def _render(account: ChannelAccount, key_form: ArchiveKeyForm, status: int = 200):
    return render_template("wecom/archive_keys.html", account=account, key_form=key_form,
                           archive_keys=archive_keys_of(platform().secrets, account)), status


@role_required(*ADMIN)
def archive_keys(account_id: int):
    return _render(_account_or_404(account_id), ArchiveKeyForm.empty())


@role_required(*ADMIN)
def add_key(account_id: int):
    """Add a session-archive private key (a new public-key version); the key is never shown again."""
    row = _account_or_404(account_id)
    key_form = ArchiveKeyForm.from_request(request.form)
    valid = key_form.validate(archive_keys_of(platform().secrets, row))
    if valid is None:
        key_form.data["private_key"] = ""  # never echo a private key back
        return _render(row, key_form, 422)
    version, pem = valid
    key = add_archive_key(db(), platform().secrets, row, version, pem)
    audit_action("wecom.archive_key_added", f"channel_account:{row.id}", version=version, bits=key.bits)
    db().commit()
    flash(_("Session archive key version %(version)s saved.", version=version), "success")
    return redirect(url_for("wecom.archive_keys", account_id=row.id))


@role_required(*ADMIN)
def remove_key(account_id: int, version: int):
    row = _account_or_404(account_id)
    if not remove_archive_key(db(), platform().secrets, row, version):
        abort(404)
    audit_action("wecom.archive_key_removed", f"channel_account:{row.id}", version=version)
    db().commit()
    flash(_("Session archive key version %(version)s removed.", version=version), "success")
    return redirect(url_for("wecom.archive_keys", account_id=row.id))


def register(bp: Blueprint) -> None:
    bp.add_url_rule("/accounts/<int:account_id>/archive-keys", "archive_keys", archive_keys)
    bp.add_url_rule("/accounts/<int:account_id>/archive-keys", "add_archive_key", add_key, methods=["POST"])
    bp.add_url_rule("/accounts/<int:account_id>/archive-keys/<int:version>/remove", "remove_archive_key", remove_key,
                    methods=["POST"])
