"""Demo: the brand's two official accounts in the sandbox and on the accounts page (the first area seeded).

* 「示例品牌服务号」: the brand's verified service account (safe mode), ``ctx.accounts["brand"]``;
* 「示例品牌门店号」: a subscription account the stores share (compatible mode), ``ctx.accounts["stores"]``.

Both are registered in the sandbox with the platform's callback URL, so the sandbox can push fans' messages.
Idempotent: the accounts are found by AppID.
"""

from __future__ import annotations

from typing import Any

import httpx
from sqlmodel import Session

from .accounts import save_account

ACCOUNTS = {
    "brand": {"name": "示例品牌服务号", "appid": "wxd3m0b4a11d000001", "app_secret": "d3m0a11b7c9e4f2a8b6c0d1e3f5a7b90",
              "token": "DemoBrandOaToken2026", "encoding_aes_key": "D3m0BrandOfficialAccountEncodingAESKey00001",
              "mode": "safe", "account_type": "service", "verified": True, "original_id": "gh_d3e0b4a11d01"},
    "stores": {"name": "示例品牌门店号", "appid": "wxd3m0b4a11d000002",
               "app_secret": "d3m0a11b7c9e4f2a8b6c0d1e3f5a7b91", "token": "DemoStoresOaToken2026",
               "encoding_aes_key": "D3m0StoresOfficialAccountEncodingAESKey0002", "mode": "compatible",
               "account_type": "subscription", "verified": False, "original_id": "gh_d3e0b4a11d02"},
}


def seed(tenant: Any, session: Session, demo: Any, ctx: Any) -> None:
    base = demo.serve()
    with httpx.Client(base_url=ctx.sandbox_url, timeout=10.0) as sandbox:
        for role, values in ACCOUNTS.items():
            account = save_account(session, ctx.platform.secrets, tenant.id, api_base=ctx.sandbox_url, **values)
            session.commit()
            sandbox.post("/sandbox/accounts", json={
                "appid": values["appid"], "secret": values["app_secret"], "token": values["token"],
                "encoding_aes_key": values["encoding_aes_key"], "mode": values["mode"],
                "original_id": values["original_id"], "account_type": values["account_type"],
                "verified": values["verified"], "callback_url": f"{base}/callbacks/official_account/{account.id}",
            }).raise_for_status()
            ctx.accounts[role] = account
