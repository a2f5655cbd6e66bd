"""The sandbox's control API under ``/sandbox/`` (tests and the demo drive the simulator with it):

* ``POST /sandbox/reset``; ``POST /sandbox/accounts`` (appid, secret, token, encoding_aes_key, mode, original_id,
  callback_url, account_type, verified, oauth_domain); ``POST /sandbox/fans`` (appid, openids, subscribed);
* ``POST /sandbox/expire_tokens`` (appid optional); ``POST /sandbox/fail`` (path, errcodes: the next calls of
  ``path`` answer these codes in turn); ``POST /sandbox/clock`` (advance: seconds);
* ``GET /sandbox/calls`` (the API call log, ``?path=`` filters), ``GET /sandbox/sent`` (messages sent);
* ``POST /sandbox/push`` (appid, xml, url optional): the fan does something: the sandbox records the interaction
  (the 48-hour window) and POSTs the callback, signed and encrypted in the account's mode, to its callback URL;
  answers the platform's status, body and the decrypted passive reply;
* ``POST /sandbox/verify_url`` (appid, url optional): the GET URL verification;
* ``POST /sandbox/template_finish`` (appid): WeChat's ``TEMPLATESENDJOBFINISH`` callback for every template message
  sent and not reported yet (``success``, or ``failed:user block`` for a fan who blocks template messages).
"""

from __future__ import annotations

from typing import Any

from flask import Flask, jsonify, request

from scrm.sdk.wechat import parse_xml

from .callbacks import message_xml, push_callback, read_reply, verify_url
from .state import SandboxError, SandboxState

ACCOUNT_FIELDS = ("appid", "secret", "token", "encoding_aes_key", "mode", "original_id", "callback_url",
                  "account_type", "verified", "oauth_domain")


def _json() -> dict[str, Any]:
    data = request.get_json(silent=True)
    return data if isinstance(data, dict) else {}


def register_control(app: Flask, state: SandboxState) -> None:
    def ok(**data: Any):
        return jsonify({"ok": True, **data})

    @app.errorhandler(SandboxError)
    def sandbox_error(exc: SandboxError):
        return jsonify({"ok": False, "errcode": exc.errcode, "errmsg": exc.errmsg}), 400

    @app.errorhandler(KeyError)
    def missing_field(exc: KeyError):
        return jsonify({"ok": False, "errmsg": f"missing field {exc}"}), 400

    @app.post("/sandbox/reset")
    def reset():
        with state.lock:
            state.__init__()
        return ok()

    @app.post("/sandbox/accounts")
    def accounts():
        data = _json()
        with state.lock:
            values = {name: data[name] for name in ACCOUNT_FIELDS if name in data}
            values.setdefault("appid", data["appid"])
            values.setdefault("secret", data["secret"])
            existing = state.accounts.get(values["appid"])
            if existing is not None:
                for name, value in values.items():
                    setattr(existing, name, value)
            else:
                state.add_account(**values)
            for template_id in data.get("templates") or ():
                state.account(values["appid"]).templates.add(str(template_id))
        return ok(appid=values["appid"])

    @app.post("/sandbox/fans")
    def fans():
        data = _json()
        with state.lock:
            account = state.account(str(data["appid"]))
            for openid in data.get("openids") or ():
                fan = account.fan(str(openid))
                fan.subscribed = bool(data.get("subscribed", True))
                fan.info.update(data.get("info") or {})
                if data.get("interacted_ago") is not None:
                    fan.last_interaction = state.now() - float(data["interacted_ago"])
                    fan.replies_since = 0
        return ok(count=len(data.get("openids") or ()))

    @app.post("/sandbox/expire_tokens")
    def expire_tokens():
        with state.lock:
            return ok(expired=state.expire_tokens(_json().get("appid")))

    @app.post("/sandbox/fail")
    def fail():
        data = _json()
        with state.lock:
            state.failures.setdefault(str(data["path"]), []).extend(int(code) for code in data["errcodes"])
        return ok()

    @app.post("/sandbox/clock")
    def clock():
        with state.lock:
            state.clock_offset += float(_json().get("advance") or 0)
            return ok(offset=state.clock_offset)

    @app.get("/sandbox/calls")
    def calls():
        path = request.args.get("path")
        with state.lock:
            rows = [c for c in state.calls if not path or c["path"] == path]
        return ok(calls=rows)

    @app.get("/sandbox/sent")
    def sent():
        with state.lock:
            return ok(sent=list(state.sent))

    @app.post("/sandbox/push")
    def push():
        data = _json()
        with state.lock:
            account = state.account(str(data["appid"]))
            xml = str(data["xml"])
            message = parse_xml(xml)
            openid = str(message.get("FromUserName") or "")
            if openid:
                fan = account.fan(openid)
                if message.get("MsgType") == "event" and message.get("Event") == "unsubscribe":
                    fan.subscribed = False
                else:
                    fan.subscribed = True
                    state.interact(account.appid, openid)
            url = str(data.get("url") or account.callback_url)
        response = push_callback(url, account, xml)
        reply = read_reply(account, response.content) if response.status_code == 200 else {}
        return ok(status=response.status_code, body=response.text, reply=reply)

    @app.post("/sandbox/template_finish")
    def template_finish():
        data = _json()
        with state.lock:
            account = state.account(str(data["appid"]))
            pending = [s for s in state.sent if s["kind"] == "template" and s["appid"] == account.appid
                       and not s.get("reported")]
            for sent in pending:
                sent["reported"] = True
            url = str(data.get("url") or account.callback_url)
        statuses = []
        for sent in pending:
            xml = message_xml(account.original_id or account.appid, sent["touser"], "event",
                              Event="TEMPLATESENDJOBFINISH", MsgID=str(sent["msgid"]), Status=sent["status"])
            statuses.append(push_callback(url, account, xml).status_code)
        return ok(pushed=len(pending), statuses=statuses)

    @app.post("/sandbox/verify_url")
    def verify():
        data = _json()
        with state.lock:
            account = state.account(str(data["appid"]))
            url = str(data.get("url") or account.callback_url)
        echostr = str(data.get("echostr") or "")
        response = verify_url(url, account, echostr=echostr or None)
        return ok(status=response.status_code, body=response.text)
