"""Core tables. Importing this package registers them on ``SQLModel.metadata``."""

from .base import TenantScoped, Timestamped, json_column
from .content import ContentArticle
from .customers import Customer, CustomerEvent, CustomerIdentity, IdentityKind
from .org import Department, Employee, EmployeeStatus
from .platform import (
    AuditLog,
    ChannelAccount,
    DeliveryStatus,
    EarlyDeliveryReport,
    EventDelivery,
    InboundCallback,
    JobStatus,
    MessageCap,
    MessageDelivery,
    Outbox,
    ScheduledJob,
    SkippedJob,
    TenantPlugin,
)
from .shortlinks import ShortLink, ShortLinkClick, ShortLinkRecipient, TenantLogo
from .tags import CustomerTag, Tag, TagGroup
from .tenancy import ApiToken, DataScope, Membership, Role, Tenant, User

CORE_TABLES = frozenset(
    m.__tablename__
    for m in (
        Tenant, User, Membership, ApiToken, Department, Employee, Customer, CustomerIdentity, CustomerEvent,
        TagGroup, Tag, CustomerTag, TenantPlugin, ChannelAccount, Outbox, EventDelivery, ScheduledJob,
        MessageDelivery, MessageCap, AuditLog, InboundCallback, SkippedJob,
        EarlyDeliveryReport, ShortLink, ShortLinkRecipient, ShortLinkClick, TenantLogo, ContentArticle,
    )
)

__all__ = [
    "ContentArticle",
    "ApiToken", "AuditLog", "CORE_TABLES", "ChannelAccount", "Customer", "CustomerEvent", "CustomerIdentity",
    "CustomerTag", "DataScope", "DeliveryStatus", "Department", "EarlyDeliveryReport", "Employee", "EmployeeStatus", "EventDelivery",
    "IdentityKind", "InboundCallback", "JobStatus", "Membership", "MessageCap", "MessageDelivery", "Outbox", "Role",
    "ScheduledJob", "ShortLink", "ShortLinkClick", "ShortLinkRecipient", "SkippedJob", "Tag", "TagGroup", "Tenant", "TenantLogo", "TenantPlugin", "TenantScoped", "Timestamped", "User", "json_column",
]
