"""Encryption at rest for credentials (app secrets, AES keys, pay and provider keys).

Values are Fernet tokens (AES-128-CBC + HMAC-SHA256). The key comes from ``SCRM_ENCRYPTION_KEY``; several keys may be
given comma-separated, the first encrypts and all decrypt, so keys can be rotated.
"""

from __future__ import annotations

import json
from typing import Any

from cryptography.fernet import Fernet, InvalidToken, MultiFernet


class SecretBoxError(ValueError):
    """A value could not be decrypted with any configured key."""


def generate_key() -> str:
    return Fernet.generate_key().decode()


class SecretBox:
    def __init__(self, keys: str) -> None:
        parts = [k.strip() for k in keys.split(",") if k.strip()]
        if not parts:
            raise SecretBoxError("no encryption key configured")
        self._fernet = MultiFernet([Fernet(k.encode()) for k in parts])

    def encrypt(self, plaintext: str) -> str:
        return self._fernet.encrypt(plaintext.encode()).decode()

    def decrypt(self, token: str) -> str:
        try:
            return self._fernet.decrypt(token.encode()).decode()
        except InvalidToken as exc:
            raise SecretBoxError("stored secret cannot be decrypted with the configured keys") from exc

    def encrypt_json(self, value: dict[str, Any]) -> str:
        return self.encrypt(json.dumps(value, sort_keys=True))

    def decrypt_json(self, token: str | None) -> dict[str, Any]:
        return json.loads(self.decrypt(token)) if token else {}
