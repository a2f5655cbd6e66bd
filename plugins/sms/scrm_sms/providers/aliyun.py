"""Aliyun SMS (dysmsapi, API version 2017-05-25) with the RPC signature V1 (HMAC-SHA1), protocols §6.1 and §6.3.

Every call is a ``POST`` of the form-encoded parameters to ``https://dysmsapi.aliyuncs.com/``, signed over all of
them with ``rpc_signature``; the answer is JSON whose ``Code`` is ``"OK"`` on success. HTTP 200 with any other
``Code`` is a failure, mapped to a reason by ``ERROR_REASONS``. The delivery reports, uplink replies and review
results arrive by HTTP batch push (JSON arrays) at the account's callback URL.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import uuid
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime
from urllib.parse import quote

from . import http
from .base import (
    APPROVED,
    AUTH,
    BALANCE,
    CONTENT,
    DELIVERED,
    FAILED,
    ILLEGAL_NUMBER,
    PENDING,
    RATE_LIMIT,
    REJECTED,
    SENT,
    SIGNATURE,
    TEMPLATE,
    UNKNOWN,
    Callback,
    OutcomeUnknown,
    ProviderError,
    ReviewResult,
    SendOutcome,
    SignatureDraft,
    SmsProvider,
    SmsRequest,
    StatusReport,
    TemplateDraft,
    Uplink,
    beijing_today,
    decode_json,
)

ENDPOINT = "https://dysmsapi.aliyuncs.com"
VERSION = "2017-05-25"
BATCH_MAX = 100  # SendBatchSms: at most 100 numbers per call
QUERY_PAGE = 50  # QuerySendDetails: PageSize 1..50


def percent_encode(value: str) -> str:
    """RFC 3986 percent-encoding of UTF-8 (``A-Za-z0-9-_.~`` kept; space ``%20``, ``*`` ``%2A``)."""
    return quote(str(value), safe="~")


def canonical_query(params: Mapping[str, str]) -> str:
    """The sorted ``pe(key)=pe(value)`` pairs joined by ``&``, without ``Signature``."""
    return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in sorted(params.items()) if k != "Signature")


def string_to_sign(params: Mapping[str, str], method: str = "GET") -> str:
    return f"{method.upper()}&{percent_encode('/')}&{percent_encode(canonical_query(params))}"


def rpc_signature(params: dict[str, str], access_key_secret: str, method: str = "GET") -> str:
    """The base64 ``Signature`` (not URL-encoded) of an RPC request over every given parameter except
    ``Signature``: HMAC-SHA1 keyed with ``access_key_secret + "&"`` over ``string_to_sign``."""
    digest = hmac.new(f"{access_key_secret}&".encode(), string_to_sign(params, method).encode(), hashlib.sha1)
    return base64.b64encode(digest.digest()).decode()


#: the vendor's codes -> (reason, retryable); codes not listed are UNKNOWN, not retryable
ERROR_REASONS: dict[str, tuple[str, bool]] = {
    "isv.AMOUNT_NOT_ENOUGH": (BALANCE, False),
    "isv.OUT_OF_SERVICE": (BALANCE, False),
    "isv.SMS_TEMPLATE_ILLEGAL": (TEMPLATE, False),
    "isv.TEMPLATE_MISSING_PARAMETERS": (TEMPLATE, False),
    "isv.TEMPLATE_PARAMS_ILLEGAL": (TEMPLATE, False),
    "isv.PARAM_LENGTH_LIMIT": (TEMPLATE, False),
    "isv.SMS_SIGNATURE_ILLEGAL": (SIGNATURE, False),
    "isv.SIGN_NAME_ILLEGAL": (SIGNATURE, False),
    "isv.SMS_SIGN_ILLEGAL": (SIGNATURE, False),
    "isv.BUSINESS_LIMIT_CONTROL": (RATE_LIMIT, False),  # per number and template: 50/day; tomorrow, not now
    "isv.DAY_LIMIT_CONTROL": (RATE_LIMIT, False),
    "isv.MONTH_LIMIT_CONTROL": (RATE_LIMIT, False),
    "Throttling": (RATE_LIMIT, True),  # API flow control: nothing was taken
    "Throttling.User": (RATE_LIMIT, True),
    "Throttling.Api": (RATE_LIMIT, True),
    "ServiceUnavailable": (UNKNOWN, True),
    "isv.MOBILE_NUMBER_ILLEGAL": (ILLEGAL_NUMBER, False),
    "isv.MOBILE_COUNT_OVER_LIMIT": (ILLEGAL_NUMBER, False),
    "isv.BLACK_KEY_CONTROL_LIMIT": (CONTENT, False),
    "isv.SMS_CONTENT_ILLEGAL": (CONTENT, False),
    "SignatureDoesNotMatch": (AUTH, False),
    "SignatureNonceUsed": (AUTH, False),
    "InvalidTimeStamp.Expired": (AUTH, False),
    "InvalidAccessKeyId.NotFound": (AUTH, False),
    "InvalidAccessKeyId.Inactive": (AUTH, False),
    "Forbidden.RAM": (AUTH, False),
    "isv.ACCOUNT_NOT_EXISTS": (AUTH, False),
    "isv.ACCOUNT_ABNORMAL": (AUTH, False),
}

TEMPLATE_TYPES = {"notification": "1", "marketing": "2"}
REVIEW_STATUS = {"0": PENDING, "1": APPROVED, "2": REJECTED, "10": REJECTED}
AUDIT_STATE = {"AUDIT_STATE_INIT": PENDING, "AUDIT_STATE_PASS": APPROVED, "AUDIT_STATE_NOT_PASS": REJECTED,
               "AUDIT_SATE_CANCEL": REJECTED, "AUDIT_STATE_CANCEL": REJECTED}
SEND_STATUS = {"1": SENT, "2": FAILED, "3": DELIVERED}


def error_of(answer: Mapping, fallback: str = "") -> ProviderError:
    code = str(answer.get("Code") or fallback or "UnknownError")
    reason, retryable = ERROR_REASONS.get(code, (UNKNOWN, False))
    return ProviderError(reason, code, str(answer.get("Message") or ""), retryable=retryable,
                         request_id=str(answer.get("RequestId") or ""))


def _time(value) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


class AliyunProvider(SmsProvider):
    name = "aliyun"
    title = "阿里云短信"
    batch_max = BATCH_MAX
    default_region = "cn-hangzhou"

    # -- the RPC call ----------------------------------------------------------------------------------------------

    def common_params(self, action: str) -> dict[str, str]:
        now = datetime.fromtimestamp(self.clock(), UTC)
        return {"AccessKeyId": self.credentials.key_id, "Action": action, "Format": "JSON",
                "RegionId": self.credentials.region or self.default_region, "SignatureMethod": "HMAC-SHA1",
                "SignatureNonce": uuid.uuid4().hex, "SignatureVersion": "1.0",
                "Timestamp": now.strftime("%Y-%m-%dT%H:%M:%SZ"), "Version": VERSION}

    def signed_body(self, action: str, params: Mapping[str, str]) -> str:
        query = {**self.common_params(action), **{k: str(v) for k, v in params.items()}}
        query["Signature"] = rpc_signature(query, self.credentials.key_secret, "POST")
        return "&".join(f"{percent_encode(k)}={percent_encode(v)}" for k, v in query.items())

    def call(self, action: str, params: Mapping[str, str]) -> dict:
        """One signed call; the JSON answer when ``Code == "OK"``, else ``ProviderError``."""
        body = self.signed_body(action, params)
        status, raw = http.call("POST", (self.credentials.api_base or ENDPOINT).rstrip("/") + "/",
                                content=body.encode(), timeout=self.timeout,
                                headers={"Content-Type": "application/x-www-form-urlencoded",
                                         "Accept": "application/json"})
        try:
            answer = decode_json(raw)
        except ValueError:
            answer = None
        if not isinstance(answer, dict):
            if status >= 500:
                raise OutcomeUnknown(f"HTTP {status} without an answer from {action}")
            raise ProviderError(UNKNOWN, f"HTTP{status}", raw[:200].decode("utf-8", "replace"))
        if answer.get("Code") != "OK":  # HTTP 200 with another Code is a failure too
            raise error_of(answer, f"HTTP{status}")
        return answer

    # -- sending ----------------------------------------------------------------------------------------------------

    def send_batch(self, requests: Sequence[SmsRequest]) -> list[SendOutcome]:
        if not requests:
            return []
        if len(requests) > self.batch_max:
            raise ValueError(f"at most {self.batch_max} numbers per SendBatchSms call")
        if len(requests) == 1:
            request = requests[0]
            params = {"PhoneNumbers": request.mobile, "SignName": request.sign_name,
                      "TemplateCode": request.template_code}
            if request.params:
                params["TemplateParam"] = json.dumps(dict(request.params), ensure_ascii=False)
            if request.out_id:
                params["OutId"] = request.out_id[:256]
            answer = self._send("SendSms", params, requests)
            if isinstance(answer, list):
                return answer
            return [SendOutcome(request.mobile, True, str(answer.get("BizId") or ""))]
        codes = {r.template_code for r in requests}
        if len(codes) != 1:
            raise ValueError("one template per SendBatchSms call")
        params = {"PhoneNumberJson": json.dumps([r.mobile for r in requests]),
                  "SignNameJson": json.dumps([r.sign_name for r in requests], ensure_ascii=False),
                  "TemplateCode": codes.pop(),
                  "TemplateParamJson": json.dumps([dict(r.params) for r in requests], ensure_ascii=False)}
        answer = self._send("SendBatchSms", params, requests)
        if isinstance(answer, list):
            return answer
        return [SendOutcome(r.mobile, True, str(answer.get("BizId") or "")) for r in requests]

    def _send(self, action: str, params: Mapping[str, str], requests: Sequence[SmsRequest]) -> dict | list:
        """The answer, or every request failed with the vendor's error when it refused them per number."""
        try:
            return self.call(action, params)
        except ProviderError as error:
            if error.reason in (ILLEGAL_NUMBER, RATE_LIMIT, CONTENT) and not error.retryable:
                return [SendOutcome(r.mobile, False, error=error) for r in requests]
            raise

    def query_status(self, mobile: str, *, message_id: str = "", out_id: str = "",
                     sent_on: date | None = None) -> StatusReport | None:
        sent_on = sent_on or beijing_today(self.clock())
        page = 1
        while True:
            params = {"PhoneNumber": mobile, "SendDate": sent_on.strftime("%Y%m%d"), "PageSize": str(QUERY_PAGE),
                      "CurrentPage": str(page)}
            if message_id:
                params["BizId"] = message_id
            answer = self.call("QuerySendDetails", params)
            details = (answer.get("SmsSendDetailDTOs") or {}).get("SmsSendDetailDTO") or []
            for item in details:
                if out_id and not message_id and str(item.get("OutId") or "") != out_id:
                    continue
                return StatusReport(mobile=str(item.get("PhoneNum") or mobile),
                                    status=SEND_STATUS.get(str(item.get("SendStatus")), SENT),
                                    message_id=message_id or str(item.get("BizId") or ""),
                                    out_id=str(item.get("OutId") or ""), code=str(item.get("ErrCode") or ""),
                                    reported_at=_time(item.get("ReceiveDate")))
            if page * QUERY_PAGE >= int(answer.get("TotalCount") or 0):
                return None
            page += 1

    # -- review ---------------------------------------------------------------------------------------------------------

    def submit_template(self, draft: TemplateDraft) -> str:
        answer = self.call("AddSmsTemplate", {"TemplateType": TEMPLATE_TYPES.get(draft.category, "1"),
                                              "TemplateName": draft.name, "TemplateContent": draft.content,
                                              "Remark": draft.remark or draft.name})
        return str(answer["TemplateCode"])

    def query_template(self, code: str) -> ReviewResult:
        answer = self.call("QuerySmsTemplate", {"TemplateCode": code})
        return ReviewResult("template", code, REVIEW_STATUS.get(str(answer.get("TemplateStatus")), PENDING),
                            str(answer.get("Reason") or ""))

    def delete_template(self, code: str) -> None:
        self.call("DeleteSmsTemplate", {"TemplateCode": code})

    def submit_signature(self, draft: SignatureDraft) -> str:
        answer = self.call("AddSmsSign", {"SignName": draft.name, "SignSource": draft.source or "0",
                                          "Remark": draft.remark or draft.name})
        return str(answer.get("SignName") or draft.name)

    def query_signature(self, name: str) -> ReviewResult:
        answer = self.call("QuerySmsSign", {"SignName": name})
        return ReviewResult("signature", name, REVIEW_STATUS.get(str(answer.get("SignStatus")), PENDING),
                            str(answer.get("Reason") or ""))

    def delete_signature(self, name: str) -> None:
        self.call("DeleteSmsSign", {"SignName": name})

    def check(self) -> str:
        answer = self.call("QuerySmsSignList", {"PageIndex": "1", "PageSize": "1"})
        return f"ok ({answer.get('TotalCount', 0)} sign names)"

    # -- callbacks (HTTP batch push: a JSON array of one message type) ---------------------------------------------

    def parse_callback(self, body: bytes, content_type: str = "") -> list[Callback]:
        data = decode_json(body)
        items = data if isinstance(data, list) else [data]
        parsed: list[Callback] = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("a callback item is not an object")
            if "biz_id" in item and "success" in item:  # SmsReport
                ok = item.get("success") in (True, "true", "True", 1, "1")
                parsed.append(StatusReport(
                    mobile=str(item.get("phone_number") or ""), status=DELIVERED if ok else FAILED,
                    message_id=str(item["biz_id"]), out_id=str(item.get("out_id") or ""),
                    code=str(item.get("err_code") or ""), description=str(item.get("err_msg") or ""),
                    reported_at=_time(item.get("report_time")),
                    segments=int(item["sms_size"]) if str(item.get("sms_size") or "").isdigit() else None))
            elif "content" in item and "phone_number" in item:  # SmsUp
                parsed.append(Uplink(mobile=str(item["phone_number"]), text=str(item.get("content") or ""),
                                     sign_name=str(item.get("sign_name") or ""),
                                     extend_code=str(item.get("dest_code") or ""),
                                     received_at=_time(item.get("send_time")),
                                     ident=str(item.get("sequence_id") or "")))
            elif "audit_state" in item and ("template_code" in item or "sign_name" in item):
                kind, ref = (("template", item["template_code"]) if "template_code" in item
                             else ("signature", item["sign_name"]))
                parsed.append(ReviewResult(kind, str(ref), AUDIT_STATE.get(str(item["audit_state"]), PENDING),
                                           str(item.get("reason") or "")))
            else:
                raise ValueError("not an Aliyun SMS callback item")
        return parsed

    def callback_answer(self, ok: bool) -> tuple[str, int]:
        return ('{"code":0,"msg":"成功"}', 200) if ok else ('{"code":1,"msg":"refused"}', 400)
