"""Tables of the material centre: groups (of materials or scripts), materials and their files, scripts and their
content items, the WeCom media ids uploaded per account, tracked sends and views."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary
from sqlmodel import Field, UniqueConstraint

from scrm.sdk import TenantScoped, json_column, utcnow

MATERIAL, SCRIPT = "material", "script"  # the library a group belongs to
ENTERPRISE, TEAM = "enterprise", "team"  # scopes: every employee, or the employees of the group's departments
SCOPES = (ENTERPRISE, TEAM)
#: an employee's own material (个人素材 of the sidebar): in the sidebar of its owner only, never in the admin lists
PERSONAL = "personal"
#: the kinds an employee adds in the sidebar
PERSONAL_KINDS = ("link", "poster")

#: material kinds: 图文 (an article hosted here), 链接 (a link to a web page), 海报 (an image), 文件 (a PDF),
#: 视频 (an MP4 video), 小程序 (a mini program page)
ARTICLE, LINK, POSTER, FILE, VIDEO, MINIPROGRAM = "article", "link", "poster", "file", "video", "miniprogram"
KINDS = (ARTICLE, LINK, POSTER, FILE, VIDEO, MINIPROGRAM)
#: kinds whose send is a tracked web page (a mini program opens in WeChat, out of reach of a tracked link)
TRACKED_KINDS = (ARTICLE, LINK, POSTER, FILE, VIDEO)

#: script content item types (spec 2.7) and the material kinds an item of each type picks from
TEXT = "text"
CONTENT_TYPES = (TEXT, "image", "article", "pdf", "video", "miniprogram")
CONTENT_MATERIAL_KINDS: dict[str, tuple[str, ...]] = {
    "image": (POSTER,), "article": (ARTICLE, LINK), "pdf": (FILE,), "video": (VIDEO,), "miniprogram": (MINIPROGRAM,)}

FILE_ROLE, COVER_ROLE = "file", "cover"


class ContentGroup(TenantScoped, table=True):
    """A material group (素材分组) or a script group (话术分组): ``library`` says which. A team group lists the
    departments whose employees (sub-departments included) may use its items; ``is_default`` marks the one 默认分组
    of each (library, scope), created on first use and never deleted."""

    __tablename__ = "wecom_content_group"
    __table_args__ = (Index("ix_wecom_content_group_library", "tenant_id", "library", "scope"),)
    id: int | None = Field(default=None, primary_key=True)
    library: str = Field(max_length=10)
    scope: str = Field(max_length=10)
    name: str = Field(max_length=20)
    department_ids: list[int] = json_column(default_factory=list)
    is_default: bool = False
    created_at: datetime = Field(default_factory=utcnow)


class Material(TenantScoped, table=True):
    """One material. ``scope`` is its group's; ``track_tag_ids`` are core tags given to a customer who opens a
    tracked link (once). A deleted material keeps its row (``deleted_at``) so links already sent say it is gone.
    ``owner_employee_id`` marks a personal material (scope ``personal``): its owner's sidebar only. ``text_link`` is
    a mini program's text link (``#小程序://…``, :mod:`.minilinks`) that texts may carry."""

    __tablename__ = "wecom_material"
    __table_args__ = (Index("ix_wecom_material_list", "tenant_id", "scope", "deleted_at", "id"),
                      Index("ix_wecom_material_owner", "tenant_id", "owner_employee_id", "deleted_at"))
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="wecom_content_group.id", index=True)
    scope: str = Field(max_length=10)
    kind: str = Field(max_length=12)
    title: str = Field(max_length=20)
    token: str = Field(max_length=32, unique=True, description="the material's public pages and files")
    summary: str = Field(default="", max_length=120)
    url: str = Field(default="", max_length=1000, description="link: the page; article: an optional 阅读原文 link")
    body: str = Field(default="", max_length=5000, description="article: the text shown on the page")
    appid: str = Field(default="", max_length=32)
    page: str = Field(default="", max_length=256)
    text_link: str = Field(default="", max_length=200, description="mini program: its 小程序链接 (#小程序://…)")
    owner_employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="CASCADE",
                                          description="a personal material's employee")
    file_name: str = Field(default="", max_length=200, description="the uploaded file's name (searched)")
    track_tag_ids: list[int] = json_column(default_factory=list)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
    deleted_at: datetime | None = None


class MaterialFile(TenantScoped, table=True):
    """The bytes of a material's file (``role`` "file": the poster, PDF or video) or cover image ("cover")."""

    __tablename__ = "wecom_material_file"
    __table_args__ = (UniqueConstraint("material_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="wecom_material.id", ondelete="CASCADE")
    role: str = Field(max_length=10)
    mime: str = Field(max_length=60)
    name: str = Field(default="", max_length=200)
    size: int = 0
    sha256: str = Field(max_length=64)
    data: bytes = Field(sa_column=Column(LargeBinary, nullable=False))


class MaterialMedia(TenantScoped, table=True):
    """A temporary media id WeCom gave for a file of a material on one account (valid 3 days): reused while fresh
    and while the file is the one uploaded (``sha256``)."""

    __tablename__ = "wecom_material_media"
    __table_args__ = (UniqueConstraint("account_id", "material_id", "role"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    material_id: int = Field(foreign_key="wecom_material.id", ondelete="CASCADE")
    role: str = Field(max_length=10)
    sha256: str = Field(max_length=64)
    media_id: str = Field(max_length=256)
    uploaded_at: datetime = Field(default_factory=utcnow)


class MaterialSend(TenantScoped, table=True):
    """One send (素材分享) of a material by an employee to a customer from the sidebar: its own short link whose
    target is the material's tracked page (``token`` in its URL)."""

    __tablename__ = "wecom_material_send"
    __table_args__ = (Index("ix_wecom_material_send_material", "material_id", "sent_at"),)
    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="wecom_material.id", ondelete="CASCADE")
    employee_id: int = Field(foreign_key="employee.id", ondelete="CASCADE")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True, ondelete="SET NULL")
    external_userid: str = Field(default="", max_length=128)
    token: str = Field(max_length=32, unique=True)
    short_link_id: int | None = Field(default=None, foreign_key="short_link.id", ondelete="SET NULL")
    sent_at: datetime = Field(default_factory=utcnow)


class MaterialView(TenantScoped, table=True):
    """One open of a tracked link (客户资料 row): the customer, the employee reminded (the sender), when it was
    opened and reminded, and how long the page stayed open (``duration`` seconds, raised by the page's beacons)."""

    __tablename__ = "wecom_material_view"
    __table_args__ = (Index("ix_wecom_material_view_material", "material_id", "opened_at"),)
    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="wecom_material.id", ondelete="CASCADE")
    send_id: int = Field(foreign_key="wecom_material_send.id", ondelete="CASCADE")
    customer_id: int | None = Field(default=None, foreign_key="customer.id", index=True, ondelete="SET NULL")
    employee_id: int | None = Field(default=None, foreign_key="employee.id", ondelete="SET NULL")
    beacon: str = Field(max_length=32, unique=True)
    opened_at: datetime = Field(default_factory=utcnow)
    reminded_at: datetime | None = None
    duration: int = 0


class Script(TenantScoped, table=True):
    """A script (话术): a title and one or more content items, in a script group (its ``scope`` is the group's)."""

    __tablename__ = "wecom_script"
    __table_args__ = (Index("ix_wecom_script_list", "tenant_id", "scope", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    group_id: int = Field(foreign_key="wecom_content_group.id", index=True)
    scope: str = Field(max_length=10)
    title: str = Field(max_length=200)
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class ScriptContent(TenantScoped, table=True):
    """One content item of a script, in order: a text (≤ 1300 characters) or a material of the item's type."""

    __tablename__ = "wecom_script_content"
    __table_args__ = (UniqueConstraint("script_id", "seq"),)
    id: int | None = Field(default=None, primary_key=True)
    script_id: int = Field(foreign_key="wecom_script.id", ondelete="CASCADE")
    seq: int = 0
    type: str = Field(max_length=12)
    text: str = Field(default="", max_length=1300)
    material_id: int | None = Field(default=None, foreign_key="wecom_material.id", ondelete="SET NULL")
