"""The session-archive key form: parsing and validation of what the archive keys page posts."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass, field

from flask_babel import lazy_gettext as _l

from ..accounts import (
    MAX_ARCHIVE_KEYS,
    SECRET_FIELDS,
    ArchiveKey,
    InvalidPrivateKey,
    rsa_key_bits,
)

CORP_ID_RE = re.compile(r"w[wx][A-Za-z0-9]{8,30}\Z")
SECRET_RE = re.compile(r"[\x21-\x7e]{1,128}\Z")
TOKEN_RE = re.compile(r"[A-Za-z0-9]{1,32}\Z")
AES_KEY_RE = re.compile(r"[A-Za-z0-9]{43}\Z")
SECRET_NAMES = tuple(SECRET_FIELDS.values())
REQUIRED_ON_CREATE = ("agent_secret", "callback_token", "encoding_aes_key")


KEY_PROBLEMS = {
    "encrypted": _l("This key is protected by a passphrase: export it without one (openssl rsa -in key.pem -out plain.pem)."),
    "not RSA": _l("This is not an RSA key: WeCom's session archive uses RSA keys."),
}
MIN_KEY_BITS = 2048  # WeCom's session archive guide generates 2048-bit keys


@dataclass
class ArchiveKeyForm:
    """A session-archive private key to add: the public-key version WeCom shows and the PEM private key."""

    data: dict[str, str]
    errors: dict[str, str] = field(default_factory=dict)

    @classmethod
    def empty(cls) -> ArchiveKeyForm:
        return cls({"key_version": "", "private_key": ""})

    @classmethod
    def from_request(cls, form: Mapping[str, str]) -> ArchiveKeyForm:
        return cls({"key_version": (form.get("key_version") or "").strip(),
                    "private_key": (form.get("private_key") or "").strip()})

    def validate(self, stored: list[ArchiveKey]) -> tuple[int, str] | None:
        """(version, PEM) or None with ``errors`` filled in."""
        d, errors = self.data, self.errors
        version = int(d["key_version"]) if d["key_version"].isdigit() else 0
        if not 1 <= version <= 9999:
            errors["key_version"] = str(_l("Enter the public key's version number shown in the WeCom admin (1 to 9999)."))
        elif any(k.version == version for k in stored):
            errors["key_version"] = str(_l("A key of version %(version)s is stored: remove it first to replace it.",
                                           version=version))
        elif len(stored) >= MAX_ARCHIVE_KEYS:
            errors["key_version"] = str(_l("At most %(count)s key versions are kept: remove an old one first.",
                                           count=MAX_ARCHIVE_KEYS))
        pem = d["private_key"]
        if not pem:
            errors["private_key"] = str(_l("Paste the private key, from -----BEGIN to the END line."))
        elif len(pem) > 20_000:
            errors["private_key"] = str(_l("This is too long for an RSA private key."))
        else:
            try:
                bits = rsa_key_bits(pem)
            except InvalidPrivateKey as exc:
                errors["private_key"] = str(KEY_PROBLEMS.get(str(exc), _l(
                    "This is not a PEM RSA private key (-----BEGIN RSA PRIVATE KEY----- or -----BEGIN PRIVATE KEY-----).")))
            else:
                if bits < MIN_KEY_BITS:
                    errors["private_key"] = str(_l("The key has %(bits)s bits; WeCom needs at least %(min)s.",
                                                   bits=bits, min=MIN_KEY_BITS))
        return None if errors else (version, pem)
