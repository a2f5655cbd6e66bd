"""Reading welcome content and time segments from HTML forms, with field names the validators' errors use.

Content fields under a prefix ``p``: ``p+"text"`` and, per attachment slot ``i``, ``p+f"att-{i}-type"`` plus the
type's fields (``media_id``, ``pic_url``, ``title``, ``url``, ``picurl``, ``desc``, ``appid``, ``page``,
``pic_media_id``). Empty slots are dropped and the rest renumbered, so errors (keyed by the renumbered index) match
the form rendered again from the returned dict. The attachments picked from the material library come as
``p+"material_ids"`` (a multi-select); typed ``att-`` slots only carry attachments stored before the material centre.
"""

from __future__ import annotations

import re
from typing import Any

from .content import ATTACHMENT_FIELDS

FIELD_NAMES = sorted({name for fields in ATTACHMENT_FIELDS.values() for name in fields})


def _indices(form: Any, pattern: str) -> list[int]:
    regex = re.compile(pattern)
    return sorted({int(m.group(1)) for key in form.keys() if (m := regex.match(key))})


def content_from_form(form: Any, prefix: str = "") -> dict[str, Any]:
    """The raw (unvalidated) content written under ``prefix``."""
    attachments = []
    for i in _indices(form, rf"^{re.escape(prefix)}att-(\d+)-type$"):
        slot = f"{prefix}att-{i}-"
        kind = (form.get(slot + "type") or "").strip()
        values = {name: (form.get(slot + name) or "").strip() for name in FIELD_NAMES}
        if not kind and not any(values.values()):
            continue
        if form.get(slot + "kept") and not form.get(slot + "keep"):
            continue  # an attachment stored before the material library, unticked: removed
        item = {"type": kind}
        item.update({k: v for k, v in values.items() if v and (kind not in ATTACHMENT_FIELDS
                                                                 or k in ATTACHMENT_FIELDS[kind])})
        attachments.append(item)
    content = {"text": (form.get(prefix + "text") or "").strip(), "attachments": attachments}
    material_ids = [v for v in form.getlist(prefix + "material_ids") if str(v).strip()]
    if material_ids:
        content["material_ids"] = material_ids
    return content


def content_is_blank(content: dict[str, Any]) -> bool:
    return not content.get("text") and not content.get("attachments") and not content.get("material_ids")


def segments_from_form(form: Any) -> list[dict[str, Any]]:
    """The raw time segments (slots ``seg-<i>-...``); slots left entirely empty are dropped and the rest renumbered."""
    out = []
    for i in _indices(form, r"^seg-(\d+)-start$"):
        prefix = f"seg-{i}-"
        segment = {"weekdays": form.getlist(prefix + "weekdays"), "start": (form.get(prefix + "start") or "").strip(),
                   "end": (form.get(prefix + "end") or "").strip(), "content": content_from_form(form, prefix)}
        if not segment["weekdays"] and not segment["start"] and not segment["end"] \
                and content_is_blank(segment["content"]):
            continue
        out.append(segment)
    return out


def int_list(form: Any, name: str) -> list[int]:
    """The integers submitted under ``name`` (non-numbers become -1, which no row has)."""
    out = []
    for value in form.getlist(name):
        try:
            out.append(int(value))
        except (TypeError, ValueError):
            out.append(-1)
    return out
