"""The SMS (短信) channel plugin: Aliyun / Tencent Cloud accounts, signatures and templates, bulk sends, quota,
opt-out and a local sandbox of both providers.

Public API for other plugins and the plugin's own feature areas (see README "Payload convention"): names resolve on
first use, so importing this package stays cheap.
"""

from __future__ import annotations

import importlib
from typing import Any

#: public name -> (module inside this package, attribute)
_EXPORTS: dict[str, tuple[str, str]] = {}


def __getattr__(name: str) -> Any:
    try:
        module, attribute = _EXPORTS[name]
    except KeyError:
        raise AttributeError(f"module 'scrm_sms' has no attribute '{name}'") from None
    return getattr(importlib.import_module(f".{module}", __name__), attribute)


__all__ = sorted(_EXPORTS)
