"""The SCRM plugin SDK: the only module plugins import.

Hook API v1 (``hookimpl``), the ``Plugin`` and ``ChannelPlugin`` bases, the tenant-scoped model mixin, jobs
(``actor``), domain events, schedules, the delivery ledger, audiences, and contribution types. WeChat-family protocol
helpers live in ``scrm.sdk.wechat``; the pytest fixtures in ``scrm.sdk.testing``; Flask helpers in ``scrm.sdk.web``;
the customer timeline in ``scrm.sdk.timeline``; the templated messages other plugins offer (an SMS template, sent
without importing the SMS plugin) in ``scrm.sdk.message_templates``. Every hook, with a worked example, is in
``docs/hooks.md``.

Constants: ``HOOK_API_VERSION``, the version of the hook API this platform offers (a plugin's ``api`` specifier is
checked against it); ``current_tenant_id``, a ``ContextVar`` holding the tenant id of the running job (set by the
job middleware; ``current_tenant_id.get()`` inside an actor).
"""

from scrm.core.audience import (
    AudienceContext,
    AudienceError,
    FilterType,
    compile_audience,
    core_filter_types,
    count_audience,
)
from scrm.core.db import utf16_length
from scrm.core.events import DomainEvent, EventTypes, publish
from scrm.core.inbox import Inbound, InboxTimeout, Stored
from scrm.core.jobs import Job, actor, current_bus, job_session
from scrm.core.jobs.middleware import current_tenant_id
from scrm.core.jobs.scheduler import cancel as cancel_schedule
from scrm.core.jobs.scheduler import schedule
from scrm.core.labels import register_labels
from scrm.core.messages import N_, Message
from scrm.core.models import (
    ChannelAccount,
    Customer,
    CustomerEvent,
    CustomerIdentity,
    CustomerTag,
    DataScope,
    DeliveryStatus,
    Department,
    Employee,
    EmployeeStatus,
    IdentityKind,
    InboundCallback,
    Membership,
    MessageDelivery,
    Role,
    ScheduledJob,
    Tag,
    TagGroup,
    Tenant,
    TenantScoped,
    Timestamped,
    User,
    json_column,
)
from scrm.core.outbound import (
    BulkPlan,
    MessageKind,
    OutboundError,
    OutboundMessage,
    Outgoing,
    PlannedChunk,
    SendResult,
    SetPlan,
    UnknownChannel,
    UnsupportedMessageKind,
    Variant,
    daily_cap,
    deliver_now,
    mark_delivery_report,
    plan_bulk_send,
    plan_bulk_set,
    send_message,
    set_daily_cap,
)
from scrm.core.outbound import advance as advance_delivery
from scrm.core.plugins.base import ChannelPlugin, Plugin
from scrm.core.plugins.contributions import (
    CalendarEntry,
    CustomerColumn,
    DashboardCard,
    MenuItem,
    MessageTemplate,
    ProfilePanel,
    TagSource,
    TimelineEntry,
    TodoItem,
)
from scrm.core.plugins.hookspecs import HOOK_API_VERSION, hookimpl
from scrm.core.services import customer_rules
from scrm.core.services.audit import record as audit
from scrm.core.services.channel_settings import CheckResult
from scrm.core.services.channels import accounts as channel_accounts
from scrm.core.services.channels import create_account as create_channel_account
from scrm.core.services.channels import credentials as account_credentials
from scrm.core.services.channels import set_credentials as set_account_credentials
from scrm.core.services.deliveries import count_for_customer, record_delivery
from scrm.core.services.deliveries import mark as mark_delivery
from scrm.core.services.distinct import distinct_values
from scrm.core.services.identity import IdentityError, mask_mobile, match_or_create, normalize_mobile
from scrm.core.services.merge import MergeError, merge_customers
from scrm.core.services.scoping import customer_scope, department_subtree, get_scoped, scoped
from scrm.core.timeutil import (
    Span,
    current_zone,
    date_span,
    day_span,
    export_time,
    format_local,
    local,
    local_datetime,
    local_midnight,
    local_now,
    local_today,
    month_span,
    offset_label,
    use_zone,
    utc_offset_hours,
    utcnow,
    zone_title,
)

__all__ = [
    "DataScope", "EmployeeStatus", "Membership", "MergeError", "Role", "User", "core_filter_types",
    "customer_scope", "department_subtree", "distinct_values", "merge_customers",
    "HOOK_API_VERSION", "AudienceContext", "AudienceError", "ChannelAccount", "ChannelPlugin", "CheckResult", "Customer",
    "CustomerEvent", "CustomerIdentity", "CustomerTag", "DashboardCard", "DeliveryStatus", "Department", "MessageTemplate",
    "DomainEvent", "Employee", "EventTypes", "FilterType", "IdentityError", "IdentityKind", "MenuItem",
    "Inbound", "InboundCallback", "Job", "InboxTimeout", "Stored", "channel_accounts", "create_channel_account", "set_account_credentials",
    "MessageDelivery", "Plugin", "ScheduledJob", "ProfilePanel", "TimelineEntry", "CustomerColumn", "TagSource", "TodoItem", "CalendarEntry", "Tag", "TagGroup", "Tenant", "TenantScoped", "Timestamped", "account_credentials",
    "actor", "audit", "cancel_schedule", "current_bus", "compile_audience", "count_audience", "count_for_customer", "customer_rules",
    "current_tenant_id", "get_scoped", "hookimpl", "job_session", "json_column", "mark_delivery", "mask_mobile",
    "match_or_create", "normalize_mobile", "publish", "record_delivery", "schedule", "scoped", "utcnow",
    # the tenant's time zone (scrm.core.timeutil): shown times, "today" and "this month"
    "Span", "current_zone", "date_span", "day_span", "format_local", "local", "local_datetime", "local_midnight",
    "local_now", "local_today", "month_span", "offset_label", "use_zone", "utc_offset_hours", "export_time",
    "zone_title",
    # labels of codes (scrm.core.labels) and message ids (scrm.core.messages)
    "Message", "N_", "register_labels",
    # the one outbound path (scrm.core.outbound): sending, the bulk form, ledger moves, delivery reports, caps
    "BulkPlan", "MessageKind", "OutboundError", "OutboundMessage", "Outgoing", "SendResult", "UnknownChannel",
    "UnsupportedMessageKind", "advance_delivery", "daily_cap", "deliver_now", "mark_delivery_report",
    "plan_bulk_send", "send_message", "set_daily_cap", "PlannedChunk", "SetPlan", "Variant", "plan_bulk_set",
    "utf16_length",
]
