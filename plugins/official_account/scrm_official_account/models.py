"""The plugin's tables (named ``official_account_...``; migrations in ``migrations/versions``, one alembic branch
per feature area). Each area imports its models module below so that ``migrations/env.py`` sees every table."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, utcnow


class OAAccessToken(TenantScoped, table=True):
    """The access token of one official account (channel account), used when the platform has no Redis.

    ``token`` is encrypted with the platform's secret box; ``refresh_after`` is when callers fetch a new one (a margin
    before ``expires_in``); ``None`` means the row only exists as the refresh lock (branch ``official_account``)."""

    __tablename__ = "official_account_access_token"
    __table_args__ = (UniqueConstraint("account_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    kind: str = Field(max_length=20, description="always 'app' (one AppSecret per account)")
    token: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    refresh_after: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow)


# the tables of the feature areas (each its own lineage branch): add one import line per area below
from .fans import models as _fans_models  # noqa: E402,F401,I001  (fans, OA tags, sync runs)
from .qrcodes import models as _qrcodes_models  # noqa: E402,F401
from .stores import models as _stores_models  # noqa: E402,F401
from .share import models as _share_models  # noqa: E402,F401
from .materials import models as _materials_models  # noqa: E402,F401  (materials)
from .autoreply import models as _autoreply_models  # noqa: E402,F401  (auto replies)
from .menus import models as _menus_models  # noqa: E402,F401  (custom menus)
from .masssend import models as _masssend_models  # noqa: E402,F401  (mass sends, templates)
from .messages import models as _messages_models  # noqa: E402,F401,I001  (消息管理, branch official_account_messages)
