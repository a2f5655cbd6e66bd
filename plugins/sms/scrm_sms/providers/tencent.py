"""Tencent Cloud SMS (API version 2021-01-11) with the TC3-HMAC-SHA256 signature, protocols §6.4 and §6.5.

Every call is a JSON ``POST /`` to ``sms.tencentcloudapi.com`` with ``X-TC-Action/Version/Timestamp/Region`` and the
``Authorization`` of ``tc3_authorization``; request-level errors come back as HTTP 200 with ``Response.Error``, and
``SendSms`` answers one ``SendStatusSet`` item per number, successful only when its ``Code == "Ok"`` (note the
case: Aliyun says ``"OK"``). Numbers are sent in E.164 (``+86`` and 11 digits), at most 200 per call.
"""

from __future__ import annotations

import hashlib
import hmac
import json
import re
from collections.abc import Mapping, Sequence
from datetime import UTC, date, datetime, timedelta
from urllib.parse import urlsplit

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

ENDPOINT = "https://sms.tencentcloudapi.com"
SERVICE = "sms"
VERSION = "2021-01-11"
BATCH_MAX = 200  # SendSms: at most 200 numbers per call
CONTENT_TYPE = "application/json; charset=utf-8"
ALGORITHM = "TC3-HMAC-SHA256"


def _hmac(key: bytes, message: str) -> bytes:
    return hmac.new(key, message.encode("utf-8"), hashlib.sha256).digest()


def utc_date(timestamp: int) -> str:
    """The UTC date of a Unix timestamp (1551113065 -> 2019-02-25, although it is the 26th in Beijing)."""
    return datetime.fromtimestamp(int(timestamp), UTC).strftime("%Y-%m-%d")


def canonical_request(host: str, payload: str, content_type: str = CONTENT_TYPE) -> str:
    """``POST``, URI ``/``, an empty query, the two signed headers and the payload's SHA-256."""
    hashed = hashlib.sha256(payload.encode("utf-8")).hexdigest()
    return f"POST\n/\n\ncontent-type:{content_type}\nhost:{host}\n\ncontent-type;host\n{hashed}"


def string_to_sign(service: str, host: str, payload: str, timestamp: int, content_type: str = CONTENT_TYPE) -> str:
    hashed = hashlib.sha256(canonical_request(host, payload, content_type).encode("utf-8")).hexdigest()
    return f"{ALGORITHM}\n{int(timestamp)}\n{utc_date(timestamp)}/{service}/tc3_request\n{hashed}"


def tc3_signature(secret_key: str, service: str, host: str, payload: str, timestamp: int,
                  content_type: str = CONTENT_TYPE) -> str:
    """The hex signature: keys derived from ``"TC3" + secret_key`` through the date, the service and
    ``tc3_request``."""
    secret_date = _hmac(f"TC3{secret_key}".encode(), utc_date(timestamp))
    secret_signing = _hmac(_hmac(secret_date, service), "tc3_request")
    return hmac.new(secret_signing, string_to_sign(service, host, payload, timestamp, content_type).encode("utf-8"),
                    hashlib.sha256).hexdigest()


def tc3_authorization(secret_id: str, secret_key: str, service: str, host: str, payload: str, timestamp: int,
                      content_type: str = "application/json; charset=utf-8") -> str:
    """The whole ``Authorization`` header value of a ``POST /`` with an empty query (``content-type;host`` signed)."""
    signature = tc3_signature(secret_key, service, host, payload, timestamp, content_type)
    return (f"{ALGORITHM} Credential={secret_id}/{utc_date(timestamp)}/{service}/tc3_request, "
            f"SignedHeaders=content-type;host, Signature={signature}")


#: the vendor's codes -> (reason, retryable); codes not listed are UNKNOWN, not retryable
ERROR_REASONS: dict[str, tuple[str, bool]] = {
    "FailedOperation.InsufficientBalanceInSmsPackage": (BALANCE, False),
    "FailedOperation.TemplateIncorrectOrUnapproved": (TEMPLATE, False),
    "InvalidParameterValue.TemplateParameterFormatError": (TEMPLATE, False),
    "InvalidParameterValue.TemplateParameterLengthLimit": (TEMPLATE, False),
    "FailedOperation.MissingTemplateToModify": (TEMPLATE, False),
    "FailedOperation.SignatureIncorrectOrUnapproved": (SIGNATURE, False),
    "LimitExceeded.PhoneNumberDailyLimit": (RATE_LIMIT, False),
    "LimitExceeded.PhoneNumberThirtySecondLimit": (RATE_LIMIT, False),
    "LimitExceeded.PhoneNumberOneHourLimit": (RATE_LIMIT, False),
    "LimitExceeded.PhoneNumberSameContentDailyLimit": (RATE_LIMIT, False),
    "LimitExceeded.DailyLimit": (RATE_LIMIT, False),
    "LimitExceeded.DeliveryFrequencyLimit": (RATE_LIMIT, False),
    "RequestLimitExceeded": (RATE_LIMIT, True),  # API flow control: nothing was taken
    "InvalidParameterValue.IncorrectPhoneNumber": (ILLEGAL_NUMBER, False),
    "FailedOperation.PhoneNumberInBlacklist": (ILLEGAL_NUMBER, False),
    "UnsupportedOperation.ContainDomesticAndInternationalPhoneNumber": (ILLEGAL_NUMBER, False),
    "LimitExceeded.PhoneNumberCountLimit": (ILLEGAL_NUMBER, False),
    "FailedOperation.ContainSensitiveWord": (CONTENT, False),
    "InvalidParameterValue.ContentLengthLimit": (CONTENT, False),
    "AuthFailure.SignatureFailure": (AUTH, False),
    "AuthFailure.SignatureExpire": (AUTH, False),
    "AuthFailure.SecretIdNotFound": (AUTH, False),
    "AuthFailure.InvalidSecretId": (AUTH, False),
    "AuthFailure.UnauthorizedOperation": (AUTH, False),
    "InvalidParameterValue.SdkAppIdNotExist": (AUTH, False),
    "FailedOperation.JsonParseFail": (UNKNOWN, False),
}

STATUS_CODES = {0: APPROVED, 1: PENDING, -1: REJECTED}
REPORT_STATUS = {"SUCCESS": DELIVERED, "FAIL": FAILED}


def error_of(code: str, message: str = "", request_id: str = "") -> ProviderError:
    reason, retryable = ERROR_REASONS.get(code, (UNKNOWN, False))
    return ProviderError(reason, code, message, retryable=retryable, request_id=request_id)


def e164(mobile: str) -> str:
    """``13800000000`` -> ``+8613800000000`` (a number already in E.164 is kept)."""
    return mobile if mobile.startswith("+") else f"+86{mobile}"


def national(number: str) -> str:
    """``+8613800000000`` -> ``13800000000``."""
    return number[3:] if number.startswith("+86") else number


_NAMED = re.compile(r"\$\{([^{}]+)\}")


def numbered_variables(content: str) -> str:
    """Tencent templates number their variables: ``${a}…${b}…${a}`` -> ``{1}…{2}…{1}`` (first appearance order,
    the order of ``SmsRequest.params``)."""
    order: dict[str, int] = {}
    return _NAMED.sub(lambda m: "{" + str(order.setdefault(m.group(1).strip(), len(order) + 1)) + "}", content)


def _time(value) -> datetime | None:
    try:
        return datetime.strptime(str(value), "%Y-%m-%d %H:%M:%S")
    except (TypeError, ValueError):
        return None


class TencentProvider(SmsProvider):
    name = "tencent"
    title = "腾讯云短信"
    batch_max = BATCH_MAX
    default_region = "ap-guangzhou"
    needs_app_id = True

    # -- the API call -----------------------------------------------------------------------------------------------

    @property
    def url(self) -> str:
        return (self.credentials.api_base or ENDPOINT).rstrip("/") + "/"

    @property
    def host(self) -> str:
        return urlsplit(self.url).netloc

    def headers(self, action: str, payload: str, timestamp: int) -> dict[str, str]:
        return {"Authorization": tc3_authorization(self.credentials.key_id, self.credentials.key_secret, SERVICE,
                                                   self.host, payload, timestamp, CONTENT_TYPE),
                "Content-Type": CONTENT_TYPE, "Host": self.host, "X-TC-Action": action,
                "X-TC-Timestamp": str(timestamp), "X-TC-Version": VERSION,
                "X-TC-Region": self.credentials.region or self.default_region}

    def call(self, action: str, params: Mapping) -> dict:
        """One signed call; ``Response`` when it carries no ``Error``, else ``ProviderError``."""
        payload = json.dumps(params, ensure_ascii=False, separators=(",", ":"))
        timestamp = int(self.clock())
        status, raw = http.call("POST", self.url, content=payload.encode("utf-8"), timeout=self.timeout,
                                headers=self.headers(action, payload, timestamp))
        try:
            answer = decode_json(raw)
        except ValueError:
            answer = None
        response = answer.get("Response") if isinstance(answer, dict) else None
        if not isinstance(response, dict):
            if status >= 500:
                raise OutcomeUnknown(f"HTTP {status} without an answer from {action}")
            raise ProviderError(UNKNOWN, f"HTTP{status}", raw[:200].decode("utf-8", "replace"))
        error = response.get("Error")
        if error:
            raise error_of(str(error.get("Code") or "UnknownError"), str(error.get("Message") or ""),
                           str(response.get("RequestId") or ""))
        return response

    def app(self) -> dict[str, str]:
        return {"SmsSdkAppId": self.credentials.app_id}

    # -- sending ----------------------------------------------------------------------------------------------------

    def send_batch(self, requests: Sequence[SmsRequest]) -> list[SendOutcome]:
        if not requests:
            return []
        if len(requests) > self.batch_max:
            raise ValueError(f"at most {self.batch_max} numbers per SendSms call")
        first = requests[0]
        if any((r.template_code, r.sign_name, list(r.params.values())) !=
               (first.template_code, first.sign_name, list(first.params.values())) for r in requests):
            raise ValueError("one template, sign name and parameter set per SendSms call")
        params = {"PhoneNumberSet": [e164(r.mobile) for r in requests], **self.app(),
                  "SignName": first.sign_name, "TemplateId": first.template_code,
                  "TemplateParamSet": [str(v) for v in first.params.values()]}
        if first.out_id:
            params["SessionContext"] = first.out_id[:512]
        response = self.call("SendSms", params)
        by_number = {str(item.get("PhoneNumber")): item for item in response.get("SendStatusSet") or []}
        outcomes = []
        for request in requests:
            item = by_number.get(e164(request.mobile))
            if item is None:
                outcomes.append(SendOutcome(request.mobile, False, error=error_of("MissingStatus",
                                                                                  "no status for the number")))
            elif item.get("Code") == "Ok":
                outcomes.append(SendOutcome(request.mobile, True, str(item.get("SerialNo") or ""),
                                            fee=int(item["Fee"]) if str(item.get("Fee", "")).isdigit() else None))
            else:
                outcomes.append(SendOutcome(request.mobile, False,
                                            error=error_of(str(item.get("Code")), str(item.get("Message") or ""))))
        return outcomes

    def query_status(self, mobile: str, *, message_id: str = "", out_id: str = "",
                     sent_on: date | None = None) -> StatusReport | None:
        day = sent_on or beijing_today(self.clock())
        begin = datetime(day.year, day.month, day.day) - timedelta(hours=8)  # the vendor's times are Beijing time
        params = {"BeginTime": int(begin.replace(tzinfo=UTC).timestamp()), "Offset": 0, "Limit": 100,
                  "PhoneNumber": e164(mobile), **self.app(),
                  "EndTime": int((begin + timedelta(days=2)).replace(tzinfo=UTC).timestamp())}
        response = self.call("PullSmsSendStatusByPhoneNumber", params)
        for item in response.get("PullSmsSendStatusSet") or []:
            if message_id and str(item.get("SerialNo")) != message_id:
                continue
            if not message_id and out_id and str(item.get("SessionContext") or "") != out_id:
                continue
            return StatusReport(mobile=national(str(item.get("PhoneNumber") or e164(mobile))),
                                status=REPORT_STATUS.get(str(item.get("ReportStatus")), FAILED),
                                message_id=str(item.get("SerialNo") or ""),
                                out_id=str(item.get("SessionContext") or ""),
                                code=str(item.get("Description") or ""),
                                reported_at=_time(item.get("UserReceiveTime")))
        return None

    # -- review ---------------------------------------------------------------------------------------------------------

    def submit_template(self, draft: TemplateDraft) -> str:
        response = self.call("AddSmsTemplate", {"TemplateName": draft.name,
                                                "TemplateContent": numbered_variables(draft.content),
                                                "SmsType": 1 if draft.category == "marketing" else 0,
                                                "International": 0, "Remark": draft.remark or draft.name})
        return str(response["AddTemplateStatus"]["TemplateId"])

    def query_template(self, code: str) -> ReviewResult:
        response = self.call("DescribeSmsTemplateList", {"TemplateIdSet": [int(code)], "International": 0})
        for item in response.get("DescribeTemplateStatusSet") or []:
            if str(item.get("TemplateId")) == str(code):
                return ReviewResult("template", str(code), STATUS_CODES.get(int(item.get("StatusCode", 1)), PENDING),
                                    str(item.get("ReviewReply") or ""))
        raise error_of("FailedOperation.MissingTemplateToModify", f"no template {code}")

    def delete_template(self, code: str) -> None:
        self.call("DeleteSmsTemplate", {"TemplateId": int(code)})

    def submit_signature(self, draft: SignatureDraft) -> str:
        response = self.call("AddSmsSign", {"SignName": draft.name, "SignType": int(draft.source or 0),
                                            "DocumentType": 0, "International": 0, "SignPurpose": 0,
                                            "ProofImage": "", "Remark": draft.remark or draft.name})
        return str(response["AddSignStatus"]["SignId"])

    def query_signature(self, name: str) -> ReviewResult:
        response = self.call("DescribeSmsSignList", {"SignIdSet": [int(name)], "International": 0})
        for item in response.get("DescribeSignListStatusSet") or []:
            if str(item.get("SignId")) == str(name):
                return ReviewResult("signature", str(name),
                                    STATUS_CODES.get(int(item.get("StatusCode", 1)), PENDING),
                                    str(item.get("ReviewReply") or ""))
        raise error_of("FailedOperation.SignatureIncorrectOrUnapproved", f"no sign {name}")

    def delete_signature(self, name: str) -> None:
        self.call("DeleteSmsSign", {"SignId": int(name)})

    def check(self) -> str:
        response = self.call("SmsPackagesStatistics", {**self.app(), "Limit": 1, "Offset": 0})
        packages = response.get("SmsPackagesStatisticsSet") or []
        return f"ok ({len(packages)} packages)"

    # -- callbacks ----------------------------------------------------------------------------------------------------

    def parse_callback(self, body: bytes, content_type: str = "") -> list[Callback]:
        data = decode_json(body)
        items = data if isinstance(data, list) else [data]
        parsed: list[Callback] = []
        for item in items:
            if not isinstance(item, dict):
                raise ValueError("a callback item is not an object")
            if "report_status" in item and "sid" in item:  # 状态回执
                parsed.append(StatusReport(
                    mobile=str(item.get("mobile") or ""), status=REPORT_STATUS.get(str(item["report_status"]),
                                                                                   FAILED),
                    message_id=str(item["sid"]), out_id=str(item.get("ext") or ""),
                    code=str(item.get("errmsg") or ""), description=str(item.get("description") or ""),
                    reported_at=_time(item.get("user_receive_time"))))
            elif "text" in item and "mobile" in item:  # 短信回复
                received = item.get("time")
                parsed.append(Uplink(mobile=str(item["mobile"]), text=str(item.get("text") or ""),
                                     sign_name=str(item.get("sign") or ""), extend_code=str(item.get("extend") or ""),
                                     received_at=(datetime.fromtimestamp(int(received), UTC).replace(tzinfo=None)
                                                  if str(received or "").isdigit() else None)))
            elif "status_code" in item and ("template_id" in item or "sign_id" in item):  # review results
                kind, ref = (("template", item["template_id"]) if "template_id" in item
                             else ("signature", item["sign_id"]))
                try:
                    status = STATUS_CODES.get(int(item["status_code"]), PENDING)
                except (TypeError, ValueError):
                    raise ValueError("a review status_code is not a number") from None
                parsed.append(ReviewResult(kind, str(ref), status, str(item.get("review_reply") or "")))
            else:
                raise ValueError("not a Tencent Cloud SMS callback item")
        return parsed

    def callback_answer(self, ok: bool) -> tuple[str, int]:
        return ('{"result":0,"errmsg":"OK"}', 200) if ok else ('{"result":1,"errmsg":"refused"}', 400)
