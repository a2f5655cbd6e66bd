"""Callbacks from the sandbox to the platform: each is kept in the outbox (tests read it through the control API)
and, when the vendor account has a callback URL, POSTed there as the vendor does (JSON, no signature)."""

from __future__ import annotations

import json
import logging
import threading
from typing import Any

from .state import SandboxState, VendorAccount

log = logging.getLogger(__name__)
OUTBOX_MAX = 10_000


def push(state: SandboxState, account: VendorAccount, kind: str, body: Any) -> dict:
    text = json.dumps(body, ensure_ascii=False)
    entry = {"provider": account.provider, "key_id": account.key_id, "kind": kind, "body": text,
             "status": None}
    with state.lock:
        state.outbox.append(entry)
        del state.outbox[:-OUTBOX_MAX]
    if account.callback_url:
        thread = threading.Thread(target=_post, args=(account.callback_url, text, entry), daemon=True)
        thread.start()
    return entry


def _post(url: str, text: str, entry: dict) -> None:
    import httpx

    try:
        response = httpx.post(url, content=text.encode("utf-8"), timeout=10,
                              headers={"Content-Type": "application/json"})
        entry["status"] = response.status_code
    except httpx.HTTPError as exc:
        entry["status"] = f"error: {type(exc).__name__}"
        log.info("sandbox callback to the platform failed: %s", type(exc).__name__)
