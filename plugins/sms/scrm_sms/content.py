"""The SMS content rules: limits, variables, the delivered text, billed segments and the compliance check.

Everything a feature needs to turn a template or a typed body into what a phone receives, in one module with no
database access (the bulk sends, the template pages and the statistics all use it):

* **Limits** (spec §2.2, §4.6.4): a template name ``NAME_MAX`` (30) characters, a body ``CONTENT_MAX`` (494)
  characters, a signature ``SIGNATURE_MAX`` (20) characters by default (``signature_limit`` reads the tenant's
  setting, at most ``SIGNATURE_HARD_MAX`` = 30, the bulk form's counter) and at least ``SIGNATURE_MIN`` (2).
  Limits count characters (code points), as the manual's counters do.
* **Variables** are written ``${name}`` (Aliyun's own template syntax, so a body is submitted for review as
  typed): ``${customer_nickname}``, ``${employee_name}``, ``${company_name}``, ``${link}`` and ``${code}``
  (``VARIABLES``; ``${code}`` is for templates other features send one code with, never in a bulk send).
  ``render(body, values)`` fills them per recipient; a missing value renders empty.
* **The delivered text** (``compose``): ``【签名】`` + body, plus ``UNSUBSCRIBE_SUFFIX`` (" 回TD退订") for
  marketing messages, exactly the ``【签名】内容 回TD退订`` form (§4.6.6.4). A body that already ends with 回TD退订
  gets it once.
* **Billed segments** (``segments``): carriers count the whole delivered text, signature brackets and the
  unsubscribe suffix included; ≤ ``SINGLE_SEGMENT`` (70) characters is 1 message, longer is
  ``ceil(n / MULTI_SEGMENT)`` (67) messages. A character outside the Basic Multilingual Plane (an emoji) takes two
  UCS-2 units on the wire and counts 2.
* **Validation** returns ``Issue`` values: a stable ``code``, a message id (``N_``, translated by the page that
  shows it through ``scrm.sdk.web.translate``) with its parameters, and whether it ``blocks`` saving. Blocking:
  empty or too long fields, 【】 in the body, QQ / WeChat IDs in the body (carriers block them), unknown or broken
  variables. Warnings only: the topics carriers restrict (loans, invoices, investment, stocks, funds, futures,
  real estate, medical care), listed so the operator can reword, since a brand may mention them legitimately.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field
from typing import Any

from scrm.sdk import N_, Message

NAME_MAX = 30
CONTENT_MAX = 494
SIGNATURE_MAX = 20
SIGNATURE_HARD_MAX = 30
SIGNATURE_MIN = 2
SINGLE_SEGMENT = 70
MULTI_SEGMENT = 67
UNSUBSCRIBE_SUFFIX = " 回TD退订"
UNSUBSCRIBE_WORDS = "回TD退订"

MARKETING, NOTIFICATION = "marketing", "notification"
CATEGORIES = (MARKETING, NOTIFICATION)

#: the variables a body may hold, in the order of the insert buttons (插入客户昵称, 插入员工姓名, 插入公司名, 插入链接,
#: 插入奖励码). ``code`` is filled only by a feature that sends one code to one recipient (a promotion reward
#: through the ``message_templates`` hook); a bulk send cannot fill it (``BULK_VARIABLES``)
VARIABLES = ("customer_nickname", "employee_name", "company_name", "link", "code")
CODE_VARIABLE = "code"
BULK_VARIABLES = tuple(v for v in VARIABLES if v != CODE_VARIABLE)
VARIABLE_LABELS = {"customer_nickname": N_("Customer nickname"), "employee_name": N_("Employee name"),
                   "company_name": N_("Company name"), "link": N_("Link"), "code": N_("Reward code")}
#: the characters assumed for a variable when a message is estimated before its recipients are known (a short
#: link of the platform is about 24 characters: scheme, host and a 6-8 character code; a reward code has 8)
ESTIMATE_LENGTHS = {"customer_nickname": 4, "employee_name": 3, "company_name": 6, "link": 24, "code": 8}

VARIABLE_RE = re.compile(r"\$\{([^{}]*)\}")
_BROKEN_VARIABLE_RE = re.compile(r"\$\{(?![^{}]*\})")

#: signature: letters, digits and CJK, no brackets or punctuation (the providers' filing rules)
_SIGNATURE_RE = re.compile(r"^[0-9A-Za-z\u4e00-\u9fff\u3400-\u4dbf]+$")

#: QQ numbers and WeChat IDs in a body (carriers block such messages)
_CONTACT_ID_RES = (
    re.compile(r"(?i)(?:qq|扣扣|企鹅)\s*(?:号|号码|群)?\s*[:：]?\s*[1-9]\d{4,11}"),
    re.compile(r"(?i)(?:微信|微信号|vx|wx|v信|威信|weixin|wechat)\s*(?:号|id)?\s*[:：]?\s*[A-Za-z][-_A-Za-z0-9]{5,19}"),
    re.compile(r"(?i)(?:加|添加|\+)\s*(?:微信|v|vx|wx)\s*[:：]?\s*[-_A-Za-z0-9]{6,20}"),
)

#: topics the carriers restrict (§4.6.6.2): a warning each, with the words that raise it
RESTRICTED_TOPICS: dict[str, tuple[str, ...]] = {
    "loans": ("贷款", "借款", "网贷", "放款", "信用贷", "额度提升"),
    "invoices": ("发票", "代开", "开票"),
    "investment": ("理财", "投资", "收益率", "高回报", "保本"),
    "stocks": ("股票", "炒股", "荐股", "牛股"),
    "funds": ("基金",),
    "futures": ("期货", "外汇", "黄金交易"),
    "real_estate": ("房产", "楼盘", "售楼", "买房", "首付"),
    "medical": ("医疗", "治疗", "药品", "处方", "医院", "保健品"),
}
TOPIC_LABELS = {"loans": N_("Loans"), "invoices": N_("Invoices"), "investment": N_("Investment and wealth management"),
                "stocks": N_("Stocks"), "funds": N_("Funds"), "futures": N_("Futures"), "real_estate": N_("Real estate"),
                "medical": N_("Medical and health care")}


@dataclass(frozen=True)
class Issue:
    """One finding of a check: ``field`` (the form field: name, content, signature), a stable ``code``, the
    ``message`` (a ``Message``: a message id with parameters; ``str()`` is the English text) and ``blocks``
    (True: the content cannot be saved or sent; False: a warning shown to the operator)."""

    field: str
    code: str
    message: Message
    blocks: bool = True

    def to_json(self) -> dict[str, Any]:
        return {"field": self.field, "code": self.code, "message": str(self.message), "blocking": self.blocks}


@dataclass
class Check:
    """The issues of one validation: ``errors`` (blocking) and ``warnings``; ``ok`` when nothing blocks."""

    issues: list[Issue] = field(default_factory=list)

    @property
    def errors(self) -> list[Issue]:
        return [i for i in self.issues if i.blocks]

    @property
    def warnings(self) -> list[Issue]:
        return [i for i in self.issues if not i.blocks]

    @property
    def ok(self) -> bool:
        return not self.errors

    def by_field(self) -> dict[str, Issue]:
        """The first blocking issue of each field (for forms)."""
        out: dict[str, Issue] = {}
        for issue in self.errors:
            out.setdefault(issue.field, issue)
        return out

    def add(self, *issues: Issue) -> Check:
        self.issues.extend(issues)
        return self


def _issue(field_name: str, code: str, msgid: str, blocks: bool = True, **params: Any) -> Issue:
    return Issue(field_name, code, Message(msgid, params), blocks)


# -- lengths ---------------------------------------------------------------------------------------------------


def wire_length(text: str) -> int:
    """Characters as carriers count them: one per character, two for a character outside the BMP (UCS-2 pairs)."""
    return len(text) + sum(1 for ch in text if ord(ch) > 0xFFFF)


def segments(text: str) -> int:
    """Billed messages of the delivered ``text`` (``compose``'s result): 0 for empty, 1 up to 70 characters,
    else ceil(n / 67)."""
    n = wire_length(text)
    if n == 0:
        return 0
    return 1 if n <= SINGLE_SEGMENT else math.ceil(n / MULTI_SEGMENT)


def signature_limit(settings: Mapping[str, Any] | None = None) -> int:
    """The tenant's signature limit: the plugin setting ``signature_max_length`` when set (kept within
    ``SIGNATURE_MIN``..``SIGNATURE_HARD_MAX``), else ``SIGNATURE_MAX``."""
    raw = (settings or {}).get("signature_max_length")
    try:
        value = int(raw) if raw not in (None, "") else SIGNATURE_MAX
    except (TypeError, ValueError):
        value = SIGNATURE_MAX
    return max(SIGNATURE_MIN, min(SIGNATURE_HARD_MAX, value))


# -- the delivered text ------------------------------------------------------------------------------------------


def strip_signature(text: str) -> str:
    """The text without its leading 【签名】 (for showing a delivered text as a body)."""
    return re.sub(r"^【[^【】]*】", "", text, count=1)


def compose(signature: str, body: str, category: str = NOTIFICATION) -> str:
    """The text a phone receives: ``【signature】body``, and for marketing `` 回TD退订`` at the end (once: a body
    already ending with 回TD退订 is not given a second one)."""
    body = body.strip()
    text = f"【{signature.strip()}】{body}"
    if category == MARKETING:
        if body.endswith(UNSUBSCRIBE_WORDS):
            text = f"【{signature.strip()}】{body[: -len(UNSUBSCRIBE_WORDS)].rstrip()}"
        text += UNSUBSCRIBE_SUFFIX
    return text


def variables_in(body: str) -> list[str]:
    """The variable names of ``body`` in order of first appearance (each once)."""
    seen: list[str] = []
    for match in VARIABLE_RE.finditer(body):
        name = match.group(1).strip()
        if name not in seen:
            seen.append(name)
    return seen


def render(body: str, values: Mapping[str, Any]) -> str:
    """``body`` with each known ``${variable}`` replaced by ``values[variable]`` (missing or None: empty). An
    unknown variable stays as written (``check_body`` refuses such bodies before they are saved)."""

    def fill(match: re.Match) -> str:
        name = match.group(1).strip()
        if name not in VARIABLES:
            return match.group(0)
        value = values.get(name)
        return "" if value is None else str(value)

    return VARIABLE_RE.sub(fill, body)


def message_for(signature: str, body: str, category: str, values: Mapping[str, Any]) -> tuple[str, int]:
    """The delivered text for one recipient and its billed segments."""
    text = compose(signature, render(body, values), category)
    return text, segments(text)


def estimate_segments(signature: str, body: str, category: str,
                      values: Mapping[str, Any] | None = None) -> int:
    """The segments of one message before the recipients are known: variables not in ``values`` count with their
    ``ESTIMATE_LENGTHS`` (a placeholder of that many characters)."""
    filled = {name: "x" * ESTIMATE_LENGTHS[name] for name in VARIABLES}
    filled.update({k: v for k, v in (values or {}).items() if v is not None})
    return segments(compose(signature, render(body, filled), category))


def to_positional(body: str) -> tuple[str, list[str]]:
    """``body`` with its variables numbered ``{1}``, ``{2}`` ... (Tencent Cloud's template syntax) and the names in
    that order."""
    names = variables_in(body)
    index = {name: i + 1 for i, name in enumerate(names)}
    return VARIABLE_RE.sub(lambda m: "{" + str(index[m.group(1).strip()]) + "}", body), names


# -- validation ----------------------------------------------------------------------------------------------------


def check_name(name: str, field_name: str = "name") -> list[Issue]:
    """A template name: required, at most ``NAME_MAX`` characters."""
    name = (name or "").strip()
    if not name:
        return [_issue(field_name, "name_required", N_("Enter a template name."))]
    if len(name) > NAME_MAX:
        return [_issue(field_name, "name_too_long", N_("The name has %(n)s characters; at most %(max)s are allowed."),
                       n=len(name), max=NAME_MAX)]
    return []


def check_signature_text(text: str, limit: int = SIGNATURE_MAX, field_name: str = "signature") -> list[Issue]:
    """A signature's text: required, ``SIGNATURE_MIN``..``limit`` characters, letters, digits and Chinese only,
    written without the 【】 (the platform adds them)."""
    text = (text or "").strip()
    if not text:
        return [_issue(field_name, "signature_required", N_("Enter the signature."))]
    if len(text) > limit:
        return [_issue(field_name, "signature_too_long",
                       N_("The signature has %(n)s characters; at most %(max)s are allowed."), n=len(text), max=limit)]
    if len(text) < SIGNATURE_MIN:
        return [_issue(field_name, "signature_too_short", N_("The signature needs at least %(min)s characters."),
                       min=SIGNATURE_MIN)]
    if not _SIGNATURE_RE.match(text):
        return [_issue(field_name, "signature_characters",
                       N_("A signature holds only Chinese characters, letters and digits, without 【】 or punctuation."))]
    return []


def check_body(body: str, field_name: str = "content", allowed: Iterable[str] = VARIABLES) -> list[Issue]:
    """A body (template content or typed bulk content): required, at most ``CONTENT_MAX`` characters, known
    ``${variables}`` only, no 【】, no QQ / WeChat ID (blocking); restricted topics (warnings)."""
    raw = body or ""
    text = raw.strip()
    if not text:
        return [_issue(field_name, "content_required", N_("Enter the message content."))]
    issues: list[Issue] = []
    if len(text) > CONTENT_MAX:
        issues.append(_issue(field_name, "content_too_long",
                             N_("The content has %(n)s characters; at most %(max)s are allowed."),
                             n=len(text), max=CONTENT_MAX))
    allowed = tuple(allowed)
    unknown = [name for name in variables_in(text) if name not in allowed]
    if unknown:
        issues.append(_issue(field_name, "unknown_variable",
                             N_("Unknown variable %(name)s: use the insert buttons."), name="${" + unknown[0] + "}"))
    if _BROKEN_VARIABLE_RE.search(text):
        issues.append(_issue(field_name, "broken_variable", N_("A variable is not closed: write it as ${name}.")))
    if "【" in text or "】" in text:
        issues.append(_issue(field_name, "brackets_in_content",
                             N_("The content may not contain 【 or 】: they mark the signature, which is added for you.")))
    for pattern in _CONTACT_ID_RES:
        found = pattern.search(VARIABLE_RE.sub(" ", text))
        if found:
            issues.append(_issue(field_name, "contact_id",
                                 N_("The content carries a QQ or WeChat ID (%(text)s): carriers block such messages."),
                                 text=found.group(0).strip()))
            break
    for topic, words in RESTRICTED_TOPICS.items():
        hits = [w for w in words if w in text]
        if hits:
            issues.append(_issue(field_name, f"topic_{topic}",
                                 N_("Restricted topic (%(words)s): carriers may block or delay such messages."),
                                 blocks=False, words="、".join(hits)))
    return issues


def check_message(signature: str, body: str, category: str, *, name: str | None = None,
                  signature_max: int = SIGNATURE_MAX, allowed: Iterable[str] = VARIABLES) -> Check:
    """Every check of a template or a bulk message: the name (when given), the signature text, the category and the
    body (its variables among ``allowed``)."""
    check = Check()
    if name is not None:
        check.add(*check_name(name))
    check.add(*check_signature_text(signature, signature_max))
    if category not in CATEGORIES:
        check.add(_issue("category", "category", N_("Choose marketing or notification.")))
    check.add(*check_body(body, allowed=allowed))
    return check


__all__ = [
    "CATEGORIES", "CONTENT_MAX", "ESTIMATE_LENGTHS", "MARKETING", "MULTI_SEGMENT", "NAME_MAX", "NOTIFICATION",
    "SIGNATURE_HARD_MAX", "SIGNATURE_MAX", "SIGNATURE_MIN", "SINGLE_SEGMENT", "UNSUBSCRIBE_SUFFIX", "VARIABLES",
    "BULK_VARIABLES", "CODE_VARIABLE",
    "VARIABLE_LABELS", "Check", "Issue", "check_body", "check_message", "check_name", "check_signature_text",
    "compose", "estimate_segments", "message_for", "render", "segments", "signature_limit", "strip_signature",
    "to_positional", "variables_in", "wire_length",
]
