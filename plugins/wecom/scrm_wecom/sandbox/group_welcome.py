"""Sandbox group welcome material (入群欢迎语素材): ``externalcontact/group_welcome_template/add``, ``/edit``,
``/get`` and ``/del`` with WeCom's shapes.

A template is text and at most one of image / link / miniprogram (WeCom sends only the first of several). Codes:
40058 (invalid parameter: no text and no attachment, an image without ``media_id`` or ``pic_url``, a link without
``url``, a miniprogram without ``appid`` / ``page`` / ``pic_media_id``, more than one attachment, an unknown
``template_id``) and 41060 when the corp already holds :data:`MAX_TEMPLATES` templates (the sandbox's choice of code
for WeCom's limit of 100 materials). ``notify`` (default 1) is recorded: WeCom then tells the members about the new
template.
"""

from __future__ import annotations

import time
from typing import Any

from .routing import CONTACT, api, require
from .state import Corp, SandboxError, SandboxState, new_id

EC = "/cgi-bin/externalcontact/group_welcome_template"
MAX_TEMPLATES = 100
MAX_TEXT_BYTES = 4000
ATTACHMENTS = ("image", "link", "miniprogram")
FULL = 41060


def _content(body: dict[str, Any]) -> dict[str, Any]:
    text = str((body.get("text") or {}).get("content") or "")
    if len(text.encode()) > MAX_TEXT_BYTES:
        raise SandboxError(40058, "text too long")
    present = [k for k in ATTACHMENTS if body.get(k)]
    if len(present) > 1:
        raise SandboxError(40058, "at most one of image, link, miniprogram")
    if not text and not present:
        raise SandboxError(40058, "text and attachment both empty")
    content: dict[str, Any] = {"text": {"content": text}} if text else {}
    if present:
        kind = present[0]
        value = dict(body[kind])
        needed = {"image": ("media_id", "pic_url"), "link": ("url",), "miniprogram": ("appid", "page", "pic_media_id")}
        if kind == "image" and not (value.get("media_id") or value.get("pic_url")):
            raise SandboxError(40058, "image media_id or pic_url missing")
        if kind != "image" and not all(value.get(k) for k in needed[kind]):
            raise SandboxError(40058, f"{kind} incomplete")
        content[kind] = value
    return content


def _template(corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    require(body, "template_id")
    template = corp.group_welcome_templates.get(str(body["template_id"]))
    if template is None:
        raise SandboxError(40058, "invalid template_id")
    return template


@api(f"{EC}/add", "POST", CONTACT)
def add(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    if len(corp.group_welcome_templates) >= MAX_TEMPLATES:
        raise SandboxError(FULL, "group welcome template count exceed limit")
    content = _content(body)
    template_id = new_id("msg", 14)
    corp.group_welcome_templates[template_id] = {"template_id": template_id, **content,
                                                 "notify": int(body.get("notify", 1)), "created_at": int(time.time())}
    return {"template_id": template_id}


@api(f"{EC}/edit", "POST", CONTACT)
def edit(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    template = _template(corp, body)
    content = _content(body)
    for key in ("text", *ATTACHMENTS):
        template.pop(key, None)
    template.update(content)
    return {}


@api(f"{EC}/get", "POST", CONTACT)
def get(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    template = _template(corp, body)
    return {k: template[k] for k in ("text", *ATTACHMENTS) if k in template}


@api(f"{EC}/del", "POST", CONTACT)
def delete(state: SandboxState, corp: Corp, body: dict[str, Any]) -> dict[str, Any]:
    _template(corp, body)
    corp.group_welcome_templates.pop(str(body["template_id"]))
    return {}
