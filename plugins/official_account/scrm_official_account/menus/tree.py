"""The custom menu tree (自定义菜单): the form we store, its validation, and the JSON WeChat's menu APIs take.

A tree is a list of top-level buttons (1 to 3), each either an action itself or a parent of 1 to 5 sub-buttons:

``{"name": str, "sub_button": [item, ...]}`` or an item ``{"name": str, "type": "view" | "miniprogram" | "click",
"url": str, "appid": str, "pagepath": str, "key": str, "reply": {"kind": "text", "text": str} |
{"kind": "material", "material_id": int}}``

* ``view`` opens a web page (``url``);
* ``miniprogram`` opens a mini program page (``appid``, ``pagepath``) with ``url`` as the fallback page for old
  clients (WeChat requires it);
* ``click`` sends the fan a message: WeChat posts a CLICK event with the item's ``key`` (generated here) and the
  passive-reply dispatcher answers with the item's ``reply`` (a text or a material of the account).

Limits (spec 4.4, protocols.md 3.1): 1 to 3 top-level buttons, at most 5 sub-buttons each, a sub-menu name of at most
16 characters (and WeChat's 60 bytes), a top-level name of at most 16 bytes (WeChat's limit; 5 Chinese characters,
the menu bar shows 4 before "..."), keys of at most 128 bytes, URLs of at most 1024 bytes and http(s) only, a click
text reply of at most 600 characters (the OA backend's own limit). Personalised rule names at most 30 characters.
"""

from __future__ import annotations

import re
import secrets
from dataclasses import dataclass, field
from typing import Any

TOP_MIN = 1
TOP_MAX = 3
SUB_MAX = 5
TOP_NAME_MAX_BYTES = 16
SUB_NAME_MAX_CHARS = 16
SUB_NAME_MAX_BYTES = 60
KEY_MAX_BYTES = 128
URL_MAX_BYTES = 1024
REPLY_TEXT_MAX = 600
RULE_NAME_MAX = 30
PAGEPATH_MAX = 256
APPID = re.compile(r"^wx[0-9a-f]{16}$")
URL = re.compile(r"^https?://[^\s/]+\S*$", re.IGNORECASE)

VIEW, MINIPROGRAM, CLICK = "view", "miniprogram", "click"
TYPES = (VIEW, MINIPROGRAM, CLICK)

#: error codes (spec 3.6 names the first five); ``menus.views`` shows each with its message
MENU_MIN_ONE_TOP = "MENU_MIN_ONE_TOP"
MENU_MAX_THREE_TOP = "MENU_MAX_THREE_TOP"
MENU_MAX_FIVE_SUB = "MENU_MAX_FIVE_SUB"
NAME_TOO_LONG = "NAME_TOO_LONG"
CONTENT_REQUIRED = "CONTENT_REQUIRED"
NAME_REQUIRED = "NAME_REQUIRED"
BAD_TYPE = "BAD_TYPE"
BAD_URL = "BAD_URL"
BAD_APPID = "BAD_APPID"
BAD_PAGEPATH = "BAD_PAGEPATH"
REPLY_REQUIRED = "REPLY_REQUIRED"
REPLY_TOO_LONG = "REPLY_TOO_LONG"
BAD_MATERIAL = "BAD_MATERIAL"
BAD_TREE = "BAD_TREE"
RULE_NAME_REQUIRED = "RULE_NAME_REQUIRED"
RULE_NAME_TOO_LONG = "RULE_NAME_TOO_LONG"


@dataclass(frozen=True)
class MenuProblem:
    """One validation problem: ``code``, ``path`` (``"2"`` the second top-level button, ``"2.3"`` its third
    sub-button, ``""`` the whole menu) and the numbers the message shows."""

    code: str
    path: str = ""
    params: dict[str, Any] = field(default_factory=dict)


class MenuInvalid(ValueError):
    def __init__(self, problems: list[MenuProblem]) -> None:
        self.problems = problems
        super().__init__(", ".join(f"{p.code}@{p.path}" for p in problems))


def _bytes(text: str) -> int:
    return len(text.encode("utf-8"))


def _clean_str(value: Any, limit: int = 2048) -> str:
    return str(value or "").strip()[:limit]


def normalize(raw: Any) -> list[dict[str, Any]]:
    """The submitted tree (parsed JSON) in the stored form: unknown keys dropped, strings trimmed. Raises
    ``MenuInvalid(BAD_TREE)`` for anything that is not a list of objects."""
    if not isinstance(raw, list) or not all(isinstance(item, dict) for item in raw):
        raise MenuInvalid([MenuProblem(BAD_TREE)])
    tree = []
    for top in raw[:10]:
        subs = top.get("sub_button") or []
        if not isinstance(subs, list) or not all(isinstance(s, dict) for s in subs):
            raise MenuInvalid([MenuProblem(BAD_TREE)])
        if subs:
            tree.append({"name": _clean_str(top.get("name"), 200), "sub_button": [_item(s) for s in subs[:10]]})
        else:
            tree.append(_item(top))
    return tree


def _item(raw: dict[str, Any]) -> dict[str, Any]:
    kind = _clean_str(raw.get("type"), 20)
    item: dict[str, Any] = {"name": _clean_str(raw.get("name"), 200), "type": kind}
    if kind in (VIEW, MINIPROGRAM):
        item["url"] = _clean_str(raw.get("url"))
    if kind == MINIPROGRAM:
        item["appid"] = _clean_str(raw.get("appid"), 64)
        item["pagepath"] = _clean_str(raw.get("pagepath"), 1024)
    if kind == CLICK:
        item["key"] = _clean_str(raw.get("key"), 200)
        reply = raw.get("reply") if isinstance(raw.get("reply"), dict) else {}
        if reply.get("kind") == "material":
            try:
                item["reply"] = {"kind": "material", "material_id": int(reply.get("material_id"))}
            except (TypeError, ValueError):
                item["reply"] = {"kind": "material", "material_id": None}
        else:
            item["reply"] = {"kind": "text", "text": str(reply.get("text") or "").strip()[:5000]}
    return item


def validate(tree: list[dict[str, Any]], material_ids: set[int] | None = None) -> list[MenuProblem]:
    """Every problem of ``tree`` (empty when it can be saved and published). ``material_ids``: the account's
    materials a click reply may name (None: not checked)."""
    problems: list[MenuProblem] = []
    if len(tree) < TOP_MIN:
        problems.append(MenuProblem(MENU_MIN_ONE_TOP, "", {"min": TOP_MIN}))
    if len(tree) > TOP_MAX:
        problems.append(MenuProblem(MENU_MAX_THREE_TOP, "", {"max": TOP_MAX}))
    keys: set[str] = set()
    for i, top in enumerate(tree, start=1):
        path = str(i)
        name = top.get("name") or ""
        if not name:
            problems.append(MenuProblem(NAME_REQUIRED, path))
        elif _bytes(name) > TOP_NAME_MAX_BYTES:
            problems.append(MenuProblem(NAME_TOO_LONG, path, {"max": TOP_NAME_MAX_BYTES, "unit": "bytes"}))
        subs = top.get("sub_button")
        if subs:
            if len(subs) > SUB_MAX:
                problems.append(MenuProblem(MENU_MAX_FIVE_SUB, path, {"max": SUB_MAX}))
            for j, sub in enumerate(subs, start=1):
                sub_path = f"{i}.{j}"
                sub_name = sub.get("name") or ""
                if not sub_name:
                    problems.append(MenuProblem(NAME_REQUIRED, sub_path))
                elif len(sub_name) > SUB_NAME_MAX_CHARS or _bytes(sub_name) > SUB_NAME_MAX_BYTES:
                    problems.append(MenuProblem(NAME_TOO_LONG, sub_path, {"max": SUB_NAME_MAX_CHARS,
                                                                          "unit": "chars"}))
                problems.extend(_action_problems(sub, sub_path, keys, material_ids))
        else:
            problems.extend(_action_problems(top, path, keys, material_ids))
    return problems


def _action_problems(item: dict[str, Any], path: str, keys: set[str],
                     material_ids: set[int] | None) -> list[MenuProblem]:
    kind = item.get("type") or ""
    if not kind:
        return [MenuProblem(CONTENT_REQUIRED, path)]
    if kind not in TYPES:
        return [MenuProblem(BAD_TYPE, path)]
    problems = []
    if kind in (VIEW, MINIPROGRAM):
        url = item.get("url") or ""
        if not url:
            problems.append(MenuProblem(CONTENT_REQUIRED, path))
        elif not URL.match(url) or _bytes(url) > URL_MAX_BYTES:
            problems.append(MenuProblem(BAD_URL, path, {"max": URL_MAX_BYTES}))
    if kind == MINIPROGRAM:
        if not APPID.match(item.get("appid") or ""):
            problems.append(MenuProblem(BAD_APPID, path))
        pagepath = item.get("pagepath") or ""
        if not pagepath or len(pagepath) > PAGEPATH_MAX or any(c.isspace() for c in pagepath):
            problems.append(MenuProblem(BAD_PAGEPATH, path))
    if kind == CLICK:
        key = item.get("key") or ""
        if key and (_bytes(key) > KEY_MAX_BYTES or key in keys):
            item["key"] = ""  # a stale or copied key gets a new one
        if item.get("key"):
            keys.add(item["key"])
        reply = item.get("reply") or {}
        if reply.get("kind") == "material":
            material_id = reply.get("material_id")
            if not material_id:
                problems.append(MenuProblem(REPLY_REQUIRED, path))
            elif material_ids is not None and material_id not in material_ids:
                problems.append(MenuProblem(BAD_MATERIAL, path))
        else:
            text = reply.get("text") or ""
            if not text:
                problems.append(MenuProblem(REPLY_REQUIRED, path))
            elif len(text) > REPLY_TEXT_MAX:
                problems.append(MenuProblem(REPLY_TOO_LONG, path, {"max": REPLY_TEXT_MAX}))
    return problems


def assign_keys(tree: list[dict[str, Any]]) -> None:
    """Give every click item without a key a new one (``M_`` and 16 hex digits): kept across saves, so a published
    menu's clicks still find their reply after the tree was edited and saved again."""
    for item in actions(tree):
        if item.get("type") == CLICK and not item.get("key"):
            item["key"] = f"M_{secrets.token_hex(8)}"


def actions(tree: list[dict[str, Any]]):
    """Every item that carries an action (top-level buttons without sub-buttons, and sub-buttons), in order."""
    for top in tree:
        if top.get("sub_button"):
            yield from top["sub_button"]
        else:
            yield top


def material_ids(tree: list[dict[str, Any]]) -> set[int]:
    return {item["reply"]["material_id"] for item in actions(tree)
            if item.get("type") == CLICK and (item.get("reply") or {}).get("kind") == "material"
            and item["reply"].get("material_id")}


def validate_rule_name(name: str) -> list[MenuProblem]:
    if not name:
        return [MenuProblem(RULE_NAME_REQUIRED, "rule")]
    if len(name) > RULE_NAME_MAX:
        return [MenuProblem(RULE_NAME_TOO_LONG, "rule", {"max": RULE_NAME_MAX})]
    return []


def _wechat_item(item: dict[str, Any]) -> dict[str, Any]:
    kind = item["type"]
    out: dict[str, Any] = {"type": kind, "name": item["name"]}
    if kind == VIEW:
        out["url"] = item["url"]
    elif kind == MINIPROGRAM:
        out.update(url=item["url"], appid=item["appid"], pagepath=item["pagepath"])
    elif kind == CLICK:
        out["key"] = item["key"]
    return out


def to_wechat(tree: list[dict[str, Any]], matchrule: dict[str, str] | None = None) -> dict[str, Any]:
    """The body of ``menu/create`` (or, with ``matchrule``, ``menu/addconditional``)."""
    buttons = []
    for top in tree:
        if top.get("sub_button"):
            buttons.append({"name": top["name"], "sub_button": [_wechat_item(s) for s in top["sub_button"]]})
        else:
            buttons.append(_wechat_item(top))
    body: dict[str, Any] = {"button": buttons}
    if matchrule:
        body["matchrule"] = matchrule
    return body


def find_action(tree: list[dict[str, Any]], *, key: str | None = None, url: str | None = None):
    """The item of ``tree`` a CLICK (``key``) or VIEW (``url``) event names, with its path, or (None, "")."""
    for i, top in enumerate(tree, start=1):
        subs = top.get("sub_button") or []
        candidates = [(f"{i}.{j}", s) for j, s in enumerate(subs, start=1)] if subs else [(str(i), top)]
        for path, item in candidates:
            if key is not None and item.get("type") == CLICK and item.get("key") == key:
                return item, path
            if url is not None and item.get("type") in (VIEW, MINIPROGRAM) and item.get("url") == url:
                return item, path
    return None, ""
