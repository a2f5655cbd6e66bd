"""Both SMS vendors simulated on this machine, for tests and ``scrm demo`` (never used in production).

``create_sandbox_app(state_path=None)`` returns a Flask WSGI app serving

* ``/aliyun/`` — Aliyun dysmsapi 2017-05-25 (an account's ``api_base`` is ``<sandbox>/aliyun``);
* ``/tencent/`` — Tencent Cloud SMS 2021-01-11 (``api_base`` ``<sandbox>/tencent``);
* the control API under ``/_sandbox/`` (not part of any vendor's API):
  ``POST /_sandbox/keys`` ``{"provider", "key_id", "key_secret", "app_id"?, "balance"?, "callback_url"?}`` adds or
  changes a key pair (``DEFAULT_KEYS`` exist from the start); ``POST /_sandbox/seed`` ``{"key_id", "signs": [name],
  "templates": [{"code"?, "name", "content", "category"?}]}`` files them approved at once (system templates);
  ``POST /_sandbox/review`` ``{"key_id", "kind": "template"|"signature", "ref", "status": "approved"|"rejected",
  "reason"?}`` decides a review and pushes the result; ``POST /_sandbox/uplink`` ``{"key_id", "mobile", "text"}``
  pushes a reply; ``POST /_sandbox/report`` ``{"key_id", "message_id", "mobile", "status", "code"?}`` pushes a
  delivery report; ``POST /_sandbox/config`` ``{"rate"?, "fail_numbers"?, "auto_report"?, "report_delay"?,
  "keep_messages"?}``;
  ``GET /_sandbox/messages?key_id=`` the messages taken; ``GET /_sandbox/outbox?drain=1`` the callbacks produced
  (each also POSTed to the key's ``callback_url`` when set); ``GET /_sandbox/accounts/<key_id>`` balance, sign
  names and templates.
"""

from __future__ import annotations

import dataclasses
from pathlib import Path

from flask import Flask, abort, jsonify, request

from . import aliyun_api, carrier, tencent_api
from .state import APPROVED, DEFAULT_KEYS, REJECTED, TEXT_VARIABLE, Review, SandboxState


def _json() -> dict:
    data = request.get_json(silent=True)
    if not isinstance(data, dict):
        abort(400, "a JSON object is expected")
    return data


def _account(state: SandboxState, key_id) -> object:
    account = state.accounts.get(str(key_id or ""))
    if account is None:
        abort(404, f"no key {key_id}")
    return account


def create_sandbox_app(state_path: str | Path | None = None) -> Flask:
    app = Flask(__name__)
    state = SandboxState()
    app.extensions["sms_sandbox"] = state
    path = Path(state_path) if state_path else None
    if path is not None and path.exists():
        import json

        state.load(json.loads(path.read_text(encoding="utf-8")))

    @app.after_request
    def keep(response):
        if path is not None and request.method != "GET":
            state.save(path)
        return response

    # -- the vendors' APIs ---------------------------------------------------------------------------------------------

    @app.route("/aliyun/", methods=["GET", "POST"])
    def aliyun():
        params = request.args.to_dict() if request.method == "GET" else request.form.to_dict()
        body, status = aliyun_api.handle(state, request.method, params)
        return jsonify(body), status

    @app.post("/tencent/")
    def tencent():
        body, status = tencent_api.handle(state, request.headers, request.get_data(as_text=True))
        return jsonify(body), status

    # -- control --------------------------------------------------------------------------------------------------------

    @app.post("/_sandbox/keys")
    def keys():
        data = _json()
        if data.get("provider") not in ("aliyun", "tencent") or not data.get("key_id") or not data.get("key_secret"):
            abort(400, "provider, key_id and key_secret are required")
        account = state.add_account(data["provider"], str(data["key_id"]), str(data["key_secret"]),
                                    str(data.get("app_id") or ""), data.get("balance"), data.get("callback_url"))
        return jsonify({"key_id": account.key_id, "balance": account.balance})

    @app.post("/_sandbox/seed")
    def seed():
        data = _json()
        account = _account(state, data.get("key_id"))
        codes = []
        with state.lock:
            for name in data.get("signs") or []:
                sign = account.signs.get(name) or Review(ref=name if account.provider == "aliyun"
                                                         else str(300_000 + len(account.signs)), name=name)
                sign.status = APPROVED
                account.signs[name] = sign
            for raw in data.get("templates") or []:
                code = str(raw.get("code") or (f"SMS_{900000 + len(account.templates)}" if account.provider ==
                                               "aliyun" else str(900_000 + len(account.templates))))
                account.templates[code] = Review(ref=code, name=str(raw.get("name") or code),
                                                 content=str(raw.get("content") or ""), status=APPROVED,
                                                 category=str(raw.get("category") or "notification"))
                codes.append(code)
        return jsonify({"templates": codes, "signs": list(account.signs)})

    @app.post("/_sandbox/review")
    def review():
        data = _json()
        account = _account(state, data.get("key_id"))
        if data.get("status") not in (APPROVED, REJECTED) or data.get("kind") not in ("template", "signature"):
            abort(400, "kind template|signature and status approved|rejected are required")
        try:
            entry = carrier.review(state, account, data["kind"], str(data.get("ref")), data["status"],
                                   str(data.get("reason") or ""))
        except KeyError:
            abort(404, "no such template or sign name")
        return jsonify(entry)

    @app.post("/_sandbox/uplink")
    def uplink():
        data = _json()
        account = _account(state, data.get("key_id"))
        return jsonify(carrier.uplink(state, account, str(data.get("mobile") or ""), str(data.get("text") or ""),
                                      str(data.get("sign_name") or "")))

    @app.post("/_sandbox/report")
    def report():
        data = _json()
        entry = carrier.report(state, f"{data.get('message_id')}|{data.get('mobile')}", data.get("status"),
                               str(data.get("code") or ""))
        if entry is None:
            abort(404, "no such message")
        return jsonify(entry)

    @app.post("/_sandbox/config")
    def config():
        data = _json()
        with state.lock:
            for name in ("rate", "fail_numbers", "auto_report", "report_delay", "keep_messages"):
                if name in data:
                    setattr(state.settings, name, data[name])
        return jsonify(dataclasses.asdict(state.settings))

    @app.get("/_sandbox/messages")
    def messages():
        key_id = request.args.get("key_id")
        with state.lock:
            rows = [dataclasses.asdict(m) for m in state.sent.values() if not key_id or m.key_id == key_id]
        return jsonify(sorted(rows, key=lambda m: m["sent_at"]))

    @app.get("/_sandbox/outbox")
    def outbox():
        with state.lock:
            rows = list(state.outbox)
            if request.args.get("drain"):
                state.outbox.clear()
        return jsonify(rows)

    @app.get("/_sandbox/accounts/<key_id>")
    def account(key_id):
        found = _account(state, key_id)
        return jsonify({"balance": found.balance, "callback_url": found.callback_url,
                        "signs": {k: dataclasses.asdict(v) for k, v in found.signs.items()},
                        "templates": {k: dataclasses.asdict(v) for k, v in found.templates.items()}})

    return app


__all__ = ["DEFAULT_KEYS", "TEXT_VARIABLE", "SandboxState", "create_sandbox_app"]
