"""Official account access tokens (``/cgi-bin/token``): the WeChat-family token stores of ``scrm.sdk.wechat.tokens``
bound to this plugin's table ``official_account_access_token`` and cache keys
``official_account:token:<account>:<kind>``."""

from __future__ import annotations

from typing import Any

from scrm.sdk.wechat import tokens as _tokens
from scrm.sdk.wechat.tokens import LOCK_TIMEOUT, Fetch, TokenStore, usable_lifetime

from .models import OAAccessToken

PREFIX = "official_account:token"

__all__ = ["LOCK_TIMEOUT", "CacheTokenStore", "DatabaseTokenStore", "Fetch", "TokenStore", "token_store",
           "usable_lifetime"]


class CacheTokenStore(_tokens.CacheTokenStore):
    def __init__(self, cache: Any) -> None:
        super().__init__(cache, PREFIX)


class DatabaseTokenStore(_tokens.DatabaseTokenStore):
    def __init__(self, engine: Any, box: Any, tenant_id: int, process_locks: Any) -> None:
        super().__init__(engine, box, tenant_id, process_locks, model=OAAccessToken, prefix=PREFIX)


def token_store(platform: Any, tenant_id: int) -> TokenStore:
    """The store for the platform: its Redis cache, else the database (PostgreSQL), else process memory (SQLite)."""
    if _tokens.uses_cache(platform):
        return CacheTokenStore(platform.cache)
    return DatabaseTokenStore(platform.engine, platform.secrets, tenant_id, platform.cache)
