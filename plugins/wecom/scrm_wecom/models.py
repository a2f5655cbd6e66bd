"""The plugin's tables (named ``wecom_...``; migrations in ``migrations/versions``)."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import Column, Text, UniqueConstraint
from sqlmodel import Field

from scrm.sdk import TenantScoped, utcnow


class WeComAccessToken(TenantScoped, table=True):
    """An access token of one (channel account, secret kind), used when the platform has no Redis.

    ``token`` is encrypted with the platform's secret box. ``refresh_after`` is when callers must fetch a new one
    (a margin before WeCom's ``expires_in``); ``None`` means the row only exists as the refresh lock.
    """

    __tablename__ = "wecom_access_token"
    __table_args__ = (UniqueConstraint("account_id", "kind"),)
    id: int | None = Field(default=None, primary_key=True)
    account_id: int = Field(foreign_key="channel_account.id", ondelete="CASCADE")
    kind: str = Field(max_length=20, description="agent, contact or address_book")
    token: str = Field(default="", sa_column=Column(Text, nullable=False, default=""))
    refresh_after: datetime | None = None
    fetched_at: datetime = Field(default_factory=utcnow)


# the tables of the live-code and welcome modules (their own lineage branch, ``wecom_livecodes``)
from .assignment.models import AssignmentRecord  # noqa: E402,F401  (assignment records, branch ``wecom_assignment``)
from .churn.models import ChurnSettings, FriendLoss  # noqa: E402,F401  (churn alerts, branch ``wecom_churn``)
from .group_welcome.models import GroupWelcomeTemplate  # noqa: E402,F401  (branch ``wecom_group_welcome``)
from .groupchats.models import (  # noqa: E402,F401  (group chat mirror, branch ``wecom_groupchats``)
    GroupAssignment,
    GroupChat,
    GroupChatSync,
    GroupChatTag,
    GroupMember,
    GroupTag,
    GroupTagGroup,
)
from .livecodes.models import (  # noqa: E402,F401
    LiveCode,
    LiveCodeEmployee,
    LiveCodeFriendEvent,
    LiveCodeLogo,
    LiveCodeTag,
)
from .masssend.models import MassMember, MassRecipient, MassTask  # noqa: E402,F401  (branch ``wecom_masssend``)
from .materials.models import (  # noqa: E402,F401  (material centre, branch ``wecom_materials``)
    ContentGroup,
    Material,
    MaterialFile,
    MaterialMedia,
    MaterialSend,
    MaterialView,
    Script,
    ScriptContent,
)
from .messaging.models import AppMessage  # noqa: E402,F401  (app messages to employees, branch ``wecom_messaging``)
from .moments.models import (  # noqa: E402,F401  (Moments, branch ``wecom_moments``)
    MomentInteraction,
    MomentSender,
    MomentsPage,
    MomentTask,
)
from .promotion.models import (  # noqa: E402,F401  (employee promotion, branch ``wecom_promotion``)
    PromotionActivity,
    PromotionDepartment,
    PromotionParticipant,
    PromotionResult,
    PromotionReward,
)
from .rules.models import LimitOverrides, PersonalTag  # noqa: E402,F401  (platform rules, branch ``wecom_rules``)
from .sop.models import SopBinding, SopNode, SopRule, SopTask  # noqa: E402,F401  (SOP, branch ``wecom_sop``)
from .sync.models import Follow, SyncMember, SyncRun  # noqa: E402,F401  (the sync module's, branch ``wecom_sync``)
from .welcome.models import WelcomeMessage, WelcomeMessageEmployee  # noqa: E402,F401
