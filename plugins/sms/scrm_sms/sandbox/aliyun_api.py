"""Aliyun dysmsapi 2017-05-25 as the sandbox answers it: RPC requests (GET query or POST form) checked like the
real API (unknown key, expired timestamp, signature, nonce reuse, API throttling, in that order), then the actions
the client uses, with Aliyun's codes and shapes; and the bodies of its HTTP batch-push callbacks."""

from __future__ import annotations

import json
import time
import uuid
from collections.abc import Mapping
from datetime import UTC, datetime

from ..providers.aliyun import VERSION, rpc_signature
from . import carrier
from .state import (
    ALIYUN,
    ALIYUN_SKEW,
    APPROVED,
    PENDING,
    REJECTED,
    Review,
    SandboxState,
    Sent,
    VendorAccount,
    segments,
)

REQUIRED = ("AccessKeyId", "Action", "Signature", "SignatureMethod", "SignatureNonce", "SignatureVersion",
            "Timestamp", "Version")
CODES = {carrier.NO_SIGN: ("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名"),
         carrier.NO_TEMPLATE: ("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板"),
         carrier.MISSING_PARAMS: ("isv.TEMPLATE_MISSING_PARAMETERS", "模板变量缺少对应参数值"),
         carrier.ILLEGAL_NUMBER: ("isv.MOBILE_NUMBER_ILLEGAL", "非法手机号"),
         carrier.DAILY_LIMIT: ("isv.BUSINESS_LIMIT_CONTROL", "触发天级流控Permits:50"),
         carrier.NO_BALANCE: ("isv.AMOUNT_NOT_ENOUGH", "账户余额不足")}
STATUS_NUMBER = {PENDING: 0, APPROVED: 1, REJECTED: 2}
AUDIT_STATE = {PENDING: "AUDIT_STATE_INIT", APPROVED: "AUDIT_STATE_PASS", REJECTED: "AUDIT_STATE_NOT_PASS"}


def _answer(code: str = "OK", message: str = "OK", status: int = 200, **fields) -> tuple[dict, int]:
    return {"RequestId": str(uuid.uuid4()).upper(), "Code": code, "Message": message, **fields}, status


def _error(reason: str) -> tuple[dict, int]:
    code, message = CODES[reason]
    return _answer(code, message)  # business errors: HTTP 200 with the code


def authenticate(state: SandboxState, method: str, params: Mapping[str, str]) -> tuple[VendorAccount | None,
                                                                                        tuple[dict, int] | None]:
    """The vendor account of a signed request, or the error the real API answers."""
    missing = [name for name in REQUIRED if not params.get(name)]
    if missing:
        return None, _answer("MissingParameter", f"The input parameter \"{missing[0]}\" that is mandatory for "
                                                 "processing this request is not supplied.", 400)
    if params["Version"] != VERSION:
        return None, _answer("InvalidVersion", "Specified parameter Version is not valid.", 400)
    account = state.account(params["AccessKeyId"], ALIYUN)
    if account is None:
        return None, _answer("InvalidAccessKeyId.NotFound", "Specified access key is not found.", 404)
    try:
        at = datetime.strptime(params["Timestamp"], "%Y-%m-%dT%H:%M:%SZ").replace(tzinfo=UTC).timestamp()
    except ValueError:
        return None, _answer("InvalidTimeStamp.Format", "Specified time stamp or date value is not well formatted.",
                             400)
    if abs(state.clock() - at) > ALIYUN_SKEW:
        return None, _answer("InvalidTimeStamp.Expired", "Specified time stamp or date value is expired.", 400)
    if params["SignatureMethod"] != "HMAC-SHA1" or params["SignatureVersion"] != "1.0":
        return None, _answer("InvalidSignatureMethod", "Specified signature method is not supported.", 400)
    expected = rpc_signature(dict(params), account.key_secret, method)
    if params["Signature"] != expected:
        return None, _answer("SignatureDoesNotMatch", "Specified signature is not matched with our calculation.",
                             400)
    if not state.use_nonce(params["SignatureNonce"]):
        return None, _answer("SignatureNonceUsed", "Specified signature nonce was used already.", 400)
    if state.throttled(account.key_id, params["Action"]):
        return None, _answer("Throttling.User", "Request was denied due to user flow control.", 400)
    return account, None


def handle(state: SandboxState, method: str, params: Mapping[str, str]) -> tuple[dict, int]:
    account, error = authenticate(state, method, params)
    if error is not None:
        return error
    action = ACTIONS.get(params["Action"])
    if action is None:
        return _answer("InvalidAction.NotFound", "Specified api is not found, please check your url and method.",
                       404)
    return action(state, account, params)


# -- sending ----------------------------------------------------------------------------------------------------------


def _send(state: SandboxState, account: VendorAccount, numbers: list[str], signs: list[str], template: str,
          params: list, out_id: str) -> tuple[dict, int]:
    for sign, values in zip(signs, params, strict=True):
        reason = carrier.refusal(state, account, sign, template, values)
        if reason:
            return _error(reason)
    for number in numbers:
        reason = carrier.number_refusal(state, account, number, template)
        if reason:
            return _error(reason)
    with state.lock:
        texts = [f"【{s}】{carrier.render(account.templates[template].content, p)}" for s, p in zip(signs, params,
                                                                                               strict=True)]
        if sum(segments(t) for t in texts) > account.balance:
            return _error(carrier.NO_BALANCE)
        biz_id = f"{int(state.clock() * 1000) % 10**12:012d}{state.next_id('')[-6:]}^0"
        for number, sign, values in zip(numbers, signs, params, strict=True):
            carrier.take(state, account, number, sign, template, values, out_id, biz_id)
    return _answer(BizId=biz_id)


def send_sms(state, account, params):
    numbers = [n.strip() for n in str(params.get("PhoneNumbers") or "").split(",") if n.strip()]
    if not numbers or len(numbers) > 1000:
        return _error(carrier.ILLEGAL_NUMBER)
    try:
        values = json.loads(params.get("TemplateParam") or "{}")
    except ValueError:
        return _answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    if not isinstance(values, dict):
        return _answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    return _send(state, account, numbers, [str(params.get("SignName") or "")] * len(numbers),
                 str(params.get("TemplateCode") or ""), [values] * len(numbers), str(params.get("OutId") or ""))


def send_batch_sms(state, account, params):
    try:
        numbers = json.loads(params.get("PhoneNumberJson") or "[]")
        signs = json.loads(params.get("SignNameJson") or "[]")
        values = json.loads(params.get("TemplateParamJson") or "[]")
    except ValueError:
        return _answer("isv.INVALID_JSON_PARAM", "JSON参数不合法，只接受字符串值")
    if not numbers or len(numbers) > 100:
        return _answer("isv.MOBILE_COUNT_OVER_LIMIT", "手机号码数量超过限制")
    if len(signs) != len(numbers) or len(values) != len(numbers):
        return _answer("isv.INVALID_PARAMETERS", "参数异常")
    return _send(state, account, [str(n) for n in numbers], [str(s) for s in signs],
                 str(params.get("TemplateCode") or ""), values, "")


def _local(at: float | None) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at + 8 * 3600)) if at else ""


def query_send_details(state, account, params):
    day = str(params.get("SendDate") or "")
    biz_id = str(params.get("BizId") or "")
    mobile = str(params.get("PhoneNumber") or "")
    size = max(1, min(50, int(params.get("PageSize") or 10)))
    page = max(1, int(params.get("CurrentPage") or 1))
    with state.lock:
        found = [m for m in state.sent.values()
                 if m.key_id == account.key_id and m.mobile == mobile and (not biz_id or m.message_id == biz_id)
                 and time.strftime("%Y%m%d", time.gmtime(m.sent_at + 8 * 3600)) == day]
    found.sort(key=lambda m: m.sent_at)
    rows = [{"PhoneNum": m.mobile, "SendStatus": {"sent": 1, "failed": 2, "delivered": 3}[m.status],
             "ErrCode": m.code or "", "TemplateCode": m.template_code, "Content": m.text,
             "SendDate": _local(m.sent_at), "ReceiveDate": _local(m.sent_at) if m.status != "sent" else "",
             "OutId": m.out_id} for m in found[(page - 1) * size: page * size]]
    return _answer(TotalCount=len(found), SmsSendDetailDTOs={"SmsSendDetailDTO": rows})


# -- review -----------------------------------------------------------------------------------------------------------


def add_sms_template(state, account, params):
    name, content = str(params.get("TemplateName") or ""), str(params.get("TemplateContent") or "")
    if not name or not content:
        return _answer("isv.INVALID_PARAMETERS", "参数异常")
    code = f"SMS_{state.next_id('')[-9:]}"
    category = "marketing" if str(params.get("TemplateType")) == "2" else "notification"
    with state.lock:
        account.templates[code] = Review(ref=code, name=name, content=content, category=category)
    return _answer(TemplateCode=code)


def _template(account, params):
    return account.templates.get(str(params.get("TemplateCode") or ""))


def query_sms_template(state, account, params):
    template = _template(account, params)
    if template is None:
        return _answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
    return _answer(TemplateCode=template.ref, TemplateName=template.name, TemplateContent=template.content,
                   TemplateStatus=STATUS_NUMBER[template.status], Reason=template.reason)


def delete_sms_template(state, account, params):
    template = _template(account, params)
    if template is None:
        return _answer("isv.SMS_TEMPLATE_ILLEGAL", "该账号下找不到对应模板")
    with state.lock:
        account.templates.pop(template.ref, None)
    return _answer(TemplateCode=template.ref)


def add_sms_sign(state, account, params):
    name = str(params.get("SignName") or "")
    if not 2 <= len(name) <= 20:
        return _answer("isv.SMS_SIGN_ILLEGAL", "签名不合法")
    with state.lock:
        if name in account.signs:
            return _answer("isv.SMS_SIGN_NAME_ILLEGAL", "签名名称已存在")
        account.signs[name] = Review(ref=name, name=name)
    return _answer(SignName=name)


def query_sms_sign(state, account, params):
    sign = account.signs.get(str(params.get("SignName") or ""))
    if sign is None:
        return _answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
    return _answer(SignName=sign.name, SignStatus=STATUS_NUMBER[sign.status], Reason=sign.reason)


def delete_sms_sign(state, account, params):
    name = str(params.get("SignName") or "")
    with state.lock:
        if account.signs.pop(name, None) is None:
            return _answer("isv.SMS_SIGNATURE_ILLEGAL", "该账号下找不到对应签名")
    return _answer(SignName=name)


def query_sms_sign_list(state, account, params):
    signs = [{"SignName": s.name, "AuditStatus": AUDIT_STATE[s.status]} for s in account.signs.values()]
    return _answer(SmsSignList=signs[:50], TotalCount=len(signs))


ACTIONS = {"SendSms": send_sms, "SendBatchSms": send_batch_sms, "QuerySendDetails": query_send_details,
           "AddSmsTemplate": add_sms_template, "QuerySmsTemplate": query_sms_template,
           "DeleteSmsTemplate": delete_sms_template, "AddSmsSign": add_sms_sign, "QuerySmsSign": query_sms_sign,
           "DeleteSmsSign": delete_sms_sign, "QuerySmsSignList": query_sms_sign_list}


# -- callback bodies (HTTP batch push: a JSON array) --------------------------------------------------------------------


def report_body(state: SandboxState, message: Sent) -> list[dict]:
    ok = message.status == "delivered"
    return [{"phone_number": message.mobile, "send_time": _local(message.sent_at),
             "report_time": _local(state.clock()), "success": ok, "err_code": "DELIVERED" if ok else message.code,
             "err_msg": "用户接收成功" if ok else "用户接收失败", "sms_size": str(message.segments),
             "biz_id": message.message_id, "out_id": message.out_id}]


def uplink_body(state: SandboxState, mobile: str, text: str, sign_name: str) -> list[dict]:
    return [{"phone_number": mobile, "send_time": _local(state.clock()), "content": text, "sign_name": sign_name,
             "dest_code": "", "sequence_id": int(state.next_id("")[-9:])}]


def review_body(kind: str, item: Review) -> list[dict]:
    key = "template_code" if kind == "template" else "sign_name"
    return [{key: item.ref, "audit_state": AUDIT_STATE[item.status], "reason": item.reason}]
