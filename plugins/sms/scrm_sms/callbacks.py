"""The vendors' callbacks behind the host gateway: ``POST /callbacks/sms/<account_id>?token=<callback token>``.

Aliyun (HTTP batch push) and Tencent Cloud push delivery reports, uplink replies and review results as unsigned JSON;
the account's generated callback token in the configured URL is what proves the caller (compared in constant time;
a wrong or missing token answers 403 and stores nothing). The body is parsed by the account's provider (400 for a
body that is not one of its shapes), its items normalised to JSON and stored once through the platform's inbox
(dedupe key: the body's SHA-256, so a vendor's retry of the same push stores nothing), and the vendor gets the answer
it expects at once; ``jobs.process_callbacks`` applies the items.
"""

from __future__ import annotations

import dataclasses
import hashlib
import hmac
import json
from datetime import datetime

from flask import Response

from scrm.sdk import Inbound
from scrm.sdk.web import platform

from .account_settings import credentials_of
from .providers import for_account
from .providers.base import ReviewResult, StatusReport, Uplink

PLUGIN = "sms"
MAX_BODY = 512 * 1024
KINDS = {StatusReport: "report", Uplink: "uplink", ReviewResult: "review"}


def _json(body: str, status: int) -> Response:
    return Response(body, status=status, mimetype="application/json")


def _value(value):
    return value.isoformat() if isinstance(value, datetime) else value


def normalise(items) -> str:
    """The stored form of parsed callback items: a JSON list of ``{"type": report|uplink|review, ...fields}``."""
    return json.dumps([{"type": KINDS[type(item)], **{k: _value(v) for k, v in dataclasses.asdict(item).items()}}
                       for item in items], ensure_ascii=False)


def handle_callback(account, request) -> Response:
    """Authenticate, parse and store one callback of ``account``; the answer for the vendor."""
    from .jobs import process_callbacks

    plat = platform()
    secrets = credentials_of(account, plat.secrets)
    expected = str(secrets.get("callback_token") or "")
    given = request.args.get("token", "")
    if not expected or not hmac.compare_digest(given.encode(), expected.encode()):
        return _json('{"code":403,"msg":"forbidden"}', 403)
    if request.method != "POST":
        return _json('{"code":405,"msg":"POST only"}', 405)
    if (request.content_length or 0) > MAX_BODY:
        return _json('{"code":413,"msg":"too large"}', 413)
    body = request.get_data(cache=False)
    if len(body) > MAX_BODY:
        return _json('{"code":413,"msg":"too large"}', 413)
    try:
        client = for_account(account, secrets)
        items = client.parse_callback(body, request.content_type or "")
    except (ValueError, KeyError, TypeError):
        return _json('{"code":400,"msg":"bad request"}', 400)
    if items:
        plat.inbox.store(Inbound(tenant_id=account.tenant_id, account_id=account.id, plugin=PLUGIN,
                                 dedupe_key="sha256:" + hashlib.sha256(body).hexdigest(), body=normalise(items),
                                 process=process_callbacks))
    text, status = client.callback_answer(True)
    return _json(text, status)
