"""The settings of one SMS account (one key pair at one vendor), declared for the host's accounts pages.

The host stores ``name``, the AccessKeyId / SecretId as the account's external id, the secret and the callback token
encrypted in ``credentials`` and the rest in ``config``. Read them back with ``settings_of(account)`` and
``credentials_of(account)``."""

from __future__ import annotations

import re
import secrets
from typing import Any
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator, model_validator

from scrm.sdk import N_, account_credentials, current_bus

from .providers import Credentials, provider_class, providers

KEY_ID_RE = re.compile(r"[A-Za-z0-9_-]{4,100}\Z")
SECRET_RE = re.compile(r"[\x21-\x7e]{4,128}\Z")
REGION_RE = re.compile(r"[a-z0-9-]{2,40}\Z")
SIGN_RE = re.compile(r"[^【】\[\]\s]{2,20}\Z")
APP_ID_RE = re.compile(r"\d{6,12}\Z")


def _provider_names() -> list[str]:
    return sorted(providers()) or ["aliyun", "tencent"]


class SmsAccountSettings(BaseModel):
    """One vendor key pair: the provider, the keys (AccessKeyId/AccessKeySecret at Aliyun, SecretId/SecretKey and
    the SmsSdkAppId at Tencent), the region, the default sign name, the template that carries typed text, the API
    base (the sandbox; blank for the vendor's endpoint), the declared rate and the callback token."""

    name: str = Field(min_length=1, max_length=100, title=N_("Name"),
                      description=N_("How this SMS account is called in the platform."))
    provider: str = Field(title=N_("SMS provider"), json_schema_extra={"enum": _provider_names()})
    key_id: str = Field(title=N_("AccessKeyId / SecretId"), json_schema_extra={"account": "external_id"})
    key_secret: SecretStr = Field(title=N_("AccessKeySecret / SecretKey"))
    app_id: str | None = Field(default=None, max_length=12, title=N_("SmsSdkAppId"),
                               description=N_("Tencent Cloud only: the SMS application's SdkAppId."))
    region: str | None = Field(default=None, max_length=40, title=N_("Region"),
                               description=N_("Blank for cn-hangzhou (Aliyun) or ap-guangzhou (Tencent Cloud)."))
    sign_name: str = Field(title=N_("Default sign name"),
                           description=N_("An approved sign name of this account, without 【】."))
    text_template: str | None = Field(default=None, max_length=40, title=N_("Template for typed text"),
                                      description=N_("An approved template whose whole content is one variable "
                                                     "(${content} at Aliyun, {1} at Tencent Cloud); needed to send "
                                                     "typed text instead of a template."))
    api_base: str | None = Field(default=None, max_length=200, title=N_("API base URL"),
                                 description=N_("Leave blank for the provider's official endpoint."))
    rate_limit: float | None = Field(default=None, gt=0, le=5000, title=N_("Messages per second"),
                                     description=N_("The rate the provider allows this account; blank for 50."))
    callback_token: SecretStr = Field(title=N_("Callback token"), json_schema_extra={"generate": True},
                                      description=N_("Part of the callback URL configured at the provider."))

    @field_validator("provider")
    @classmethod
    def _provider(cls, value: str) -> str:
        if value not in providers():
            raise ValueError(N_("Choose one of the installed SMS providers."))
        return value

    @field_validator("key_id")
    @classmethod
    def _key_id(cls, value: str) -> str:
        if not KEY_ID_RE.match(value):
            raise ValueError(N_("An access key id is 4-100 letters, digits, dashes or underscores."))
        return value

    @field_validator("key_secret", "callback_token")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if value.get_secret_value() and not SECRET_RE.match(value.get_secret_value()):
            raise ValueError(N_("A secret is 4-128 printable characters without spaces."))
        return value

    @field_validator("region")
    @classmethod
    def _region(cls, value: str | None) -> str | None:
        if value and not REGION_RE.match(value):
            raise ValueError(N_("A region id is lower-case letters, digits and dashes, e.g. cn-hangzhou."))
        return value or None

    @field_validator("sign_name")
    @classmethod
    def _sign(cls, value: str) -> str:
        value = value.strip().strip("【】")
        if not SIGN_RE.match(value):
            raise ValueError(N_("A sign name is 2-20 characters without brackets or spaces."))
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if value and (urlsplit(value).scheme not in ("http", "https") or not urlsplit(value).netloc):
            raise ValueError(N_("Enter a full http(s) URL."))
        return value.rstrip("/") if value else None

    @model_validator(mode="after")
    def _app_id(self) -> SmsAccountSettings:
        if self.provider in providers() and provider_class(self.provider).needs_app_id:
            if not self.app_id or not APP_ID_RE.match(self.app_id):
                raise ValueError(N_("Tencent Cloud needs the SmsSdkAppId (digits) of the SMS application."))
        return self


def generate_callback_token() -> str:
    return secrets.token_urlsafe(24)


def credentials_of(account, secrets_box=None) -> dict[str, Any]:
    """The account's decrypted secrets (``key_secret``, ``callback_token``); never log them."""
    box = secrets_box or current_bus().platform.secrets
    return account_credentials(box, account)


def provider_credentials(account, decrypted: dict[str, Any] | None = None) -> Credentials:
    """The ``Credentials`` a provider client of ``account`` is built with."""
    config = account.config or {}
    decrypted = decrypted if decrypted is not None else credentials_of(account)
    return Credentials(key_id=account.external_id, key_secret=str(decrypted.get("key_secret") or ""),
                       region=str(config.get("region") or ""), app_id=str(config.get("app_id") or ""),
                       api_base=str(config.get("api_base") or ""))
