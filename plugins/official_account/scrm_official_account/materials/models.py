"""Materials (素材管理) of an official account: news (图文, an ordered list of articles) and image / voice / video
files uploaded to WeChat as permanent materials, and the references that keep a material in use
(branch ``official_account_materials``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Index, LargeBinary, Text, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, utcnow

NEWS, IMAGE, VOICE, VIDEO = "news", "image", "voice", "video"
KINDS = (NEWS, IMAGE, VOICE, VIDEO)
MEDIA_KINDS = (IMAGE, VOICE, VIDEO)


class Material(TenantScoped, table=True):
    """One material of one account. ``media_id`` is WeChat's id once uploaded (for news: the draft's media id);
    ``url`` the image URL WeChat returned (news covers and passive news replies show it); ``data`` the uploaded file
    itself (previews); ``revision`` grows with every edit of a news material."""

    __tablename__ = "official_account_material"
    __table_args__ = (Index("ix_official_account_material_list", "tenant_id", "account_id", "kind", "id"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", index=True, ondelete="CASCADE")
    kind: str = Field(max_length=10)
    name: str = Field(default="", max_length=200)
    media_id: str | None = Field(default=None, max_length=128)
    url: str | None = Field(default=None, max_length=1000)
    file_name: str = Field(default="", max_length=200)
    content_type: str = Field(default="", max_length=100)
    size: int = 0
    data: bytes | None = Field(default=None, sa_column=Column(LargeBinary, nullable=True))
    title: str = Field(default="", max_length=64, description="video title (WeChat asks for one)")
    description: str = Field(default="", max_length=120, description="video introduction")
    revision: int = 1
    created_by: str = Field(default="", max_length=200)
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)


class NewsArticle(TenantScoped, table=True):
    """One article of a news material, at ``position`` (0 first). ``cover_id`` is an image material of the same
    account (a reference: that image cannot be deleted while the article uses it)."""

    __tablename__ = "official_account_news_article"
    __table_args__ = (UniqueConstraint("material_id", "position"),)
    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="official_account_material.id", index=True, ondelete="CASCADE")
    position: int = 0
    title: str = Field(max_length=64)
    author: str = Field(default="", max_length=16)
    digest: str = Field(default="", max_length=120)
    content: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    content_source_url: str = Field(default="", max_length=255)
    cover_id: int | None = Field(default=None, foreign_key="official_account_material.id", index=True)
    show_cover: bool = True


class MaterialUsage(TenantScoped, table=True):
    """One use of a material by another module: ``referrer_type`` (``auto_reply``, ``menu_item``, ``mass_send``,
    ``message`` ...) and ``referrer_id`` (the referrer's own id, as text). A material with a usage cannot be
    deleted (spec 4.1 rule 2)."""

    __tablename__ = "official_account_material_usage"
    __table_args__ = (UniqueConstraint("material_id", "referrer_type", "referrer_id"),
                      Index("ix_official_account_material_usage_referrer", "tenant_id", "referrer_type",
                            "referrer_id"))
    id: int | None = Field(default=None, primary_key=True)
    material_id: int = Field(foreign_key="official_account_material.id", index=True, ondelete="CASCADE")
    referrer_type: str = Field(max_length=30)
    referrer_id: str = Field(max_length=64)
    label: str = Field(default="", max_length=200, description="what the user sees in the in-use error")
    created_at: datetime = Field(default_factory=utcnow)
