"""The settings of one Sample SMS account: the host's accounts pages are rendered from this model."""

from __future__ import annotations

import secrets
import string

from pydantic import BaseModel, Field, SecretStr

AES_KEY_ALPHABET = string.ascii_letters + string.digits
AES_KEY_LENGTH = 43  # WeChat-family EncodingAESKey: 43 characters of [A-Za-z0-9]


class SampleSmsAccount(BaseModel):
    """One sender of the provider. ``sender_id`` is the account's provider id; the three secrets are write-only."""

    name: str = Field(min_length=1, max_length=100, title="Name")
    sender_id: str = Field(min_length=2, max_length=64, pattern=r"^[A-Za-z0-9_-]+$", title="Sender id",
                           json_schema_extra={"account": "external_id"})
    api_base: str = Field(min_length=8, max_length=300, pattern=r"^https?://", title="API base URL")
    api_key: SecretStr = Field(title="API key")
    callback_token: SecretStr = Field(SecretStr(""), title="Callback token", json_schema_extra={"generate": True})
    encoding_aes_key: SecretStr = Field(SecretStr(""), title="EncodingAESKey", json_schema_extra={"generate": True})
    rate_limit: float | None = Field(None, gt=0, le=1000, title="Messages per second")


def generate_secret(field: str) -> str:
    """A fresh value for a generated secret: a 32-character callback token or a 43-character EncodingAESKey."""
    if field == "encoding_aes_key":
        return "".join(secrets.choice(AES_KEY_ALPHABET) for _ in range(AES_KEY_LENGTH))
    if field == "callback_token":
        return secrets.token_hex(16)
    raise ValueError(f"the secret '{field}' is not generated")
