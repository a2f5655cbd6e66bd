"""Mini program text links (小程序链接): ``#小程序://<小程序名称>/<code>`` as the mini program's admin console copies
it (with the page's name between, ``#小程序://零售小商铺/首页/Ab12Cd34``, when copied for a page). WeChat shows such a
text as a tappable link to the mini program in a chat, so texts of mass sends, welcomes and SOP nodes may carry one
(spec wecom-operations 2.2.3, 2.3.1, 2.4.1, 2.5.1, 2.6.2, 4.4 rule 7).

The one definition of the format for the server and the page (``PATTERN`` is also the script's, through the
``data-pattern`` of the insert button): a name of 1 to 30 characters (no ``/``, ``#`` or white space), an optional
page name of the same kind, and a code of 4 to 64 letters and digits, not followed by another letter, digit or ``/``.
Anything in a text that starts with ``#小程序:`` must be such a link, so a link cut short or mistyped is refused
with a clear message instead of reaching customers as dead text.

    from scrm_wecom.materials.minilinks import text_error
    if (message := text_error(text)) is not None: errors["text"] = message
"""

from __future__ import annotations

import re

from flask_babel import lazy_gettext as _l
from sqlmodel import Session, select

PREFIX = "#小程序://"
MARKER = "#小程序:"  # every occurrence must start a whole link
NAME_MAX = 30
CODE_MIN, CODE_MAX = 4, 64
LINK_MAX = 200  # the stored text link of a material
_NAME = rf"[^/#\s]{{1,{NAME_MAX}}}"
#: one link, as the script and the server match it (JavaScript-compatible syntax)
PATTERN = rf"#小程序://{_NAME}/(?:{_NAME}/)?[A-Za-z0-9]{{{CODE_MIN},{CODE_MAX}}}(?![A-Za-z0-9/])"
LINK_RE = re.compile(PATTERN)
WHOLE_RE = re.compile(rf"^{PATTERN}$")

MALFORMED = _l("“%(fragment)s” is not a mini program link. Copy it from the mini program's admin console: "
               "#小程序://name/code (for example #小程序://零售小商铺/首页/Ab12Cd34).")


def is_link(value: str) -> bool:
    """``value`` is exactly one mini program text link."""
    return bool(WHOLE_RE.match(value or "")) and len(value) <= LINK_MAX


def links_in(text: str) -> list[str]:
    """The well-formed links in ``text``, in order."""
    return [m.group(0) for m in LINK_RE.finditer(text or "")]


def text_error(text: str) -> str | None:
    """A translated message naming the first ``#小程序:`` fragment of ``text`` that is not a whole link, or None."""
    text = text or ""
    start = text.find(MARKER)
    while start >= 0:
        match = LINK_RE.match(text, start)
        if match is None:
            fragment = re.split(r"\s", text[start:], maxsplit=1)[0][:40]
            return str(MALFORMED % {"fragment": fragment})
        start = text.find(MARKER, match.end())
    return None


def link_choices(session: Session, tenant_id: int) -> list[tuple[str, str]]:
    """``[(label, link)]``: the tenant's live enterprise and team mini program materials that have a text link,
    newest first (the insert button's picker)."""
    from .models import MINIPROGRAM, Material

    rows = session.exec(select(Material.title, Material.text_link)
                        .where(Material.tenant_id == tenant_id, Material.kind == MINIPROGRAM,
                               Material.deleted_at.is_(None), Material.owner_employee_id.is_(None),
                               Material.text_link != "")
                        .order_by(Material.id.desc())).all()
    return [(title, link) for title, link in rows]


__all__ = ["LINK_MAX", "PATTERN", "PREFIX", "is_link", "link_choices", "links_in", "text_error"]
