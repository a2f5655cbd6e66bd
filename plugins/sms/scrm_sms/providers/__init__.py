"""SMS vendors: the provider interface (``base``), the two built in (``aliyun``, ``tencent``) and the registry.

Vendors are found through the entry-point group ``scrm_sms.providers`` (this distribution declares ``aliyun`` and
``tencent``; a third party declares its own ``SmsProvider`` subclass the same way), plus any registered at run time
with ``register_provider`` (tests)."""

from __future__ import annotations

import importlib.metadata
import logging

from .base import Credentials, SmsProvider

log = logging.getLogger(__name__)
GROUP = "scrm_sms.providers"
_registered: dict[str, type[SmsProvider]] = {}
_loaded: dict[str, type[SmsProvider]] | None = None


def register_provider(cls: type[SmsProvider]) -> type[SmsProvider]:
    """Add a vendor at run time (usable as a class decorator); its ``name`` is the key."""
    if not (isinstance(cls, type) and issubclass(cls, SmsProvider) and cls.name):
        raise TypeError("a provider is an SmsProvider subclass with a name")
    _registered[cls.name] = cls
    return cls


def _entry_points() -> dict[str, type[SmsProvider]]:
    global _loaded
    if _loaded is None:
        found: dict[str, type[SmsProvider]] = {}
        for entry in importlib.metadata.entry_points(group=GROUP):
            try:
                cls = entry.load()
            except Exception:  # a broken third-party vendor must not take the channel down
                log.exception("SMS provider %s could not be loaded", entry.name)
                continue
            if isinstance(cls, type) and issubclass(cls, SmsProvider):
                found[entry.name] = cls
            else:
                log.warning("SMS provider %s is not an SmsProvider subclass", entry.name)
        _loaded = found
    return _loaded


def providers() -> dict[str, type[SmsProvider]]:
    """Every known vendor: name -> class (built-in first, then third-party, then registered)."""
    return {**_entry_points(), **_registered}


def provider_class(name: str) -> type[SmsProvider]:
    """The vendor named ``name``; ``KeyError`` when none is installed under that name."""
    try:
        return providers()[name]
    except KeyError:
        raise KeyError(f"no SMS provider '{name}' is installed") from None


def build_provider(name: str, credentials: Credentials, **options) -> SmsProvider:
    return provider_class(name)(credentials, **options)


def for_account(account, decrypted: dict | None = None, **options) -> SmsProvider:
    """The provider client of an SMS channel account (``config["provider"]``) with its stored credentials (or the
    ``decrypted`` ones given, e.g. by the accounts page's check); ``KeyError`` for a vendor not installed."""
    from ..account_settings import provider_credentials

    name = str((account.config or {}).get("provider") or "")
    return build_provider(name, provider_credentials(account, decrypted), **options)


__all__ = ["Credentials", "SmsProvider", "build_provider", "for_account", "provider_class", "providers", "register_provider"]
