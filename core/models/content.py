"""The brand's own articles for the home page: product recommendations (推荐商品) and training courses (培训课程),
written by the brand's admins. The home page shows the latest five of each (members-1 R15)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Index
from sqlmodel import Field

from ..timeutil import utcnow
from .base import TenantScoped


class ContentArticle(TenantScoped, table=True):
    __tablename__ = "content_article"
    __table_args__ = (Index("ix_content_article_latest", "tenant_id", "kind", "updated_at"),)
    id: int | None = Field(default=None, primary_key=True)
    #: ``recommendation`` or ``course``
    kind: str = Field(max_length=20)
    title: str = Field(max_length=60)
    summary: str = Field(default="", max_length=500)
    #: where the title leads (the product page, the course); empty: the article's own page
    url: str = Field(default="", max_length=1024)
    published: bool = True
    created_by: int | None = Field(default=None, foreign_key="user.id", ondelete="SET NULL")
    created_at: datetime = Field(default_factory=utcnow)
    updated_at: datetime = Field(default_factory=utcnow)
