"""The settings of one official account, declared for the host's accounts pages (``account_settings_model``).

The host renders, validates and stores them: ``name``, the AppID as the account's external id, the type, verified
flag, message mode, original id and API base in ``config``, the AppSecret, Token and EncodingAESKey encrypted in
``credentials`` (the names ``accounts.credentials_of`` reads). Token and EncodingAESKey are generated when left
empty and can be rotated.
"""

from __future__ import annotations

import re
from urllib.parse import urlsplit

from pydantic import BaseModel, Field, SecretStr, field_validator

from scrm.sdk import N_

from .accounts import DEFAULT_API_BASE, AccountType, MessageMode
from .labels import ACCOUNT_TYPE_LABELS, MESSAGE_MODE_LABELS

APPID_RE = re.compile(r"wx[0-9a-f]{16}\Z")
ORIGINAL_ID_RE = re.compile(r"gh_[0-9a-f]{12}\Z")
SECRET_RE = re.compile(r"[A-Za-z0-9]{32}\Z")
TOKEN_RE = re.compile(r"[A-Za-z0-9]{3,32}\Z")
AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}\Z")
GENERATED = {"generate": True}


class OfficialAccountSettings(BaseModel):
    """One official account: AppID and AppSecret, the server configuration (Token, EncodingAESKey, message mode),
    its type and whether WeChat verified it."""

    name: str = Field(min_length=1, max_length=100, title=N_("Name"),
                      description=N_("How this account is called in the platform, e.g. the store or brand name."))
    appid: str = Field(title=N_("AppID"), json_schema_extra={"account": "external_id"},
                       description=N_("Settings and Development → Basic Configuration → AppID (wx + 16 characters)."))
    original_id: str | None = Field(default=None, title=N_("Original ID"),
                                    description=N_("Account settings → Original ID (gh_ + 12 characters)."))
    account_type: AccountType = Field(default=AccountType.SUBSCRIPTION, title=N_("Account type"),
                                      json_schema_extra={"labels": ACCOUNT_TYPE_LABELS},
                                      description=N_("A service account can send mass messages and template "
                                                     "messages once WeChat verified it."))
    verified: bool = Field(default=False, title=N_("Verified by WeChat"),
                           description=N_("Mass sends, template messages and QR codes need a verified service "
                                          "account."))
    message_mode: MessageMode = Field(default=MessageMode.SAFE, title=N_("Message encryption mode"),
                                      json_schema_extra={"labels": MESSAGE_MODE_LABELS},
                                      description=N_("The mode chosen on the official account platform; safe mode "
                                                     "is recommended."))
    app_secret: SecretStr = Field(title=N_("AppSecret"), description=N_("32 letters or digits."))
    token: SecretStr = Field(title=N_("Token"), json_schema_extra=GENERATED,
                             description=N_("3 to 32 letters or digits."))
    encoding_aes_key: SecretStr = Field(title=N_("EncodingAESKey"), json_schema_extra=GENERATED,
                                        description=N_("Exactly 43 letters or digits."))
    api_base: str | None = Field(default=None, max_length=200, title=N_("API base URL"),
                                 description=N_("Leave blank for the official host https://api.weixin.qq.com."))

    @field_validator("appid")
    @classmethod
    def _appid(cls, value: str) -> str:
        value = value.strip()
        if not APPID_RE.match(value):
            raise ValueError(N_("An AppID is wx followed by 16 lowercase hexadecimal characters."))
        return value

    @field_validator("original_id")
    @classmethod
    def _original_id(cls, value: str | None) -> str | None:
        if not value:
            return None
        value = value.strip()
        if not ORIGINAL_ID_RE.match(value):
            raise ValueError(N_("An original ID is gh_ followed by 12 lowercase hexadecimal characters."))
        return value

    @field_validator("app_secret")
    @classmethod
    def _secret(cls, value: SecretStr) -> SecretStr:
        if not SECRET_RE.match(value.get_secret_value()):
            raise ValueError(N_("The AppSecret is exactly 32 letters or digits."))
        return value

    @field_validator("token")
    @classmethod
    def _token(cls, value: SecretStr) -> SecretStr:
        if not TOKEN_RE.match(value.get_secret_value()):
            raise ValueError(N_("The Token is 3 to 32 letters or digits."))
        return value

    @field_validator("encoding_aes_key")
    @classmethod
    def _aes_key(cls, value: SecretStr) -> SecretStr:
        if not AES_KEY_RE.match(value.get_secret_value()):
            raise ValueError(N_("The EncodingAESKey is exactly 43 letters or digits."))
        return value

    @field_validator("api_base")
    @classmethod
    def _api_base(cls, value: str | None) -> str | None:
        if not value:
            return None
        parts = urlsplit(value)
        if parts.scheme not in ("http", "https") or not parts.netloc or parts.query or parts.fragment:
            raise ValueError(N_("Enter an http(s) URL such as https://api.weixin.qq.com."))
        value = value.rstrip("/")
        return None if value == DEFAULT_API_BASE else value
