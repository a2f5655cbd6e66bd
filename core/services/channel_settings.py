"""Channel account settings declared by a channel's pydantic model (``ChannelPlugin.account_settings_model``).

The host's accounts pages are rendered from the model and saved through this module. Field roles:

* ``name``: the account's name (``ChannelAccount.name``);
* the field marked ``json_schema_extra={"account": "external_id"}``: the provider's id of the account (a CorpId, an
  AppID, an access key id) in ``ChannelAccount.external_id``;
* secret fields, typed ``SecretStr`` (or marked ``json_schema_extra={"secret": True}``): kept in the encrypted
  ``credentials`` only, never rendered back; on edit an empty value keeps the stored one;
* every other field: ``ChannelAccount.config`` (None values are left out).

Secrets not in the model (a channel's own additions, e.g. WeCom's session-archive keys) are kept as they are.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, SecretStr, ValidationError
from sqlalchemy.exc import IntegrityError
from sqlmodel import Session, select

from ..models import ChannelAccount
from ..secrets import SecretBox
from ..timeutil import utcnow
from .channels import create_account, credentials, set_credentials

EXTERNAL_ID = "external_id"
NAME = "name"
DUPLICATE = "already used by another account"


@dataclass(frozen=True)
class CheckResult:
    """What ``ChannelPlugin.check_account`` found: ``ok``, a short ``message`` for the page (the provider's error
    code and text when it failed) and ``details`` per credential (``{"agent": {"ok": True}, ...}``)."""

    ok: bool
    message: str = ""
    details: Mapping[str, Any] = field(default_factory=dict)

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "message": self.message[:500], "details": dict(self.details),
                "checked_at": utcnow().isoformat(timespec="seconds")}


class AccountSettingsError(ValueError):
    """The submitted settings are invalid; ``errors`` maps a field name to its message."""

    def __init__(self, errors: dict[str, str], types: dict[str, str] | None = None) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in errors.items()))
        self.errors = errors
        #: the kind of each error (pydantic's error type, or ``duplicate``): a host shows its own text for a kind
        self.types = types or {}


def _extra(model: type[BaseModel], name: str) -> dict[str, Any]:
    extra = model.model_fields[name].json_schema_extra
    return extra if isinstance(extra, dict) else {}


def secret_fields(model: type[BaseModel]) -> tuple[str, ...]:
    """The model's secret fields, in declaration order."""
    out = []
    for name, info in model.model_fields.items():
        annotation = str(info.annotation)
        if "SecretStr" in annotation or _extra(model, name).get("secret"):
            out.append(name)
    return tuple(out)


def external_id_field(model: type[BaseModel]) -> str | None:
    return next((name for name in model.model_fields if _extra(model, name).get("account") == EXTERNAL_ID), None)


def _plain(value: Any) -> Any:
    return value.get_secret_value() if isinstance(value, SecretStr) else value


def current_values(box: SecretBox, model: type[BaseModel], account: ChannelAccount) -> dict[str, Any]:
    """The account's settings as the edit form shows them: everything but the secrets."""
    secrets = set(secret_fields(model))
    ext = external_id_field(model)
    values: dict[str, Any] = {}
    config = account.config or {}
    for name in model.model_fields:
        if name in secrets:
            continue
        if name == NAME:
            values[name] = account.name
        elif name == ext:
            values[name] = account.external_id
        elif config.get(name) is not None:
            values[name] = config[name]
    return values


def stored_secrets(box: SecretBox, account: ChannelAccount) -> dict[str, Any]:
    return credentials(box, account)


def validate(model: type[BaseModel], submitted: Mapping[str, Any], stored: Mapping[str, Any] | None = None) -> BaseModel:
    """Validate ``submitted``; an empty secret takes its ``stored`` value (editing keeps it). Raises
    :class:`AccountSettingsError` with one message per field."""
    data = dict(submitted)
    for name in secret_fields(model):
        if not data.get(name) and stored and stored.get(name):
            data[name] = stored[name]
        elif not data.get(name):
            data.pop(name, None)
    try:
        return model.model_validate(data)
    except ValidationError as exc:
        errors: dict[str, str] = {}
        types: dict[str, str] = {}
        for error in exc.errors():
            key = str(error["loc"][0]) if error["loc"] else "__root__"
            if key not in errors:
                errors[key] = error["msg"].removeprefix("Value error, ")
                types[key] = error["type"]
        raise AccountSettingsError(errors, types) from exc


def save(session: Session, box: SecretBox, tenant_id: int, plugin: str, settings: BaseModel,
         account: ChannelAccount | None = None) -> ChannelAccount:
    """Create (``account`` None) or update an account of ``plugin`` from validated ``settings``; flushes. Changing
    the external id or a secret clears the last credential check. Raises :class:`AccountSettingsError` when the
    external id is already another account's of this tenant."""
    model = type(settings)
    secrets = secret_fields(model)
    ext = external_id_field(model)
    values = {name: _plain(getattr(settings, name)) for name in model.model_fields}
    name = str(values.get(NAME) or "")
    external_id = str(values.get(ext) or "") if ext else ""
    new_secrets = {k: values[k] for k in secrets if values.get(k)}
    config_values = {k: v for k, v in values.items() if k not in secrets and k not in (NAME, ext)}
    taken = session.exec(select(ChannelAccount.id).where(
        ChannelAccount.tenant_id == tenant_id, ChannelAccount.plugin == plugin,
        ChannelAccount.external_id == external_id,
        ChannelAccount.id != (account.id if account is not None else -1))).first()
    if taken is not None and ext:
        raise AccountSettingsError({ext: DUPLICATE}, {ext: "duplicate"})
    if account is None:
        try:
            with session.begin_nested():
                return create_account(session, box, tenant_id, plugin, name, external_id, new_secrets,
                                      {k: v for k, v in config_values.items() if v is not None})
        except IntegrityError as exc:
            raise AccountSettingsError({ext or NAME: DUPLICATE}, {ext or NAME: "duplicate"}) from exc
    stored = credentials(box, account)
    changed = external_id != account.external_id or any(stored.get(k) != v for k, v in new_secrets.items())
    stored.update(new_secrets)
    set_credentials(box, account, stored)
    config = dict(account.config or {})
    for key, value in config_values.items():
        if value is None:
            config.pop(key, None)
        else:
            config[key] = value
    if changed:
        config.pop("check", None)
        account.last_error = None
    account.config = config
    account.name, account.external_id = name, external_id
    session.add(account)
    session.flush()
    return account


def set_secret(box: SecretBox, account: ChannelAccount, name: str, value: str) -> None:
    """Replace one secret (a rotation); the last credential check no longer applies."""
    stored = credentials(box, account)
    stored[name] = value
    set_credentials(box, account, stored)
    config = dict(account.config or {})
    config.pop("check", None)
    account.config = config
    account.last_error = None


def record_check(session: Session, account: ChannelAccount, result: CheckResult) -> None:
    """Keep a credential check on the account: ``config["check"]`` and ``last_error`` (None when it passed)."""
    config = dict(account.config or {})
    config["check"] = result.to_json()
    account.config = config
    account.last_error = None if result.ok else (result.message or "check failed")[:500]
    session.add(account)
    session.flush()
