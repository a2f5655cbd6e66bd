"""Constants and the control-API client of the SMS tests (imported by ``conftest`` and the test modules)."""

from __future__ import annotations

import httpx
from scrm_sms.sandbox.state import DEFAULT_KEYS

SIGN = "珍客零售"
CALLBACK_TOKEN = "cb-token-0123456789abcdef"
KEYS = {keys["provider"]: keys for keys in DEFAULT_KEYS}
TEMPLATE = {"aliyun": "SMS_100001", "tencent": "100001"}
TEMPLATE_CONTENT = {"aliyun": "亲爱的${name}，您的订单已发货。", "tencent": "亲爱的{1}，您的订单已发货。"}
TEXT_TEMPLATE = {"aliyun": "SMS_100002", "tencent": "100002"}
TEXT_CONTENT = {"aliyun": "${content}", "tencent": "{1}"}


class SandboxControl:
    def __init__(self, base: str) -> None:
        self.base = base

    def post(self, path: str, body: dict) -> dict:
        response = httpx.post(f"{self.base}/_sandbox/{path}", json=body, timeout=5)
        response.raise_for_status()
        return response.json()

    def get(self, path: str) -> list | dict:
        response = httpx.get(f"{self.base}/_sandbox/{path}", timeout=5)
        response.raise_for_status()
        return response.json()

    def sent(self, key_id: str | None = None) -> list[dict]:
        return self.get(f"messages?key_id={key_id}" if key_id else "messages")

    def outbox(self) -> list[dict]:
        return self.get("outbox?drain=1")

    def seed(self, provider: str) -> None:
        keys = KEYS[provider]
        self.post("seed", {"key_id": keys["key_id"], "signs": [SIGN], "templates": [
            {"code": TEMPLATE[provider], "name": "发货通知", "content": TEMPLATE_CONTENT[provider]},
            {"code": TEXT_TEMPLATE[provider], "name": "通用文本", "content": TEXT_CONTENT[provider],
             "category": "marketing"}]})


def approve_signature(db, tenant_id: int, account_id: int, text: str = SIGN):
    """An approved signature ``text`` on the account (what the review would leave): bulk sends use only these."""
    from scrm_sms.signatures.models import APPROVED, SmsSignature

    row = SmsSignature(tenant_id=tenant_id, account_id=account_id, text=text, status=APPROVED, provider_ref=text)
    db.add(row)
    db.commit()
    return row
