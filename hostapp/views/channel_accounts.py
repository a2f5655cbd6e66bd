"""Channel accounts, one UI for every channel: list, add, edit, check credentials, callback URL, rotate, disable.

Mounted at ``/t/<tenant>/channels/<plugin>/accounts``; the form is rendered from the channel's
``account_settings_model`` (``scrm.core.services.channel_settings`` says which field is what). Tenant admins only;
a channel the tenant has not enabled, or that declares no settings model, answers 404, as does another tenant's (or
another channel's) account. Secrets are write-only: never rendered back, except a value the platform has just
generated (on creation or rotation), shown once on the page that answers that request.
"""

from __future__ import annotations

from typing import Any

from flask import Blueprint, abort, flash, g, redirect, render_template, request, url_for
from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l
from sqlmodel import select

from scrm.core.inbox_recovery import stuck_counts
from scrm.core.models import ChannelAccount, Role
from scrm.core.plugins.base import ChannelPlugin
from scrm.core.services import audit
from scrm.core.services import channel_settings as settings_of
from scrm.core.services.channel_settings import AccountSettingsError, CheckResult

from ..auth import role_required
from ..labels import translate
from ..platform_ext import db, platform
from ..settings_form import FormField, form_fields

bp = Blueprint("channel_accounts", __name__)
ADMIN = (Role.TENANT_ADMIN,)

#: pydantic error types shown in the user's language (other errors show the model's own message)
ERROR_MESSAGES = {
    "missing": _l("Required."),
    "string_too_short": _l("Required."),
    "string_too_long": _l("Too long."),
    "string_pattern_mismatch": _l("Invalid format."),
    "int_parsing": _l("Enter a whole number."),
    "int_type": _l("Enter a whole number."),
    "greater_than_equal": _l("Out of range."),
    "less_than_equal": _l("Out of range."),
    "duplicate": _l("Already used by another account of this channel."),
}


def _channel(plugin: str) -> ChannelPlugin:
    channel = platform().registry.plugin(plugin)
    if (not isinstance(channel, ChannelPlugin) or channel.account_settings_model is None
            or plugin not in g.hooks.enabled):
        abort(404)
    return channel


def _account(plugin: str, account_id: int) -> ChannelAccount:
    account = db().exec(select(ChannelAccount).where(
        ChannelAccount.id == account_id, ChannelAccount.tenant_id == g.tenant.id,
        ChannelAccount.plugin == plugin)).first()
    if account is None:
        abort(404)
    return account


def _audit(action: str, account: ChannelAccount, **detail: Any) -> None:
    audit.record(db(), action, tenant_id=g.tenant.id, user_id=g.user.id, actor=g.user.email,
                 target=f"channel_account:{account.id}", detail={"plugin": account.plugin, **detail},
                 ip=request.remote_addr)


def _fields(channel: ChannelPlugin, values: dict[str, Any]) -> list[FormField]:
    """The form's fields; secrets are password inputs whose value is never filled in."""
    model = channel.account_settings_model
    secrets = set(settings_of.secret_fields(model))
    generated = _generated(channel)
    fields = form_fields(model, values)
    for field in fields:
        if field.name in secrets:
            field.kind, field.value = "password", None
            field.generated = field.name in generated
    return fields


def _generated(channel: ChannelPlugin) -> tuple[str, ...]:
    model = channel.account_settings_model
    return tuple(name for name in settings_of.secret_fields(model)
                 if isinstance(model.model_fields[name].json_schema_extra, dict)
                 and model.model_fields[name].json_schema_extra.get("generate"))


def _errors(exc: AccountSettingsError) -> dict[str, str]:
    """Field errors in the user's language: the model's own messages are message ids of the channel's catalogue,
    pydantic's generic ones are replaced by the host's (by error type)."""
    return {name: str(ERROR_MESSAGES[exc.types[name]]) if exc.types.get(name) in ERROR_MESSAGES
            else translate(message) for name, message in exc.errors.items()}


def _callback_url(account: ChannelAccount) -> str:
    return url_for("callbacks.callback", plugin=account.plugin, account_id=account.id, _external=True)


def _render(channel: ChannelPlugin, account: ChannelAccount | None, values: dict[str, Any],
            errors: dict[str, str] | None = None, revealed: dict[str, str] | None = None, status: int = 200):
    stored = settings_of.stored_secrets(platform().secrets, account) if account is not None else {}
    return render_template(
        "tenant/channel_account_form.html", channel=channel, account=account, fields=_fields(channel, values),
        errors=errors or {}, revealed=revealed or {}, generated=_generated(channel),
        configured={name: bool(stored.get(name)) for name in settings_of.secret_fields(channel.account_settings_model)},
        callback_url=_callback_url(account) if account is not None else None,
        check=(account.config or {}).get("check") if account is not None else None,
        links=channel.account_links(account) if account is not None else [],
    ), status


def _submitted(channel: ChannelPlugin) -> dict[str, Any]:
    """The posted values of the model's fields (checkboxes absent mean False; empty text is left out)."""
    out: dict[str, Any] = {}
    for field in form_fields(channel.account_settings_model, {}):
        if field.kind == "checkbox":
            out[field.name] = field.name in request.form
        else:
            value = (request.form.get(field.name) or "").strip()
            if value:
                out[field.name] = value
    return out


@bp.get("/")
@role_required(*ADMIN)
def index(plugin: str):
    channel = _channel(plugin)
    accounts = db().exec(select(ChannelAccount).where(
        ChannelAccount.tenant_id == g.tenant.id, ChannelAccount.plugin == plugin).order_by(ChannelAccount.id)).all()
    failed = stuck_counts(db(), g.tenant.id, plugin)
    return render_template("tenant/channel_accounts.html", channel=channel, accounts=accounts, failed=failed)


@bp.route("/new", methods=["GET", "POST"])
@role_required(*ADMIN)
def new(plugin: str):
    channel = _channel(plugin)
    if request.method == "GET":
        return _render(channel, None, {})
    submitted = _submitted(channel)
    revealed = {name: channel.generate_account_secret(name) for name in _generated(channel)
                if not submitted.get(name)}
    try:
        valid = settings_of.validate(channel.account_settings_model, {**submitted, **revealed})
        account = settings_of.save(db(), platform().secrets, g.tenant.id, plugin, valid)
    except AccountSettingsError as exc:
        db().rollback()
        return _render(channel, None, {k: v for k, v in submitted.items()
                                       if k not in settings_of.secret_fields(channel.account_settings_model)},
                       _errors(exc), status=422)
    _audit("channel_account.created", account, external_id=account.external_id)
    db().commit()
    flash(_("Account saved."), "success")
    if not revealed:
        return redirect(url_for(".account", plugin=plugin, account_id=account.id))
    # the generated secrets are shown on this answer only: the provider must be configured with them
    return _render(channel, account, settings_of.current_values(platform().secrets, channel.account_settings_model,
                                                                 account), revealed=revealed, status=201)


@bp.route("/<int:account_id>", methods=["GET", "POST"])
@role_required(*ADMIN)
def account(plugin: str, account_id: int):
    channel = _channel(plugin)
    row = _account(plugin, account_id)
    model = channel.account_settings_model
    if request.method == "GET":
        return _render(channel, row, settings_of.current_values(platform().secrets, model, row))
    submitted = _submitted(channel)
    try:
        valid = settings_of.validate(model, submitted, settings_of.stored_secrets(platform().secrets, row))
        settings_of.save(db(), platform().secrets, g.tenant.id, plugin, valid, row)
    except AccountSettingsError as exc:
        db().rollback()
        row = _account(plugin, account_id)
        values = {k: v for k, v in submitted.items() if k not in settings_of.secret_fields(model)}
        return _render(channel, row, values, _errors(exc), status=422)
    _audit("channel_account.saved", row, external_id=row.external_id)
    db().commit()
    flash(_("Account saved."), "success")
    return redirect(url_for(".account", plugin=plugin, account_id=row.id))


@bp.post("/<int:account_id>/check")
@role_required(*ADMIN)
def check(plugin: str, account_id: int):
    channel = _channel(plugin)
    row = _account(plugin, account_id)
    creds = settings_of.stored_secrets(platform().secrets, row)
    db().commit()  # the check may write in its own transactions (token caches): no snapshot held meanwhile
    try:
        result = channel.check_account(row, creds)
    except Exception as exc:  # a channel bug must not hide the page: shown as a failed check
        result = CheckResult(False, f"{type(exc).__name__}: {exc}")
    if not isinstance(result, CheckResult):
        result = CheckResult(False, f"check_account returned {type(result).__name__}, not a CheckResult")
    row = _account(plugin, account_id)
    settings_of.record_check(db(), row, result)
    _audit("channel_account.checked", row, ok=result.ok)
    db().commit()
    if result.ok:
        flash(_("Credentials work."), "success")
    else:
        flash(_("The credentials do not work: %(error)s", error=result.message), "error")
    return redirect(url_for(".account", plugin=plugin, account_id=row.id))


@bp.post("/<int:account_id>/rotate/<field>")
@role_required(*ADMIN)
def rotate(plugin: str, account_id: int, field: str):
    """Replace a generated secret with a new one, shown once on this answer."""
    channel = _channel(plugin)
    row = _account(plugin, account_id)
    if field not in _generated(channel):
        abort(404)
    value = channel.generate_account_secret(field)
    settings_of.set_secret(platform().secrets, row, field, value)
    db().add(row)
    _audit("channel_account.rotated", row, field=field)
    db().commit()
    flash(_("A new value was generated. Configure the provider with it now: it is not shown again."), "success")
    return _render(channel, row, settings_of.current_values(platform().secrets, channel.account_settings_model, row),
                   revealed={field: value})


@bp.post("/<int:account_id>/<any(disable, enable):action>")
@role_required(*ADMIN)
def toggle(plugin: str, account_id: int, action: str):
    """Disable an account (its callbacks are refused and its sends fail) or enable it again."""
    _channel(plugin)
    row = _account(plugin, account_id)
    row.active = action == "enable"
    db().add(row)
    _audit(f"channel_account.{action}d", row)
    db().commit()
    flash(_("Account enabled.") if row.active else _("Account disabled: its callbacks and sends are refused."),
          "success")
    return redirect(url_for(".index", plugin=plugin))


def channel_menu(registry, enabled) -> list[tuple[str, str]]:
    """(plugin name, title) of every enabled channel with accounts pages, for the ``settings.channels`` menu."""
    out = []
    for name in sorted(enabled):
        channel = registry.plugin(name)
        if isinstance(channel, ChannelPlugin) and channel.account_settings_model is not None:
            out.append((name, channel.title))
    return out
