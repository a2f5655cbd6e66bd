"""Labels of the menu codes (``scrm.sdk.register_labels``, shown through ``code_label``) and the messages of the
validation problems (``menus.tree`` / ``menus.service`` codes)."""

from __future__ import annotations

from flask_babel import gettext as _
from flask_babel import lazy_gettext as _l

from scrm.sdk import register_labels

from . import service, tree
from .models import DRAFT, PUBLISHED

MENU_STATUS = "official_account.menu.status"
MENU_PLATFORM = "official_account.menu.platform"
CLICK_EVENT = "official_account.menu.event"

register_labels(MENU_STATUS, {DRAFT: _l("Not in effect"), PUBLISHED: _l("In effect")})
register_labels(MENU_PLATFORM, {"": _l("Any phone system"), "ios": _l("iOS"), "android": _l("Android"),
                                "other": _l("Other systems")})
register_labels(CLICK_EVENT, {"click": _l("Message item"), "view": _l("Page or mini program")})


def problem_message(problem: tree.MenuProblem) -> str:
    """One problem in the user's language, with where it is (``菜单 2 › 子菜单 3``)."""
    p = problem.params
    texts = {
        tree.MENU_MIN_ONE_TOP: lambda: _("A menu needs at least %(min)s top-level item.", min=p.get("min")),
        tree.MENU_MAX_THREE_TOP: lambda: _("A menu has at most %(max)s top-level items.", max=p.get("max")),
        tree.MENU_MAX_FIVE_SUB: lambda: _("A top-level item has at most %(max)s sub-menus.", max=p.get("max")),
        tree.NAME_TOO_LONG: lambda: (_("The name is longer than %(max)s bytes (a Chinese character counts 3).",
                                       max=p.get("max")) if p.get("unit") == "bytes"
                                     else _("The sub-menu name is longer than %(max)s characters.",
                                            max=p.get("max"))),
        tree.NAME_REQUIRED: lambda: _("Enter a name."),
        tree.CONTENT_REQUIRED: lambda: _("Choose what the item does and fill it in."),
        tree.BAD_TYPE: lambda: _("Unknown item type."),
        tree.BAD_URL: lambda: _("Enter a web address starting with http:// or https:// (at most %(max)s bytes).",
                                max=p.get("max")),
        tree.BAD_APPID: lambda: _("Enter the mini program's AppID (wx and 16 hexadecimal characters)."),
        tree.BAD_PAGEPATH: lambda: _("Enter the mini program page path."),
        tree.REPLY_REQUIRED: lambda: _("Enter the reply text or choose a material."),
        tree.REPLY_TOO_LONG: lambda: _("The reply text is longer than %(max)s characters.", max=p.get("max")),
        tree.BAD_MATERIAL: lambda: _("The material is not one of this account's materials."),
        tree.BAD_TREE: lambda: _("The menu could not be read; reload the page and try again."),
        tree.RULE_NAME_REQUIRED: lambda: _("Enter a rule name."),
        tree.RULE_NAME_TOO_LONG: lambda: _("The rule name is longer than %(max)s characters.", max=p.get("max")),
        service.RULE_TAG_NOT_OA: lambda: _("Choose one of this account's official account tags."),
        service.RULE_PLATFORM_BAD: lambda: _("Unknown phone system."),
        service.RULE_CONDITION_REQUIRED: lambda: _("Choose a phone system or an official account tag."),
        service.DEFAULT_MENU_REQUIRED: lambda: _("Publish the default menu first: WeChat shows personalised menus "
                                                 "only next to a default menu."),
        service.NOTHING_SAVED: lambda: _("Save a menu before publishing it."),
    }
    text = texts.get(problem.code, lambda: problem.code)()
    return f"{where(problem.path)}{text}" if problem.path and problem.path != "rule" else text


def where(path: str) -> str:
    parts = path.split(".")
    if len(parts) == 1:
        return _("Menu %(top)s: ", top=parts[0])
    return _("Menu %(top)s › sub-menu %(sub)s: ", top=parts[0], sub=parts[1])
