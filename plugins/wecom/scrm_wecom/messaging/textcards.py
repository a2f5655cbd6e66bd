"""Text cards to employees as a service: validated at WeCom's limits, customer variables filled in, sent through the
plugin's one outbound path (:func:`scrm_wecom.messaging.queue_app_message`, exactly once per key).

WeCom's ``textcard``: the title at most 128 bytes, the description at most 512 bytes, the link required, the link
label (``btntxt``) at most 4 characters. :func:`check_card` refuses a card past a limit with the field and the
reason (a form shows it); the description is checked after its variables are filled in, so a rule's template is
checked with the longest value a variable may take (:func:`check_template`). Variables: ``{customer}`` (the
customer's name), ``{group}`` (the group chat's name), ``{employee}``, ``{rule}`` and ``{due}``.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass

from sqlmodel import Session

from scrm.sdk import MessageDelivery

from .content import BUTTON_CHARS, DESCRIPTION_BYTES, TITLE_BYTES, TextCard
from .outbound import queue_app_message

URL_CHARS = 2048
VARIABLES = ("customer", "group", "employee", "rule", "due")
#: the longest value a variable is filled with (names are cut to this many characters when filled in)
VARIABLE_CHARS = 20
_VARIABLE = re.compile(r"\{(\w+)\}")


class TextCardError(ValueError):
    """A card past one of WeCom's limits: ``field`` is ``title``, ``description``, ``url`` or ``button``."""

    def __init__(self, field: str, message: str):
        super().__init__(message)
        self.field = field


def byte_length(text: str) -> int:
    return len(text.encode("utf-8"))


def fill(template: str, variables: Mapping[str, object]) -> str:
    """``template`` with every known ``{name}`` replaced (values cut to ``VARIABLE_CHARS``); unknown names stay."""
    def one(match: re.Match) -> str:
        name = match.group(1)
        if name not in VARIABLES:
            return match.group(0)
        return str(variables.get(name) or "")[:VARIABLE_CHARS]
    return _VARIABLE.sub(one, template)


def unknown_variables(template: str) -> list[str]:
    return [name for name in _VARIABLE.findall(template) if name not in VARIABLES]


@dataclass(frozen=True)
class CardSpec:
    title: str
    description: str
    url: str
    button: str | None = None


def check_card(card: CardSpec) -> TextCard:
    """The card as the outbound path sends it, or ``TextCardError`` at the first limit passed."""
    if not card.title.strip():
        raise TextCardError("title", "title_required")
    if byte_length(card.title) > TITLE_BYTES:
        raise TextCardError("title", "title_too_long")
    if not card.description.strip():
        raise TextCardError("description", "description_required")
    if byte_length(card.description) > DESCRIPTION_BYTES:
        raise TextCardError("description", "description_too_long")
    if not re.match(r"^https?://[^\s]+$", card.url or "") or len(card.url) > URL_CHARS:
        raise TextCardError("url", "url_invalid")
    if card.button is not None and (not card.button.strip() or len(card.button) > BUTTON_CHARS):
        raise TextCardError("button", "button_too_long")
    return TextCard(title=card.title, description=card.description, url=card.url, button=card.button)


def check_template(title: str, description: str) -> None:
    """Check a card's title and description templates with every variable at its longest (``TextCardError``)."""
    longest = {name: "字" * VARIABLE_CHARS for name in VARIABLES}
    if unknown_variables(title) or unknown_variables(description):
        raise TextCardError("description" if unknown_variables(description) else "title", "unknown_variable")
    check_card(CardSpec(fill(title, longest), fill(description, longest), "https://example.invalid/", None))


def send_textcard(session: Session, tenant_id: int, *, employee_id: int | None, card: CardSpec, key: str,
                  variables: Mapping[str, object] | None = None, task_ref: str | None = None,
                  customer_id: int | None = None) -> MessageDelivery:
    """Fill ``variables`` into the title and description, check the card and queue it to ``employee_id`` under the
    ledger key ``key`` (in the caller's transaction; the existing row when ``key`` was used before)."""
    values = variables or {}
    filled = CardSpec(fill(card.title, values), fill(card.description, values), card.url, card.button)
    return queue_app_message(session, tenant_id, employee_id=employee_id, content=check_card(filled), key=key,
                             task_ref=task_ref, customer_id=customer_id)
