"""Custom menus: save (our server only), publish (one WeChat call), delete (with the personalised menus), and the
click statistics.

Everything here takes the caller's session and never commits. A WeChat call happens before the local change is
flushed where the call decides the outcome (publish, delete), so a refused call changes nothing but ``last_error``.
The WeChat endpoints (protocols.md 3.1): ``menu/create`` (the default menu; replaces it as a whole),
``menu/addconditional`` (a personalised menu; returns its ``menuid``), ``menu/delconditional``, ``menu/delete``
(every menu of the account, the personalised ones included) and ``menu/get``.
"""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import func
from sqlmodel import Session, col, select

from scrm.sdk import ChannelAccount, local, utcnow
from scrm.sdk.wechat import WeChatAPIError

from ..fans.models import OATag
from ..materials import set_references
from ..materials.models import Material
from . import tree as menu_tree
from .models import CONDITIONAL, DEFAULT, DRAFT, PLATFORMS, PUBLISHED, Menu, MenuClick
from .tree import MenuInvalid, MenuProblem

REFERRER = "menu_item"
#: problem codes of the rules and of publishing (the tree's own codes are in ``menus.tree``)
RULE_TAG_NOT_OA = "RULE_TAG_NOT_OA"
RULE_PLATFORM_BAD = "RULE_PLATFORM_BAD"
RULE_CONDITION_REQUIRED = "RULE_CONDITION_REQUIRED"
DEFAULT_MENU_REQUIRED = "DEFAULT_MENU_REQUIRED"
NOTHING_SAVED = "NOTHING_SAVED"


class MenuPublishError(Exception):
    """WeChat refused a menu call: ``errcode`` and ``errmsg`` as WeChat gave them (shown to the user)."""

    def __init__(self, errcode: int, errmsg: str) -> None:
        self.errcode, self.errmsg = errcode, errmsg
        super().__init__(f"{errcode} {errmsg}")


# -- reading -------------------------------------------------------------------------------------------------------

def default_menu(session: Session, tenant_id: int, account_id: int) -> Menu | None:
    return session.exec(select(Menu).where(Menu.tenant_id == tenant_id, Menu.account_id == account_id,
                                           Menu.kind == DEFAULT).order_by(Menu.id)).first()


def conditional_menus(session: Session, tenant_id: int, account_id: int, *, name: str = "",
                      created_from: datetime | None = None, created_to: datetime | None = None,
                      offset: int = 0, limit: int = 10) -> tuple[list[Menu], int]:
    """The account's personalised menus, newest first, filtered by name and created range (UTC bounds)."""
    query = select(Menu).where(Menu.tenant_id == tenant_id, Menu.account_id == account_id, Menu.kind == CONDITIONAL)
    if name:
        query = query.where(col(Menu.name).contains(name))
    if created_from is not None:
        query = query.where(Menu.created_at >= created_from)
    if created_to is not None:
        query = query.where(Menu.created_at < created_to)
    total = session.exec(select(func.count()).select_from(query.subquery())).one()
    rows = list(session.exec(query.order_by(col(Menu.id).desc()).offset(offset).limit(limit)))
    return rows, int(total)


def find_menu(session: Session, tenant_id: int, account_id: int, menu_id: int) -> Menu | None:
    return session.exec(select(Menu).where(Menu.id == menu_id, Menu.tenant_id == tenant_id,
                                           Menu.account_id == account_id)).first()


def oa_tags(session: Session, tenant_id: int, account_id: int) -> list[OATag]:
    """The account's OA tags (the only tags a personalised menu may use; never the platform's member tags)."""
    return list(session.exec(select(OATag).where(OATag.tenant_id == tenant_id, OATag.account_id == account_id)
                             .order_by(OATag.wechat_id)))


def account_material_ids(session: Session, tenant_id: int, account_id: int) -> set[int]:
    return set(session.exec(select(Material.id).where(Material.tenant_id == tenant_id,
                                                      Material.account_id == account_id)))


# -- saving (保存: our server only) ----------------------------------------------------------------------------------

def _checked_tree(session: Session, tenant_id: int, account_id: int, raw: Any) -> list[dict[str, Any]]:
    tree = menu_tree.normalize(raw)
    problems = menu_tree.validate(tree, account_material_ids(session, tenant_id, account_id))
    if problems:
        raise MenuInvalid(problems)
    menu_tree.assign_keys(tree)
    return tree


def _references(session: Session, menu: Menu) -> None:
    ids = menu_tree.material_ids(menu.tree) | menu_tree.material_ids(menu.published_tree or [])
    label = menu.name or "默认菜单"
    set_references(session, menu.tenant_id, REFERRER, menu.id, sorted(ids), label=f"自定义菜单：{label}")


def save_default(session: Session, tenant_id: int, account: ChannelAccount, raw: Any, by: str = "") -> Menu:
    """Store the default menu ``raw`` (parsed JSON) for ``account``; WeChat is not called. Raises ``MenuInvalid``."""
    tree = _checked_tree(session, tenant_id, account.id, raw)
    menu = default_menu(session, tenant_id, account.id)
    if menu is None:
        menu = Menu(tenant_id=tenant_id, account_id=account.id, kind=DEFAULT, created_by=by[:200])
    _store(session, menu, tree)
    return menu


def _store(session: Session, menu: Menu, tree: list[dict[str, Any]]) -> None:
    changed = tree != (menu.published_tree or []) or menu.wechat_menuid is None and menu.kind == CONDITIONAL
    menu.tree = tree
    menu.status = DRAFT if changed or menu.published_at is None else PUBLISHED
    menu.updated_at = utcnow()
    session.add(menu)
    session.flush()
    _references(session, menu)


def rule_problems(session: Session, tenant_id: int, account_id: int, name: str, platform: str,
                  tag_id: int | None) -> list[MenuProblem]:
    problems = menu_tree.validate_rule_name(name)
    if platform and platform not in PLATFORMS:
        problems.append(MenuProblem(RULE_PLATFORM_BAD, "rule"))
    if tag_id is not None and not any(t.wechat_id == tag_id for t in oa_tags(session, tenant_id, account_id)):
        problems.append(MenuProblem(RULE_TAG_NOT_OA, "rule"))
    if not platform and tag_id is None:
        problems.append(MenuProblem(RULE_CONDITION_REQUIRED, "rule"))
    return problems


def save_conditional(session: Session, tenant_id: int, account: ChannelAccount, *, menu: Menu | None, name: str,
                     platform: str, tag_id: int | None, raw: Any, by: str = "") -> Menu:
    """Create or edit a personalised menu: its rule (name ≤ 30, phone system, one OA tag of the account; at least
    one condition) and its tree. Status 未生效 (``draft``) until published. Raises ``MenuInvalid``."""
    name = (name or "").strip()
    problems = rule_problems(session, tenant_id, account.id, name, platform, tag_id)
    try:
        tree = _checked_tree(session, tenant_id, account.id, raw)
    except MenuInvalid as exc:
        problems.extend(exc.problems)
        tree = []
    if problems:
        raise MenuInvalid(problems)
    if menu is None:
        menu = Menu(tenant_id=tenant_id, account_id=account.id, kind=CONDITIONAL, created_by=by[:200])
    rule_changed = (menu.name, menu.platform, menu.tag_id) != (name, platform, tag_id)
    menu.name, menu.platform, menu.tag_id = name, platform, tag_id
    menu.tag_name = next((t.name for t in oa_tags(session, tenant_id, account.id) if t.wechat_id == tag_id), "")
    if rule_changed:
        menu.published_tree = menu.published_tree if menu.id else []
    _store(session, menu, tree)
    if rule_changed and menu.published_at is not None:
        menu.status = DRAFT
    return menu


def matchrule(menu: Menu) -> dict[str, str]:
    rule: dict[str, str] = {}
    if menu.tag_id is not None:
        rule["tag_id"] = str(menu.tag_id)
    if menu.platform:
        rule["client_platform_type"] = PLATFORMS[menu.platform]
    return rule


# -- publishing (发布到微信) -------------------------------------------------------------------------------------------

def _wechat(call, menu: Menu | None = None):
    try:
        return call()
    except WeChatAPIError as exc:
        if menu is not None:
            menu.last_error = f"{exc.errcode} {exc.errmsg or ''}".strip()[:300]
        raise MenuPublishError(exc.errcode, exc.errmsg or "") from exc


def publish_default(session: Session, client: Any, menu: Menu) -> Menu:
    """Push the saved default menu with exactly one ``menu/create`` call; the menu becomes 已生效."""
    if not menu.tree:
        raise MenuInvalid([MenuProblem(NOTHING_SAVED)])
    problems = menu_tree.validate(menu.tree)
    if problems:
        raise MenuInvalid(problems)
    _wechat(lambda: client.post("/cgi-bin/menu/create", menu_tree.to_wechat(menu.tree)), menu)
    _published(session, menu)
    return menu


def _published(session: Session, menu: Menu) -> None:
    menu.published_tree = [dict(item) for item in menu.tree]
    menu.status = PUBLISHED
    menu.published_at = utcnow()
    menu.last_error = None
    session.add(menu)
    session.flush()
    _references(session, menu)


def publish_conditional(session: Session, client: Any, menu: Menu) -> Menu:
    """Push a personalised menu (``menu/addconditional``); a menu published before is removed first
    (``menu/delconditional``: WeChat cannot edit one). WeChat needs the default menu first."""
    default = default_menu(session, menu.tenant_id, menu.account_id)
    if default is None or default.published_at is None:
        raise MenuInvalid([MenuProblem(DEFAULT_MENU_REQUIRED)])
    problems = menu_tree.validate(menu.tree)
    if problems:
        raise MenuInvalid(problems)
    if menu.wechat_menuid:
        old = menu.wechat_menuid
        _delconditional(client, old, menu)
        menu.wechat_menuid = None
    answer = _wechat(lambda: client.post("/cgi-bin/menu/addconditional",
                                         menu_tree.to_wechat(menu.tree, matchrule(menu))), menu)
    menu.wechat_menuid = str(answer.get("menuid") or "")[:40] or None
    _published(session, menu)
    return menu


def _delconditional(client: Any, menuid: str, menu: Menu | None = None) -> None:
    try:
        client.post("/cgi-bin/menu/delconditional", {"menuid": menuid})
    except WeChatAPIError as exc:
        if exc.errcode != 65301:  # "no such menu": already gone on WeChat
            if menu is not None:
                menu.last_error = f"{exc.errcode} {exc.errmsg or ''}".strip()[:300]
            raise MenuPublishError(exc.errcode, exc.errmsg or "") from exc


# -- deleting ------------------------------------------------------------------------------------------------------

def delete_conditional(session: Session, client: Any, menu: Menu) -> None:
    """Delete a personalised menu here and, when published, on WeChat."""
    if menu.wechat_menuid:
        _delconditional(client, menu.wechat_menuid, menu)
    set_references(session, menu.tenant_id, REFERRER, menu.id, [])
    session.delete(menu)
    session.flush()


def delete_all(session: Session, client: Any, tenant_id: int, account_id: int) -> int:
    """Delete the default menu and every personalised menu of the account (spec 4.4 rule 4): one ``menu/delete``
    call on WeChat (it removes the personalised menus there too) when anything was published, then the rows here.
    Returns how many menus were deleted."""
    menus = list(session.exec(select(Menu).where(Menu.tenant_id == tenant_id, Menu.account_id == account_id)))
    if any(m.published_at is not None for m in menus):
        _wechat(lambda: client.get("/cgi-bin/menu/delete"))
    for menu in menus:
        set_references(session, tenant_id, REFERRER, menu.id, [])
        session.delete(menu)
    session.flush()
    return len(menus)


# -- clicks (菜单分析) ------------------------------------------------------------------------------------------------

def click_reply(session: Session, tenant_id: int, account_id: int, key: str) -> dict[str, Any] | None:
    """The reply of the published menu item whose key a CLICK event names: ``{"kind": "text", "text": ...}`` or
    ``{"kind": "material", "material_id": ...}``; None when no published menu of the account has the key."""
    for menu in session.exec(select(Menu).where(Menu.tenant_id == tenant_id, Menu.account_id == account_id,
                                                Menu.published_at.is_not(None))):
        item, _ = menu_tree.find_action(menu.published_tree or [], key=key)
        if item is not None:
            return item.get("reply")
    return None


def item_name(session: Session, tenant_id: int, account_id: int, *, key: str | None = None,
              url: str | None = None) -> str:
    for menu in session.exec(select(Menu).where(Menu.tenant_id == tenant_id, Menu.account_id == account_id)):
        for candidate in (menu.published_tree or [], menu.tree or []):
            item, _ = menu_tree.find_action(candidate, key=key, url=url)
            if item is not None:
                return str(item.get("name") or "")[:60]
    return ""


def record_click(session: Session, tenant_id: int, account_id: int, event: str, target: str, at: datetime,
                 tz, *, inbound: str, openid: str = "") -> bool:
    """Record one CLICK (``event`` "click", ``target`` the key) or VIEW ("view", the URL) on the tenant's day of
    ``at``; ``inbound`` (the stored callback) makes it idempotent. Returns whether it was new."""
    from sqlalchemy.exc import IntegrityError

    day: date = local(at, tz).date()
    target = (target or "")[:200]
    exists = session.exec(select(MenuClick.id).where(MenuClick.account_id == account_id,
                                                     MenuClick.inbound == inbound[:64])).first()
    if exists is not None:
        return False
    row = MenuClick(tenant_id=tenant_id, account_id=account_id, inbound=inbound[:64], day=day, event=event,
                    target=target, openid=(openid or "")[:64],
                    name=item_name(session, tenant_id, account_id, key=target if event == "click" else None,
                                   url=target if event == "view" else None))
    try:
        with session.begin_nested():
            session.add(row)
            session.flush()
    except IntegrityError:
        return False
    return True


def click_stats(session: Session, tenant_id: int, account_id: int, start: date, end: date) -> dict[str, Any]:
    """Clicks per item and per day from ``start`` to ``end`` (inclusive): ``{"days": [...], "items": [{"name",
    "event", "target", "total", "per_day": [...]}], "total": n}``, items by total, most clicked first."""
    from datetime import timedelta

    rows = session.exec(select(MenuClick.day, MenuClick.event, MenuClick.target, func.max(MenuClick.name),
                               func.count()).where(
        MenuClick.tenant_id == tenant_id, MenuClick.account_id == account_id, MenuClick.day >= start,
        MenuClick.day <= end).group_by(MenuClick.day, MenuClick.event, MenuClick.target)).all()

    days = [start + timedelta(days=i) for i in range((end - start).days + 1)]
    index = {d: i for i, d in enumerate(days)}
    items: dict[tuple[str, str], dict[str, Any]] = {}
    for day, event, target, name, clicks in rows:
        item = items.setdefault((event, target), {"name": name or "", "event": event, "target": target,
                                                  "total": 0, "per_day": [0] * len(days)})
        item["per_day"][index[day]] += clicks
        item["total"] += clicks
        item["name"] = item["name"] or name or ""
    ordered = sorted(items.values(), key=lambda i: (-i["total"], i["name"]))
    return {"days": days, "items": ordered, "total": sum(i["total"] for i in ordered)}
