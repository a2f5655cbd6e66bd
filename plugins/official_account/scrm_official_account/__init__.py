"""The WeChat official account (公众号) channel plugin: several accounts per brand, callbacks, fans, auto-replies,
menus, materials, mass sends, the 48-hour inbox and a local sandbox.

Public API for the plugins that list ``"official_account"`` in ``requires``: they import these names from
``scrm_official_account`` and nothing deeper. Inside this plugin, feature areas import the modules directly
(``from scrm_official_account.accounts import require_verified_service``).

Accounts
    ``official_accounts(session, tenant_id)`` / ``find_account(session, tenant_id, account_id)`` read the tenant's
    accounts; ``require_verified_service(account)`` raises ``NotVerifiedServiceAccount`` (a message id with
    ``params``) unless the account is a verified service account; ``OAClient.for_account(account, platform)`` calls
    the official-account API with the cached access token (``OAUnavailable``, ``scrm.sdk.wechat.WeChatAPIError``).
Callbacks
    Domain event types ``EVENT_*`` (``scrm_official_account.events``), published for every inbound message and event.

Names resolve on first use, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (module inside this package, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {
    "official_accounts": ("accounts", "list_accounts"),
    "find_account": ("accounts", "find_account"),
    "require_verified_service": ("accounts", "require_verified_service"),
    "NotVerifiedServiceAccount": ("accounts", "NotVerifiedServiceAccount"),
    "OAClient": ("client", "OAClient"),
    "OAUnavailable": ("client", "OAUnavailable"),
}

__all__ = sorted(_EXPORTS)


def __getattr__(name: str) -> Any:
    """Resolve a public name on first use (PEP 562) and keep it in the module."""
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'scrm_official_account' has no attribute '{name}'") from None
    value = getattr(importlib.import_module(f"{__name__}.{module}"), attribute)
    globals()[name] = value
    return value


def __dir__() -> list[str]:
    return sorted({*globals(), *__all__})
