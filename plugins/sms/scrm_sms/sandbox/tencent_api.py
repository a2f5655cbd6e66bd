"""Tencent Cloud SMS 2021-01-11 as the sandbox answers it: a JSON ``POST /`` checked like the real API (TC3
``Authorization`` over the content type actually sent and the Host, unknown SecretId, a timestamp more than 5 minutes
off, a wrong signature, API throttling; always HTTP 200 with ``Response.Error``), the actions the client uses with
Tencent's codes and shapes, and the bodies of its callbacks."""

from __future__ import annotations

import hmac
import json
import re
import time
import uuid
from collections.abc import Mapping

from ..providers.tencent import SERVICE, VERSION, tc3_authorization, utc_date
from . import carrier
from .state import (
    APPROVED,
    PENDING,
    REJECTED,
    TENCENT,
    TENCENT_SKEW,
    Review,
    SandboxState,
    Sent,
    VendorAccount,
    segments,
)

CODES = {carrier.NO_SIGN: ("FailedOperation.SignatureIncorrectOrUnapproved", "signature is not approved or "
                                                                              "not found"),
         carrier.NO_TEMPLATE: ("FailedOperation.TemplateIncorrectOrUnapproved", "template is not approved or "
                                                                                "not found"),
         carrier.MISSING_PARAMS: ("InvalidParameterValue.TemplateParameterFormatError",
                                  "the number of template parameters does not match the template"),
         carrier.ILLEGAL_NUMBER: ("InvalidParameterValue.IncorrectPhoneNumber", "incorrect phone number"),
         carrier.DAILY_LIMIT: ("LimitExceeded.PhoneNumberDailyLimit",
                               "the daily limit of messages to this number was reached"),
         carrier.NO_BALANCE: ("FailedOperation.InsufficientBalanceInSmsPackage", "insufficient balance in SMS "
                                                                                 "package")}
STATUS_CODE = {APPROVED: 0, PENDING: 1, REJECTED: -1}
_CREDENTIAL = re.compile(r"^TC3-HMAC-SHA256 Credential=([^/]+)/(\d{4}-\d{2}-\d{2})/([^/]+)/tc3_request, "
                         r"SignedHeaders=([^,]+), Signature=([0-9a-f]{64})$")


def _answer(**fields) -> tuple[dict, int]:
    return {"Response": {**fields, "RequestId": str(uuid.uuid4())}}, 200


def _error(code: str, message: str) -> tuple[dict, int]:
    return _answer(Error={"Code": code, "Message": message})


def authenticate(state: SandboxState, headers: Mapping[str, str], payload: str) -> tuple[VendorAccount | None,
                                                                                         tuple[dict, int] | None]:
    match = _CREDENTIAL.match(headers.get("Authorization") or "")
    if match is None:
        return None, _error("AuthFailure.SignatureFailure", "The provided credentials could not be validated. "
                                                            "Please check your signature is correct.")
    secret_id, _day, service, signed_headers, _signature = match.groups()
    account = state.account(secret_id, TENCENT)
    if account is None:
        return None, _error("AuthFailure.SecretIdNotFound", "The SecretId is not found, please ensure that your "
                                                            "SecretId is correct.")
    try:
        timestamp = int(headers.get("X-TC-Timestamp") or "")
    except ValueError:
        return None, _error("AuthFailure.SignatureFailure", "The X-TC-Timestamp header is missing or invalid.")
    if abs(state.clock() - timestamp) > TENCENT_SKEW:
        return None, _error("AuthFailure.SignatureExpire", "Signature expired. Timestamp is off by more than "
                                                           "5 minutes.")
    expected = tc3_authorization(secret_id, account.key_secret, SERVICE, headers.get("Host") or "", payload,
                                 timestamp, headers.get("Content-Type") or "")
    if (service != SERVICE or signed_headers != "content-type;host" or _day != utc_date(timestamp)
            or not hmac.compare_digest(expected, headers.get("Authorization") or "")):
        return None, _error("AuthFailure.SignatureFailure", "The provided credentials could not be validated. "
                                                            "Please check your signature is correct.")
    if headers.get("X-TC-Version") != VERSION:
        return None, _error("NoSuchVersion", "The requested version does not exist or is not supported.")
    if not headers.get("X-TC-Region"):
        return None, _error("MissingParameter", "The X-TC-Region header is required.")
    if state.throttled(account.key_id, headers.get("X-TC-Action") or ""):
        return None, _error("RequestLimitExceeded", "Your current request is too frequent. Please try again later.")
    return account, None


def handle(state: SandboxState, headers: Mapping[str, str], payload: str) -> tuple[dict, int]:
    account, error = authenticate(state, headers, payload)
    if error is not None:
        return error
    action = ACTIONS.get(headers.get("X-TC-Action") or "")
    if action is None:
        return _error("InvalidAction", "The requested action does not exist.")
    try:
        params = json.loads(payload or "{}")
    except ValueError:
        return _error("FailedOperation.JsonParseFail", "Failed to parse the JSON body.")
    if not isinstance(params, dict):
        return _error("FailedOperation.JsonParseFail", "Failed to parse the JSON body.")
    if action in APP_ACTIONS and str(params.get("SmsSdkAppId") or "") != account.app_id:
        return _error("InvalidParameterValue.SdkAppIdNotExist", "SdkAppId does not exist.")
    return action(state, account, params)


# -- sending ----------------------------------------------------------------------------------------------------------


def send_sms(state, account, params):
    numbers = [str(n) for n in params.get("PhoneNumberSet") or []]
    if not numbers or len(numbers) > 200:
        return _error("LimitExceeded.PhoneNumberCountLimit", "The number of phone numbers exceeds 200.")
    sign, template = str(params.get("SignName") or ""), str(params.get("TemplateId") or "")
    values = [str(v) for v in params.get("TemplateParamSet") or []]
    reason = carrier.refusal(state, account, sign, template, values)
    if reason:
        return _error(*CODES[reason])
    context = str(params.get("SessionContext") or "")
    statuses = []
    with state.lock:
        text = f"【{sign}】{carrier.render(account.templates[template].content, values)}"
        fee = segments(text)
        good = [n for n in numbers if n.startswith("+86") and not carrier.number_refusal(
            state, account, n[3:], template)]
        if len(good) * fee > account.balance:
            return _error(*CODES[carrier.NO_BALANCE])
        for number in numbers:
            mobile = number[3:] if number.startswith("+86") else number
            reason = (carrier.ILLEGAL_NUMBER if not number.startswith("+86")
                      else carrier.number_refusal(state, account, mobile, template))
            if reason:
                code, message = CODES[reason]
                statuses.append({"SerialNo": "", "PhoneNumber": number, "Fee": 0, "SessionContext": context,
                                 "Code": code, "Message": message, "IsoCode": "CN"})
                continue
            serial = state.next_id("2433:")
            carrier.take(state, account, mobile, sign, template, values, context, serial)
            statuses.append({"SerialNo": serial, "PhoneNumber": number, "Fee": fee, "SessionContext": context,
                             "Code": "Ok", "Message": "send success", "IsoCode": "CN"})
    return _answer(SendStatusSet=statuses)


def _beijing(at: float) -> str:
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(at + 8 * 3600))


def _status_item(message: Sent) -> dict:
    return {"UserReceiveTime": _beijing(message.sent_at), "CountryCode": "86", "SubscriberNumber": message.mobile,
            "PhoneNumber": f"+86{message.mobile}", "SerialNo": message.message_id,
            "ReportStatus": "SUCCESS" if message.status == "delivered" else "FAIL",
            "Description": message.code, "SessionContext": message.out_id}


def pull_status_by_phone(state, account, params):
    number = str(params.get("PhoneNumber") or "")
    begin, end = int(params.get("BeginTime") or 0), int(params.get("EndTime") or 2**31)
    with state.lock:
        found = [m for m in state.sent.values() if m.key_id == account.key_id and f"+86{m.mobile}" == number
                 and begin <= m.sent_at <= end and m.status != "sent"]
    found.sort(key=lambda m: m.sent_at)
    offset, limit = int(params.get("Offset") or 0), max(1, min(100, int(params.get("Limit") or 100)))
    return _answer(PullSmsSendStatusSet=[_status_item(m) for m in found[offset:offset + limit]])


def sms_packages_statistics(state, account, params):
    return _answer(SmsPackagesStatisticsSet=[{"PackageAmount": account.balance, "CurrentUsage": 0,
                                              "AmountOfPackage": account.balance}])


# -- review -----------------------------------------------------------------------------------------------------------


def add_sms_template(state, account, params):
    name, content = str(params.get("TemplateName") or ""), str(params.get("TemplateContent") or "")
    if not name or not content:
        return _error("InvalidParameterValue.ContentLengthLimit", "the template name or content is empty")
    template_id = str(int(state.next_id("")[-7:]) + 1_000_000)
    with state.lock:
        account.templates[template_id] = Review(ref=template_id, name=name, content=content,
                                                category="marketing" if params.get("SmsType") == 1 else
                                                "notification")
    return _answer(AddTemplateStatus={"TemplateId": template_id})


def describe_templates(state, account, params):
    rows = []
    for template_id in params.get("TemplateIdSet") or []:
        template = account.templates.get(str(template_id))
        if template is not None:
            rows.append({"TemplateId": int(template.ref), "International": 0,
                         "StatusCode": STATUS_CODE[template.status], "ReviewReply": template.reason,
                         "TemplateName": template.name, "TemplateContent": template.content})
    return _answer(DescribeTemplateStatusSet=rows)


def delete_sms_template(state, account, params):
    with state.lock:
        if account.templates.pop(str(params.get("TemplateId")), None) is None:
            return _error("FailedOperation.MissingTemplateToModify", "the template does not exist")
    return _answer(DeleteTemplateStatus={"DeleteStatus": "return successfully", "DeleteTime": int(state.clock())})


def add_sms_sign(state, account, params):
    name = str(params.get("SignName") or "")
    if not 2 <= len(name) <= 20:
        return _error("InvalidParameterValue.InvalidSignName", "the sign name is invalid")
    with state.lock:
        if any(s.name == name for s in account.signs.values()):
            return _error("FailedOperation.SignNameAlreadyExists", "the sign name exists already")
        sign_id = str(int(state.next_id("")[-6:]) + 300_000)
        # the sandbox keys sign names by name (what SendSms carries) and answers reviews by SignId
        account.signs[name] = Review(ref=sign_id, name=name)
    return _answer(AddSignStatus={"SignId": int(sign_id), "SignApplyId": int(sign_id)})


def _sign_by_id(account, sign_id) -> Review | None:
    return next((s for s in account.signs.values() if s.ref == str(sign_id)), None)


def describe_signs(state, account, params):
    rows = []
    for sign_id in params.get("SignIdSet") or []:
        sign = _sign_by_id(account, sign_id)
        if sign is not None:
            rows.append({"SignId": int(sign.ref), "International": 0, "StatusCode": STATUS_CODE[sign.status],
                         "ReviewReply": sign.reason, "SignName": sign.name})
    return _answer(DescribeSignListStatusSet=rows)


def delete_sms_sign(state, account, params):
    sign = _sign_by_id(account, params.get("SignId"))
    if sign is None:
        return _error("FailedOperation.MissingSignatureToModify", "the sign does not exist")
    with state.lock:
        account.signs.pop(sign.name, None)
    return _answer(DeleteSignStatus={"DeleteStatus": "return successfully", "DeleteTime": int(state.clock())})


ACTIONS = {"SendSms": send_sms, "PullSmsSendStatusByPhoneNumber": pull_status_by_phone,
           "SmsPackagesStatistics": sms_packages_statistics, "AddSmsTemplate": add_sms_template,
           "DescribeSmsTemplateList": describe_templates, "DeleteSmsTemplate": delete_sms_template,
           "AddSmsSign": add_sms_sign, "DescribeSmsSignList": describe_signs, "DeleteSmsSign": delete_sms_sign}
APP_ACTIONS = {send_sms, pull_status_by_phone, sms_packages_statistics}


# -- callback bodies ----------------------------------------------------------------------------------------------------


def report_body(state: SandboxState, message: Sent) -> list[dict]:
    ok = message.status == "delivered"
    return [{"user_receive_time": _beijing(state.clock()), "nationcode": "86", "mobile": message.mobile,
             "report_status": "SUCCESS" if ok else "FAIL", "errmsg": "DELIVRD" if ok else message.code,
             "description": "用户短信送达成功" if ok else "用户短信接收失败", "sid": message.message_id,
             "ext": message.out_id}]


def uplink_body(state: SandboxState, mobile: str, text: str, sign_name: str) -> dict:
    return {"extend": "", "mobile": mobile, "nationcode": "86", "sign": sign_name, "text": text,
            "time": int(state.clock())}


def review_body(kind: str, item: Review) -> dict:
    key = "template_id" if kind == "template" else "sign_id"
    return {key: int(item.ref), "status_code": STATUS_CODE[item.status], "review_reply": item.reason}
