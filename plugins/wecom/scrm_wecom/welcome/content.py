"""Welcome content: at most one text and nine attachments, validated, previewed and rendered for ``send_welcome_msg``.

Content is stored as JSON (``{"text": str, "material_ids": [int], "attachments": [...]}``) on welcome messages,
their time segments and live codes. Attachments are materials of the material centre (``material_ids``, in order),
turned into WeCom attachments when a welcome is sent (media uploaded once per account and cached). ``attachments``
holds the attachments typed before the material centre (``{"type": ..., "media_id" | "pic_url" | ...}``): they are
still read and sent, and kept when such content is edited, but a form can no longer add one. ``validate_content`` is
the one gate: it returns the normalised dict or raises ``ContentError`` with one message per offending field, keyed
like the form fields (``text``, ``material_ids``, ...).
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass
from typing import Any
from urllib.parse import urlparse

from flask_babel import lazy_gettext as _l

from ..materials.minilinks import text_error

MAX_ATTACHMENTS = 9
MAX_TEXT_BYTES = 4000  # send_welcome_msg: text.content is at most 4000 bytes
ATTACHMENT_TYPES = ("image", "link", "miniprogram", "video")
#: the material kinds a welcome attaches: each becomes an image, file, video, link or miniprogram attachment, the
#: types send_welcome_msg accepts
MATERIAL_KINDS = ("poster", "file", "video", "link", "article", "miniprogram")
VARIABLES = ("employee_name", "employee_position", "customer_name")
VARIABLE_RE = re.compile(r"\{([A-Za-z_][A-Za-z0-9_]*)\}")
APPID_RE = re.compile(r"^wx[0-9a-f]{16}$")

#: the fields each attachment type keeps, with their maximum lengths
ATTACHMENT_FIELDS: dict[str, dict[str, int]] = {
    "image": {"media_id": 128, "pic_url": 1000},
    "link": {"title": 128, "url": 1000, "picurl": 1000, "desc": 512},
    "miniprogram": {"title": 64, "appid": 32, "page": 256, "pic_media_id": 128},
    "video": {"media_id": 128, "url": 1000},
}

#: WeCom counts these in UTF-8 bytes (send_welcome_msg): a Chinese character takes 3
BYTE_LIMITS: dict[tuple[str, str], int] = {("link", "title"): 128, ("link", "desc"): 512, ("miniprogram", "title"): 64}

TYPE_LABELS = {"image": _l("Image"), "link": _l("Link"), "miniprogram": _l("Mini program"), "video": _l("Video")}


class ContentError(ValueError):
    """Invalid welcome content; ``fields`` maps a form field name to its message."""

    def __init__(self, fields: dict[str, str]) -> None:
        super().__init__("; ".join(f"{k}: {v}" for k, v in fields.items()))
        self.fields = fields


def _is_http_url(value: str) -> bool:
    parsed = urlparse(value)
    return parsed.scheme in ("http", "https") and bool(parsed.netloc)


def _check_attachment(index: int, raw: dict[str, Any], errors: dict[str, str]) -> dict[str, str] | None:
    kind = str(raw.get("type") or "").strip()
    prefix = f"att-{index}-"
    if kind not in ATTACHMENT_TYPES:
        errors[prefix + "type"] = str(_l("Choose the type of this attachment."))
        return None
    item = {"type": kind}
    for name, limit in ATTACHMENT_FIELDS[kind].items():
        value = str(raw.get(name) or "").strip()
        if len(value) > limit:
            errors[prefix + name] = str(_l("At most %(n)s characters.", n=limit))
        elif len(value.encode("utf-8")) > BYTE_LIMITS.get((kind, name), len(value.encode("utf-8"))):
            errors[prefix + name] = str(_l("At most %(n)s bytes (a Chinese character takes 3).",
                                           n=BYTE_LIMITS[(kind, name)]))
        if value:
            item[name] = value
    for name in ("pic_url", "url", "picurl"):
        if item.get(name) and not _is_http_url(item[name]):
            errors[prefix + name] = str(_l("Enter an http(s) URL."))
    if kind == "image" and not (item.get("media_id") or item.get("pic_url")):
        errors[prefix + "media_id"] = str(_l("An image needs a media id or an image URL."))
    elif kind == "video" and not (item.get("media_id") or item.get("url")):
        errors[prefix + "media_id"] = str(_l("A video needs a media id or a video URL."))
    elif kind == "link":
        if not item.get("title"):
            errors[prefix + "title"] = str(_l("A link needs a title."))
        if not item.get("url"):
            errors[prefix + "url"] = str(_l("A link needs a URL."))
    elif kind == "miniprogram":
        for name, message in (("title", _l("A mini program needs a title.")),
                              ("appid", _l("A mini program needs its AppID.")),
                              ("page", _l("A mini program needs a page path.")),
                              ("pic_media_id", _l("A mini program needs a cover image (media id)."))):
            if not item.get(name):
                errors[prefix + name] = str(message)
        if item.get("appid") and not APPID_RE.match(item["appid"]):
            errors[prefix + "appid"] = str(_l("An AppID is 'wx' followed by 16 hexadecimal characters."))
        if item.get("page") and not item["page"].endswith(".html"):
            errors[prefix + "page"] = str(_l("A page path ends in .html (e.g. pages/index.html)."))
    return item


def _material_ids(raw: dict[str, Any], offered: Collection[int] | None, errors: dict[str, str]) -> list[int]:
    ids: list[int] = []
    for value in raw.get("material_ids") or []:
        try:
            ids.append(int(value))
        except (TypeError, ValueError):
            ids.append(-1)
    ids = list(dict.fromkeys(ids))
    if offered is not None and not set(ids) <= set(offered):
        errors["material_ids"] = str(_l("Choose materials of this brand's material library."))
    return ids


def _key(item: dict[str, Any]) -> str:
    return json.dumps(item, sort_keys=True, ensure_ascii=False)


def kept_attachments(*contents: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The typed attachments stored in ``contents`` (the ones an edit may keep)."""
    return [a for c in contents for a in (c or {}).get("attachments") or [] if isinstance(a, dict)]


def validate_content(raw: dict[str, Any] | None, *, offered: Collection[int] | None = None,
                     kept: Collection[dict[str, Any]] | None = None) -> dict[str, Any]:
    """The normalised content, or ``ContentError``: at most 1 text (≤ 4000 bytes, known ``{variables}`` only) and at
    most 9 attachments (materials plus earlier typed attachments); text and attachments not both empty.

    ``offered``: the material ids the tenant may pick (``materials.attachments.choices``); ``kept``: the typed
    attachments stored before (``kept_attachments``), the only typed ones accepted when given (a form passes it, so
    no new media id or URL can be typed in)."""
    raw = raw or {}
    errors: dict[str, str] = {}
    text = str(raw.get("text") or "").strip()
    if len(text.encode("utf-8")) > MAX_TEXT_BYTES:
        errors["text"] = str(_l("The text is at most %(n)s bytes.", n=MAX_TEXT_BYTES))
    unknown = sorted({name for name in VARIABLE_RE.findall(text) if name not in VARIABLES})
    if unknown:
        errors["text"] = str(_l("Unknown variable(s): %(names)s. Use %(known)s.",
                                names=", ".join(f"{{{n}}}" for n in unknown),
                                known=", ".join(f"{{{n}}}" for n in VARIABLES)))
    if "text" not in errors and (malformed := text_error(text)) is not None:  # spec 2.2.3: inline mini programs
        errors["text"] = malformed
    attachments_raw = list(raw.get("attachments") or [])
    material_ids = _material_ids(raw, offered, errors)
    if len(attachments_raw) + len(material_ids) > MAX_ATTACHMENTS:
        errors["attachments"] = str(_l("At most %(n)s attachments.", n=MAX_ATTACHMENTS))
    attachments = [a for a in (_check_attachment(i, dict(r), errors) for i, r in enumerate(attachments_raw)) if a]
    if kept is not None and not {_key(a) for a in attachments} <= {_key(a) for a in kept}:
        errors["material_ids"] = str(_l("Pick attachments from the material library."))
    if not text and not attachments_raw and not material_ids:
        errors["text"] = str(_l("Write a text or add at least one attachment."))
    if errors:
        raise ContentError(errors)
    content: dict[str, Any] = {"text": text, "attachments": attachments}
    if material_ids:
        content["material_ids"] = material_ids
    return content


def item_count(content: dict[str, Any] | None) -> int:
    """How many messages the content makes: the text (if any) plus each attachment."""
    content = content or {}
    return (1 if content.get("text") else 0) + len(content.get("attachments") or []) + len(
        content.get("material_ids") or [])


def preview(content: dict[str, Any] | None, length: int = 40) -> tuple[int, str]:
    """``(N, "text…")`` for the list preview "[N items] text…"."""
    content = content or {}
    text = content.get("text") or ""
    if not text and content.get("attachments"):
        first = content["attachments"][0]
        text = first.get("title") or str(TYPE_LABELS.get(first["type"], first["type"]))
    elif not text and content.get("material_ids"):
        text = str(_l("Material"))
    return item_count(content), (text[:length] + "…") if len(text) > length else text


@dataclass(frozen=True)
class Recipient:
    """What the variables of a welcome text are filled with at send time."""

    employee_name: str = ""
    employee_position: str = ""
    customer_name: str = ""


def substitute(text: str, recipient: Recipient) -> str:
    """Replace the known ``{variables}`` in ``text``; anything else in braces stays as written."""
    values = {"employee_name": recipient.employee_name, "employee_position": recipient.employee_position,
              "customer_name": recipient.customer_name}
    return VARIABLE_RE.sub(lambda m: values.get(m.group(1), m.group(0)), text)


def needs_customer_name(content: dict[str, Any]) -> bool:
    return "{customer_name}" in (content.get("text") or "")


def fit_bytes(text: str, limit: int = MAX_TEXT_BYTES) -> str:
    """``text`` cut to at most ``limit`` UTF-8 bytes at a character boundary (unchanged when it fits)."""
    raw = text.encode("utf-8")
    return text if len(raw) <= limit else raw[:limit].decode("utf-8", errors="ignore")


def to_api(content: dict[str, Any], recipient: Recipient, materials: list[dict[str, Any]] | None = None
           ) -> tuple[str | None, list[dict[str, Any]]]:
    """The ``text.content`` and ``attachments`` of ``send_welcome_msg`` for ``content``: the typed attachments stored
    before the material centre, then ``materials`` (the WeCom attachments of its ``material_ids``, made by the
    material centre).

    The text is checked against WeCom's 4000 bytes when saved, before the variables are filled: a long name that
    pushes it over is cut at the end of the text, at a character boundary, so the welcome still goes out.
    WeCom takes videos by ``media_id`` only: a video given by URL goes out as a link card to that URL."""
    text = fit_bytes(substitute(content.get("text") or "", recipient)) or None
    out: list[dict[str, Any]] = []
    for item in content.get("attachments") or []:
        kind = item["type"]
        if kind == "image":
            body = {"media_id": item["media_id"]} if item.get("media_id") else {"pic_url": item["pic_url"]}
            out.append({"msgtype": "image", "image": body})
        elif kind == "link":
            body = {k: item[k] for k in ("title", "url", "picurl", "desc") if item.get(k)}
            out.append({"msgtype": "link", "link": body})
        elif kind == "miniprogram":
            body = {k: item[k] for k in ("title", "appid", "page", "pic_media_id")}
            out.append({"msgtype": "miniprogram", "miniprogram": body})
        elif kind == "video":
            if item.get("media_id"):
                out.append({"msgtype": "video", "video": {"media_id": item["media_id"]}})
            else:
                out.append({"msgtype": "link", "link": {"title": str(_l("Video")), "url": item["url"]}})
    return text, out + list(materials or [])
