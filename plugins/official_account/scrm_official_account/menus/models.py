"""Tables of the custom menus (branch ``official_account_menus``): the menus of each account (the default menu and
the personalised ones) and the daily click counts of their items (菜单分析)."""

from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import Index, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, json_column, utcnow

DEFAULT, CONDITIONAL = "default", "conditional"
#: status: saved here only (未生效) or on WeChat as saved (已生效)
DRAFT, PUBLISHED = "draft", "published"
#: the personalised menu's phone system (WeChat's ``client_platform_type``: 1 iOS, 2 Android, 3 others)
PLATFORMS = {"ios": "1", "android": "2", "other": "3"}


class Menu(TenantScoped, table=True):
    """One menu of one account: the default menu (at most one per account) or a personalised menu with its rule
    (``name``, ``platform``, ``tag_id``: the account's OA tag, WeChat's tag id). ``tree`` is the saved menu
    (``menus.tree``); ``published_tree`` what WeChat has since the last publish; ``wechat_menuid`` the id WeChat
    gave a published personalised menu. ``status`` is ``draft`` after a save that changed the menu and
    ``published`` after a publish."""

    __tablename__ = "official_account_menu"
    __table_args__ = (Index("ix_official_account_menu_account", "tenant_id", "account_id", "kind", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    kind: str = Field(default=DEFAULT, max_length=12)
    name: str = Field(default="", max_length=30)
    platform: str = Field(default="", max_length=10, description="'', ios, android or other")
    tag_id: int | None = Field(default=None, description="WeChat id of the account's OA tag")
    tag_name: str = Field(default="", max_length=30)
    tree: list[dict[str, Any]] = json_column(default_factory=list)
    published_tree: list[dict[str, Any]] = json_column(default_factory=list)
    status: str = Field(default=DRAFT, max_length=10)
    wechat_menuid: str | None = Field(default=None, max_length=40)
    last_error: str | None = Field(default=None, max_length=300)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    published_at: datetime | None = None


class MenuClick(TenantScoped, table=True):
    """One menu click: a CLICK event (``event`` "click", ``target`` the item's key) or a VIEW event ("view", the URL
    opened), on the tenant's ``day``. ``inbound`` (the stored callback's id) makes recording idempotent: a domain
    event delivered twice counts once. ``name`` is the item's name when the click came."""

    __tablename__ = "official_account_menu_click"
    __table_args__ = (UniqueConstraint("account_id", "inbound"),
                      Index("ix_official_account_menu_click_day", "tenant_id", "account_id", "day"))
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    inbound: str = Field(max_length=64)
    day: date
    event: str = Field(max_length=10, description="click or view")
    target: str = Field(max_length=200, description="the key (click) or the URL (view), cut at 200")
    name: str = Field(default="", max_length=60)
    openid: str = Field(default="", max_length=64)
